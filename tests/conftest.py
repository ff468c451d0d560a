"""Shared fixtures: a dataset factory on a temp folder, and settings on a temp home."""

from __future__ import annotations

import sys
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
    """Tell reviewers where the browser tests left their screenshots (when they ran)."""
    browser = sys.modules.get("web.browser")
    folder = getattr(browser, "SCREENSHOTS", None)
    shots = sorted(folder.glob("*.png")) if folder is not None and folder.is_dir() else []
    if shots:
        terminalreporter.write_line(f"screenshots of the pages ({len(shots)}): {folder}")
