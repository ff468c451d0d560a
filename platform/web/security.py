"""Cookies and CSRF for the pages. The JSON API never reads cookies (it takes bearer tokens),
so cross-site requests cannot ride on a browser's sign-in there.

- The session cookie is HttpOnly, SameSite=Lax, path ``/``, Secure over https.
- Every state-changing form carries the session's CSRF token (or, before sign-in, the value
  of a random ``odx_csrf`` cookie: the double-submit pattern), and a foreign ``Origin``
  header is refused outright.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Form, Request, Response

from odx.platform.errors import Message, OdxError
from odx.platform.services.sessions import LIFETIME, SignedIn

SESSION_COOKIE = "odx_session"
CSRF_COOKIE = "odx_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]  # the hidden field every form carries


class CsrfError(OdxError):
    code = "csrf"
    title = "Form expired"
    status = 403


class SignInRequired(OdxError):
    """Pages answer this with a redirect to the sign-in page; the API never raises it."""

    code = "sign_in_required"
    title = "Sign in required"
    status = 401


def _secure(request: Request) -> bool:
    forced = request.app.state.settings.secure_cookies
    return forced if forced is not None else request.url.scheme == "https"


def set_session_cookie(request: Request, response: Response, value: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=int(LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=_secure(request), path="/"
    )


def anonymous_token(request: Request) -> str:
    """The pre-sign-in CSRF value: the visitor's ``odx_csrf`` cookie, or a new random one."""
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)


def remember_anonymous(request: Request, response: Response, value: str) -> None:
    response.set_cookie(
        CSRF_COOKIE, value, httponly=True, samesite="strict", secure=_secure(request), path="/"
    )


def check_origin(request: Request) -> None:
    """Refuse a state-changing request sent by another site's page."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        raise CsrfError(Message("csrf.foreign", "this form was sent from another site"))


def check_csrf(request: Request, sent: str | None, signed: SignedIn | None) -> None:
    """Compare the token a form or script sent with the one this visitor was given."""
    check_origin(request)
    sent = sent or request.headers.get(CSRF_HEADER)
    expected = signed.csrf_token if signed else request.cookies.get(CSRF_COOKIE)
    if not sent or not expected or not hmac.compare_digest(sent, expected):
        raise CsrfError(
            Message("csrf.expired", "the form has expired; reload the page and try again")
        )


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths may be redirect targets (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    return target
