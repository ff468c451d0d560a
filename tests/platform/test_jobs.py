"""Scoring jobs on a real catalogue (SQLite, or PostgreSQL with ``ODX_TEST_BACKEND``): claimed
once, recorded once, never stuck."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml
from sqlalchemy import update

from odx.platform.challenges.catalog import SHIPPED_CHALLENGES
from odx.platform.db.engine import session_scope
from odx.platform.db.models import Submission, utcnow
from odx.platform.jobs import pipeline, queue, tracking
from odx.platform.services import challenges, teams, users
from odx.platform.services import datasets as dataset_service
from odx.platform.services import submissions as intake
from odx.platform.settings import Settings
from odx.platform.worker import EmbeddedWorker
from odx.submissions.storage import ObjectStore

pytestmark = pytest.mark.both_backends


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, database_url: str | None) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("jobs")
    settings = Settings(home=root / "home", database_url=database_url, progress=False, workers=1)
    dataset_service.publish(settings, "market-store-count")
    definition = yaml.safe_load(
        (SHIPPED_CHALLENGES / "market-store-count-2026.yaml").read_text("utf-8")
    )
    now = datetime.now(UTC)
    definition["phases"][0] |= {
        "start": (now - timedelta(days=1)).isoformat(),
        "end": (now + timedelta(days=30)).isoformat(),
    }
    definition["limits"] |= {"daily_submissions": 100}
    path = root / "c.yaml"
    path.write_text(yaml.safe_dump(definition, allow_unicode=True), encoding="utf-8")
    with session_scope(settings.resolved_database_url) as session:
        challenges.register(session, path, actor="test")
        user, _ = users.create_user(session, name="kim", role="participant", actor="test")
        teams.create(session, challenges.get(session, definition["id"]), user, "team-kim")
    (release,) = (settings.public_root / "market-store-count").iterdir()
    sample = (release / "sample_submission.csv").read_bytes()
    return {"settings": settings, "challenge": definition["id"], "sample": sample}


def new_submission(world: dict[str, Any]) -> str:
    settings: Settings = world["settings"]
    with session_scope(settings.resolved_database_url) as session:
        challenge = challenges.get(session, world["challenge"])
        user = users.get_by_name(session, "kim")
        upload = intake.BytesUpload(world["sample"], file_name="s.csv")
        return intake.accept(session, settings, challenge, user, upload).id


def state(world: dict[str, Any], submission_id: str) -> Submission:
    with session_scope(world["settings"].resolved_database_url) as session:
        row = session.get(Submission, submission_id)
        session.expunge(row)
        return row


def test_a_job_is_scored_once_and_a_second_run_is_skipped(world: dict[str, Any]) -> None:
    submission_id = new_submission(world)
    assert pipeline.run(world["settings"], submission_id, "w1") == "scored"
    assert pipeline.run(world["settings"], submission_id, "w2") == "skipped"
    row = state(world, submission_id)
    assert row.status == "scored" and row.attempts == 1 and row.worker == "w1"
    assert row.public_score is not None and row.private_score is not None


def test_racing_workers_score_a_job_exactly_once(world: dict[str, Any]) -> None:
    submission_id = new_submission(world)
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def work(name: str) -> None:
        barrier.wait()
        outcomes.append(pipeline.run(world["settings"], submission_id, name))

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["scored", "skipped", "skipped", "skipped"]
    assert state(world, submission_id).attempts == 1


def test_job_of_a_dead_worker_is_requeued_then_scored_and_the_dead_one_cannot_record(
    world: dict[str, Any],
) -> None:
    settings: Settings = world["settings"]
    submission_id = new_submission(world)
    with session_scope(settings.resolved_database_url) as session:
        assert queue.claim(session, submission_id, "dead")
        session.execute(
            update(Submission)
            .where(Submission.id == submission_id)
            .values(heartbeat_at=datetime.now(UTC) - timedelta(hours=1))
        )
        session.commit()
        assert queue.requeue_stale(session, timeout=timedelta(minutes=10)) == 1
    assert state(world, submission_id).status == "queued"
    assert pipeline.run(settings, submission_id, "alive") == "scored"
    with session_scope(settings.resolved_database_url) as session:
        assert not queue.finish(session, submission_id, "dead", {"public_score": -1.0})
    row = state(world, submission_id)
    assert row.attempts == 2 and row.public_score != -1.0


def test_a_job_that_keeps_failing_ends_failed_and_spares_the_quota(world: dict[str, Any]) -> None:
    settings: Settings = world["settings"]
    submission_id = new_submission(world)
    row = state(world, submission_id)
    stored = ObjectStore(settings.objects_root).path_for(row.file_sha256)
    kept = stored.read_bytes()
    stored.unlink()  # the server lost the file: not the participant's fault
    try:
        results = [
            pipeline.run(settings, submission_id, f"w{i}") for i in range(queue.MAX_ATTEMPTS)
        ]
    finally:
        stored.write_bytes(kept)
    assert results == ["queued"] * (queue.MAX_ATTEMPTS - 1) + ["failed"]
    row = state(world, submission_id)
    assert row.status == "failed" and row.failure == "internal"
    assert "does not count toward your quota" in row.problems[0]["message"]


def test_embedded_worker_picks_up_orphans_after_a_restart(world: dict[str, Any]) -> None:
    settings: Settings = world["settings"]
    orphan, waiting = new_submission(world), new_submission(world)
    with session_scope(settings.resolved_database_url) as session:
        assert queue.claim(session, orphan, "embedded-previous-process")
    worker = EmbeddedWorker(settings, sweep_seconds=0.5)
    worker.start()
    try:
        deadline = time.monotonic() + 60
        while {state(world, s).status for s in (orphan, waiting)} != {"scored"}:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        worker.stop()
    assert state(world, orphan).attempts == 2 and state(world, waiting).attempts == 1


@pytest.fixture(autouse=True)
def _no_leftover_jobs(world: dict[str, Any]) -> Iterator[None]:
    yield
    with session_scope(world["settings"].resolved_database_url) as session:
        assert not queue.next_queued(session)


def test_scored_job_gets_one_mlflow_run_even_when_mlflow_was_down(world: dict[str, Any]) -> None:
    import mlflow

    settings: Settings = world["settings"]
    down = settings.model_copy(update={"mlflow_tracking_uri": "sqlite:////proc/no/mlflow.db"})
    submission_id = new_submission(world)
    assert pipeline.run(down, submission_id, "w1") == "scored"  # the score is kept regardless
    failed = state(world, submission_id)
    assert failed.mlflow_run_id is None and failed.tracking_failures == 1
    tracking.sync_tracking(settings, older_than=timedelta(0))
    assert state(world, submission_id).mlflow_run_id is None  # backing off: not tried yet
    assert failed.track_after is not None
    later = failed.track_after + timedelta(seconds=1)
    tracking.sync_tracking(down, older_than=timedelta(0), now=later)  # MLflow still down
    again = state(world, submission_id)
    assert again.tracking_failures == 2
    assert again.track_after - utcnow() > timedelta(minutes=3)  # waits twice as long: 4 min
    later = again.track_after + timedelta(seconds=1)
    assert tracking.sync_tracking(settings, older_than=timedelta(0), now=later) >= 1
    assert tracking.sync_tracking(settings, older_than=timedelta(0), now=later) == 0
    run_id = state(world, submission_id).mlflow_run_id
    client = mlflow.MlflowClient(tracking_uri=settings.resolved_mlflow_uri)
    runs = client.search_runs(
        [client.get_run(run_id).info.experiment_id],
        filter_string=f"tags.`odx.submission_id` = '{submission_id}'",
    )
    assert len(runs) == 1
    run = runs[0]
    assert run.data.tags["odx.team"] == "team-kim" and "public_rmsle" in run.data.metrics
    assert "private_rmsle" in run.data.metrics
    names = {a.path for a in client.list_artifacts(run_id)}
    assert {"report.json", "residuals.png"} <= names
