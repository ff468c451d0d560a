"""Browser sessions: signing in with an API token gives a cookie; signing out ends it.

The cookie carries 256 random bits; the database keeps only their SHA-256, the user and
the session's CSRF token (the synchronizer-token pattern: every form echoes it).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from odx.platform.db.models import User, WebSession, utcnow
from odx.platform.services import users
from odx.platform.services.users import hash_token

LIFETIME = timedelta(days=14)


@dataclass(frozen=True)
class SignedIn:
    user: User
    csrf_token: str


def create(session: Session, token: str) -> tuple[str, SignedIn]:
    """Check an API token and open a session; returns the cookie value (shown once)."""
    user = users.authenticate(session, token.strip())
    cookie = secrets.token_urlsafe(32)
    now = utcnow()
    session.execute(delete(WebSession).where(WebSession.expires_at < now))  # tidy as we go
    row = WebSession(
        id_sha256=hash_token(cookie),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + LIFETIME,
    )
    session.add(row)
    session.flush()
    return cookie, SignedIn(user, row.csrf_token)


def lookup(session: Session, cookie: str | None) -> SignedIn | None:
    """The signed-in user of a cookie, or None when absent, unknown, expired or deactivated."""
    if not cookie:
        return None
    found = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.id_sha256 == hash_token(cookie))
    ).first()
    if found is None:
        return None
    row, user = found
    if row.expires_at <= utcnow() or not user.active:
        return None
    return SignedIn(user, row.csrf_token)


def end(session: Session, cookie: str | None) -> None:
    """Sign out: the cookie stops working at once, even if someone kept a copy."""
    if cookie:
        session.execute(delete(WebSession).where(WebSession.id_sha256 == hash_token(cookie)))
