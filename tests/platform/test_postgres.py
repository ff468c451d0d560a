"""Production mode: the same Alembic migrations and publishing flow on a real PostgreSQL server.

Runs when ``ODX_TEST_DATABASE_URL`` names a server (``.ci/run`` sets it); each test gets a
database of its own, created and dropped here.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from factories import DatasetFactory
from odx.platform.db.engine import get_engine, session_scope
from odx.platform.db.models import DatasetVersion
from odx.platform.services import datasets as service
from odx.platform.settings import Settings

SERVER = os.environ.get("ODX_TEST_DATABASE_URL")
pytestmark = pytest.mark.skipif(not SERVER, reason="ODX_TEST_DATABASE_URL names no PostgreSQL")


@pytest.fixture
def database_url() -> Iterator[str]:
    admin = create_engine(SERVER, isolation_level="AUTOCOMMIT")
    name = f"odx_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(SERVER).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        get_engine(url).dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_migrations_and_publish_run_on_postgresql(
    database_url: str, tmp_path: Path, make_dataset: DatasetFactory
) -> None:
    settings = Settings(home=tmp_path / "home", database_url=database_url, progress=False)
    folder = str(make_dataset())
    first = service.publish(settings, folder)
    again = service.publish(settings, folder)
    assert first.created and not again.created and again.version == 1
    tables = set(inspect(get_engine(database_url)).get_table_names())
    assert {"alembic_version", "dataset_versions", "quality_runs"} <= tables
    with session_scope(database_url) as session:
        row = session.scalar(select(DatasetVersion))
        assert row is not None and row.manifest["files"]["test.csv"]["rows"] == 36
