"""estimateCost against LiteLLM's own cost_per_token, on every chat model of LiteLLM's bundled price file.

    LITELLM_PYTHON=/path/to/venv-with-litellm/bin/python DATABASE_URL=sqlite:///.bench.sqlite3 \\
        python bench/litellm_costs.py [--show 20]

The `litellm` package is never a dependency of the service: it lives in a Python
of its own (LITELLM_PYTHON), which this script runs twice, to find the price file
LiteLLM ships and to price the cases with cost_per_token (its local copy of the
file, no network). The catalog side imports that file into an emptied database
with importModels, then prices every case with the service's estimateCost. A case
is a model, token counts (uncached input, output, cache reads, cache writes) and a
moment: a plain request, one with cache reads and writes, one prompt just below, at
and just above every tier threshold of the row, and, for a model with off-peak
prices, moments inside and outside its windows. Costs agree when they differ by
less than LiteLLM's float error (a relative 1e-9).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")
os.environ.setdefault("DATABASE_URL", "sqlite:///.bench.sqlite3")

from api.catalog.service import estimate_cost
from api.database import close_pool, migrate, open_pool
from api.errors import ValidationFailed
from api.imports.document import LITELLM_PROVIDER_KEYS
from api.imports.service import import_models
from tables.catalog import AiModel
from tables.piccolo_app import ALL_TABLES

__all__ = ["main"]

# Moments: a Wednesday night, a Wednesday late morning (DeepSeek's off-peak hours), a Saturday, and the
# minutes around 16:00 UTC, where Beijing's weekday turns.
MOMENTS = [
    datetime(2026, 12, 2, 3, 0, tzinfo=UTC),
    datetime(2026, 12, 2, 11, 0, tzinfo=UTC),
    datetime(2026, 12, 5, 12, 0, tzinfo=UTC),
    datetime(2026, 12, 4, 15, 59, tzinfo=UTC),
    datetime(2026, 12, 4, 16, 1, tzinfo=UTC),
]
ABOVE = re.compile(r"_above_(\d+)(k?)_tokens$")
TOLERANCE = Decimal("1e-9")

LITELLM_SIDE = r"""
import json, os, sys
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # LiteLLM's bundled copy, never the network
from datetime import datetime
import litellm
from litellm.types.utils import PromptTokensDetailsWrapper, Usage
from litellm._internal_context import pinned_billing_time
if sys.argv[1] == "file":
    print(os.path.join(os.path.dirname(litellm.__file__), "model_prices_and_context_window_backup.json"))
    sys.exit(0)
out = []
for case in json.load(sys.stdin):
    key, provider, given, output, cached, written, moment = case
    usage = Usage(
        prompt_tokens=given + cached + written,
        completion_tokens=output,
        total_tokens=given + cached + written + output,
        prompt_tokens_details=PromptTokensDetailsWrapper(cached_tokens=cached, cache_creation_tokens=written),
        cache_creation_input_tokens=written, cache_read_input_tokens=cached,
    )
    try:
        with pinned_billing_time(datetime.fromisoformat(moment)):
            prompt, completion = litellm.cost_per_token(model=key, custom_llm_provider=provider, usage_object=usage)
        out.append(repr(prompt + completion))
    except Exception as problem:
        out.append("error: " + type(problem).__name__)
with open(sys.argv[2], "w") as answer:  # not stdout, where LiteLLM may log
    json.dump(out, answer)
"""


@dataclass(frozen=True)
class Case:
    key: str
    provider: str
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    write_tokens: int
    moment: datetime

    def as_list(self) -> list[Any]:
        moment = self.moment.isoformat()
        return [
            self.key,
            self.provider,
            self.input_tokens,
            self.output_tokens,
            self.cached_tokens,
            self.write_tokens,
            moment,
        ]


def litellm(python: str, mode: str, cases: list[Case] | None = None) -> Any:
    """Ask the Python that has litellm: where its price file is, or what the cases cost."""
    stdin = json.dumps([case.as_list() for case in cases or []])
    with tempfile.TemporaryDirectory() as folder:
        answer = Path(folder) / "costs.json"
        command = [python, "-c", LITELLM_SIDE, mode, str(answer)]
        done = subprocess.run(command, input=stdin, capture_output=True, text=True, check=True)
        return done.stdout.strip().splitlines()[-1] if mode == "file" else json.loads(answer.read_text())


def prices_tokens(row: dict[str, Any]) -> bool:
    return any(key in row for key in ("input_cost_per_token", "output_cost_per_token", "tiered_pricing"))


def thresholds(row: dict[str, Any]) -> list[int]:
    found = set()
    for key in row:
        match = ABOVE.search(key)
        if match and not key.endswith(("_priority", "_flex", "_batches")):
            found.add(int(match.group(1)) * (1000 if match.group(2) else 1))
    for tier in row.get("tiered_pricing") or []:
        if isinstance(tier, dict) and isinstance(tier.get("range"), list) and tier["range"][0]:
            found.add(int(tier["range"][0]))
    return sorted(found)


def cases_of(key: str, row: dict[str, Any]) -> list[Case]:
    provider = row["litellm_provider"]
    moments = MOMENTS if "off_peak_pricing" in row else MOMENTS[:1]
    shapes = [(1200, 300, 0, 0), (1000, 200, 4000, 2000)]
    for threshold in thresholds(row):
        for prompt in (threshold - 1, threshold, threshold + 1):
            shapes += [(prompt, 500, 0, 0), (prompt // 2, 500, prompt - prompt // 2 - 100, 100)]
    return [Case(key, provider, *shape, moment) for moment in moments for shape in shapes]


async def our_costs(cases: list[Case], ids: dict[str, int]) -> list[Decimal | None]:
    costs: list[Decimal | None] = []
    for case in cases:
        try:
            estimate = await estimate_cost(
                ids[case.key],
                case.input_tokens,
                case.output_tokens,
                viewer=None,
                cached_input_tokens=case.cached_tokens,
                cache_write_tokens=case.write_tokens,
                at=case.moment,
            )
        except ValidationFailed:
            costs.append(None)  # no price for these tokens
            continue
        costs.append(estimate.cost.total)
    return costs


def agree(ours: Decimal | None, theirs: str) -> bool:
    if theirs.startswith("error"):
        return False
    expected = Decimal(theirs)
    if ours is None:
        return expected == 0
    return abs(ours - expected) <= max(Decimal("1e-12"), TOLERANCE * abs(expected))


def _kind(case: Case, row: dict[str, Any]) -> str:
    if case.write_tokens or case.cached_tokens:
        return "cache reads/writes"
    if case.input_tokens + case.cached_tokens + case.write_tokens > 100_000:
        return "tier edge"
    if "off_peak_pricing" in row:
        return "window"
    return "plain"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--show", type=int, default=15, help="Disagreements to print.")
    options = parser.parse_args()
    python = os.environ.get("LITELLM_PYTHON")
    if not python:
        sys.exit("set LITELLM_PYTHON to a Python that has the litellm package (never the service's own)")
    path = Path(litellm(python, "file"))
    document = json.loads(path.read_text())
    await open_pool()
    try:
        await migrate()
        for table in reversed(ALL_TABLES):
            await table.delete(force=True)
        outcome = await import_models(document, new_models_enabled=True, reason="LiteLLM's bundled price file")
        rows = await AiModel.select(AiModel.id, AiModel.universal_model_id)
        by_universal = {row["universal_model_id"]: row["id"] for row in rows}
        skipped = {problem.source_key for problem in outcome.skipped}
        priced = {
            key: row
            for key, row in document.items()
            if isinstance(row, dict) and row.get("mode") == "chat" and prices_tokens(row)
        }
        ids: dict[str, int] = {}
        for key, row in priced.items():
            provider = row["litellm_provider"]
            universal = f"{LITELLM_PROVIDER_KEYS.get(provider, provider)}:{key.removeprefix(provider + '/')}"
            if key not in skipped and universal in by_universal:
                ids[key] = by_universal[universal]
        cases = [case for key in ids for case in cases_of(key, priced[key])]
        ours = await our_costs(cases, ids)
    finally:
        await close_pool()
    theirs = litellm(python, "cost", cases)
    misses = [
        (case, mine, other) for case, mine, other in zip(cases, ours, theirs, strict=True) if not agree(mine, other)
    ]
    errors = sum(1 for other in theirs if other.startswith("error"))
    models_missed = Counter(case.key for case, _, _ in misses)
    print(f"LiteLLM's bundled file: {path.name}, {len(document):,} keys, {len(priced):,} chat models it prices")
    print(f"imported: {outcome.created:,} created, {len(outcome.skipped):,} rows skipped by the import's rules")
    reasons = Counter(f"{problem.field}: {problem.message[:60]}" for problem in outcome.skipped)
    for reason, count in reasons.most_common(6):
        print(f"  skipped {count:>3} x {reason}")
    print(f"compared: {len(ids):,} models, {len(cases):,} cases (LiteLLM raised on {errors:,})")
    agreed = len(cases) - len(misses)
    share = agreed / max(1, len(cases))
    print(f"agree: {agreed:,} of {len(cases):,} cases ({share:.2%}); models with a miss: {len(models_missed):,}")
    by_provider = Counter(case.provider for case, _, _ in misses)
    print("misses by provider: " + ", ".join(f"{name} {count}" for name, count in by_provider.most_common(12)))
    kinds = Counter(_kind(case, priced[case.key]) for case, _, _ in misses)
    print("misses by case: " + ", ".join(f"{name} {count}" for name, count in kinds.most_common()))
    for case, mine, other in misses[: options.show]:
        shape = f"in {case.input_tokens} out {case.output_tokens} cached {case.cached_tokens} write {case.write_tokens}"
        print(f"  {case.key} ({case.provider}) {shape} at {case.moment:%a %H:%M}: ours {mine} litellm {other}")


if __name__ == "__main__":
    asyncio.run(main())
