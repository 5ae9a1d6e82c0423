"""The baseline of bench/read_path.py: a bare Starlette route returning the same 100 models as JSON, same driver."""

from __future__ import annotations

import os
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")

from tables.catalog import AiModel, Provider

__all__ = ["app"]


async def models(request: Request) -> JSONResponse:
    rows = await AiModel.select().order_by(AiModel.universal_model_id).limit(100).output(load_json=True)
    ids = sorted({row["provider"] for row in rows})
    providers = {
        p["id"]: p
        for p in await Provider.select(Provider.id, Provider.key, Provider.kind).where(Provider.id.is_in(ids))
    }
    nodes = [{**{k: str(v) if v is not None and not isinstance(v, int | bool | str | list | dict) else v
                 for k, v in row.items() if k != "config"}, "provider": providers[row["provider"]]}
             for row in rows]  # fmt: skip
    return JSONResponse({"data": {"models": {"nodes": nodes}}})


app = Starlette(routes=[Route("/models", models)])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
