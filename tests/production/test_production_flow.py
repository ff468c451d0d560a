"""A participant's upload in production mode: acknowledged by an API process that does not
score, scored by a separate Celery worker process, tracked in MLflow."""

from __future__ import annotations

from sqlalchemy import select

from odx.platform.db.engine import session_scope
from odx.platform.db.models import Submission
from production.harness import ProductionSite, participants, submit, variants, wait_until


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
