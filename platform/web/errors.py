"""Errors on pages are pages: the same problems the API reports, shown in the visitor's
language with a way back, and a sign-in redirect where a session is missing."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from odx.platform.db.engine import session_scope
from odx.platform.services import sessions
from odx.platform.services.sessions import SignedIn
from odx.platform.web.context import page_for
from odx.platform.web.i18n import catalogue
from odx.platform.web.security import SESSION_COOKIE, safe_next

API_PATHS = ("/api/", "/static/")
API_PAGES = ("/docs", "/openapi.json", "/healthz", "/redoc")


def wants_html(request: Request) -> bool:
    """Browsers navigating to a page; never the API or a script asking for JSON."""
    path = request.url.path
    if path.startswith(API_PATHS) or path in API_PAGES:
        return False
    return "text/html" in request.headers.get("accept", "")


def _return_to(request: Request) -> str:
    """Where to go after signing in: this page, or for a form sent without a session, the
    page the form was on (a form's address cannot be opened with GET)."""
    if request.method == "GET":
        query = f"?{request.url.query}" if request.url.query else ""
        return request.url.path + query
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc == request.headers.get("host"):
        return safe_next(referer.path + (f"?{referer.query}" if referer.query else ""))
    return "/"


def _visitor(request: Request) -> SignedIn | None:
    """Who is looking, for the page's header; nobody if the database itself is failing."""
    try:
        url = request.app.state.settings.resolved_database_url
        with session_scope(url) as session:
            return sessions.lookup(session, request.cookies.get(SESSION_COOKIE))
    except Exception:
        return None


def error_page(request: Request, status: int, code: str, detail: str) -> Response | None:
    """The error as a page for a browser; None for everyone else (they get JSON).
    Blocking (it may read the session): the API's handlers call it on a worker thread."""
    if not wants_html(request):
        return None
    if code == "sign_in_required":
        return RedirectResponse(f"/signin?next={quote(_return_to(request))}", status_code=303)
    known = catalogue()
    heading = next(
        (key for key in (f"error.{code}", f"error.{status}") if key in known), "error.title"
    )
    return page_for(request, _visitor(request)).render(
        "error.html",
        status=status,
        code=code,
        status_code=status,
        heading=heading,
        detail=detail,
    )
