"""A participant's upload in production mode: acknowledged by an API process that does not
score, scored by a separate Celery worker process, tracked on the MLflow server, where a judge
reads it and nobody else does."""

from __future__ import annotations

import json
import subprocess

import httpx
from sqlalchemy import select

from odx.platform.db.engine import session_scope
from odx.platform.db.models import Submission
from production.harness import ODX, ProductionSite, participants, submit, variants, wait_until


def test_upload_is_scored_by_a_separate_worker_and_tracked(production: ProductionSite) -> None:
    url = production.api()
    participants(production, url, ["kim"])
    production.worker()
    with production.client(url, "kim") as http:
        submission_id = submit(http, variants(production, 1)[0])
        body = wait_until(
            lambda: (
                (b := http.get(f"/api/submissions/{submission_id}").json())["status"]
                in ("scored", "failed")
                and b
            ),
            timeout=90,
            what="the worker to score the upload",
        )
    assert body["status"] == "scored", body
    url_db = production.settings.resolved_database_url

    def tracked() -> Submission | None:
        with session_scope(url_db) as session:
            row = session.scalar(select(Submission).where(Submission.id == submission_id))
            return row if row is not None and row.mlflow_run_id else None

    row = wait_until(tracked, timeout=60, what="the MLflow run")
    assert row.worker is not None and row.worker.startswith("celery-")
    assert row.attempts == 1 and row.sent_at is not None
    judge_reads_the_run_and_nobody_else_does(production, url, row.mlflow_run_id)


def judge_reads_the_run_and_nobody_else_does(site: ProductionSite, url: str, run_id: str) -> None:
    """The server is never open: anonymous requests are refused, a participant gets no
    account, a judge's account (made by an organizer from another machine) reads and cannot
    write."""
    tracking = site.settings.resolved_mlflow_uri
    anonymous = httpx.get(f"{tracking}/api/2.0/mlflow/runs/get", params={"run_id": run_id})
    assert anonymous.status_code == 401
    remote = site.env | {"ODX_URL": url, "ODX_TOKEN": site.tokens["org"]}
    remote.pop("ODX_HOME")
    refused = subprocess.run(
        [*ODX, "users", "mlflow-access", "kim"], env=remote, capture_output=True, text=True
    )
    assert refused.returncode == 1 and "participant" in refused.stderr, refused.stderr
    granted = subprocess.run(
        [*ODX, "users", "mlflow-access", "judge", "--json"],
        env=remote,
        capture_output=True,
        text=True,
    )
    assert granted.returncode == 0, granted.stderr
    account = json.loads(granted.stdout)
    assert account["username"] == "judge" and account["tracking_uri"] == tracking
    judge = (account["username"], account["password"])
    run = httpx.get(f"{tracking}/api/2.0/mlflow/runs/get", params={"run_id": run_id}, auth=judge)
    assert run.status_code == 200, run.text
    metrics = {m["key"] for m in run.json()["run"]["data"]["metrics"]}
    assert any(key.startswith("private") for key in metrics), metrics
    artifacts = httpx.get(
        f"{tracking}/api/2.0/mlflow/artifacts/list", params={"run_id": run_id}, auth=judge
    )
    assert artifacts.status_code == 200 and artifacts.json().get("files"), artifacts.text
    write = httpx.post(
        f"{tracking}/api/2.0/mlflow/runs/log-metric",
        json={"run_id": run_id, "key": "forged", "value": 1.0, "timestamp": 0},
        auth=judge,
    )
    assert write.status_code == 403, write.text
    wrong = httpx.get(
        f"{tracking}/api/2.0/mlflow/runs/get", params={"run_id": run_id}, auth=("judge", "x" * 16)
    )
    assert wrong.status_code == 401
