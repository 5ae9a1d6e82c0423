"""The capability vocabulary: the lower-case tags every path (GraphQL, CLI, import, sync) speaks."""

from __future__ import annotations

__all__ = ["CAPABILITIES", "is_capability"]

# DESIGN "Rules": `tools` and `vision` always equal supportsTools / supportsVision; foreign names
# (LiteLLM's supports_* flags, a provider's own fields) are mapped onto these, the rest stay in `config`.
CAPABILITIES: tuple[str, ...] = (
    "tools",
    "vision",
    "thinking",
    "json",
    "caching",
    "pdf",
    "audio",
    "web_search",
    "computer_use",
)


def is_capability(tag: str) -> bool:
    """Whether a tag belongs to the vocabulary."""
    return tag in CAPABILITIES
