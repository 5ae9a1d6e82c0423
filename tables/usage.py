"""Usage records: one per model call, priced once when recorded."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    BigInt,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from tables.catalog import AiModel
from tables.chats import Chat
from tables.prices import ModelPrice
from tables.users import User

__all__ = ["COST_SCALE", "MAX_REQUEST_ID", "UsageRecord"]

MAX_REQUEST_ID = 200
# A cost is stored as a whole number of 10**-12 US dollars: sums stay exact on SQLite too, whose
# NUMERIC keeps 15 significant digits only; a bigint of them holds 9.2 million dollars per sum there.
COST_SCALE = 12


class UsageRecord(Table, tablename="usage_records"):
    id: Serial  # piccolo's primary key, declared for type checkers
    user = ForeignKey(User, null=False, on_delete=OnDelete.cascade)
    # SET NULL: a deleted model leaves its usage (and what it cost) in the reports
    ai_model = ForeignKey(AiModel, null=True, default=None, on_delete=OnDelete.set_null, index=True)
    universal_model_id = Varchar(length=256)
    provider = Varchar(length=64)  # the provider's key when recorded, for PROVIDER reports
    chat = ForeignKey(Chat, null=True, default=None, on_delete=OnDelete.set_null, index=True)
    # The local endpoint the model was found on; on PostgreSQL a foreign key to local_endpoints (SET NULL).
    endpoint = Integer(null=True, default=None, index=True)
    request_id = Varchar(length=MAX_REQUEST_ID)
    input_tokens = Integer(default=0)
    output_tokens = Integer(default=0)
    cached_input_tokens = Integer(default=0)
    cache_write_tokens = Integer(default=0)
    latency_ms = Integer(null=True, default=None)
    success = Boolean(default=True)
    error_code = Varchar(length=100, null=True, default=None)
    cost = BigInt(null=True, default=None)  # 10**-12 USD; null: unpriced
    price = ForeignKey(ModelPrice, null=True, default=None, on_delete=OnDelete.set_null)
    tier = Integer(null=True, default=None)  # the minPromptTokens of the tier that applied
    window = JSON(null=True, default=None)  # the discount window that applied
    occurred_at = Timestamptz()
    recorded_at = Timestamptz(default=TimestamptzNow())

    # Idempotency per user; its first column also serves a member's reports.
    one_record_per_request = Unique(["user", "request_id"])
    tokens_in_bounds = Check(
        "input_tokens >= 0 AND output_tokens >= 0 AND cached_input_tokens >= 0 AND cache_write_tokens >= 0"
    )
    latency_in_bounds = Check("latency_ms IS NULL OR latency_ms >= 0")
