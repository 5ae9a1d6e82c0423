"""The database's enumerations, exposed as GraphQL enums under the contract's names."""

from __future__ import annotations

import strawberry

from domain.choices import (
    AuditAction,
    CostTier,
    EndpointType,
    HealthStatus,
    HistoryAction,
    ModelStatus,
    ProviderKind,
    Role,
    SpeedTier,
    SyncTrigger,
)

__all__ = [
    "AuditAction",
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

# strawberry.enum marks the classes in place, so services and GraphQL share one type.
for _enum in (
    Role,
    ProviderKind,
    ModelStatus,
    SpeedTier,
    CostTier,
    HistoryAction,
    SyncTrigger,
    EndpointType,
    HealthStatus,
    AuditAction,
):
    strawberry.enum(_enum)
