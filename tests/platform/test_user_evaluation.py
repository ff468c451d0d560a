"""The user evaluation over real HTTP, with the finalists' models run in the sandbox: an
evaluator gets a form made from the models' inputs, sees three blinded predictions of their
case, rates each once; staff read mean ratings with intervals and comments, and the judging's
'users' criterion takes them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import yaml

from live import PlanUpload, create_users, serving, wait_done
from odx.baselines.run import model_release
from odx.platform.challenges.catalog import SHIPPED_CHALLENGES
from odx.platform.db.engine import session_scope
from odx.platform.services import applications, challenges, teams, users
from odx.platform.services import datasets as dataset_service
from odx.platform.settings import Settings

OPEN = "evaluation-open"
SHUT = "evaluation-shut"
DATASET = "sme-growth-risk-model"
TEAMS = ("a-lab", "b-lab", "c-lab")
TEXT = {"ko": "항목", "en": "Item"}


def _stage(start: datetime, end: datetime) -> dict[str, str]:
    return {"start": start.isoformat(), "end": end.isoformat()}


def _definition(challenge_id: str, now: datetime, evaluation_open: bool) -> dict[str, Any]:
    text = (SHIPPED_CHALLENGES / "sme-growth-risk-model-2026.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    data["id"] = challenge_id
    day = timedelta(days=1)
    evaluation = (now - day, now + day) if evaluation_open else (now - 3 * day, now - 2 * day)
    data["stages"] = {
        "application": _stage(now - 40 * day, now - 35 * day),
        "finals": _stage(now - 30 * day, now - 10 * day),
        "user_evaluation": _stage(*evaluation),
        "judging": _stage(now + 2 * day, now + 5 * day),
    }
    data["phases"][0] |= _stage(now - day, now + day)  # the finalists' models arrive now
    data["application"] = {"rubric": [{"id": "feasibility", "title": TEXT, "weight": 1}]}
    data["rubric"] = [
        {"id": "accuracy", "title": TEXT, "weight": 1, "source": "leaderboard"},
        {"id": "usefulness", "title": TEXT, "weight": 1, "source": "users"},
    ]
    return data


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("user-evaluation")
    settings = Settings(home=root / "home", progress=False, evaluation_cases_per_hour=3)
    dataset_service.publish(settings, DATASET)
    now, day = datetime.now(UTC), timedelta(days=1)
    people = {"org": "organizer", "judge": "judge", "ev1": "evaluator", "ev2": "evaluator"}
    people |= {team.split("-")[0]: "participant" for team in TEAMS}
    tokens = create_users(settings, people)
    with session_scope(settings.resolved_database_url) as session:
        for challenge_id, open_now in ((OPEN, True), (SHUT, False)):
            path = root / f"{challenge_id}.yaml"
            definition = _definition(challenge_id, now, open_now)
            path.write_text(yaml.safe_dump(definition, allow_unicode=True), encoding="utf-8")
            challenge = challenges.register(session, path, actor="test")
            for team in TEAMS:
                user = users.get_by_name(session, team.split("-")[0])
                teams.create(session, challenge, user, team)
                applications.submit(
                    session, settings, challenge, user, PlanUpload(), now=now - 38 * day
                )
            applications.select_finalists(session, challenge, list(TEAMS), actor="org")
    public = next(settings.public_root.glob(f"{DATASET}/*"))
    model = model_release(public).upload  # a trained model; each finalist sends it
    with serving(settings) as url:
        site = {"url": url, "tokens": tokens, "settings": settings}
        for challenge_id in (OPEN, SHUT):
            for team in TEAMS:
                with client(site, team.split("-")[0]) as http:
                    sent = http.post(
                        f"/api/challenges/{challenge_id}/submissions",
                        files={"file": ("model.zip", model)},
                    )
                    assert wait_done(http, sent.json()["id"], timeout=300)["status"] == "scored"
        yield site


def client(site: dict[str, Any], who: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {site['tokens'][who]}"} if who else {}
    return httpx.Client(base_url=site["url"], headers=headers, timeout=300)


def _case(site: dict[str, Any]) -> dict[str, str]:
    """A case typed from the form: the first choice of each text field, numbers made up."""
    with client(site, "ev1") as http:
        fields = http.get(f"/api/challenges/{OPEN}/evaluation/form").json()
    return {
        f["name"]: (f["choices"][0] if f["choices"] else ("3" if f["kind"] != "text" else "x"))
        for f in fields
    }


@pytest.fixture(scope="module")
def shown(site: dict[str, Any]) -> dict[str, Any]:
    """ev1's predictions for one case."""
    with client(site, "ev1") as http:
        answer = http.post(
            f"/api/challenges/{OPEN}/evaluation/predictions", json={"case": _case(site)}
        )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_form_is_the_models_inputs_labelled_from_the_card(site: dict[str, Any]) -> None:
    with client(site, "ev1") as http:
        fields = {f["name"]: f for f in http.get(f"/api/challenges/{OPEN}/evaluation/form").json()}
    assert "record_id" not in fields and "distress_next_year" not in fields
    assert fields["region"]["ko"] == "시도" and "서울" in fields["region"]["choices"]
    assert fields["employees"]["kind"] == "integer" and fields["employees"]["en"].startswith(
        "Number of employees"
    )


def test_an_evaluator_sees_every_finalist_model_blinded(
    site: dict[str, Any], shown: dict[str, Any]
) -> None:
    labels = [m["label"] for m in shown["models"]]
    assert labels == ["A", "B", "C"]
    assert all(m["ok"] and 0 <= float(m["prediction"]) <= 1 for m in shown["models"]), shown
    assert all("확률" in m["reading_ko"] and "%" in m["reading_en"] for m in shown["models"])
    assert not any(team in json.dumps(shown) for team in TEAMS)  # blinded
    case = _case(site)
    expected = hashlib.sha256(json.dumps(case, sort_keys=True, ensure_ascii=False).encode())
    assert shown["case"] == expected.hexdigest()  # what a rating refers to


def test_ratings_are_once_per_model_and_results_show_intervals_and_comments(
    site: dict[str, Any], shown: dict[str, Any]
) -> None:
    path = f"/api/challenges/{OPEN}/evaluation/ratings"
    case = shown["case"]
    for who, ratings in (("ev1", (5, 3, 4)), ("ev2", (4, 2, 4))):
        with client(site, who) as http:
            for label, rating in zip("ABC", ratings, strict=True):
                body = {"model": label, "rating": rating, "case": case, "comment": f"{who} 좋음"}
                assert http.post(path, json=body).status_code == 201
    with client(site, "ev1") as http:
        again = http.post(path, json={"model": "A", "rating": 1, "case": case})
        unknown = http.post(path, json={"model": "Z", "rating": 3, "case": case})
        out_of_scale = http.post(path, json={"model": "A", "rating": 6, "case": case})
    assert again.status_code == 409 and "rated model A already" in again.json()["detail"]
    assert unknown.status_code == 404 and out_of_scale.status_code == 422
    with client(site, "judge") as http:
        results = http.get(f"/api/challenges/{OPEN}/evaluation/results").json()
        judging = http.get(f"/api/challenges/{OPEN}/judging").json()
    assert sorted(r["team"] for r in results) == sorted(TEAMS)
    assert all(
        r["evaluators"] == 2 and 1 <= r["low"] <= r["mean"] <= r["high"] <= 5 for r in results
    )
    assert sum(r["mean"] for r in results) == pytest.approx((5 + 3 + 4 + 4 + 2 + 4) / 2)
    assert all("ev1 좋음" in r["comments"] for r in results)
    assert all("usefulness" not in row["missing"] for row in judging)


def test_an_evaluators_budget_of_cases_is_kept(site: dict[str, Any]) -> None:
    """ev2 may run 3 cases an hour here (ev1's fixture case counts for ev1 only)."""
    path = f"/api/challenges/{OPEN}/evaluation/predictions"
    with client(site, "ev2") as http:
        answers = [http.post(path, json={"case": _case(site)}) for _ in range(4)]
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    assert answers[3].status_code == 429 and "retry-after" in answers[3].headers


@pytest.mark.parametrize(
    ("who", "challenge", "route", "status"),
    [
        ("a", OPEN, "predictions", 403),  # a participant
        ("judge", OPEN, "predictions", 403),
        (None, OPEN, "predictions", 401),
        ("ev1", SHUT, "predictions", 409),
        ("ev1", OPEN, "results", 403),
        ("a", OPEN, "results", 403),
        (None, OPEN, "results", 401),
        ("a", OPEN, "ratings", 403),
        ("ev1", SHUT, "ratings", 409),
    ],
)
def test_every_route_refuses_whoever_may_not_use_it(
    site: dict[str, Any], who: str | None, challenge: str, route: str, status: int
) -> None:
    path = f"/api/challenges/{challenge}/evaluation/{route}"
    body = {
        "predictions": {"case": _case(site)},
        "ratings": {"model": "A", "rating": 3, "case": "0" * 64},
    }.get(route)
    with client(site, who) as http:
        answer = http.request("GET" if route == "results" else "POST", path, json=body)
    assert answer.status_code == status, answer.text
