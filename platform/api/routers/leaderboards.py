"""Leaderboards over HTTP, as JSON or CSV: the hottest read of a challenge, so it is served
from the rendered-board cache, with an ETag, gzipped when the client accepts it."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from odx.platform.api import problems
from odx.platform.api.deps import optional_user
from odx.platform.db.engine import session_scope
from odx.platform.services import challenges
from odx.platform.services.leaderboards import cache, visibility
from odx.platform.services.leaderboards.ranking import Board

router = APIRouter(prefix="/api", tags=["challenges"])


@router.get(
    "/challenges/{challenge_id}/leaderboard",
    summary="Public leaderboard, or private once revealed (format=csv to export)",
    responses=problems.responses(401, 403, 429),  # a token is optional, checked in the body
)
async def leaderboard(
    challenge_id: str,
    request: Request,
    board: Annotated[Literal["public", "private"], Query()] = "public",
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response:
    # The hottest read of a challenge: served from memory when rendered a moment ago, else
    # rendered on a worker thread (database access must not block the event loop).
    result = cache.fresh(challenge_id, board, format)
    if result is None:
        result = await run_in_threadpool(_render_board, request, challenge_id, board, format)
    headers = {"ETag": result.etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == result.etag:
        return Response(status_code=304, headers=headers)
    body = result.body
    if "gzip" in request.headers.get("accept-encoding", ""):
        body, headers["Content-Encoding"] = result.gzipped, "gzip"
    if format == "csv":
        headers["Content-Disposition"] = f'attachment; filename="{challenge_id}-{board}.csv"'
        return Response(body, media_type="text/csv; charset=utf-8", headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def _render_board(
    request: Request, challenge_id: str, board: Board, fmt: cache.Format
) -> cache.Rendered:
    settings = request.app.state.settings
    with session_scope(settings.resolved_database_url) as session:
        challenge = challenges.get(session, challenge_id)
        visibility.require_visible(challenge, board, lambda: optional_user(request, session))
        return cache.rendered(session, challenge, board=board, fmt=fmt)
