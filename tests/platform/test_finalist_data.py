"""Finalists-only data over real HTTP: the release's tables are 404 for everyone but members
of finalist teams who accepted the data-use terms (and staff); acceptances and downloads are
recorded for organizers; only finalist teams submit."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import yaml

from live import PlanUpload, create_users, serving, wait_done
from odx.platform.challenges.catalog import SHIPPED_CHALLENGES
from odx.platform.db.engine import session_scope
from odx.platform.services import applications, challenges, teams, users
from odx.platform.services import datasets as dataset_service
from odx.platform.settings import Settings

pytestmark = pytest.mark.both_backends

CHALLENGE = "finals-only"
DATASET = "sme-growth-risk"
TABLE = f"/api/datasets/{DATASET}/versions/1/files/train.csv"
TEXT = {"ko": "항목", "en": "Item"}


def _stage(start: datetime, end: datetime) -> dict[str, str]:
    return {"start": start.isoformat(), "end": end.isoformat()}


def _definition(now: datetime) -> dict[str, Any]:
    data = yaml.safe_load((SHIPPED_CHALLENGES / "sme-growth-risk-2026.yaml").read_text("utf-8"))
    data["id"] = CHALLENGE
    data["dataset"] |= {"access": "finalists"}
    data["sample"] = {"id": "market-store-count", "version": 1}
    data["stages"] = {
        "application": _stage(now - timedelta(days=10), now - timedelta(days=5)),
        "finals": _stage(now - timedelta(days=4), now + timedelta(days=30)),
    }
    data["phases"][0] |= _stage(now - timedelta(days=3), now + timedelta(days=29))
    data["application"] = {"rubric": [{"id": "feasibility", "title": TEXT, "weight": 1}]}
    return data


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, database_url: str | None
) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("finalist-data")
    settings = Settings(home=root / "home", database_url=database_url, progress=False)
    for dataset_id in (DATASET, "market-store-count"):
        dataset_service.publish(settings, dataset_id)
    now = datetime.now(UTC)
    path = root / f"{CHALLENGE}.yaml"
    path.write_text(yaml.safe_dump(_definition(now), allow_unicode=True), encoding="utf-8")
    tokens = create_users(
        settings,
        {
            "org": "organizer",
            "judge": "judge",
            "fin": "participant",
            "fin2": "participant",  # a finalist team's member who never accepts the terms
            "out": "participant",
        },
    )
    with session_scope(settings.resolved_database_url) as session:
        challenge = challenges.register(session, path, actor="test")
        for name in ("fin", "out"):
            user = users.get_by_name(session, name)
            _, invite = teams.create(session, challenge, user, f"{name}-team")
            applications.submit(
                session, settings, challenge, user, PlanUpload(), now=now - timedelta(days=7)
            )
            if name == "fin":
                teams.join(
                    session, challenge, users.get_by_name(session, "fin2"), "fin-team", invite
                )
        applications.select_finalists(session, challenge, ["fin-team"], actor="org")
    with serving(settings) as url:
        yield {"url": url, "tokens": tokens, "settings": settings}


def client(site: dict[str, Any], who: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {site['tokens'][who]}"} if who else {}
    return httpx.Client(base_url=site["url"], headers=headers, timeout=60)


@pytest.mark.parametrize("who", [None, "out", "fin2"])
def test_the_tables_do_not_exist_for_anyone_not_cleared(
    site: dict[str, Any], who: str | None
) -> None:
    """Nobody, a team that was not selected, a finalist who has not accepted the terms."""
    with client(site, who) as http:
        for name in ("train.csv", "test.csv", "sample_submission.csv"):
            answer = http.get(f"/api/datasets/{DATASET}/versions/1/files/{name}")
            assert answer.status_code == 404 and answer.json()["code"] == "not_found"
            assert name in answer.json()["detail"] and "finalist" not in answer.text
        card = http.get(f"/api/datasets/{DATASET}/versions/1/files/DATACARD.md")
    assert card.status_code == 200  # the description stays public


def test_a_finalist_accepts_the_terms_then_downloads_and_it_is_recorded(
    site: dict[str, Any],
) -> None:
    with client(site, "fin") as http:
        before = http.get(f"/api/challenges/{CHALLENGE}/data-terms").json()
        accepted = http.post(f"/api/challenges/{CHALLENGE}/data-terms").json()
        table = http.get(TABLE)
    assert before["finalists_only"] and before["finalist"]
    assert "결선" in before["terms"]["ko"] and "finals" in before["terms"]["en"]
    assert accepted["accepted"]
    assert table.status_code == 200 and table.headers["cache-control"] == "private, no-store"
    with client(site, "org") as http:
        log = http.get(f"/api/challenges/{CHALLENGE}/data-access").json()
    assert [a["user"] for a in log["acceptances"]] == ["fin"]
    (download,) = [d for d in log["downloads"] if d["user"] == "fin" and d["file"] == "train.csv"]
    assert download["file"] == "train.csv" and download["version"] == 1
    assert download["sha256"] == hashlib.sha256(table.content).hexdigest()


def test_only_finalists_accept_terms(site: dict[str, Any]) -> None:
    with client(site, "out") as http:
        refused = http.post(f"/api/challenges/{CHALLENGE}/data-terms")
        state = http.get(f"/api/challenges/{CHALLENGE}/data-terms").json()
    assert refused.status_code == 409 and "finalist" in refused.json()["detail"]
    assert state == state | {"finalists_only": True, "finalist": False, "accepted": False}


def test_staff_download_without_terms_and_are_recorded_too(site: dict[str, Any]) -> None:
    with client(site, "judge") as http:
        assert http.get(TABLE).status_code == 200
    with client(site, "org") as http:
        log = http.get(f"/api/challenges/{CHALLENGE}/data-access").json()
    assert any(d["user"] == "judge" and d["file"] == "train.csv" for d in log["downloads"])


@pytest.mark.parametrize(("who", "status"), [(None, 401), ("fin", 403), ("judge", 403)])
def test_the_access_log_is_for_organizers(
    site: dict[str, Any], who: str | None, status: int
) -> None:
    with client(site, who) as http:
        assert http.get(f"/api/challenges/{CHALLENGE}/data-access").status_code == status


def test_only_finalist_teams_submit(site: dict[str, Any]) -> None:
    rows = b"record_id,distress_next_year\n"
    with client(site, "out") as http:
        refused = http.post(
            f"/api/challenges/{CHALLENGE}/submissions", files={"file": ("p.csv", rows)}
        )
    assert refused.status_code == 403 and "only finalist teams" in refused.json()["detail"]
    with client(site, "fin") as http:
        assert http.post(f"/api/challenges/{CHALLENGE}/data-terms").status_code == 200
        sample = http.get(f"/api/datasets/{DATASET}/versions/1/files/sample_submission.csv")
        sent = http.post(
            f"/api/challenges/{CHALLENGE}/submissions",
            files={"file": ("p.csv", sample.content)},
        )
        assert sent.status_code == 202, sent.text
        assert wait_done(http, sent.json()["id"])["status"] == "scored"


def test_a_public_challenges_tables_stay_public(site: dict[str, Any]) -> None:
    with client(site, None) as http:
        answer = http.get("/api/datasets/market-store-count/versions/1/files/train.csv")
    assert answer.status_code == 200


def _register_as_org(site: dict[str, Any], data: dict[str, Any]) -> httpx.Response:
    with client(site, "org") as http:
        return http.post(
            "/api/challenges",
            content=yaml.safe_dump(data, allow_unicode=True).encode(),
            headers={"Content-Type": "application/yaml"},
        )


def test_a_finalists_only_release_is_nobody_elses_public_one(site: dict[str, Any]) -> None:
    now = datetime.now(UTC)
    public = yaml.safe_load((SHIPPED_CHALLENGES / "sme-growth-risk-2026.yaml").read_text())
    public["id"] = "public-on-finals-data"  # would publish the finalists' tables to anyone
    public["phases"][0] |= _stage(now, now + timedelta(days=9))
    # a programme showing those tables as its public sample: anyone's as well
    programme = _definition(now)
    sampled = yaml.safe_load((SHIPPED_CHALLENGES / "market-store-count-2026.yaml").read_text())
    sampled["id"] = "finals-sampling-finals-data"
    sampled["dataset"] |= {"access": "finalists"}
    sampled["sample"] = {"id": DATASET, "version": 1}
    for key in ("stages", "application"):
        sampled[key] = programme[key]
    sampled["phases"][0] |= _stage(now, now + timedelta(days=9))
    for data in (public, sampled):
        answer = _register_as_org(site, data)
        assert answer.status_code == 409, answer.text
        detail = answer.json()["detail"]
        assert "finalists-only" in detail and CHALLENGE in detail, detail
