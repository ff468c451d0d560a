"""Model submissions in production mode: they travel on their own queue, ``models``, to the
workers started for it, so a prediction file is scored while a model waits; the model is run
in the sandbox by a separate worker process and tracked on the MLflow server."""

from __future__ import annotations

import io
import time
from pathlib import Path

from live import open_shipped_challenge
from model_builders import code_model
from odx.submissions.models.archive import zip_folder
from production.harness import ProductionSite, participants, submit, variants, wait_until

MODEL_CHALLENGE = "sme-growth-risk-model-2026"


def test_a_model_waits_for_a_models_worker_while_files_are_scored(
    production: ProductionSite, tmp_path: Path
) -> None:
    open_shipped_challenge(
        production.settings, MODEL_CHALLENGE, "sme-growth-risk-model", daily_submissions=10
    )
    url = production.api()
    participants(production, url, ["kim"])
    production.worker(queues="predictions,tracking")
    buffer = io.BytesIO()
    zip_folder(code_model(tmp_path, "result = [0.5] * len(model_input)"), buffer)
    with production.client(url, "kim") as http:
        joined = http.post(f"/api/challenges/{MODEL_CHALLENGE}/teams", json={"name": "kim-m"})
        assert joined.status_code == 201, joined.text
        posted = http.post(
            f"/api/challenges/{MODEL_CHALLENGE}/submissions",
            files={"file": ("model.zip", buffer.getvalue())},
        )
        assert posted.status_code == 202, posted.text
        model_id = posted.json()["id"]
        file_id = submit(http, variants(production, 1)[0])

        def status(submission_id: str) -> dict:
            return http.get(f"/api/submissions/{submission_id}").json()

        wait_until(lambda: status(file_id)["status"] == "scored", timeout=90, what="the file")
        time.sleep(2)  # time enough for a worker to take the model, had it been sent there
        assert status(model_id)["status"] == "queued"
        production.worker(queues="models", concurrency=1, beat=False)
        body = wait_until(
            lambda: (b := status(model_id))["status"] in ("scored", "failed") and b,
            timeout=120,
            what="the models worker",
        )
    assert body["status"] == "scored", body
    assert body["model_run"]["outcome"] == "ok" and body["public_score"] == 0.5
    with production.client(url, "judge") as http:
        wait_until(
            lambda: http.get(f"/api/submissions/{model_id}").json()["mlflow_run_id"],
            timeout=60,
            what="the model's MLflow run",
        )
