"""`odx terms` against a real served platform (real processes): the shipped programme, moved
into its finals as the demo does; a team that was not selected is refused clearly, a finalist
reads the terms, accepts them and then downloads the finalists-only data."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from live import create_users, odx, serving
from odx.platform.challenges.catalog import SHIPPED_CHALLENGES
from odx.platform.db.engine import session_scope
from odx.platform.demo_programme import DemoPlan, demo_answers, in_finals_now
from odx.platform.services import applications, challenges, teams, users
from odx.platform.services import datasets as dataset_service
from odx.platform.settings import Settings

CHALLENGE = "sme-growth-risk-finals-2026"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("terms-cli")
    settings = Settings(home=root / "home", progress=False)
    for dataset_id in ("sme-growth-risk-finals", "sme-growth-risk-sample"):
        dataset_service.publish(settings, dataset_id)
    source = in_finals_now(SHIPPED_CHALLENGES / f"{CHALLENGE}.yaml", settings, lambda _: None)
    tokens = create_users(settings, {"fin": "participant", "out": "participant"})
    with session_scope(settings.resolved_database_url) as session:
        challenge = challenges.register(session, source, actor="test")
        spec = challenges.spec_of(challenge)
        assert spec.stages is not None and spec.stages.application is not None
        assert spec.application is not None
        sent = spec.stages.application.end - timedelta(hours=1)
        for name in ("fin", "out"):
            user = users.get_by_name(session, name)
            teams.create(session, challenge, user, f"{name}-team")
            plan = DemoPlan(fields=demo_answers(spec.application))
            applications.submit(session, settings, challenge, user, plan, now=sent)
        applications.select_finalists(session, challenge, ["fin-team"], actor="test")
    with serving(settings) as url:
        yield {"url": url, "tokens": tokens}


def _clean_failure(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert message in result.stderr and "Traceback" not in result.stdout + result.stderr


def test_a_team_that_was_not_selected_is_refused_clearly(
    site: dict[str, Any], tmp_path: Path
) -> None:
    shown = odx(site, "out", "terms", CHALLENGE, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "you may not download the data: only members of finalist teams" in shown.stdout
    accepted = odx(site, "out", "terms", CHALLENGE, "--accept", cwd=tmp_path)
    _clean_failure(accepted, f"only members of finalist teams of '{CHALLENGE}' accept its terms")
    downloaded = odx(site, "out", "download", CHALLENGE, "-p", "data", cwd=tmp_path)
    _clean_failure(downloaded, "is for members of finalist teams who accepted its data-use terms")
    assert not (tmp_path / "data" / "train.csv").exists()


def test_a_finalist_accepts_the_terms_then_downloads(site: dict[str, Any], tmp_path: Path) -> None:
    shown = odx(site, "fin", "terms", CHALLENGE, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "ko: 결선 데이터는" in shown.stdout and "en: I will use the finals data" in shown.stdout
    assert f"your team is a finalist: `odx terms {CHALLENGE} --accept`" in shown.stdout
    early = odx(site, "fin", "download", CHALLENGE, "-p", "data", cwd=tmp_path)
    _clean_failure(early, f"see `odx terms {CHALLENGE}`")

    accepted = odx(site, "fin", "terms", CHALLENGE, "--accept", cwd=tmp_path)
    assert accepted.returncode == 0, accepted.stderr
    assert "you accepted these terms" in accepted.stdout
    downloaded = odx(site, "fin", "download", CHALLENGE, "-p", "data", cwd=tmp_path)
    assert downloaded.returncode == 0, downloaded.stderr
    assert "train.csv" in downloaded.stdout and "sha256 ok" in downloaded.stdout
    assert (tmp_path / "data" / "train.csv").stat().st_size > 1_000_000
    state = odx(site, "fin", "terms", CHALLENGE, "--json", cwd=tmp_path)
    assert json.loads(state.stdout) | {"terms": None} == {
        "finalists_only": True,
        "finalist": True,
        "accepted": True,
        "terms": None,
    }


def test_an_unknown_challenge_fails_with_a_message(site: dict[str, Any], tmp_path: Path) -> None:
    _clean_failure(odx(site, "out", "terms", "no-such-challenge", cwd=tmp_path), "error: 404")
