"""After the reveal of a model challenge: the ranked models are registered in MLflow (the
winner as 'champion'), `odx models serve` answers with the champion's predictions from the
sandbox, and `odx rescore` reproduces a winner's predictions and scores exactly."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from live import create_users, open_shipped_challenge, serving, wait_done
from model_builders import code_model
from odx.baselines.run import model_release
from odx.platform.services.model_registry import registered_name
from odx.platform.settings import Settings
from odx.submissions.models.archive import zip_folder
from odx.submissions.storage import ObjectStore

CHALLENGE = "sme-growth-risk-model-2026"
DATASET = "sme-growth-risk-model"
ODX = [str(Path(sys.executable).parent / "odx")]


@pytest.fixture(scope="module")
def revealed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Two teams' models scored (a trained one and a constant one), then close and reveal."""
    root = tmp_path_factory.mktemp("winners")
    settings = Settings(home=root / "home", progress=False)
    open_shipped_challenge(settings, CHALLENGE, DATASET)
    tokens = create_users(
        settings, {"kim": "participant", "lee": "participant", "org": "organizer", "judge": "judge"}
    )
    public = next(settings.public_root.glob(f"{DATASET}/*"))
    buffer = io.BytesIO()
    zip_folder(code_model(root, "result = [0.5] * len(model_input)"), buffer)
    uploads = {"kim": model_release(public).upload, "lee": buffer.getvalue()}
    with serving(settings) as url:
        site = {"url": url, "tokens": tokens, "settings": settings, "ids": {}}
        for who, content in uploads.items():
            with client(site, who) as http:
                assert http.post(f"/api/challenges/{CHALLENGE}/teams", json={"name": f"{who}-ai"})
                posted = http.post(
                    f"/api/challenges/{CHALLENGE}/submissions", files={"file": ("m.zip", content)}
                )
                body = wait_done(http, posted.json()["id"], timeout=300)
                assert body["status"] == "scored", body
                site["ids"][who] = body["id"]
        with client(site, "org") as http:
            assert http.post(f"/api/challenges/{CHALLENGE}/close").status_code == 200
            assert http.post(f"/api/challenges/{CHALLENGE}/reveal").status_code == 200
        yield site


def client(site: dict[str, Any], who: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {site['tokens'][who]}"}
    return httpx.Client(base_url=site["url"], headers=headers, timeout=300)


def champion(settings: Settings) -> Any:
    import mlflow

    registry = mlflow.MlflowClient(tracking_uri=settings.resolved_mlflow_uri)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            return registry.get_model_version_by_alias(registered_name(CHALLENGE), "champion")
        except mlflow.exceptions.MlflowException:
            time.sleep(0.5)
    raise AssertionError("no champion registered after the reveal")


def test_the_reveal_registers_each_ranked_model_and_names_the_champion(
    revealed: dict[str, Any],
) -> None:
    import mlflow

    settings: Settings = revealed["settings"]
    best = champion(settings)
    assert best.tags["odx.team"] == "kim-ai" and best.tags["odx.rank"] == "1"
    assert best.tags["odx.submission_id"] == revealed["ids"]["kim"]
    assert float(best.tags["odx.private_score"]) > 0.6 and best.tags["odx.dataset"]
    registry = mlflow.MlflowClient(tracking_uri=settings.resolved_mlflow_uri)
    versions = registry.search_model_versions(f"name = '{registered_name(CHALLENGE)}'")
    assert sorted(v.tags["odx.rank"] for v in versions) == ["1", "2"]
    with client(revealed, "org") as http:  # registering again changes nothing
        again = http.post(f"/api/challenges/{CHALLENGE}/models/register").json()
    assert [(m["rank"], m["team"], m["version"]) for m in again] == [
        (1, "kim-ai", str(best.version)),
        (2, "lee-ai", next(str(v.version) for v in versions if v.tags["odx.rank"] == "2")),
    ]
    with client(revealed, "kim") as http:
        refused = http.post(f"/api/challenges/{CHALLENGE}/models/register")
    assert refused.status_code == 403


def test_models_serve_answers_with_the_champions_predictions(
    revealed: dict[str, Any], tmp_path: Path
) -> None:
    settings: Settings = revealed["settings"]
    champion(settings)
    port = free_port()
    env = {**os.environ, "ODX_HOME": str(settings.resolved_home)}
    server = subprocess.Popen(
        [*ODX, "models", "serve", CHALLENGE, "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: httpx.get(f"{url}/ping").status_code == 200, server)
        public = next(settings.public_root.glob(f"{DATASET}/*"))
        sample = pd.read_csv(public / "test_sample.csv", dtype={"record_id": str}).head(20)
        features = sample.drop(columns=["record_id"])
        body = {"dataframe_split": json.loads(features.to_json(orient="split", index=False))}
        answer = httpx.post(f"{url}/invocations", json=body, timeout=120)
        assert answer.status_code == 200, answer.text
        served = answer.json()["predictions"]
        kim = stored_predictions(settings, revealed["ids"]["kim"]).loc[sample["record_id"]]
        assert served == pytest.approx(kim.tolist(), rel=1e-9)
        assert len(set(served)) > 1  # the trained model, not the constant one
        assert httpx.get(f"{url}/version").json()["odx.team"] == "kim-ai"
        wrong = httpx.post(f"{url}/invocations", json={"rows": []})
        assert wrong.status_code == 400 and "dataframe_split" in wrong.json()["detail"]
        assert refused_before_the_body(port).startswith(b"HTTP/1.1 413")
    finally:
        os.killpg(server.pid, 9)
        server.wait()


def test_rescore_reproduces_a_winner_exactly(revealed: dict[str, Any]) -> None:
    with client(revealed, "judge") as http:
        result = http.post(f"/api/submissions/{revealed['ids']['kim']}/rescore").json()
    assert result["verified"] and result["predictions_match"] and result["scores_match"]
    assert result["recomputed"] == result["stored"]
    env = {**os.environ, "ODX_HOME": str(revealed["settings"].resolved_home)}
    local = subprocess.run(
        [*ODX, "rescore", revealed["ids"]["lee"], "--local"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert local.returncode == 0, local.stdout + local.stderr
    assert "reproduced exactly" in local.stdout and "the same bytes" in local.stdout
    with client(revealed, "kim") as http:
        assert http.post(f"/api/submissions/{revealed['ids']['kim']}/rescore").status_code == 403


def stored_predictions(settings: Settings, submission_id: str) -> pd.Series:
    from odx.platform.db.engine import session_scope
    from odx.platform.db.models import Submission

    with session_scope(settings.resolved_database_url) as session:
        sha256 = session.get(Submission, submission_id).predictions_sha256
    path = ObjectStore(settings.objects_root).path_for(sha256)
    frame = pd.read_csv(path, dtype={"record_id": str})
    return frame.set_index("record_id")["distress_next_year"]


def refused_before_the_body(port: int) -> bytes:
    """Declare a 1 GB body, send none of it: the answer must come at once."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n"
        )
        return sock.recv(1024)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(ready: Any, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stdout.read().decode() if process.stdout else "")
        try:
            if ready():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the model server did not start")
