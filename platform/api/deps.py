"""Dependencies that routes declare in their signatures (settings, database session)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from odx.platform.db.engine import session_scope
from odx.platform.settings import Settings


def _settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(_settings)]


def _session(settings: SettingsDep) -> Iterator[Session]:
    with session_scope(settings.resolved_database_url) as session:
        yield session


SessionDep = Annotated[Session, Depends(_session)]
