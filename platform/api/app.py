"""The FastAPI application, built for one settings object (no global state at import)."""

from __future__ import annotations

from fastapi import FastAPI

from odx.platform.api import problems
from odx.platform.api.routers import datasets
from odx.platform.services.datasets import prepare_storage
from odx.platform.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the schema is brought up to date before the first request."""
    settings = settings or get_settings()
    prepare_storage(settings)
    app = FastAPI(
        title="OpenData X",
        summary="Quality-checked public data and AI prediction challenges (중소벤처기업부).",
        version="0.1.0",
    )
    app.state.settings = settings
    problems.install(app)
    app.include_router(datasets.router)

    @app.get("/healthz", tags=["meta"], summary="Liveness check")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
