"""The recommendation track over real HTTP: a participant downloads the tables, submits a
ranked CSV with ``odx submit``, and sees MAP@10 with its interval on the board; judges find
the run in MLflow; a hostile ranked file gets precise problems; the labels stay hidden."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
import yaml

from live import create_users, odx, open_shipped_challenge, serving, wait_done
from odx.platform.challenges.catalog import SHIPPED_CHALLENGES
from odx.platform.challenges.spec import ChallengeSpecError
from odx.platform.db.engine import session_scope
from odx.platform.services import challenges
from odx.platform.settings import Settings

pytestmark = pytest.mark.both_backends

CHALLENGE = "support-programme-recommendation-2026"
DATASET = "support-programme-recommendation"


@pytest.fixture(scope="module")
def platform(
    tmp_path_factory: pytest.TempPathFactory, database_url: str | None
) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("ranking")
    settings = Settings(home=root / "home", database_url=database_url, progress=False)
    open_shipped_challenge(settings, CHALLENGE, DATASET)
    tokens = create_users(settings, {"judge": "judge", "han": "participant", "yoo": "participant"})
    with serving(settings) as url:
        yield {"url": url, "tokens": tokens, "settings": settings}


@pytest.fixture(scope="module")
def yoo_team(platform: dict[str, Any]) -> str:
    with client(platform, "yoo") as http:
        assert http.post(f"/api/challenges/{CHALLENGE}/teams", json={"name": "yoo"}).is_success
    return "yoo"


def client(platform: dict[str, Any], who: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {platform['tokens'][who]}"}
    return httpx.Client(base_url=platform["url"], headers=headers, timeout=60)


def test_a_ranked_csv_from_the_cli_gets_map_at_10_with_an_interval(
    platform: dict[str, Any], tmp_path: Path
) -> None:
    created = odx(platform, "han", "teams", "create", CHALLENGE, "han-lab", cwd=tmp_path)
    assert created.returncode == 0
    downloaded = odx(platform, "han", "download", CHALLENGE, "-p", "data", cwd=tmp_path)
    assert downloaded.returncode == 0 and "sha256 ok" in downloaded.stdout
    data = tmp_path / "data"
    assert {"programmes.csv", "interactions.csv", "train.csv", "test.csv"} <= {
        p.name for p in data.iterdir()
    }
    assert not (data / "labels.csv").exists()
    # A participant's own simple recommender: the ten programmes most applied to in train.
    train = pd.read_csv(data / "train.csv", dtype=str)
    top = train["programmes"].str.split().explode().value_counts().index[:10]
    test = pd.read_csv(data / "test.csv", dtype=str)
    pd.DataFrame({"company_id": test["company_id"], "programmes": " ".join(top)}).to_csv(
        tmp_path / "ranked.csv", index=False
    )
    submitted = odx(
        platform, "han", "submit", CHALLENGE, "ranked.csv", "-m", "top ten", "--wait", cwd=tmp_path
    )
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    assert "scored: public" in submitted.stdout
    with httpx.Client(base_url=platform["url"], timeout=60) as http:
        board = http.get(f"/api/challenges/{CHALLENGE}/leaderboard").json()
    (row,) = [r for r in board["rows"] if r["team"] == "han-lab"]
    assert 0 < row["low"] < row["score"] < row["high"] < 1


def test_the_judges_run_shows_map_and_precision_at_each_cut(
    platform: dict[str, Any], yoo_team: str
) -> None:
    import mlflow

    settings: Settings = platform["settings"]
    with client(platform, yoo_team) as http:
        sample = http.get(f"/api/datasets/{DATASET}/versions/1/files/sample_submission.csv").content
        sent = http.post(
            f"/api/challenges/{CHALLENGE}/submissions", files={"file": ("s.csv", sample)}
        )
        body = wait_done(http, sent.json()["id"])
    assert body["status"] == "scored"
    deadline = time.monotonic() + 120
    with client(platform, "judge") as http:
        while True:  # the run is written right after the score is committed
            (mine,) = [
                s
                for s in http.get(f"/api/challenges/{CHALLENGE}/submissions").json()
                if s["id"] == body["id"]
            ]
            if mine["mlflow_run_id"] or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    client_ = mlflow.MlflowClient(tracking_uri=settings.resolved_mlflow_uri)
    run = client_.get_run(mine["mlflow_run_id"])
    metrics = run.data.metrics
    assert metrics["public_map_at_k"] == pytest.approx(mine["public_score"])
    assert metrics["public_map_at_k_ci_low"] < metrics["public_map_at_k"]
    steps = client_.get_metric_history(run.info.run_id, "overall_precision_at")
    assert sorted(m.step for m in steps) == list(range(1, 11))
    artifacts = {a.path for a in client_.list_artifacts(run.info.run_id)}
    assert {"per_query.csv", "precision_at_k.png", "per_query_map_at_k.png"} <= artifacts


def test_a_hostile_ranked_file_gets_every_problem_and_no_label(
    platform: dict[str, Any], yoo_team: str
) -> None:
    with client(platform, yoo_team) as http:
        served = http.get(f"/api/datasets/{DATASET}/versions/1/files/sample_submission.csv")
        sample = pd.read_csv(io.BytesIO(served.content), dtype=str)
        ten = sample["programmes"].iloc[0].split()
        sample.loc[0, "programmes"] = f"{ten[0]} {ten[0]}"  # repeated inside a list
        sample.loc[1, "programmes"] = "PBLN_NOT_AN_ID " + ten[1]  # unknown item
        sample.loc[2, "programmes"] = " ".join([*ten, "PBLN_000000000071292"])  # eleven items
        sample = sample.iloc[:-1]  # a company missing
        text = sample.to_csv(index=False).encode()
        body = wait_done(
            http,
            http.post(
                f"/api/challenges/{CHALLENGE}/submissions", files={"file": ("h.csv", text)}
            ).json()["id"],
        )
        labels = http.get(f"/api/datasets/{DATASET}/versions/1/files/labels.csv")
    assert body["status"] == "failed"
    by_code = {p["code"]: p for p in body["problems"]}
    assert {"repeated_items", "unknown_items", "too_many_items", "missing_ids"} <= set(by_code)
    assert "PBLN_NOT_AN_ID" in by_code["unknown_items"]["message"]
    assert labels.status_code == 404


def test_the_challenge_k_must_be_the_releases(platform: dict[str, Any], tmp_path: Path) -> None:
    settings: Settings = platform["settings"]
    definition = yaml.safe_load((SHIPPED_CHALLENGES / f"{CHALLENGE}.yaml").read_text("utf-8"))
    definition |= {"id": "ranking-k-5", "k": 5}
    path = tmp_path / "ranking-k-5.yaml"
    path.write_text(yaml.safe_dump(definition, allow_unicode=True), encoding="utf-8")
    with (
        session_scope(settings.resolved_database_url) as session,
        pytest.raises(ChallengeSpecError, match=r"k: 5 differs from the k of .* \(10\)"),
    ):
        challenges.register(session, path, actor="test")


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("ko", ["정답 항목이 나올 때마다", "(1/1 + 2/3) ÷ 2 = 0.83", "목록 길이 K"]),
        ("en", ["At every relevant item", "(1/1 + 2/3) ÷ 2 = 0.83", "List length K"]),
    ],
)
def test_the_pages_explain_the_metric_and_show_every_table(
    platform: dict[str, Any], lang: str, words: list[str]
) -> None:
    cookies = {"odx_lang": lang}
    with httpx.Client(base_url=platform["url"], cookies=cookies, timeout=60) as http:
        overview = http.get(f"/challenges/{CHALLENGE}").text
        data = http.get(f"/challenges/{CHALLENGE}/data").text
    for word in words:
        assert word in overview
    for name in ("train.csv", "test.csv", "programmes.csv", "interactions.csv"):
        assert f"files/{name}" in data  # each table has its download link
    assert "labels.csv" not in data
