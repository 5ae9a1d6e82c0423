"""DDL that piccolo's own create_table cannot give on every engine."""

from __future__ import annotations

from piccolo.table import Table

__all__ = ["create_table_statements", "drop_table_statement"]


def create_table_statements(table: type[Table]) -> list[str]:
    """CREATE TABLE with the table's constraints inline, then its indexes.

    piccolo adds Check and Unique constraints with ALTER TABLE ... ADD
    CONSTRAINT, which SQLite does not have; written inside CREATE TABLE they
    work on SQLite and PostgreSQL alike.
    """
    create, *rest = table.create_table().ddl
    constraints = [f"CONSTRAINT {c._meta.name} {c.ddl}" for c in table._meta.constraints]
    if constraints:
        create = f"{create[:-1]}, {', '.join(constraints)})"
    return [create, *(statement for statement in rest if " ADD CONSTRAINT " not in statement)]


def drop_table_statement(table: type[Table]) -> str:
    """DROP TABLE for the table, if it exists."""
    return f'DROP TABLE IF EXISTS "{table._meta.tablename}"'
