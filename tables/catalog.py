"""Providers, the models they serve, and every model's version history."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from domain.choices import CostTier, HistoryAction, ModelStatus, ProviderKind, SpeedTier
from tables.endpoints import LocalEndpoint
from tables.users import User

__all__ = ["PRICE_DIGITS", "AiModel", "ModelHistory", "Provider"]

# USD per million tokens: up to 10,000 with the 12 decimals a per-token price
# such as 1.25e-10 needs once it is scaled to a million tokens.
PRICE_DIGITS = (20, 12)


class Provider(Table, tablename="providers"):
    id: Serial  # piccolo's primary key, declared for type checkers
    key = Varchar(length=64, unique=True)
    kind = Varchar(length=32, choices=ProviderKind)
    display_name = Varchar(length=200)
    base_url = Varchar(length=2048, null=True, default=None)
    api_key = Text(null=True, default=None, secret=True)  # Fernet token, never the key
    enabled = Boolean(default=True)
    last_synced_at = Timestamptz(null=True, default=None)
    last_sync_error = Text(null=True, default=None)
    availability_checked_at = Timestamptz(null=True, default=None)
    # A provider whose listing keeps failing is asked again after a growing pause, not on every request.
    availability_failures = Integer(default=0)
    availability_retry_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class AiModel(Table, tablename="ai_models"):
    id: Serial  # piccolo's primary key, declared for type checkers
    provider = ForeignKey(Provider, null=False, on_delete=OnDelete.restrict, index=True)
    model_id = Varchar(length=256)
    universal_model_id = Varchar(length=256, unique=True)
    display_name = Varchar(length=200)
    description = Text(null=True, default=None)
    context_window = Integer(null=True, default=None)
    max_output_tokens = Integer(null=True, default=None)
    supports_tools = Boolean(default=False)
    supports_vision = Boolean(default=False)
    capabilities = JSON(default=[])
    speed_tier = Varchar(length=16, choices=SpeedTier, null=True, default=None)
    cost_tier = Varchar(length=16, choices=CostTier, null=True, default=None)
    # Prices live in model_prices (tables/prices.py), a dated series per model.
    status = Varchar(length=16, choices=ModelStatus, default=ModelStatus.ACTIVE.value, index=True)
    enabled = Boolean(default=True, index=True)
    is_available = Boolean(default=True, index=True)
    is_default = Boolean(default=False)
    locked_fields = JSON(default=[])
    config = JSON(default={})  # the provider's raw record, as last synced
    owner = ForeignKey(User, null=True, default=None, on_delete=OnDelete.cascade, index=True)
    # The local endpoint a private model was discovered on. SET NULL: deleting an endpoint archives its
    # models first (through the writer), and chats, usage and history keep referring to them.
    endpoint = ForeignKey(LocalEndpoint, null=True, default=None, on_delete=OnDelete.set_null, index=True)
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    archived_at = Timestamptz(null=True, default=None)
    # Who archived it decides whether a provider listing it again restores it:
    # sync restores what sync archived (with its earlier `enabled`), never what
    # an admin archived.
    archived_by_sync = Boolean(default=False)
    enabled_before_archive = Boolean(null=True, default=None)

    status_is_known = Check("status IN ('ACTIVE', 'ARCHIVED')")
    archived_is_disabled = Check("status = 'ACTIVE' OR enabled = false")
    context_window_in_bounds = Check("context_window IS NULL OR (context_window >= 1 AND context_window <= 100000000)")
    max_output_in_bounds = Check(
        "max_output_tokens IS NULL OR (max_output_tokens >= 1 AND max_output_tokens <= 100000000)"
    )
    version_is_positive = Check("version >= 1")


class ModelHistory(Table, tablename="model_history"):
    """One row per change to a model, written in the transaction of the change."""

    id: Serial  # piccolo's primary key, declared for type checkers
    model = ForeignKey(AiModel, null=False, on_delete=OnDelete.cascade, index=True)
    universal_model_id = Varchar(length=256, index=True)
    version = Integer()
    action = Varchar(length=16, choices=HistoryAction)
    changes = JSON(default=[])  # [{"field", "oldValue", "newValue"}]
    changed_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    reason = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)

    one_row_per_version = Unique(["model", "version"])
