"""Accounts over HTTP: organizers bring in participants and judges, admins anyone."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from odx.platform.api.deps import CurrentUser, SessionDep, SettingsDep
from odx.platform.api.schemas import (
    MlflowAccount,
    RoleChange,
    UserCreate,
    UserCreated,
    UserPublic,
    UsersCreate,
)
from odx.platform.services import mlflow_access, users

router = APIRouter(prefix="/api/users", tags=["users"])

UserName = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="Login name")]


@router.post(
    "",
    response_model=UserCreated,
    status_code=201,
    summary="Create a user and return its token once (organizers: participants and judges)",
)
def create_user(body: UserCreate, user: CurrentUser, session: SessionDep) -> UserCreated:
    created, token = users.create_user_as(session, user, name=body.name, role=body.role)
    return UserCreated(name=created.name, role=created.role, token=token)


@router.post(
    "/bulk",
    response_model=list[UserCreated],
    status_code=201,
    summary="Create several users at once, all or none, and return their tokens once "
    "(organizers: e.g. the evaluators of a user evaluation)",
)
def create_users(body: UsersCreate, user: CurrentUser, session: SessionDep) -> list[UserCreated]:
    created = users.create_many_as(session, user, body.names, body.role)
    return [UserCreated(name=u.name, role=u.role, token=token) for u, token in created]


@router.post(
    "/{name}/role",
    response_model=UserPublic,
    summary="Change a user's role (admins; audited)",
)
def set_role(
    name: UserName, body: RoleChange, user: CurrentUser, session: SessionDep
) -> UserPublic:
    changed = users.set_role_as(session, user, name, body.role)
    return UserPublic(name=changed.name, role=changed.role)


@router.post(
    "/{name}/mlflow-access",
    response_model=MlflowAccount,
    summary="Give a judge (or other staff) a read-only MLflow account; returns its password once",
)
def grant_mlflow_access(
    name: UserName, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> MlflowAccount:
    access = mlflow_access.grant_as(session, settings, user, name)
    return MlflowAccount(
        tracking_uri=access.tracking_uri, username=access.username, password=access.password
    )
