"""The final judging over real HTTP: judges score the finalists, the rubric's sources combine
into a ranking with each judge's scores and their spread, the result goes to MLflow (one run
per finalist, under its final submission's run) and CSV, and an organizer publishes the
winners; every route refuses whoever may not use it."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pandas as pd
import pytest
import yaml

from live import PlanUpload, create_users, serving, wait_done
from odx.platform.challenges.catalog import SHIPPED_CHALLENGES
from odx.platform.db.engine import session_scope
from odx.platform.services import applications, challenges, teams, users
from odx.platform.services import datasets as dataset_service
from odx.platform.settings import Settings

pytestmark = pytest.mark.both_backends

OPEN = "judging-open"
SHUT = "judging-shut"
TEXT = {"ko": "항목", "en": "Item"}


def _stage(start: datetime, end: datetime) -> dict[str, str]:
    return {"start": start.isoformat(), "end": end.isoformat()}


def _definition(challenge_id: str, now: datetime, judging_open: bool) -> dict[str, Any]:
    data = yaml.safe_load((SHIPPED_CHALLENGES / "sme-growth-risk-2026.yaml").read_text("utf-8"))
    data["id"] = challenge_id
    days = timedelta(days=1)
    judging = (now - days, now + days) if judging_open else (now - 2 * days, now - days)
    data["stages"] = {
        "application": _stage(now - 40 * days, now - 35 * days),
        "finals": _stage(now - 30 * days, now - 10 * days),
        "user_evaluation": _stage(now - 9 * days, now - 3 * days),
        "judging": _stage(*judging),
    }
    data["phases"][0] |= _stage(now - days, now + days)  # submissions open for the test
    data["application"] = {"rubric": [{"id": "feasibility", "title": TEXT, "weight": 1}]}
    data["rubric"] = [
        {"id": "accuracy", "title": TEXT, "weight": 40, "source": "leaderboard"},
        {"id": "completeness", "title": TEXT, "weight": 20, "scale": "0-100"},
        {"id": "usefulness", "title": TEXT, "weight": 20, "source": "users"},
        {"id": "direction", "title": TEXT, "weight": 20},
    ]
    return data


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, database_url: str | None
) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("judging")
    settings = Settings(home=root / "home", database_url=database_url, progress=False)
    dataset_service.publish(settings, "sme-growth-risk")
    now = datetime.now(UTC)
    tokens = create_users(
        settings,
        {
            "org": "organizer",
            "judge1": "judge",
            "judge2": "judge",
            "alpha": "participant",
            "beta": "participant",
            "gamma": "participant",
        },
    )
    with session_scope(settings.resolved_database_url) as session:
        for challenge_id, judging_open in ((OPEN, True), (SHUT, False)):
            path = root / f"{challenge_id}.yaml"
            definition = _definition(challenge_id, now, judging_open)
            path.write_text(yaml.safe_dump(definition, allow_unicode=True), encoding="utf-8")
            challenge = challenges.register(session, path, actor="test")
            for name in ("alpha", "beta", "gamma"):
                user = users.get_by_name(session, name)
                teams.create(session, challenge, user, name)
                applications.submit(
                    session, settings, challenge, user, PlanUpload(), now=now - timedelta(days=38)
                )
            applications.select_finalists(session, challenge, ["alpha", "beta"], actor="org")
    with serving(settings) as url:
        site = {"url": url, "tokens": tokens, "settings": settings}
        _submit_finals(site)
        yield site


def client(site: dict[str, Any], who: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {site['tokens'][who]}"} if who else {}
    return httpx.Client(base_url=site["url"], headers=headers, timeout=60)


def _submit_finals(site: dict[str, Any]) -> None:
    """alpha sends the answers themselves (AUC 1), beta a constant (AUC 0.5)."""
    settings: Settings = site["settings"]
    (labels_file,) = settings.hidden_root.glob("sme-growth-risk/*/labels.csv")
    labels = pd.read_csv(labels_file, dtype={"record_id": str})
    files = {
        "alpha": labels[["record_id", "distress_next_year"]],
        "beta": labels[["record_id"]].assign(distress_next_year=0.1),
    }
    for name, frame in files.items():
        with client(site, name) as http:
            sent = http.post(
                f"/api/challenges/{OPEN}/submissions",
                files={"file": ("p.csv", frame.to_csv(index=False).encode())},
            )
            assert wait_done(http, sent.json()["id"])["status"] == "scored"


def _score(site: dict[str, Any], judge: str, team: str, scores: dict[str, float]) -> Any:
    with client(site, judge) as http:
        return http.put(
            f"/api/challenges/{OPEN}/judging/scores", json={"team": team, "scores": scores}
        )


@pytest.fixture(scope="module")
def judged(site: dict[str, Any]) -> list[dict[str, Any]]:
    """Both judges have scored; a judge who skips a criterion is left out of its mean."""
    for judge, team, scores in (
        ("judge1", "alpha", {"completeness": 80, "direction": 5}),
        ("judge2", "alpha", {"completeness": 60}),
        ("judge1", "beta", {"completeness": 100, "direction": 3}),
        ("judge2", "beta", {"direction": 1}),
    ):
        assert _score(site, judge, team, scores).status_code == 200
    with client(site, "org") as http:
        return http.get(f"/api/challenges/{OPEN}/judging").json()


def test_the_sources_combine_into_one_ranking_with_each_judges_scores(
    judged: list[dict[str, Any]],
) -> None:
    alpha, beta = judged
    assert (alpha["team"], alpha["rank"], beta["team"], beta["rank"]) == ("alpha", 1, "beta", 2)
    assert alpha["private_score"] == pytest.approx(1.0)
    # accuracy: min-max over the finalists' private AUCs (1 and 0.5); nobody rated the models
    assert alpha["criteria"] == pytest.approx(
        {"accuracy": 1.0, "completeness": 0.7, "usefulness": 0.0, "direction": 1.0}
    )
    assert alpha["total"] == pytest.approx((40 * 1 + 20 * 0.7 + 20 * 0 + 20 * 1) / 100)
    assert alpha["missing"] == ["usefulness"]
    assert alpha["scores"] == {
        "judge1": {"completeness": 80, "direction": 5},
        "judge2": {"completeness": 60},
    }
    assert alpha["judges"] == {"completeness": 2, "direction": 1}
    assert alpha["spread"]["completeness"] == pytest.approx(0.1)
    assert beta["criteria"]["direction"] == pytest.approx(0.25)  # mean(0.5, 0)
    assert beta["spread"]["direction"] == pytest.approx(0.25)


def test_the_result_exports_as_csv(site: dict[str, Any], judged: list[dict[str, Any]]) -> None:
    with client(site, "judge1") as http:
        answer = http.get(f"/api/challenges/{OPEN}/judging", params={"format": "csv"})
    assert answer.headers["content-disposition"].endswith('-judging.csv"')
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [r["team"] for r in rows] == ["alpha", "beta"]
    assert rows[0]["rank"] == "1" and rows[0]["missing"] == "usefulness"
    assert float(rows[0]["total"]) == pytest.approx(judged[0]["total"], abs=1e-4)


def test_each_finalist_gets_a_judging_run_under_its_final_submission(
    site: dict[str, Any], judged: list[dict[str, Any]]
) -> None:
    import mlflow

    settings: Settings = site["settings"]
    with client(site, "org") as http:
        deadline = time.monotonic() + 120
        while True:  # the submissions' own runs are written right after scoring
            staff = http.get(f"/api/challenges/{OPEN}/submissions").json()
            if all(s["mlflow_run_id"] for s in staff) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        runs = http.post(f"/api/challenges/{OPEN}/judging/runs").json()["runs"]
        again = http.post(f"/api/challenges/{OPEN}/judging/runs").json()["runs"]
    assert set(runs) == {"alpha", "beta"} and again == runs  # judging again updates the runs
    mlflow_client = mlflow.MlflowClient(tracking_uri=settings.resolved_mlflow_uri)
    run = mlflow_client.get_run(runs["alpha"])
    assert run.data.metrics["judging_rank"] == 1
    assert run.data.metrics["criterion_completeness"] == pytest.approx(0.7)
    assert run.data.metrics["criterion_completeness_spread"] == pytest.approx(0.1)
    assert run.data.tags["odx.judging.missing"] == "usefulness"
    final = next(s for s in staff if s["team"] == "alpha")
    assert run.data.tags["mlflow.parentRunId"] == final["mlflow_run_id"]


def test_the_organizer_publishes_the_winners_for_everyone(
    site: dict[str, Any], judged: list[dict[str, Any]]
) -> None:
    path = f"/api/challenges/{OPEN}/awards"
    with client(site, "org") as http:
        outsider = http.put(path, json={"winner": ["gamma"]})
        twice = http.put(path, json={"winner": ["alpha"], "runner_up": ["alpha"]})
        nobody = http.put(path, json={"runner_up": ["beta"]})
        published = http.put(path, json={"winner": ["alpha"], "runner_up": ["beta"]})
        events = http.get("/api/audit").json()
    assert outsider.status_code == 409 and "gamma" in outsider.json()["detail"]
    assert twice.status_code == 422 and nobody.status_code == 422
    assert published.json() == {"winner": ["alpha"], "runner_up": ["beta"]}
    with client(site, None) as http:
        assert http.get(path).json() == {"winner": ["alpha"], "runner_up": ["beta"]}
    assert any(e["action"] == "awards.publish" and e["actor"] == "org" for e in events)


@pytest.mark.parametrize(
    ("who", "team", "scores", "status", "words"),
    [
        ("judge1", "gamma", {"direction": 4}, 404, "no finalist 'gamma'"),
        ("judge1", "alpha", {"accuracy": 4}, 422, "has no criterion 'accuracy'"),
        ("judge1", "alpha", {"usefulness": 4}, 422, "has no criterion 'usefulness'"),
        ("judge1", "alpha", {"direction": 6}, 422, "from 1 to 5, not 6"),
        ("judge1", "alpha", {"completeness": -1}, 422, "from 0 to 100, not -1"),
        ("org", "alpha", {"direction": 4}, 403, ""),
        ("alpha", "alpha", {"direction": 5}, 403, ""),
        (None, "alpha", {"direction": 5}, 401, ""),
    ],
)
def test_scores_are_refused_precisely(
    site: dict[str, Any],
    who: str | None,
    team: str,
    scores: dict[str, float],
    status: int,
    words: str,
) -> None:
    with client(site, who) as http:
        answer = http.put(
            f"/api/challenges/{OPEN}/judging/scores", json={"team": team, "scores": scores}
        )
    assert answer.status_code == status and words in answer.json()["detail"]


def test_judging_outside_its_stage_is_refused(site: dict[str, Any]) -> None:
    with client(site, "judge1") as http:
        answer = http.put(
            f"/api/challenges/{SHUT}/judging/scores",
            json={"team": "alpha", "scores": {"direction": 4}},
        )
    assert answer.status_code == 409 and answer.json()["code"] == "judging_closed"


@pytest.mark.parametrize(
    ("who", "method", "route", "status"),
    [
        (None, "get", "judging", 401),
        ("alpha", "get", "judging", 403),
        ("judge1", "post", "judging/runs", 403),
        ("alpha", "post", "judging/runs", 403),
        ("judge1", "put", "awards", 403),
        ("alpha", "put", "awards", 403),
    ],
)
def test_staff_routes_refuse_everyone_else(
    site: dict[str, Any], who: str | None, method: str, route: str, status: int
) -> None:
    body = {"winner": ["alpha"]} if route == "awards" else None
    with client(site, who) as http:
        answer = http.request(method.upper(), f"/api/challenges/{OPEN}/{route}", json=body)
    assert answer.status_code == status
