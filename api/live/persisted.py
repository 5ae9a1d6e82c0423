"""Apollo's automatic persisted queries: a GET may carry a document's sha256 in place of the document."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tables.live import PersistedQuery

__all__ = ["MAX_DOCUMENT_CHARS", "MAX_STORED", "PersistedQueries", "PersistedQueryProblem", "sha256_of"]

MAX_STORED = 10_000  # documents kept in the database; the oldest go first
MAX_DOCUMENT_CHARS = 100_000  # far above what the 2,000-token limit lets through
MEMORY_ENTRIES = 1024  # documents this process remembers without asking the database


@dataclass(frozen=True)
class PersistedQueryProblem(Exception):
    """What Apollo's clients expect to hear: PERSISTED_QUERY_NOT_FOUND makes them send the document."""

    code: str
    message: str
    status: int = 200


def sha256_of(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


class PersistedQueries:
    """Documents by hash: this process's recent ones in memory, every one in `persisted_queries`."""

    def __init__(self) -> None:
        self._recent: OrderedDict[str, str] = OrderedDict()

    async def document(self, query: str | None, extensions: Mapping[str, Any] | None) -> str | None:
        """The document to run: the request's own (checked and stored) or the one its hash names."""
        persisted = (extensions or {}).get("persistedQuery")
        if not isinstance(persisted, Mapping):
            return query
        digest = persisted.get("sha256Hash")
        if persisted.get("version") != 1 or not isinstance(digest, str) or len(digest) != 64:
            raise PersistedQueryProblem(
                "PERSISTED_QUERY_NOT_SUPPORTED", "persistedQuery needs version 1 and a sha256Hash", 400
            )
        digest = digest.lower()
        if query is not None:
            if sha256_of(query) != digest:
                raise PersistedQueryProblem("VALIDATION_FAILED", "provided sha does not match query", 400)
            await self._store(digest, query)
            return query
        known = await self._find(digest)
        if known is None:
            raise PersistedQueryProblem("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
        return known

    def _remember(self, digest: str, document: str) -> None:
        self._recent[digest] = document
        self._recent.move_to_end(digest)
        while len(self._recent) > MEMORY_ENTRIES:
            self._recent.popitem(last=False)

    async def _find(self, digest: str) -> str | None:
        if digest in self._recent:
            self._recent.move_to_end(digest)
            return self._recent[digest]
        row = await PersistedQuery.select(PersistedQuery.document).where(PersistedQuery.sha256 == digest).first()
        if row is None:
            return None
        self._remember(digest, row["document"])
        return str(row["document"])

    async def _store(self, digest: str, document: str) -> None:
        if digest in self._recent or len(document) > MAX_DOCUMENT_CHARS:
            return
        inserted = (
            await PersistedQuery.insert(PersistedQuery(sha256=digest, document=document))
            .on_conflict(target=PersistedQuery.sha256, action="DO NOTHING")
            .returning(PersistedQuery.id)
        )
        if inserted and inserted[0]["id"] > MAX_STORED:
            # Bounded: whatever fell out of the newest MAX_STORED goes (a client sends it again if it needs it).
            await PersistedQuery.delete().where(PersistedQuery.id <= inserted[0]["id"] - MAX_STORED)
        self._remember(digest, document)
