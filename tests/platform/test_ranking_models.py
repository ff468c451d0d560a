"""Ranking models: a model uploaded to the recommendation model challenge runs in the sandbox
on the hidden test companies and returns a ranked list per company, checked and scored like a
ranked CSV (MAP@10 with its interval)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from live import create_users, open_shipped_challenge, serving, wait_done
from model_builders import code_model
from odx.baselines.run import baseline_names, predict_release
from odx.platform.settings import Settings
from odx.submissions.models.archive import zip_folder

CHALLENGE = "support-programme-recommendation-model-2026"
DATASET = "support-programme-recommendation-model"


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    settings = Settings(home=tmp_path_factory.mktemp("ranking-models") / "home", progress=False)
    open_shipped_challenge(settings, CHALLENGE, DATASET, daily_submissions=20)
    tokens = create_users(settings, {"seo": "participant"})
    with serving(settings) as url:
        site = {"url": url, "tokens": tokens, "settings": settings}
        with client(site) as http:
            assert http.post(f"/api/challenges/{CHALLENGE}/teams", json={"name": "seo-ai"})
        yield site


def client(site: dict[str, Any]) -> httpx.Client:
    headers = {"Authorization": f"Bearer {site['tokens']['seo']}"}
    return httpx.Client(base_url=site["url"], headers=headers, timeout=120)


def upload(site: dict[str, Any], model: Path) -> dict[str, Any]:
    buffer = io.BytesIO()
    zip_folder(model, buffer)
    with client(site) as http:
        response = http.post(
            f"/api/challenges/{CHALLENGE}/submissions",
            files={"file": ("model.zip", buffer.getvalue())},
        )
        assert response.status_code == 202, response.text
        return wait_done(http, response.json()["id"], timeout=300)


def public_dir(site: dict[str, Any]) -> Path:
    settings: Settings = site["settings"]
    return next(settings.public_root.glob(f"{DATASET}/*"))


def test_the_popularity_baseline_runs_as_a_model_and_is_scored(platform: dict[str, Any]) -> None:
    folder = public_dir(platform)
    assert baseline_names(folder) == ["baseline-popularity"]
    baseline = predict_release(folder, "baseline-popularity")  # a zipped MLflow model
    with client(platform) as http:
        response = http.post(
            f"/api/challenges/{CHALLENGE}/submissions",
            files={"file": ("model.zip", baseline.upload)},
        )
        body = wait_done(http, response.json()["id"], timeout=300)
    assert body["status"] == "scored", body
    assert body["model_run"]["outcome"] == "ok"
    assert 0.05 < body["public_low"] < body["public_score"] < body["public_high"] < 0.2


def test_a_model_returning_lists_is_scored_like_a_ranked_file(
    platform: dict[str, Any], tmp_path: Path
) -> None:
    """Python lists per company (not text): the same ten popular programmes for everyone."""
    train = (public_dir(platform) / "train.csv").read_text("utf-8").splitlines()[1:]
    counts: dict[str, int] = {}
    for line in train:
        for item in line.rsplit(",", 1)[1].split():
            counts[item] = counts.get(item, 0) + 1
    top = sorted(counts, key=lambda item: (-counts[item], item))[:10]
    model = code_model(tmp_path, f"result = [{top!r}] * len(model_input)")
    body = upload(platform, model)
    assert body["status"] == "scored", body
    assert 0 < body["public_score"] < 0.2


def test_a_model_returning_long_lists_gets_the_files_problems(
    platform: dict[str, Any], tmp_path: Path
) -> None:
    items = " ".join(f"PBLN_{i:015d}" for i in range(11))
    model = code_model(tmp_path, f"result = [{items!r}] * len(model_input)")
    body = upload(platform, model)
    assert body["status"] == "failed"
    codes = {p["code"] for p in body["problems"]}
    assert {"too_many_items", "unknown_items"} <= codes
