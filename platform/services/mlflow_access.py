"""Judges' read access to the MLflow tracking server: the one rule of who gets an account.

The server (``odx mlflow-server``) holds private scores behind MLflow's basic-auth app, where
every account but the admin may only read. odx makes those accounts: staff only (judges,
organizers, admins), never a participant. The password is random, shown once, and a second
grant resets it, so a judge who lost it asks again. The admin pair odx writes with comes from
``MLFLOW_TRACKING_USERNAME`` / ``MLFLOW_TRACKING_PASSWORD``, as for every MLflow client.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from odx.platform.db.models import User
from odx.platform.errors import ConflictError, OdxError
from odx.platform.mlflow_server import USERNAME_ENV
from odx.platform.services import audit
from odx.platform.services.users import (
    GRANTABLE_BY,
    PermissionDeniedError,
    Role,
    get_by_name,
    is_staff,
)
from odx.platform.settings import Settings
from odx.scoring.tracking import is_server


class MlflowUnavailableError(OdxError):
    code = "mlflow_unavailable"
    title = "MLflow server unavailable"
    status = 503


@dataclass(frozen=True)
class MlflowAccess:
    """Where and how a judge signs in to the MLflow UI; the password is never stored."""

    tracking_uri: str
    username: str
    password: str


def grant_as(session: Session, settings: Settings, actor: User, name: str) -> MlflowAccess:
    """``grant`` on behalf of a signed-in account: organizers for judges, admins for staff."""
    user = get_by_name(session, name)
    if Role(user.role) not in GRANTABLE_BY.get(Role(actor.role), frozenset()):
        raise PermissionDeniedError(
            f"an {actor.role} cannot give MLflow access to an {user.role}; ask an admin"
        )
    return grant(session, settings, name, actor=actor.name)


def grant(session: Session, settings: Settings, name: str, *, actor: str) -> MlflowAccess:
    """Create (or reset) the MLflow account of staff member ``name``, readable only."""
    user = get_by_name(session, name)
    if not is_staff(user):
        raise ConflictError(
            f"'{name}' is a participant: MLflow holds private scores, only staff may read it"
        )
    uri = settings.resolved_mlflow_uri
    if not is_server(uri):
        raise ConflictError(
            "this platform's MLflow store is local, not a server: judges open it with "
            "'odx mlflow --start' on this machine"
        )
    if name == os.environ.get(USERNAME_ENV):
        raise ConflictError(f"'{name}' is the MLflow server's admin account; choose another user")
    password = secrets.token_urlsafe(18)
    _set_account(uri, name, password)
    audit.record(session, actor=actor, action="mlflow.access", target=name)
    return MlflowAccess(tracking_uri=uri, username=name, password=password)


def _set_account(uri: str, username: str, password: str) -> None:
    """Create the account, or give an existing one the new password (admin credentials)."""
    from mlflow.exceptions import MlflowException
    from mlflow.server import get_app_client

    client = get_app_client("basic-auth", tracking_uri=uri)
    try:
        try:
            client.get_user(username)
        except MlflowException as missing:
            if missing.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
            client.create_user(username, password)
        else:
            client.update_user_password(username, password)
    except MlflowException as error:
        raise MlflowUnavailableError(f"the MLflow server refused: {error.message}") from None
    except OSError as error:  # requests' connection errors are OSErrors
        raise MlflowUnavailableError(f"the MLflow server at {uri} did not answer") from error
