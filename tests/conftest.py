"""Shared fixtures: a dataset factory on a temp folder, and settings on a temp home."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from factories import DatasetFactory, write_dataset
from odx.platform.settings import Settings


@pytest.fixture
def make_dataset(tmp_path: Path) -> DatasetFactory:
    """Write a dataset folder under the test's temp catalogue; see ``write_dataset``."""
    return partial(write_dataset, tmp_path / "catalog")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", progress=False)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Tell reviewers where the browser tests left their screenshots."""
    from web.browser import SCREENSHOTS

    shots = sorted(SCREENSHOTS.glob("*.png")) if SCREENSHOTS.is_dir() else []
    if shots:
        terminalreporter.write_line(f"screenshots of the pages ({len(shots)}): {SCREENSHOTS}")
