"""Users' own model servers (local endpoints), who they are shared with, and the audit log of changes."""

from __future__ import annotations

from piccolo.columns import JSON, Boolean, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from domain.choices import AuditAction, AuditEntity, EndpointType, HealthStatus
from tables.users import User

__all__ = ["MAX_ENDPOINT_NAME", "MAX_ENDPOINT_URL", "AuditLog", "EndpointShare", "LocalEndpoint"]

MAX_ENDPOINT_NAME = 200
MAX_ENDPOINT_URL = 2048


class LocalEndpoint(Table, tablename="local_endpoints"):
    """A user's own model server (Ollama, vLLM, LM Studio, llama.cpp).

    Its ids are never reused (AUTOINCREMENT on SQLite, a sequence on PostgreSQL):
    they name its models' universalModelIds, which outlive a deleted endpoint.
    A partial index on shared_with_everyone (in the migration) serves the visibility rule.
    """

    id: Serial  # piccolo's primary key, declared for type checkers
    # The unique pair below indexes `owner` (its first column) already.
    owner = ForeignKey(User, null=False, on_delete=OnDelete.cascade)
    name = Varchar(length=MAX_ENDPOINT_NAME)
    base_url = Varchar(length=MAX_ENDPOINT_URL)
    endpoint_type = Varchar(length=32, choices=EndpointType)
    api_key = Text(null=True, default=None, secret=True)  # Fernet token, never the key
    is_active = Boolean(default=True, index=True)
    health_status = Varchar(length=16, choices=HealthStatus, default=HealthStatus.UNKNOWN.value)
    last_health_check = Timestamptz(null=True, default=None)
    last_response_time_ms = Integer(null=True, default=None)
    last_error = Text(null=True, default=None)  # written by the service, never an upstream body
    available_models = JSON(default=[])
    last_model_discovery = Timestamptz(null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)
    shared_with_everyone = Boolean(default=False)
    # The per-endpoint rate limits, claimed with one UPDATE ... WHERE so two instances cannot both pass.
    next_health_check_at = Timestamptz(null=True, default=None)
    next_discovery_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    one_name_per_owner = Unique(["owner", "name"])
    type_is_known = Check("endpoint_type IN ('OLLAMA', 'OPENAI_COMPATIBLE', 'CUSTOM')")
    health_is_known = Check("health_status IN ('HEALTHY', 'UNHEALTHY', 'UNKNOWN')")
    response_time_is_positive = Check("last_response_time_ms IS NULL OR last_response_time_ms >= 0")


class EndpointShare(Table, tablename="endpoint_shares"):
    """One user an endpoint is shared with: its models join their picker."""

    id: Serial  # piccolo's primary key, declared for type checkers
    # The unique pair below indexes `endpoint` (its first column) already.
    endpoint = ForeignKey(LocalEndpoint, null=False, on_delete=OnDelete.cascade)
    user = ForeignKey(User, null=False, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())

    one_share_per_pair = Unique(["endpoint", "user"])


class AuditLog(Table, tablename="audit_log"):
    """One row per change to a provider or an endpoint, written in the change's transaction.

    A secret appears as "changed", never as a value. Rows outlive their entity
    (no foreign key on entity_id), so a deletion stays on record. An index on
    (entity_kind, entity_id, id) in the migration serves each entity's history.
    """

    id: Serial  # piccolo's primary key, declared for type checkers
    entity_kind = Varchar(length=16, choices=AuditEntity)
    entity_id = Integer()
    action = Varchar(length=16, choices=AuditAction)
    changes = JSON(default=[])  # [{"field", "oldValue", "newValue"}]
    changed_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())

    entity_is_known = Check("entity_kind IN ('PROVIDER', 'ENDPOINT')")
    action_is_known = Check(
        "action IN ('CREATED', 'UPDATED', 'DELETED', 'KEY_CHANGED', 'HEALTH_CHANGED', 'SHARED', 'DISCOVERED')"
    )
