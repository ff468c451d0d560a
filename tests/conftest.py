"""Shared fixtures: a dataset factory on a temp folder, settings on a temp home, and the
catalogue database of the tests that run on both backends (``ODX_TEST_BACKEND``)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from backends import backend, drop_leftovers, fresh_postgres_database, server_url
from factories import DatasetFactory, write_dataset
from odx.platform.settings import Settings


def pytest_configure(config: pytest.Config) -> None:
    """Refuse to start on a backend that cannot be had: PostgreSQL chosen without a server
    would otherwise quietly test SQLite again (or skip), and look like a pass."""
    try:
        chosen = backend()
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None
    if chosen == "postgresql" and not server_url():
        raise pytest.UsageError(
            "ODX_TEST_BACKEND=postgresql needs ODX_TEST_DATABASE_URL, the PostgreSQL server "
            "to create the test databases on, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test"
        )


def pytest_report_header() -> str:
    """Say which catalogue backend ran, so a log shows what a pass covered."""
    if backend() == "sqlite":
        return "odx catalogue backend: sqlite"
    server = make_url(server_url() or "").render_as_string(hide_password=True)
    return f"odx catalogue backend: postgresql on {server}"


@pytest.fixture(scope="session", autouse=True)
def _drop_old_test_databases() -> None:
    """Drop the PostgreSQL test databases that killed runs left behind (hours old only, so a
    run going on at the same time on the same server keeps its own)."""
    if backend() == "postgresql":
        drop_leftovers()


@pytest.fixture(scope="module")
def database_url() -> Iterator[str | None]:
    """The catalogue database for a module's platform: None (a SQLite file in its home) by
    default, or a fresh PostgreSQL database of the module's own, dropped after the module."""
    if backend() == "sqlite":
        yield None
        return
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def make_dataset(tmp_path: Path) -> DatasetFactory:
    """Write a dataset folder under the test's temp catalogue; see ``write_dataset``."""
    return partial(write_dataset, tmp_path / "catalog")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", progress=False)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Tell reviewers where the browser tests left their screenshots (when they ran)."""
    browser = sys.modules.get("web.browser")
    folder = getattr(browser, "SCREENSHOTS", None)
    shots = sorted(folder.glob("*.png")) if folder is not None and folder.is_dir() else []
    if shots:
        terminalreporter.write_line(f"screenshots of the pages ({len(shots)}): {folder}")
