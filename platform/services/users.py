"""Users, roles and API tokens. Tokens are random and shown once; only their hash is kept."""

from __future__ import annotations

import hashlib
import secrets
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from odx.platform.db.models import User
from odx.platform.errors import ConflictError, InvalidInputError, Message, NotFoundError, OdxError
from odx.platform.services import audit, text

TOKEN_PREFIX = "odx_"


class Role(StrEnum):
    admin = "admin"
    organizer = "organizer"
    judge = "judge"
    participant = "participant"
    evaluator = "evaluator"  # an SME or 소상공인 user who tries finalists' models and rates them


# Staff see every team's submissions and private scores, and the private board before the
# reveal; participants see only their own team's.
STAFF = frozenset({Role.admin, Role.organizer, Role.judge})


class AuthenticationError(OdxError):
    code = "unauthenticated"
    title = "Not signed in"
    status = 401


class PermissionDeniedError(OdxError):
    code = "forbidden"
    title = "Not allowed"
    status = 403


def hash_token(token: str) -> str:
    """SHA-256 suffices: tokens carry 256 random bits, so there is nothing to brute-force."""
    return hashlib.sha256(token.encode()).hexdigest()


def parse_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidInputError(
            f"unknown role '{role}'; one of: {', '.join(r.value for r in Role)}"
        ) from None


def create_user(session: Session, *, name: str, role: Role | str, actor: str) -> tuple[User, str]:
    """Create a user; returns the row and the token, which is never stored or shown again."""
    role = parse_role(role)
    # ASCII, as the API's /users/{name} routes take it (a Korean name is fine in a team's)
    plain = name.replace("-", "").replace("_", "")
    if not name or len(name) > 64 or not (plain.isascii() and plain.isalnum()):
        raise InvalidInputError("a user name is 1–64 letters (A–Z, a–z), digits, '-' or '_'")
    if session.scalar(select(User).where(User.name == name)) is not None:
        raise ConflictError(f"user '{name}' already exists")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    user = User(name=name, role=role.value, token_sha256=hash_token(token), token_prefix=token[:10])
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError(f"user '{name}' already exists") from None
    audit.record(
        session, actor=actor, action="user.create", target=name, details={"role": role.value}
    )
    return user, token


# Who may hand out which role: organizers bring in participants and judges for their
# challenges; only admins make organizers and admins (or change anyone's role).
GRANTABLE_BY: dict[Role, frozenset[Role]] = {
    Role.admin: frozenset(Role),
    Role.organizer: frozenset({Role.participant, Role.judge, Role.evaluator}),
}


def create_user_as(
    session: Session, actor: User, *, name: str, role: Role | str
) -> tuple[User, str]:
    """Create a user on behalf of a signed-in account, within what its role may grant."""
    wanted = parse_role(role)
    require_role(actor, Role.organizer)
    if wanted not in GRANTABLE_BY.get(Role(actor.role), frozenset()):
        raise PermissionDeniedError(
            f"an {actor.role} may create participants, judges and evaluators; "
            f"only an admin creates a user with the role {wanted.value}"
        )
    return create_user(session, name=name, role=wanted, actor=actor.name)


MAX_BULK = 500  # accounts in one bulk creation (an evaluation panel, a cohort)


def create_many_as(
    session: Session, actor: User, names: list[str], role: Role | str
) -> list[tuple[User, str]]:
    """Create several users at once (all or none: the caller's transaction rolls back on the
    first refusal), e.g. the evaluators of a user evaluation from a list of names."""
    if not names or len(names) > MAX_BULK:
        raise InvalidInputError(f"send between 1 and {MAX_BULK} names")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InvalidInputError(f"names given twice: {', '.join(repeated[:10])}")
    return [create_user_as(session, actor, name=name, role=role) for name in names]


def set_role_as(session: Session, actor: User, name: str, role: Role | str) -> User:
    """Change a user's role on behalf of a signed-in account: admins only."""
    wanted = parse_role(role)
    if actor.role != Role.admin:
        raise PermissionDeniedError(f"only an admin changes roles; you are {actor.role}")
    if actor.name == name and wanted != Role.admin:
        raise ConflictError("an admin cannot take away their own admin role; ask another admin")
    return set_role(session, name, wanted, actor=actor.name)


def authenticate(session: Session, token: str | None) -> User:
    """The active user holding ``token``; the same vague error for every kind of bad token."""
    if not token:
        raise AuthenticationError("send your API token as 'Authorization: Bearer <token>'")
    user = session.scalar(select(User).where(User.token_sha256 == hash_token(token)))
    if user is None or not user.active:
        raise AuthenticationError("the token is not valid")
    return user


def require_role(user: User, *roles: Role) -> None:
    """Refuse unless the user has one of ``roles``; admins may do everything."""
    if user.role == Role.admin or user.role in roles:
        return
    raise PermissionDeniedError(
        Message(
            "role.required",
            "this needs the role {roles}; you are {role}",
            roles=list(roles),
            role=Role(user.role),
        )
    )


def is_staff(user: User) -> bool:
    """Organizers, judges and admins see every team's submissions and private scores."""
    return user.role in STAFF


def get_by_name(session: Session, name: str) -> User:
    if text.forbidden_character(name) is not None:  # no name holds one (PostgreSQL: no NUL)
        raise NotFoundError(f"no user named {name!r}")
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFoundError(f"no user named '{name}'")
    return user


def set_role(session: Session, name: str, role: Role | str, *, actor: str) -> User:
    """Change a user's role (audited); the token stays the same."""
    role = parse_role(role)
    user = get_by_name(session, name)
    before, user.role = user.role, role.value
    audit.record(
        session,
        actor=actor,
        action="user.role",
        target=name,
        details={"from": before, "to": role.value},
    )
    return user
