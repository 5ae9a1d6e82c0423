"""The piccolo app that owns the catalog's tables and migrations."""

from __future__ import annotations

import os

from piccolo.conf.apps import AppConfig

from tables.catalog import AiModel, ModelHistory, Provider
from tables.chats import Agent, AgentModel, Chat
from tables.endpoints import AuditLog, EndpointShare, LocalEndpoint
from tables.live import CatalogEvent, CatalogRevision, PersistedQuery
from tables.prices import ModelPrice
from tables.sync import Lease, SyncRun
from tables.usage import UsageRecord
from tables.users import ApiToken, User

__all__ = ["ALL_TABLES", "APP_CONFIG"]

# Parents before children: the order tables are created in and emptied backwards.
ALL_TABLES = [
    User,
    ApiToken,
    Provider,
    LocalEndpoint,
    AiModel,
    ModelHistory,
    Agent,
    AgentModel,
    Chat,
    SyncRun,
    Lease,
    EndpointShare,
    AuditLog,
    CatalogRevision,
    CatalogEvent,
    PersistedQuery,
    ModelPrice,
    UsageRecord,
]

APP_CONFIG = AppConfig(
    app_name="tables",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=ALL_TABLES,
    migration_dependencies=[],
    commands=[],
)
