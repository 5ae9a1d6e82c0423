"""The enumerations stored in the database, shared by tables, adapters, services and GraphQL."""

from __future__ import annotations

import enum

__all__ = [
    "AuditAction",
    "AuditEntity",
    "CostTier",
    "EndpointType",
    "HealthStatus",
    "HistoryAction",
    "ModelStatus",
    "ProviderKind",
    "Role",
    "SpeedTier",
    "SyncTrigger",
]


class Role(enum.StrEnum):
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"


class ProviderKind(enum.StrEnum):
    OPENAI = "OPENAI"
    ANTHROPIC = "ANTHROPIC"
    GOOGLE = "GOOGLE"
    GROQ = "GROQ"
    MISTRAL = "MISTRAL"
    OPENROUTER = "OPENROUTER"
    OLLAMA = "OLLAMA"
    OPENAI_COMPATIBLE = "OPENAI_COMPATIBLE"


class ModelStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"


class SpeedTier(enum.StrEnum):
    FAST = "FAST"
    MEDIUM = "MEDIUM"
    SLOW = "SLOW"


class CostTier(enum.StrEnum):
    FREE = "FREE"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class HistoryAction(enum.StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    ENABLED = "ENABLED"
    DISABLED = "DISABLED"
    ARCHIVED = "ARCHIVED"
    RESTORED = "RESTORED"
    DUPLICATED = "DUPLICATED"
    IMPORTED = "IMPORTED"
    SYNCED = "SYNCED"
    REVERTED = "REVERTED"


class SyncTrigger(enum.StrEnum):
    MANUAL = "MANUAL"
    SCHEDULED = "SCHEDULED"


class EndpointType(enum.StrEnum):
    OLLAMA = "OLLAMA"
    OPENAI_COMPATIBLE = "OPENAI_COMPATIBLE"
    CUSTOM = "CUSTOM"  # any other server that answers OpenAI's model list (llama.cpp, a gateway)


class HealthStatus(enum.StrEnum):
    HEALTHY = "HEALTHY"
    UNHEALTHY = "UNHEALTHY"
    UNKNOWN = "UNKNOWN"


class AuditAction(enum.StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    DELETED = "DELETED"
    KEY_CHANGED = "KEY_CHANGED"
    HEALTH_CHANGED = "HEALTH_CHANGED"
    SHARED = "SHARED"
    DISCOVERED = "DISCOVERED"


class AuditEntity(enum.StrEnum):
    """What an audit_log row is about."""

    PROVIDER = "PROVIDER"
    ENDPOINT = "ENDPOINT"
