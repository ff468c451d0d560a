"""The FastAPI application, built for one settings object (no global state at import)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from odx.platform.api import problems
from odx.platform.api.bodies import BodyGuard
from odx.platform.api.routers import (
    applications,
    audit,
    challenges,
    data_access,
    dataset_jobs,
    datasets,
    evaluation,
    judging,
    leaderboards,
    schedule,
    submissions,
    teams,
    users,
)
from odx.platform.services.attempts import Attempts
from odx.platform.services.datasets import prepare_storage
from odx.platform.settings import Settings, get_settings
from odx.platform.web import install as install_pages
from odx.platform.web.errors import error_page

meta = APIRouter(tags=["meta"])


@meta.get("/healthz", summary="Liveness check")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the schema is brought up to date before the first request, and the
    embedded scoring worker runs while the app does (unless ``ODX_WORKERS=0``, or
    ``ODX_BROKER_URL`` names a broker: production mode, where Celery workers score)."""
    settings = settings or get_settings()
    prepare_storage(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker = None
        if settings.production:  # separate worker processes score; the API only sends
            from odx.platform.jobs.broker import Broker

            app.state.jobs = Broker(settings)
        elif settings.workers > 0:
            from odx.platform.worker import EmbeddedWorker

            worker = EmbeddedWorker(settings)
            worker.start()
            app.state.jobs = worker
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()

    app = FastAPI(
        title="OpenData X",
        summary="Quality-checked public data and AI prediction challenges (중소벤처기업부).",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.attempts = Attempts.for_settings(settings)
    app.state.jobs = None  # who scores: set at start-up (embedded worker, broker or none)
    problems.install(app, html=error_page)
    app.add_middleware(BodyGuard, settings=settings)
    resources = (
        datasets,
        dataset_jobs,
        challenges,
        teams,
        applications,
        schedule,
        data_access,
        evaluation,
        judging,
        submissions,
        leaderboards,
        audit,
        users,
    )
    for resource in resources:
        app.include_router(problems.document(resource.router))
    app.include_router(problems.document(meta))

    install_pages(app)

    return app
