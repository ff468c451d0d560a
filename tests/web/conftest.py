"""A running platform for the page tests: the market challenge open today, a scored baseline,
an organizer, a judge, a participant with a team and one without."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

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
