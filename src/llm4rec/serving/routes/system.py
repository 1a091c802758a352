"""The page, GET /health and GET /metrics: open to anyone, they reveal no user's data."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from llm4rec.serving.deps import ServedDep, SettingsDep
from llm4rec.serving.schemas import Health

router = APIRouter(tags=["system"])


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def page() -> str:
    return files("llm4rec.serving").joinpath("page.html").read_text()


@router.get("/health")
async def health(served: ServedDep, settings: SettingsDep) -> Health:
    return Health(status="ok", model=served.bundle.model.name, model_version=served.version,
                  items=served.bundle.interactions.n_items, users=len(served.histories), policy=settings.policy,
                  key_required=not settings.open_reads, retrieval=served.retrieval)


@router.get("/metrics", include_in_schema=False)
def prometheus(request: Request) -> Response:
    return Response(request.app.state.metrics.exposition(), media_type="text/plain; version=0.0.4")
