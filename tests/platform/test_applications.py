"""Document screening over real HTTP: a team applies with a plan PDF and the form, judges
score the applications, an organizer selects the finalists and each team sees its outcome;
every route refuses whoever may not use it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import yaml

from live import create_users, serving
from odx.platform.challenges.catalog import SHIPPED_CHALLENGES
from odx.platform.db.engine import session_scope
from odx.platform.services import challenges
from odx.platform.services import datasets as dataset_service
from odx.platform.settings import Settings

pytestmark = pytest.mark.both_backends

OPEN = "screening-open"
REVIEW = "screening-review"  # applications judges score
SELECT = "screening-select"  # applications an organizer selects from
CLOSED = "screening-closed"
PLAIN = "no-screening"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
TEXT = {"ko": "항목", "en": "Item"}
ANSWERS = {"algorithm": "시계열 모델과 설명 가능한 부스팅", "track": "Risk"}


def _stage(start: datetime, days: int) -> dict[str, str]:
    return {"start": start.isoformat(), "end": (start + timedelta(days=days)).isoformat()}


def _definition(challenge_id: str, application_start: datetime | None) -> dict[str, Any]:
    data = yaml.safe_load((SHIPPED_CHALLENGES / "sme-growth-risk-2026.yaml").read_text("utf-8"))
    data["id"] = challenge_id
    if application_start is None:
        return data
    data["stages"] = {
        "application": _stage(application_start, 2),
        "finals": _stage(application_start + timedelta(days=3), 60),
    }
    data["application"] = {
        "form": [
            {"id": "algorithm", "label": TEXT, "kind": "long_text", "max_length": 2000},
            {
                "id": "track",
                "label": TEXT,
                "kind": "choice",
                "choices": [{"ko": "성장", "en": "Growth"}, {"ko": "위기", "en": "Risk"}],
            },
        ],
        "plan_max_mb": 1,
        "rubric": [
            {"id": "feasibility", "title": TEXT, "weight": 2},
            {"id": "data_use", "title": TEXT, "weight": 1, "scale": "0-100"},
        ],
        "finalists": 2,
    }
    return data


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, database_url: str | None
) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("applications")
    settings = Settings(home=root / "home", database_url=database_url, progress=False)
    dataset_service.publish(settings, "sme-growth-risk")
    now = datetime.now(UTC)
    definitions = {
        OPEN: _definition(OPEN, now - timedelta(days=1)),
        REVIEW: _definition(REVIEW, now - timedelta(days=1)),
        SELECT: _definition(SELECT, now - timedelta(days=1)),
        CLOSED: _definition(CLOSED, now - timedelta(days=10)),
        PLAIN: _definition(PLAIN, None),
    }
    with session_scope(settings.resolved_database_url) as session:
        for challenge_id, data in definitions.items():
            path = root / f"{challenge_id}.yaml"
            path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
            challenges.register(session, path, actor="test")
    tokens = create_users(
        settings,
        {
            "org": "organizer",
            "judge": "judge",
            "judge2": "judge",
            "ahn": "participant",
            "bae": "participant",
            "cho": "participant",
            "loner": "participant",
        },
    )
    with serving(settings) as url:
        site = {"url": url, "tokens": tokens, "settings": settings}
        for name in ("ahn", "bae", "cho"):
            for challenge_id in definitions:
                with client(site, name) as http:
                    team = http.post(
                        f"/api/challenges/{challenge_id}/teams", json={"name": f"{name}-lab"}
                    )
                    assert team.status_code == 201
        yield site


def client(site: dict[str, Any], who: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {site['tokens'][who]}"} if who else {}
    return httpx.Client(base_url=site["url"], headers=headers, timeout=60)


def apply(
    site: dict[str, Any],
    who: str,
    plan: bytes = PDF,
    answers: dict[str, str] | None = None,
    challenge: str = OPEN,
) -> httpx.Response:
    with client(site, who) as http:
        return http.post(
            f"/api/challenges/{challenge}/application",
            files={"file": ("plan.pdf", plan, "application/pdf")},
            data=ANSWERS if answers is None else answers,
        )


@pytest.fixture(scope="module")
def applied(site: dict[str, Any]) -> dict[str, int]:
    """ahn, bae and cho have applied to REVIEW; their application ids by team."""
    for name in ("ahn", "bae", "cho"):
        assert apply(site, name, challenge=REVIEW).status_code == 201
    with client(site, "judge") as http:
        rows = http.get(f"/api/challenges/{REVIEW}/applications").json()
    return {row["team"]: row["id"] for row in rows}


def test_a_team_applies_and_sees_its_application(site: dict[str, Any]) -> None:
    first = apply(site, "ahn", answers={**ANSWERS, "track": "성장"})
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "submitted" and first.json()["answers"]["track"] == "성장"
    again = apply(site, "ahn")  # a second application replaces the first
    assert again.status_code == 201 and again.json()["answers"] == ANSWERS
    with client(site, "ahn") as http:
        mine = http.get(f"/api/challenges/{OPEN}/application").json()
    assert mine["plan_bytes"] == len(PDF) and mine["answers"]["track"] == "Risk"


@pytest.mark.parametrize(
    ("plan", "answers", "status", "code", "words"),
    [
        (b"Hello, I am a plan.", ANSWERS, 422, "not_a_pdf", "does not start with %PDF-"),
        (PDF[:-7], ANSWERS, 422, "not_a_pdf", "no %%EOF at its end"),
        (b"MZ\x90\x00" + PDF, ANSWERS, 422, "not_a_pdf", "does not start with %PDF-"),
        (PDF, {"track": "Risk"}, 422, "invalid_input", "'algorithm' needs an answer"),
        (PDF, {**ANSWERS, "track": "Other"}, 422, "invalid_input", "takes one of: 성장, 위기"),
        (PDF, {**ANSWERS, "algorithm": "x" * 2001}, 422, "invalid_input", "at most 2000"),
        (PDF, {**ANSWERS, "algorithm": "nul\x00"}, 422, "invalid_input", "control character"),
    ],
)
def test_a_bad_application_is_refused_precisely(
    site: dict[str, Any],
    plan: bytes,
    answers: dict[str, str],
    status: int,
    code: str,
    words: str,
) -> None:
    answer = apply(site, "cho", plan=plan, answers=answers)
    assert answer.status_code == status and answer.json()["code"] == code, answer.text
    assert words in answer.json()["detail"]


def test_a_plan_over_the_limit_is_refused_before_it_is_read(site: dict[str, Any]) -> None:
    answer = apply(site, "cho", plan=PDF + b"0" * (2 * 1024 * 1024))
    assert answer.status_code == 413 and "at most 1 MB" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("who", "challenge", "status", "code"),
    [
        ("ahn", CLOSED, 409, "application_closed"),
        ("ahn", PLAIN, 404, "not_found"),
        ("loner", OPEN, 409, "no_team"),
        (None, OPEN, 401, "unauthenticated"),
    ],
)
def test_applying_needs_an_open_stage_a_team_and_a_token(
    site: dict[str, Any], who: str | None, challenge: str, status: int, code: str
) -> None:
    with client(site, who) as http:
        answer = http.post(
            f"/api/challenges/{challenge}/application",
            files={"file": ("plan.pdf", PDF)},
            data=ANSWERS,
        )
    assert answer.status_code == status and answer.json()["code"] == code, answer.text


def test_judges_score_and_staff_see_every_application(
    site: dict[str, Any], applied: dict[str, int]
) -> None:
    ahn = applied["ahn-lab"]
    path = f"/api/challenges/{REVIEW}/applications/{ahn}/scores"
    with client(site, "judge") as http:
        scored = http.put(path, json={"scores": {"feasibility": 5, "data_use": 50}})
        assert scored.status_code == 200, scored.text
        too_high = http.put(path, json={"scores": {"feasibility": 6}})
        unknown = http.put(path, json={"scores": {"charm": 3}})
        elsewhere = http.put(
            f"/api/challenges/{CLOSED}/applications/{ahn}/scores",
            json={"scores": {"feasibility": 3}},
        )
    with client(site, "judge2") as http:
        http.put(path, json={"scores": {"feasibility": 3}})
        rows = {r["team"]: r for r in http.get(f"/api/challenges/{REVIEW}/applications").json()}
    assert too_high.status_code == 422 and "from 1 to 5, not 6" in too_high.json()["detail"]
    assert unknown.status_code == 422 and "no criterion 'charm'" in unknown.json()["detail"]
    assert elsewhere.status_code == 404  # an application of another challenge
    row = rows["ahn-lab"]
    assert row["scores"] == {
        "judge": {"feasibility": 5, "data_use": 50},
        "judge2": {"feasibility": 3},
    }
    # feasibility mean((5-1)/4, (3-1)/4) = 0.75 weighs 2; data_use 0.5 weighs 1
    assert row["mean"] == pytest.approx((2 * 0.75 + 1 * 0.5) / 3)
    assert row["answers"] == ANSWERS and not row["finalist"]


def test_the_plan_is_a_download_for_staff_only(
    site: dict[str, Any], applied: dict[str, int]
) -> None:
    path = f"/api/challenges/{REVIEW}/applications/{applied['bae-lab']}/plan"
    with client(site, "org") as http:
        served = http.get(path)
    assert served.status_code == 200 and served.content == PDF
    assert served.headers["content-type"] == "application/pdf"
    assert served.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in served.headers["content-security-policy"]
    assert served.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("who", "method", "route", "body", "status"),
    [
        (None, "get", "applications", None, 401),
        ("ahn", "get", "applications", None, 403),
        ("ahn", "get", "applications/{id}/plan", None, 403),
        ("bae", "get", "applications/{id}/plan", None, 403),
        (None, "get", "applications/{id}/plan", None, 401),
        ("ahn", "put", "applications/{id}/scores", {"scores": {"feasibility": 5}}, 403),
        ("org", "put", "applications/{id}/scores", {"scores": {"feasibility": 5}}, 403),
        ("judge", "put", "finalists", {"teams": ["ahn-lab"]}, 403),
        ("ahn", "put", "finalists", {"teams": ["ahn-lab"]}, 403),
        ("ahn", "get", "finalists", None, 403),
        (None, "get", "application", None, 401),
        ("loner", "get", "application", None, 409),
        ("judge", "get", "applications/999999/plan", None, 404),
    ],
)
def test_every_route_refuses_whoever_may_not_use_it(
    site: dict[str, Any],
    applied: dict[str, int],
    who: str | None,
    method: str,
    route: str,
    body: dict[str, Any] | None,
    status: int,
) -> None:
    path = f"/api/challenges/{REVIEW}/" + route.format(id=applied["bae-lab"])
    with client(site, who) as http:
        answer = http.request(method.upper(), path, json=body)
    assert answer.status_code == status, answer.text


def test_the_organizer_selects_finalists_and_teams_see_their_outcome(
    site: dict[str, Any],
) -> None:
    for name in ("ahn", "bae", "cho"):
        assert apply(site, name, challenge=SELECT).status_code == 201
    path = f"/api/challenges/{SELECT}/finalists"
    with client(site, "org") as http:
        too_many = http.put(path, json={"teams": ["ahn-lab", "bae-lab", "cho-lab"]})
        unknown = http.put(path, json={"teams": ["ahn-lab", "nobody"]})
        chosen = http.put(path, json={"teams": ["bae-lab", "ahn-lab"]})
        events = http.get("/api/audit").json()
    assert too_many.status_code == 422 and "at most 2 finalists" in too_many.json()["detail"]
    assert unknown.status_code == 409 and "nobody" in unknown.json()["detail"]
    assert chosen.status_code == 200 and chosen.json() == {"teams": ["ahn-lab", "bae-lab"]}
    selections = [e for e in events if e["action"] == "finalists.select"]
    assert selections[-1]["details"] == {"teams": ["ahn-lab", "bae-lab"]}
    assert selections[-1]["actor"] == "org" and selections[-1]["target"] == SELECT
    outcomes = {}
    for name in ("ahn", "cho"):
        with client(site, name) as http:
            outcomes[name] = http.get(f"/api/challenges/{SELECT}/application").json()["status"]
    assert outcomes == {"ahn": "finalist", "cho": "not_selected"}
    with client(site, "judge") as http:
        assert http.get(path).json() == {"teams": ["ahn-lab", "bae-lab"]}
