"""Moving a running challenge's schedule over real HTTP: organizers extend a stage, end the
current stage and open the next one now, and the stage checks follow at once; a passed date
stays, no date moves into the past, an invalid result is refused key by key as a file would
be, and every route refuses whoever may not use it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import yaml

from live import create_users, serving, wait_done
from odx.platform.challenges.catalog import SHIPPED_CHALLENGES
from odx.platform.services import datasets as dataset_service
from odx.platform.settings import Settings

pytestmark = pytest.mark.both_backends

REFUSALS = "schedule-refusals"  # refused changes only: its schedule never moves
DATASET = "sme-growth-risk"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
TEXT = {"ko": "항목", "en": "Item"}
DAY = timedelta(days=1)


def _dates(start: datetime, end: datetime) -> dict[str, str]:
    return {"start": start.isoformat(), "end": end.isoformat()}


def definition(challenge_id: str, now: datetime) -> str:
    """Applications open since yesterday for two more days, the finals three days on, the
    finalists-only data's one phase starting with the finals."""
    data = yaml.safe_load((SHIPPED_CHALLENGES / "sme-growth-risk-2026.yaml").read_text("utf-8"))
    data["id"] = challenge_id
    data["dataset"] |= {"access": "finalists"}
    data["sample"] = {"id": "market-store-count", "version": 1}
    data["stages"] = {
        "application": _dates(now - DAY, now + 2 * DAY),
        "finals": _dates(now + 3 * DAY, now + 60 * DAY),
    }
    data["phases"][0] |= _dates(now + 3 * DAY, now + 59 * DAY)
    data["application"] = {"rubric": [{"id": "feasibility", "title": TEXT, "weight": 1}]}
    return yaml.safe_dump(data, allow_unicode=True)


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, database_url: str | None
) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("schedule")
    settings = Settings(home=root / "home", database_url=database_url, progress=False)
    for dataset_id in (DATASET, "market-store-count"):
        dataset_service.publish(settings, dataset_id)
    tokens = create_users(
        settings,
        {"org": "organizer", "judge": "judge", "ahn": "participant", "bae": "participant"},
    )
    with serving(settings) as url:
        site = {"url": url, "tokens": tokens}
        register(site, REFUSALS)
        yield site


def client(site: dict[str, Any], who: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {site['tokens'][who]}"} if who else {}
    return httpx.Client(base_url=site["url"], headers=headers, timeout=60)


def register(site: dict[str, Any], challenge_id: str) -> str:
    """Register a fresh challenge as an organizer would; returns its file's text."""
    text = definition(challenge_id, datetime.now(UTC))
    with client(site, "org") as http:
        answer = http.post(
            "/api/challenges", content=text.encode(), headers={"Content-Type": "application/yaml"}
        )
    assert answer.status_code == 201, answer.text
    return text


def schedule_of(site: dict[str, Any], challenge_id: str) -> dict[str, Any]:
    with client(site, "judge") as http:
        answer = http.get(f"/api/challenges/{challenge_id}/schedule")
    assert answer.status_code == 200, answer.text
    return answer.json()


def dates(shown: dict[str, Any]) -> dict[str, tuple[datetime, datetime]]:
    """``stages.finals`` / ``phases.main`` -> (start, end)."""
    return {
        f"{row['kind']}s.{row['name']}": (
            datetime.fromisoformat(row["start"]),
            datetime.fromisoformat(row["end"]),
        )
        for row in shown["rows"]
    }


def move(site: dict[str, Any], challenge_id: str, body: dict[str, Any]) -> httpx.Response:
    with client(site, "org") as http:
        return http.put(f"/api/challenges/{challenge_id}/schedule", json=body)


def apply(site: dict[str, Any], who: str, challenge_id: str) -> httpx.Response:
    with client(site, who) as http:
        return http.post(
            f"/api/challenges/{challenge_id}/application",
            files={"file": ("plan.pdf", PDF, "application/pdf")},
        )


def make_team(site: dict[str, Any], who: str, challenge_id: str) -> None:
    with client(site, who) as http:
        team = http.post(f"/api/challenges/{challenge_id}/teams", json={"name": f"{who}-lab"})
    assert team.status_code == 201, team.text


def test_staff_see_what_has_passed_and_what_may_move(site: dict[str, Any]) -> None:
    shown = schedule_of(site, REFUSALS)
    assert shown["timezone"] == "Asia/Seoul" and shown["changeable"]
    assert (shown["current_stage"], shown["next_stage"]) == ("application", "finals")
    rows = {f"{r['kind']}s.{r['name']}": r for r in shown["rows"]}
    assert list(rows) == ["stages.application", "stages.finals", "phases.main"]
    application, finals, main = rows.values()
    assert application["state"] == "current" and application["title"] is None
    assert not application["start_editable"] and application["end_editable"]
    assert finals["state"] == "future" and finals["start_editable"] and finals["end_editable"]
    assert main["state"] == "future" and main["title"]["en"] == "Main phase"


def test_an_organizer_extends_the_applications_by_a_week(site: dict[str, Any]) -> None:
    register(site, "schedule-extend")
    before = dates(schedule_of(site, "schedule-extend"))
    week = timedelta(days=7)
    application_end = before["stages.application"][1] + week
    finals_start = before["stages.finals"][0] + week
    moved = move(
        site,
        "schedule-extend",
        {
            "stages": {
                "application": {"end": application_end.isoformat()},
                "finals": {"start": finals_start.isoformat()},
            },
            "phases": {"main": {"start": finals_start.isoformat()}},
        },
    )
    assert moved.status_code == 200, moved.text
    after = dates(moved.json())
    assert after["stages.application"] == (before["stages.application"][0], application_end)
    assert after["stages.finals"] == (finals_start, before["stages.finals"][1])
    assert after["phases.main"][0] == finals_start
    assert dates(schedule_of(site, "schedule-extend")) == after
    make_team(site, "ahn", "schedule-extend")
    assert apply(site, "ahn", "schedule-extend").status_code == 201
    with client(site, "org") as http:
        events = http.get("/api/audit").json()
    (event,) = [
        e
        for e in events
        if e["action"] == "challenge.schedule" and e["target"] == "schedule-extend"
    ]
    assert event["actor"] == "org"
    old, new = event["details"]["old"], event["details"]["new"]
    assert (
        set(old)
        == set(new)
        == {
            "stages.application.end",
            "stages.finals.start",
            "phases.main.start",
        }
    )
    assert datetime.fromisoformat(old["stages.finals.start"]) == before["stages.finals"][0]
    assert datetime.fromisoformat(new["stages.finals.start"]) == finals_start


def test_advance_ends_the_applications_and_opens_the_finals_now(site: dict[str, Any]) -> None:
    challenge = "schedule-advance"
    register(site, challenge)
    for who in ("ahn", "bae"):
        make_team(site, who, challenge)
    assert apply(site, "ahn", challenge).status_code == 201
    with client(site, "org") as http:
        chosen = http.put(f"/api/challenges/{challenge}/finalists", json={"teams": ["ahn-lab"]})
        assert chosen.status_code == 200, chosen.text
        before = datetime.now(UTC)
        advanced = http.post(f"/api/challenges/{challenge}/schedule/advance")
        after = datetime.now(UTC)
        again = http.post(f"/api/challenges/{challenge}/schedule/advance")
    assert advanced.status_code == 200, advanced.text
    shown = advanced.json()
    assert (shown["current_stage"], shown["next_stage"]) == ("finals", None)
    moved = dates(shown)
    now = datetime.fromisoformat(shown["now"])
    assert before <= now <= after
    assert moved["stages.application"][1] == moved["stages.finals"][0] == now
    assert moved["phases.main"][0] == now  # the phase started with the finals, so it moved
    assert again.status_code == 409 and again.json()["code"] == "schedule_no_next_stage"
    assert "no stage after 'finals'" in again.json()["detail"]
    late = apply(site, "bae", challenge)
    assert late.status_code == 409 and late.json()["code"] == "application_closed"
    with client(site, "ahn") as http:
        assert http.get(f"/api/challenges/{challenge}").json()["is_open"]
        assert http.post(f"/api/challenges/{challenge}/data-terms").status_code == 200
        sample = http.get(f"/api/datasets/{DATASET}/versions/1/files/sample_submission.csv")
        sent = http.post(
            f"/api/challenges/{challenge}/submissions", files={"file": ("p.csv", sample.content)}
        )
        assert sent.status_code == 202, sent.text
        assert wait_done(http, sent.json()["id"])["status"] == "scored"


def test_advance_from_the_finals_closes_their_phase_and_opens_the_evaluation(
    site: dict[str, Any],
) -> None:
    challenge = "schedule-advance-finals"
    now = datetime.now(UTC)
    data = yaml.safe_load(definition(challenge, now))
    data["stages"]["user_evaluation"] = _dates(now + 61 * DAY, now + 70 * DAY)
    with client(site, "org") as http:
        made = http.post(
            "/api/challenges",
            content=yaml.safe_dump(data, allow_unicode=True).encode(),
            headers={"Content-Type": "application/yaml"},
        )
        assert made.status_code == 201, made.text
        assert http.post(f"/api/challenges/{challenge}/schedule/advance").status_code == 200
        shown = http.post(f"/api/challenges/{challenge}/schedule/advance").json()
    assert (shown["current_stage"], shown["next_stage"]) == ("user_evaluation", None)
    moved, now = dates(shown), datetime.fromisoformat(shown["now"])
    assert moved["stages.finals"][1] == moved["stages.user_evaluation"][0] == now
    assert moved["phases.main"][1] == now  # submissions close with the finals
    with client(site, "org") as http:
        assert not http.get(f"/api/challenges/{challenge}").json()["is_open"]


def test_a_date_sent_a_moment_ago_counts_as_now(site: dict[str, Any]) -> None:
    register(site, "schedule-by-hand")
    moment = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    sent = datetime.now(UTC)
    moved = move(
        site,
        "schedule-by-hand",
        {
            "stages": {"application": {"end": moment}, "finals": {"start": moment}},
            "phases": {"main": {"start": moment}},
        },
    )
    assert moved.status_code == 200, moved.text
    shown = dates(moved.json())
    assert shown["stages.application"][1] == shown["stages.finals"][0] >= sent
    assert moved.json()["current_stage"] == "finals"
    make_team(site, "bae", "schedule-by-hand")
    assert apply(site, "bae", "schedule-by-hand").status_code == 409


def _later(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def _stage(name: str, edge: str, days: float | str) -> dict[str, Any]:
    """A change of one stage date: ``days`` from now, or a date as written."""
    when = days if isinstance(days, str) else _later(days)
    return {"stages": {name: {edge: when}}}


# Each relative to when the test runs: applications end in 2 days, the finals and the phase
# start in 3, the phase ends in 59 and the finals in 60.
@pytest.mark.parametrize(
    ("change", "status", "code", "words"),
    [
        (("application", "start", 0.5), 409, "schedule_date_passed", "stages.application.start: "),
        (
            ("application", "end", "2020-01-01T00:00:00+09:00"),
            422,
            "schedule_date_in_past",
            "stages.application.end: 2020-01-01 00:00 KST is in the past",
        ),
        (
            ("finals", "start", 1),
            422,
            "invalid_schedule",
            "stages: 'finals' starts before 'application' ends",
        ),
        (
            ("finals", "start", 10),
            422,
            "invalid_schedule",
            "phases: phase 'main' must lie within stages.finals",
        ),
        (
            ("finals", "end", 2.5),
            422,
            "invalid_schedule",
            "stages.finals: the stage ends before it starts",
        ),
        (
            ("judging", "start", 70),
            422,
            "schedule_unknown_item",
            "stages.judging: no such stage here; its stages: application, finals",
        ),
        (("finals", "end", "2027-01-01T00:00:00"), 422, "invalid_request", "stages.finals.end"),
        (("final", "end", 70), 422, "invalid_request", "stages.final"),
    ],
)
def test_a_refused_change_says_why_and_moves_nothing(
    site: dict[str, Any], change: tuple[str, str, float | str], status: int, code: str, words: str
) -> None:
    before = schedule_of(site, REFUSALS)["rows"]
    answer = move(site, REFUSALS, _stage(*change))
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == code and words in answer.json()["detail"]
    assert schedule_of(site, REFUSALS)["rows"] == before


def test_an_unknown_phase_is_named(site: dict[str, Any]) -> None:
    answer = move(site, REFUSALS, {"phases": {"nope": {"end": _later(70)}}})
    assert answer.status_code == 422 and answer.json()["code"] == "schedule_unknown_item"
    assert answer.json()["detail"] == "phases.nope: no such phase here; its phases: main"


def test_a_closed_challenge_keeps_its_schedule(site: dict[str, Any]) -> None:
    register(site, "schedule-closed")
    with client(site, "org") as http:
        assert http.post("/api/challenges/schedule-closed/close").status_code == 200
        advanced = http.post("/api/challenges/schedule-closed/schedule/advance")
    moved = move(site, "schedule-closed", {"stages": {"finals": {"end": _later(50)}}})
    for answer in (advanced, moved):
        assert answer.status_code == 409 and answer.json()["code"] == "schedule_locked"
        assert "an organizer closed it" in answer.json()["detail"]
    shown = schedule_of(site, "schedule-closed")
    assert not shown["changeable"] and shown["next_stage"] is None
    assert not any(r["start_editable"] or r["end_editable"] for r in shown["rows"])


def test_registering_the_same_file_again_keeps_the_moved_schedule(site: dict[str, Any]) -> None:
    text = register(site, "schedule-again")
    finals_end = dates(schedule_of(site, "schedule-again"))["stages.finals"][1] - DAY / 2
    moved = move(site, "schedule-again", {"stages": {"finals": {"end": finals_end.isoformat()}}})
    assert moved.status_code == 200, moved.text
    with client(site, "org") as http:
        again = http.post(
            "/api/challenges", content=text.encode(), headers={"Content-Type": "application/yaml"}
        )
    assert again.status_code == 201, again.text
    assert dates(schedule_of(site, "schedule-again"))["stages.finals"][1] == finals_end


@pytest.mark.parametrize(
    ("who", "method", "route", "status"),
    [
        (None, "get", "schedule", 401),
        ("ahn", "get", "schedule", 403),
        (None, "put", "schedule", 401),
        ("ahn", "put", "schedule", 403),
        ("judge", "put", "schedule", 403),
        (None, "post", "schedule/advance", 401),
        ("ahn", "post", "schedule/advance", 403),
        ("judge", "post", "schedule/advance", 403),
    ],
)
def test_every_route_refuses_whoever_may_not_use_it(
    site: dict[str, Any], who: str | None, method: str, route: str, status: int
) -> None:
    path = f"/api/challenges/{REFUSALS}/{route}"
    body = {"stages": {"finals": {"end": _later(50)}}} if method == "put" else None
    before = schedule_of(site, REFUSALS)["rows"]
    with client(site, who) as http:
        answer = http.request(method.upper(), path, json=body)
    assert answer.status_code == status, answer.text
    assert schedule_of(site, REFUSALS)["rows"] == before


def test_an_unknown_challenge_has_no_schedule(site: dict[str, Any]) -> None:
    with client(site, "org") as http:
        answer = http.get("/api/challenges/nowhere/schedule")
    assert answer.status_code == 404 and answer.json()["code"] == "unknown_challenge"
