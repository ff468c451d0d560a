"""Databases for the tests: SQLite files by default, or fresh PostgreSQL databases.

``ODX_TEST_BACKEND`` (``sqlite`` or ``postgresql``) picks the catalogue database of the tests
that run on both; ``ODX_TEST_DATABASE_URL`` names the PostgreSQL server (``.ci/run`` sets it).
Every database made here is called ``odx_t_<unix time>_<hex>``: a killed run's leftovers are
easy to find, and their age is in the name, so a run never drops a concurrent run's databases.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Literal

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from odx.platform.db.engine import get_engine

PREFIX = "odx_t_"
BACKENDS = ("sqlite", "postgresql")
LEFTOVER_AGE = timedelta(hours=6)  # far longer than any run: older ones were killed
_NAME = re.compile(rf"^{PREFIX}(\d+)_[0-9a-f]+$")

Backend = Literal["sqlite", "postgresql"]


def server_url() -> str | None:
    """The PostgreSQL server the tests may create databases on, if any."""
    return os.environ.get("ODX_TEST_DATABASE_URL") or None


def backend() -> Backend:
    """The catalogue backend chosen by ``ODX_TEST_BACKEND``; a typo is an error, not SQLite."""
    chosen = os.environ.get("ODX_TEST_BACKEND") or "sqlite"
    if chosen not in BACKENDS:
        raise ValueError(f"ODX_TEST_BACKEND={chosen!r}: expected one of {', '.join(BACKENDS)}")
    return chosen  # type: ignore[return-value]


def database_name(created: float | None = None) -> str:
    """A new database name carrying its creation time (unix seconds), for ``drop_leftovers``."""
    stamp = int(time.time() if created is None else created)
    return f"{PREFIX}{stamp}_{uuid.uuid4().hex[:12]}"


def created_at(name: str) -> int | None:
    """The unix time encoded in a name made by ``database_name``; None for any other name."""
    match = _NAME.match(name)
    return int(match.group(1)) if match else None


@contextmanager
def fresh_postgres_database(server: str | None = None) -> Iterator[str]:
    """Create an empty database on the server, yield its URL, then drop it (connections too)."""
    server = server or server_url()
    if not server:
        raise RuntimeError("ODX_TEST_DATABASE_URL names no PostgreSQL server")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = database_name()
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


def drop_leftovers(server: str | None = None, *, older_than: timedelta = LEFTOVER_AGE) -> int:
    """Drop the ``odx_t_`` databases created more than ``older_than`` ago (left by killed
    runs); how many were dropped. Younger ones may belong to a run still going, and names
    without a creation time are never dropped, since their age is unknown."""
    server = server or server_url()
    if not server:
        return 0
    cutoff = time.time() - older_than.total_seconds()
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            names = connection.execute(
                text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                {"p": PREFIX.replace("_", r"\_") + "%"},
            ).scalars()
            old = [n for n in names if (stamp := created_at(n)) is not None and stamp < cutoff]
            for name in old:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return len(old)
    finally:
        admin.dispose()
