"""Model challenges end to end: a team uploads a zipped MLflow model over HTTP, the platform
runs it in the sandbox on the hidden test features, scores its predictions like a file, shows
the run to the team (without the log) and to judges (with it), and tracks it in MLflow."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from web.test_pages import signed_in

from live import Site, create_users, open_shipped_challenge, serving, wait_done
from model_builders import code_model
from odx.baselines.run import model_release
from odx.platform.challenges.catalog import SHIPPED_CHALLENGES
from odx.platform.challenges.spec import ChallengeSpecError
from odx.platform.db.engine import session_scope
from odx.platform.services import challenges
from odx.platform.services import datasets as dataset_service
from odx.platform.settings import Settings
from odx.submissions.models.archive import zip_folder

CHALLENGE = "sme-growth-risk-model-2026"
DATASET = "sme-growth-risk-model"


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    settings = Settings(home=tmp_path_factory.mktemp("models") / "home", progress=False)
    open_shipped_challenge(settings, CHALLENGE, DATASET, daily_submissions=20)
    tokens = create_users(settings, {"kim": "participant", "judge": "judge"})
    with serving(settings) as url:
        site = {"url": url, "tokens": tokens, "settings": settings}
        with client(site, "kim") as http:
            assert http.post(f"/api/challenges/{CHALLENGE}/teams", json={"name": "kim-ai"})
        yield site


def client(site: dict[str, Any], who: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {site['tokens'][who]}"}
    return httpx.Client(base_url=site["url"], headers=headers, timeout=120)


def zipped(folder: Path) -> bytes:
    buffer = io.BytesIO()
    zip_folder(folder, buffer)
    return buffer.getvalue()


def upload(site: dict[str, Any], content: bytes, name: str = "model.zip") -> dict[str, Any]:
    with client(site, "kim") as http:
        response = http.post(
            f"/api/challenges/{CHALLENGE}/submissions", files={"file": (name, content)}
        )
        assert response.status_code == 202, response.text
        return wait_done(http, response.json()["id"], timeout=300)


def test_a_trained_model_is_run_in_the_sandbox_and_scored(platform: dict[str, Any]) -> None:
    settings: Settings = platform["settings"]
    public = next(settings.public_root.glob(f"{DATASET}/*"))
    baseline = model_release(public)  # a gradient-boosting pipeline, saved by MLflow
    body = upload(platform, baseline.upload)
    assert body["status"] == "scored", body
    assert body["kind"] == "model" and 0.6 < body["public_score"] <= 1.0
    run = body["model_run"]
    assert run["outcome"] == "ok" and run["exit_code"] == 0 and run["peak_memory_mb"] > 50
    assert "log" not in run and "model_log" not in body  # the team never sees the log
    with client(platform, "judge") as http:
        staff = http.get(f"/api/submissions/{body['id']}").json()
    assert staff["model_log"] is not None and staff["private_score"] is not None
    import mlflow

    mlflow_client = mlflow.MlflowClient(tracking_uri=settings.resolved_mlflow_uri)
    run_id = wait_for_run(platform, body["id"])
    artifacts = {a.path for a in mlflow_client.list_artifacts(run_id, "model")}
    assert "model/MLmodel" in artifacts and "model/model.pkl" in artifacts
    logged = mlflow_client.get_run(run_id).data
    assert logged.metrics["model_exit_code"] == 0 and logged.metrics["model_seconds"] > 0
    assert logged.tags["odx.model.sandboxed"] == "true"
    assert "public_roc_auc" in logged.metrics


def test_a_failing_model_fails_with_its_reason_and_spares_the_quota(
    platform: dict[str, Any], tmp_path: Path
) -> None:
    model = code_model(tmp_path, "result = result[:10]")
    body = upload(platform, zipped(model))
    assert body["status"] == "failed"
    (problem,) = body["problems"]
    assert problem["code"] == "model_output"
    assert problem["message"].startswith("the model returned 10 predictions for ")
    assert body["model_run"]["outcome"] == "output"


def test_a_file_that_is_not_a_model_is_refused_precisely(platform: dict[str, Any]) -> None:
    body = upload(platform, b"record_id,distress_next_year\nR1,0.5\n", name="preds.csv")
    assert body["status"] == "failed"
    assert body["problems"][0]["code"] == "invalid_archive"


def test_a_model_needing_missing_packages_lists_each_before_running(
    platform: dict[str, Any], tmp_path: Path
) -> None:
    model = code_model(tmp_path, "open('/tmp/ran', 'w')")
    (model / "requirements.txt").write_text("odx-no-such-package==1.0\npandas<1\n")
    body = upload(platform, zipped(model))
    assert body["status"] == "failed"
    messages = [p["message"] for p in body["problems"]]
    assert len(messages) == 2 and "'odx-no-such-package' is not installed" in messages[0]
    assert body["model_run"]["outcome"] == "refused"


def test_a_model_challenge_needs_hidden_test_features_and_the_reverse(
    tmp_path: Path,
) -> None:
    settings = Settings(home=tmp_path / "home", progress=False)
    dataset_service.publish(settings, "sme-growth-risk")
    dataset_service.publish(settings, DATASET)
    text = (SHIPPED_CHALLENGES / f"{CHALLENGE}.yaml").read_text("utf-8")
    on_public = yaml.safe_load(text) | {
        "id": "x-model",
        "dataset": {"id": "sme-growth-risk", "version": 1},
    }
    on_hidden = yaml.safe_load(text) | {"id": "x-files", "submission": "predictions"}
    with session_scope(settings.resolved_database_url) as session:
        for definition, message in (
            (on_public, "a model challenge needs a release whose test features are hidden"),
            (on_hidden, "hides its test features, so teams cannot predict them in a file"),
        ):
            raw = yaml.safe_dump(definition, allow_unicode=True).encode()
            with pytest.raises(ChallengeSpecError, match=message):
                challenges.register_definition(session, raw, actor="test")


def test_without_the_sandbox_model_uploads_are_refused_before_the_body_is_kept(
    platform: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap to be found
    with client(platform, "kim") as http:
        response = http.post(
            f"/api/challenges/{CHALLENGE}/submissions", files={"file": ("m.zip", b"PK")}
        )
    assert response.status_code == 503
    assert response.json()["code"] == "sandbox_unavailable"
    assert "bubblewrap" in response.json()["detail"]


def wait_for_run(site: dict[str, Any], submission_id: str) -> str:
    deadline = time.monotonic() + 120
    with client(site, "judge") as http:
        while time.monotonic() < deadline:
            run_id = http.get(f"/api/submissions/{submission_id}").json()["mlflow_run_id"]
            if run_id:
                return run_id
            time.sleep(0.2)
    raise AssertionError("no MLflow run")


def test_odx_submit_zips_a_saved_model_folder_and_waits_for_its_score(
    platform: dict[str, Any], tmp_path: Path
) -> None:
    model = code_model(tmp_path, "result = [0.25] * len(model_input)")
    env = {
        **os.environ,
        "ODX_URL": platform["url"],
        "ODX_TOKEN": platform["tokens"]["kim"],
        "XDG_CONFIG_HOME": str(tmp_path),
        "COLUMNS": "300",  # a long temp path must not wrap the message the test looks for
    }
    odx = [str(Path(sys.executable).parent / "odx"), "submit", CHALLENGE]
    done = subprocess.run(
        [*odx, str(model), "-m", "constant", "--wait"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "scored: public 0.5 " in done.stdout  # a constant scores an AUC of one half
    refused = subprocess.run(
        [*odx, str(tmp_path / "sklearn-absent")], env=env, capture_output=True, text=True
    )
    assert refused.returncode == 2  # no such path: click's usage error
    empty = tmp_path / "not-a-model"
    empty.mkdir()
    no_model = subprocess.run([*odx, str(empty)], env=env, capture_output=True, text=True)
    assert no_model.returncode == 1 and "holds no MLmodel file" in no_model.stderr
    assert "Traceback" not in no_model.stderr


def test_the_pages_explain_a_model_upload_and_show_its_run(platform: dict[str, Any]) -> None:
    site = Site(platform["url"], platform["tokens"], platform["settings"])
    upload(platform, model_release(next(site.settings.public_root.glob(f"{DATASET}/*"))).upload)
    with signed_in(site, "kim") as http:
        submit = http.get(f"/challenges/{CHALLENGE}/submit").text
        listing = http.get(f"/challenges/{CHALLENGE}/submissions").text
    assert "모델 제출" in submit and "test_sample.csv" in submit and 'accept=".zip"' in submit
    assert "120초" in submit and "2048 MB" in submit
    assert "모델 실행: 정상 종료" in listing
