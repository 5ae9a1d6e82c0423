"""The enumerations stored in the database, shared by tables, adapters, services and GraphQL."""

from __future__ import annotations

import enum

__all__ = [
    "CostTier",
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
