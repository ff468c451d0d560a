"""Dependencies that routes declare in their signatures: settings, the database session,
the signed-in user, and the roles a route needs (declared once here, not in handlers)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from odx.platform.db import MAX_INTEGER
from odx.platform.db.engine import session_scope
from odx.platform.db.models import Challenge, User
from odx.platform.services import challenges, users
from odx.platform.services.attempts import Attempts, Secret, Who
from odx.platform.services.users import Role
from odx.platform.settings import Settings


def _settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(_settings)]


def _session(settings: SettingsDep) -> Iterator[Session]:
    with session_scope(settings.resolved_database_url) as session:
        yield session


# scope="function": commit before the response leaves, so a client that acts on a 201 or a
# redirect at once always finds what was just written (the default commits after sending).
SessionDep = Annotated[Session, Depends(_session, scope="function")]


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, if any."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def attempts_of(request: Request) -> Attempts:
    """The app's counts of failed attempts at secrets (tokens, invite codes)."""
    return request.app.state.attempts


def client_of(request: Request, *accounts: tuple[str, str]) -> Who:
    """Whose failures a try counts toward: the client's address (uvicorn takes it from
    X-Forwarded-For only behind a trusted proxy) and the accounts concerned."""
    return Who(request.client.host if request.client else "unknown", accounts)


def authenticate(request: Request, session: Session, token: str | None) -> User:
    """The user holding ``token``; too many wrong tokens from one client get 429."""
    if not token:
        return users.authenticate(session, token)  # 401: no secret was tried
    return attempts_of(request).attempt(
        Secret.TOKEN, client_of(request), lambda: users.authenticate(session, token)
    )


def _current_user(request: Request, session: SessionDep) -> User:
    return authenticate(request, session, bearer_token(request))


CurrentUser = Annotated[User, Depends(_current_user)]


def optional_user(request: Request, session: Session) -> User | None:
    """The token's user when a token is sent, else nobody (routes open to everyone)."""
    token = bearer_token(request)
    return authenticate(request, session, token) if token else None


def require_role(*roles: Role) -> Callable[[User], User]:
    """A dependency: the signed-in user, refused (403) unless one of ``roles`` (or admin)."""

    def signed_in_with_role(user: CurrentUser) -> User:
        users.require_role(user, *roles)
        return user

    return signed_in_with_role


OrganizerUser = Annotated[User, Depends(require_role(Role.organizer))]
ReviewerUser = Annotated[User, Depends(require_role(Role.organizer, Role.judge))]


def _challenge(challenge_id: str, session: SessionDep) -> Challenge:
    return challenges.get(session, challenge_id)


ChallengeDep = Annotated[Challenge, Depends(_challenge)]

# A number in the address that names a row (a version, a run): bounded like the column, so
# that a huge number is a 422, not an overflow inside the database driver.
RowNumber = Annotated[int, Path(ge=1, le=MAX_INTEGER)]
