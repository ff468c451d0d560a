"""Errors on pages are pages: the same problems the API reports, shown in the visitor's
language with a way back, and a sign-in redirect where a session is missing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from odx.platform.db.engine import session_scope
from odx.platform.services import sessions
from odx.platform.services.sessions import SignedIn
from odx.platform.web import i18n
from odx.platform.web.context import filesize, page_for
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


@dataclass(frozen=True)
class Detail:
    """What a page says about an error: the text, and its language when that is not the
    page's (an error raised without a message key still reads in English)."""

    text: str
    lang: str | None = None


def _values_for(request: Request, code: str) -> dict[str, Any]:
    """The values a code's text needs, for errors that carry none (raised outside the page
    layer's services): the address asked for and the settings."""
    values: dict[str, Any] = {**request.path_params, "path": request.url.path}
    if code == "upload_too_large":
        values["limit"] = filesize(request.app.state.settings.max_upload_bytes)
    return values


def localized(request: Request, lang: i18n.Lang, code: str, detail: str) -> Detail:
    """An error's detail in the page's language: from its message key, else from its code,
    else as the API says it (marked English)."""
    text = i18n.detail_text(lang, detail)
    if text is None:
        text = i18n.say(lang, f"detail.code.{code}", _values_for(request, code))
    if text is not None:
        return Detail(text)
    return Detail(detail, None if lang == "en" else "en")


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
    page = page_for(request, _visitor(request))
    return page.render(
        "error.html",
        status=status,
        code=code,
        status_code=status,
        heading=heading,
        detail=localized(request, page.lang, code, detail),
        technical=detail if code == "invalid_request" else "",
    )
