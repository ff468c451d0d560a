"""The Celery worker of production mode: the edge that turns broker messages into job calls.

Each task carries one id. What a task does is the jobs' own code (``jobs.scoring``,
``jobs.tracking``, ``services.dataset_jobs``, ``jobs.sweep``), the same the embedded threads
run; this module only names the tasks, identifies the worker and starts Celery.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime

from celery import Celery, Task
from celery.signals import worker_process_init

from odx.platform.db.engine import get_engine, upgrade
from odx.platform.jobs import scoring, tracking
from odx.platform.jobs.broker import (
    DATASET_JOB,
    QUEUES,
    SCORE,
    SCORE_MODEL,
    SWEEP,
    TRACK,
    Broker,
    celery_app,
    queue_name,
)
from odx.platform.jobs.sweep import sweep
from odx.platform.services import dataset_jobs
from odx.platform.settings import Settings
from odx.platform.states import SubmissionStatus

RETRY_DELAY_SECONDS = 5.0  # before scoring again a job that failed on our side


def worker_name() -> str:
    """Who owns a job while this process runs it (the queue's exactly-once check)."""
    return f"celery-{socket.gethostname()[:24]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _redelivered(task: Task) -> bool:
    return bool((task.request.delivery_info or {}).get("redelivered"))


def build(settings: Settings) -> Celery:
    """The Celery app with the platform's tasks registered."""
    app = celery_app(settings)
    broker = Broker(settings)

    def run_scoring(task: Task, submission_id: str) -> None:
        outcome = scoring.run_job(
            settings, submission_id, worker_name(), take_over=_redelivered(task)
        )
        if outcome.evaluation is not None:
            broker.tracking(submission_id)
        elif outcome.status == SubmissionStatus.QUEUED:
            broker.submission(submission_id, countdown=RETRY_DELAY_SECONDS)

    app.task(name=SCORE, bind=True)(run_scoring)  # prediction files
    app.task(name=SCORE_MODEL, bind=True)(run_scoring)  # models: the same job, its own queue

    @app.task(name=TRACK, bind=True)
    def track(task: Task, submission_id: str, lease: str | None = None) -> None:
        token = datetime.fromisoformat(lease) if lease else None
        tracking.track(settings, submission_id, token=token, force=_redelivered(task))

    @app.task(name=DATASET_JOB)
    def dataset_job(job_id: str) -> None:
        dataset_jobs.run(settings, job_id, worker_name())

    @app.task(name=SWEEP)
    def periodic_sweep() -> None:
        sweep(broker)

    return app


def run_worker(
    settings: Settings, *, queues: list[str], concurrency: int, beat: bool, loglevel: str
) -> None:
    """Start a worker consuming ``queues`` with ``concurrency`` processes (blocks)."""
    unknown = sorted(set(queues) - set(QUEUES))
    if unknown:
        raise ValueError(f"unknown queue {', '.join(unknown)}; the queues are {', '.join(QUEUES)}")
    url = settings.resolved_database_url
    upgrade(url)
    get_engine(url).dispose()  # the pool's processes are forked: none may inherit a connection
    worker_process_init.connect(lambda **_: get_engine(url).dispose(close=False), weak=False)
    app = build(settings)
    argv = [
        "worker",
        "--queues",
        ",".join(queue_name(settings, name) for name in queues),
        "--concurrency",
        str(concurrency),
        "--pool",
        "prefork",
        "--loglevel",
        loglevel,
        "--hostname",
        f"odx-{uuid.uuid4().hex[:8]}@%h",
        "--without-mingle",
        "--without-gossip",
    ]
    if beat:
        argv.append("--beat")
    app.worker_main(argv)
