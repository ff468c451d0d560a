"""Errors on pages are pages: the same problems the API reports, shown in the visitor's
language with a way back, and a sign-in redirect where a session is missing."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from odx.platform.db.engine import session_scope
from odx.platform.services import sessions
from odx.platform.web.context import page_for
from odx.platform.web.i18n import catalogue
from odx.platform.web.security import SESSION_COOKIE


def wants_html(request: Request) -> bool:
    """Browsers navigating to a page; never the API or a script asking for JSON."""
    if request.url.path.startswith(("/api/", "/static/")) or request.url.path in (
        "/docs",
        "/openapi.json",
        "/healthz",
    ):
        return False
    return "text/html" in request.headers.get("accept", "")


def error_page(request: Request, status: int, code: str, detail: str) -> Response | None:
    """The error as a page for a browser; None for everyone else (they get JSON)."""
    if not wants_html(request):
        return None
    if code == "sign_in_required":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/signin?next={quote(target)}", status_code=303)
    settings = request.app.state.settings
    with session_scope(settings.resolved_database_url) as session:
        signed = sessions.lookup(session, request.cookies.get(SESSION_COOKIE))
        page = page_for(request, signed)
        heading = f"error.{status}" if f"error.{status}" in catalogue() else "error.title"
        return page.render(
            "error.html",
            status=status,
            code=code,
            status_code=status,
            heading=heading,
            detail=detail,
        )
