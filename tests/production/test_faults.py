"""Faults against the real servers: killed workers, an unreachable broker, a killed API
process, the MLflow server down. Whatever happens, every acknowledged submission ends scored
exactly once, nothing is left queued or scoring, and each has exactly one MLflow run."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import select

from odx.platform.db.engine import session_scope
from odx.platform.db.models import Submission
from odx.platform.jobs.queue import MAX_ATTEMPTS
from production.harness import (
    ProductionSite,
    TcpProxy,
    burst,
    mlflow_runs_by_submission,
    participants,
    settled,
    states,
    submit,
    unsettled,
    variants,
    wait_until,
)

RABBITMQ = ("127.0.0.1", 5672)


def children(pid: int) -> set[int]:
    """A process's child processes (a Celery worker's pool), from /proc."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found |= {int(child) for child in text.split()}
    return found


def assert_exactly_once(site: ProductionSite, ids: list[str]) -> None:
    rows = states(site)
    assert set(ids) <= set(rows)
    assert all(rows[i].status == "scored" and 1 <= rows[i].attempts <= 3 for i in ids), rows
    runs = mlflow_runs_by_submission(site)
    assert {i: runs[i] for i in ids} == dict.fromkeys(ids, 1)


def test_workers_killed_mid_burst(production: ProductionSite) -> None:
    url = production.api()
    names = [f"team{i}" for i in range(4)]
    participants(production, url, names)
    workers = [production.worker(), production.worker()]
    files = variants(production, 40)
    posted: dict[str, list[str]] = {}

    def post() -> None:
        posted["ids"], posted["errors"] = burst(production, [url], names, files)

    poster = threading.Thread(target=post)
    poster.start()
    killed_mid_job = 0
    for _ in range(3):
        # a worker that is scoring right now: one of its pool processes owns a job. Not one
        # whose job is on its last attempt: a job that killed its worker MAX_ATTEMPTS times
        # fails for good, by design, and three kills could otherwise all land on one job.
        def busy() -> int | None:
            scoring = [
                row for row in states(production).values() if row.status == "scoring" and row.worker
            ]
            for index, worker in enumerate(workers):
                pool = children(worker.popen.pid)
                owned = [row for row in scoring if int(row.worker.split("-")[-2]) in pool]
                if owned and all(row.attempts < MAX_ATTEMPTS for row in owned):
                    return index + 1
            return None

        victim = wait_until(busy, timeout=90, what="a worker scoring a job", every=0.02) - 1
        workers.pop(victim).kill()  # kill -9, the pool's processes with it
        killed_mid_job += 1
        workers.append(production.worker())
        time.sleep(2)
    poster.join(timeout=300)
    assert posted["errors"] == [] and len(posted["ids"]) == len(files)
    ids = posted["ids"]
    wait_until(
        lambda: settled(production, ids, tracked=True),
        timeout=240,
        what="every run",
        show=lambda: unsettled(production),
    )
    assert_exactly_once(production, ids)
    assert killed_mid_job == 3
    assert max(row.attempts for row in states(production).values()) >= 2


def test_broker_unreachable_at_submit(production: ProductionSite) -> None:
    proxy = TcpProxy(RABBITMQ)
    proxy.up()
    production.env["ODX_BROKER_URL"] = proxy.url  # API and workers reach the broker through it
    url = production.api()
    participants(production, url, ["kim"])
    production.worker()
    files = variants(production, 3)
    with production.client(url, "kim") as http:
        first = submit(http, files[0])
        wait_until(lambda: settled(production, [first], tracked=False), timeout=90, what="one")
        proxy.down()
        ids = [submit(http, content) for content in files[1:]]  # still acknowledged
        time.sleep(3)
        assert {states(production)[i].status for i in ids} == {"queued"}
        proxy.up()
    wait_until(  # the first one's run too: its tracking message may have met the outage
        lambda: settled(production, [first, *ids], tracked=True),
        timeout=120,
        what="the backlog",
        show=lambda: unsettled(production),
    )
    assert_exactly_once(production, [first, *ids])


def test_api_process_killed_mid_burst(production: ProductionSite) -> None:
    urls = [production.api(), production.api()]
    names = [f"team{i}" for i in range(4)]
    participants(production, urls[0], names)
    production.worker()
    files = variants(production, 60)
    posted: dict[str, list[str]] = {}

    def post() -> None:
        posted["ids"], posted["errors"] = burst(production, urls, names, files)

    poster = threading.Thread(target=post)
    poster.start()
    wait_until(lambda: len(states(production)) >= 10, timeout=60, what="the burst to start")
    api = next(p for p in production.processes if p.name == "api")
    api.kill()
    poster.join(timeout=300)
    ids = posted["ids"]
    assert posted["errors"], "the killed API should have refused some posts"
    assert len(ids) >= len(files) // 2
    wait_until(
        lambda: settled(production, ids, tracked=True),
        timeout=180,
        what="the backlog",
        show=lambda: unsettled(production),
    )
    assert_exactly_once(production, ids)
    # rows committed by the killed process without an answer are scored too: nothing hangs
    assert all(row.status == "scored" for row in states(production).values())


def test_mlflow_server_down_during_scoring(production: ProductionSite) -> None:
    """Scoring never waits for MLflow: files are scored while the server is down, and once it
    is back every run is written from the committed scores, none twice."""
    url = production.api()
    participants(production, url, ["kim", "lee"])
    production.worker()
    (server,) = [p for p in production.processes if p.name == "mlflow"]
    files = variants(production, 13)
    with production.client(url, "kim") as http:
        first = submit(http, files[0])
        wait_until(lambda: settled(production, [first], tracked=True), timeout=90, what="one")
    server.kill()  # kill -9: the server and its uvicorn workers
    ids, errors = burst(production, [url], ["kim", "lee"], files[1:])
    assert errors == [] and len(ids) == 12
    wait_until(
        lambda: settled(production, ids, tracked=False),
        timeout=120,
        what="scores while MLflow is down",
        show=lambda: unsettled(production),
    )
    down = states(production)
    assert all(down[i].attempts == 1 and down[i].run_id is None for i in ids), down
    time.sleep(3)  # a few tracking retries fail and back off meanwhile
    production.mlflow_server()
    wait_until(
        lambda: settled(production, ids, tracked=True),
        timeout=180,
        what="every run after MLflow came back",
        show=lambda: unsettled(production),
    )
    assert_exactly_once(production, [first, *ids])
    assert committed_scores(production, ids) == tracked_scores(production, ids)


def committed_scores(site: ProductionSite, ids: list[str]) -> dict[str, float | None]:
    with session_scope(site.settings.resolved_database_url) as session:
        rows = session.execute(
            select(Submission.id, Submission.public_score).where(Submission.id.in_(ids))
        )
        return {submission_id: score for submission_id, score in rows}


def tracked_scores(site: ProductionSite, ids: list[str]) -> dict[str, float | None]:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=site.settings.resolved_mlflow_uri)
    scores: dict[str, float | None] = {}
    for submission_id, run_id in ((i, states(site)[i].run_id) for i in ids):
        metrics = client.get_run(run_id).data.metrics
        (public,) = [v for k, v in metrics.items() if k.startswith("public_") and "_ci_" not in k]
        scores[submission_id] = public
    return scores
