"""Driving Debian's Chromium with Playwright: each page visited is checked for console errors
and with axe-core, and a screenshot is kept for reviewers."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Response

from live import Site

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("ODX_SCREENSHOTS", ROOT / "test-results" / "screenshots"))
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
_axe = Axe()


def chromium_path() -> str | None:
    """ODX_TEST_CHROMIUM, else Debian's /usr/bin/chromium, else Playwright's own download."""
    explicit = os.environ.get("ODX_TEST_CHROMIUM")
    if explicit:
        return explicit
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


class Visitor:
    """One person's browser tab (its own cookies), checking every page it opens."""

    def __init__(self, browser: Browser, site: Site, name: str, **context: Any) -> None:
        self.site, self.name = site, name
        self.context = browser.new_context(
            base_url=site.url,
            accept_downloads=True,
            **({"viewport": {"width": 1280, "height": 900}} | context),
        )
        self.page: Page = self.context.new_page()
        self.problems: list[tuple[str, str]] = []  # (message, address it came from)
        self.page.on(
            "console",
            lambda m: (
                self.problems.append((m.text, m.location.get("url", "")))
                if m.type == "error"
                else None
            ),
        )
        self.page.on("pageerror", lambda e: self.problems.append((str(e), self.page.url)))
        self.page.on("dialog", lambda d: d.accept())  # confirm() before close and reveal

    def sign_in(self) -> None:
        self.open("/signin")
        self.page.fill("#token", self.site.tokens[self.name])
        self.page.get_by_role("main").get_by_role("button").click()
        self.page.wait_for_url(f"{self.site.url}/")
        self.check("home-signed-in")

    def open(self, path: str, shot: str | None = None, *, status: int = 200) -> Response:
        response = self.page.goto(path)
        assert response is not None and response.status == status, (path, response)
        if status != 200:  # the browser logs the status of the page itself, and only that
            self.expected_refusal(status, response.url)
        self.check(shot)
        return response

    def expected_refusal(self, status: int, url: str) -> None:
        """Chromium logs every 4xx answer as a console error; forget the one a test asked for."""
        self.problems = [
            (text, source)
            for text, source in self.problems
            if not (
                text.startswith("Failed to load resource")
                and f" {status} " in text
                and source == url
            )
        ]

    def check(self, shot: str | None = None) -> None:
        """No console errors, no axe-core violations; keep a screenshot if named."""
        self.page.wait_for_load_state("networkidle")
        assert not self.problems, f"console errors on {self.page.url}: {self.problems}"
        results = _axe.run(self.page)
        assert results.violations_count == 0, (
            f"accessibility problems on {self.page.url}:\n{results.generate_report()}"
        )
        if shot:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^a-z0-9-]+", "-", shot.lower())
            self.page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)

    def close(self) -> None:
        self.context.close()


def launch(playwright: Any) -> Browser:
    try:
        return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
    except Exception as exc:  # a missing browser must fail loudly, never skip
        pytest.fail(
            f"Chromium did not start ({exc}). Install it with "
            "'apt-get install chromium fonts-nanum', or set ODX_TEST_CHROMIUM to a Chromium "
            "binary, or run 'python -m playwright install chromium'."
        )
