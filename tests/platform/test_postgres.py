"""The same Alembic migrations and publishing flow on a real PostgreSQL server.

Runs when ``ODX_TEST_DATABASE_URL`` names a server (``.ci/run`` sets it); each test gets a
database of its own, created and dropped here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from backends import fresh_postgres_database, server_url
from factories import DatasetFactory
from odx.platform.db.engine import get_engine, session_scope
from odx.platform.db.models import DatasetVersion
from odx.platform.services import datasets as service
from odx.platform.settings import Settings

pytestmark = pytest.mark.skipif(not server_url(), reason="ODX_TEST_DATABASE_URL names no server")


@pytest.fixture
def database_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        yield url


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
