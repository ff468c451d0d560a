"""Server-rendered pages in Korean and English over the same services as the JSON API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).with_name("static")


def install(app: FastAPI) -> None:
    """Mount the pages and their static files on the app."""
    from odx.platform.web.routes import evaluation, participant, programme, public, review, staff

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:  # asked for by pages without a <link rel="icon">
        return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")

    app.include_router(public.router)
    app.include_router(participant.router)
    app.include_router(staff.router)
    app.include_router(programme.router)
    app.include_router(review.router)
    app.include_router(evaluation.router)
