"""A running platform for the page tests: the market challenge open today, a scored baseline,
an organizer, a judge, a participant with a team and one without."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright
from web.browser import SCREENSHOTS, Visitor, launch

from live import CHALLENGE, Site, create_users, open_shipped_challenge, serving
from odx.platform.db.engine import session_scope
from odx.platform.services import challenges, teams, users
from odx.platform.services.baselines import run_baseline
from odx.platform.settings import Settings


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    settings = Settings(
        home=tmp_path_factory.mktemp("web") / "home",
        progress=False,
        workers=2,
        max_upload_bytes=1_000_000,  # small, so a test can send a file that is too large
    )
    open_shipped_challenge(
        settings, CHALLENGE, "market-store-count", daily_submissions=5, daily_failed_submissions=5
    )
    run_baseline(settings, CHALLENGE)
    tokens = create_users(
        settings,
        {"org": "organizer", "judge": "judge", "kim": "participant", "lee": "participant"},
    )
    with session_scope(settings.resolved_database_url) as session:
        challenge = challenges.get(session, CHALLENGE)
        teams.create(session, challenge, users.get_by_name(session, "kim"), "김씨네 AI")
    with serving(settings) as url:
        yield Site(url, tokens, settings)


@pytest.fixture(scope="session")
def _fresh_screenshots() -> None:
    for old in SCREENSHOTS.glob("*.png"):  # only this run's pictures are left for reviewers
        old.unlink()


@pytest.fixture(scope="module")
def browser(_fresh_screenshots: None) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def kim(browser: Browser, site: Site) -> Iterator[Visitor]:
    visitor = Visitor(browser, site, "kim")
    visitor.sign_in()
    yield visitor
    visitor.close()


@pytest.fixture(scope="module")
def kim_scored(site: Site) -> str:
    """A scored submission of kim's team sent through the API, so that the tests below do not
    rely on the browser upload of another test."""
    body = (site.public_dir / "sample_submission.csv").read_bytes()
    headers = {"Authorization": f"Bearer {site.tokens['kim']}"}
    with httpx.Client(base_url=site.url, headers=headers, timeout=60) as http:
        sent = http.post(
            f"/api/challenges/{CHALLENGE}/submissions",
            files={"file": ("api.csv", body, "text/csv")},
        ).json()
        for _ in range(240):
            status = http.get(f"/api/submissions/{sent['id']}").json()["status"]
            if status in ("scored", "failed"):
                break
            time.sleep(0.25)
    assert status == "scored"
    return sent["id"]
