"""Databases for the tests: a fresh PostgreSQL database per test, dropped afterwards.

``ODX_TEST_DATABASE_URL`` names the server (``.ci/run`` sets it). Every database made here is
called ``odx_t_<hex>``, so a run's leftovers (a killed run) are easy to find and drop.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from odx.platform.db.engine import get_engine

PREFIX = "odx_t_"


def server_url() -> str | None:
    """The PostgreSQL server the tests may create databases on, if any."""
    return os.environ.get("ODX_TEST_DATABASE_URL") or None


@contextmanager
def fresh_postgres_database(server: str | None = None) -> Iterator[str]:
    """Create an empty database on the server, yield its URL, then drop it (connections too)."""
    server = server or server_url()
    if not server:
        raise RuntimeError("ODX_TEST_DATABASE_URL names no PostgreSQL server")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"{PREFIX}{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        get_engine(url).dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def drop_leftovers(server: str | None = None) -> int:
    """Drop every ``odx_t_`` database left by an earlier, killed run; how many were dropped."""
    server = server or server_url()
    if not server:
        return 0
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            names = connection.execute(
                text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                {"p": PREFIX.replace("_", r"\_") + "%"},
            ).scalars()
            dropped = 0
            for name in list(names):
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                dropped += 1
            return dropped
    finally:
        admin.dispose()
