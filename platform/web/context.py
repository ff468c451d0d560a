"""What every page handler gets: the visitor, their language, and a way to render a template."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import StrictUndefined
from markdown_it import MarkdownIt
from markupsafe import Markup

from odx.platform.api.deps import SessionDep
from odx.platform.db.models import User
from odx.platform.services import sessions
from odx.platform.services.sessions import SignedIn
from odx.platform.services.users import require_role
from odx.platform.web import i18n
from odx.platform.web.security import SESSION_COOKIE, SignInRequired

TEMPLATES = Path(__file__).with_name("templates")
# Pages load nothing from elsewhere and run no inline script: a stored value that slipped
# through escaping still could not execute.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")


def when(moment: datetime | None, zone: str = "Asia/Seoul") -> str:
    """A moment in a challenge's time zone, e.g. ``2026-11-25 18:34 KST``."""
    if moment is None:
        return "—"
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def local_input(moment: datetime, zone: str) -> str:
    """A moment as a ``datetime-local`` input shows it, in the challenge's time zone."""
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def filesize(size: int | None) -> str:
    if size is None:
        return "—"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def score(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


# Table alignment becomes classes: the CSP allows no inline style attributes.
_ALIGN = {
    ' style="text-align:right"': ' class="num"',
    ' style="text-align:center"': ' class="center"',
    ' style="text-align:left"': "",
}


def markdown(text: str, shift: int = 0) -> Markup:
    """Markdown to HTML with raw HTML disabled, so a data card cannot inject markup;
    ``shift`` moves its headings down to fit under the page's own.
    """
    html = _markdown.render(text)
    for style, replacement in _ALIGN.items():
        html = html.replace(style, replacement)
    for level in range(6, 0, -1) if shift else ():
        new = min(level + shift, 6)
        html = html.replace(f"<h{level}>", f"<h{new}>").replace(f"</h{level}>", f"</h{new}>")
    return Markup(html)


templates = Jinja2Templates(directory=str(TEMPLATES))
templates.env.filters.update(
    when=when, local_input=local_input, filesize=filesize, score=score, markdown=markdown
)
templates.env.undefined = StrictUndefined  # a misspelt variable fails loudly in tests


@dataclass
class Page:
    request: Request
    lang: i18n.Lang
    signed: SignedIn | None

    @property
    def user(self) -> User | None:
        return self.signed.user if self.signed else None

    def t(self, key: str, **values: object) -> str:
        return i18n.translate(self.lang, key, **values)

    def pick(self, ko: str, en: str) -> str:
        return i18n.pick(self.lang, ko, en)

    def require(self, *roles: Any) -> User:
        """The signed-in user, with one of ``roles`` if any are given (admins pass too)."""
        if self.signed is None:
            raise SignInRequired("sign in to see this page")
        if roles:
            require_role(self.signed.user, *roles)
        return self.signed.user

    def render(self, template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
        context = {
            "page": self,
            "t": self.t,
            "pick": self.pick,
            "has_text": lambda key: key in i18n.catalogue(),
            "lang": self.lang,
            "user": self.user,
            "csrf_token": self.signed.csrf_token if self.signed else "",
            "path": self.request.url.path,
            "full_path": self.request.url.path
            + (f"?{self.request.url.query}" if self.request.url.query else ""),
            **values,
        }
        response = templates.TemplateResponse(self.request, template, context, status_code=status)
        response.headers.update(SECURITY_HEADERS)
        return response


def page_for(request: Request, signed: SignedIn | None) -> Page:
    return Page(request, i18n.parse_lang(request.cookies.get(i18n.COOKIE)), signed)


def _page(request: Request, session: SessionDep) -> Page:
    return page_for(request, sessions.lookup(session, request.cookies.get(SESSION_COOKIE)))


PageDep = Annotated[Page, Depends(_page)]
