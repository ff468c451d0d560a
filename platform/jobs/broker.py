"""Production mode's job transport: Celery messages that carry a job's id, nothing more.

The database stays the truth. A job's row is committed before its message is sent; the
queue's conditional updates keep it scored exactly once whatever the broker delivers twice;
a message that could not be sent (broker down) is sent again by :mod:`.sweep`, which finds
it by ``sent_at``. Messages are persistent, publishing waits for the broker's confirmation,
and a worker acknowledges a message only once its job is done (``acks_late``), so a worker
killed mid-job has its message delivered to another.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import lru_cache

from celery import Celery
from kombu import Queue
from sqlalchemy import select

from odx.platform.db.engine import session_scope
from odx.platform.db.models import Submission
from odx.platform.jobs import queue
from odx.platform.services import dataset_jobs
from odx.platform.settings import Settings
from odx.platform.states import SubmissionKind

log = logging.getLogger("odx.broker")

PREDICTIONS = "predictions"  # scoring prediction files, dataset jobs and the sweep
TRACKING = "tracking"  # writing MLflow runs
MODELS = "models"  # running model submissions in the sandbox, then scoring their predictions
QUEUES = (PREDICTIONS, TRACKING, MODELS)

SCORE = "odx.score"
SCORE_MODEL = "odx.score_model"
TRACK = "odx.track"
DATASET_JOB = "odx.dataset_job"
SWEEP = "odx.sweep"
ROUTES = {
    SCORE: PREDICTIONS,
    SCORE_MODEL: MODELS,
    DATASET_JOB: PREDICTIONS,
    SWEEP: PREDICTIONS,
    TRACK: TRACKING,
}


def queue_name(settings: Settings, queue_id: str) -> str:
    """The broker's name of one of our queues (a prefix keeps platforms on one broker apart)."""
    return f"{settings.queue_prefix}{queue_id}"


@lru_cache
def _celery(broker_url: str, prefix: str, sweep_seconds: float, time_limit: int) -> Celery:
    app = Celery("odx", broker=broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_store_errors_even_if_ignored=False,
        # A job killed at the time limit is re-queued by the sweep (its heartbeat is stale);
        # below RabbitMQ's consumer timeout (30 min), which would otherwise drop the worker.
        task_time_limit=time_limit,
        task_queues=[Queue(f"{prefix}{name}", durable=True) for name in QUEUES],
        task_default_queue=f"{prefix}{PREDICTIONS}",
        task_routes={task: {"queue": f"{prefix}{name}"} for task, name in ROUTES.items()},
        broker_connection_timeout=2,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"confirm_publish": True, "max_retries": 0},
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        beat_scheduler="celery.beat:Scheduler",  # in memory: the sweep keeps no state
        beat_schedule={
            "sweep": {"task": SWEEP, "schedule": sweep_seconds, "options": {"expires": 60}}
        },
    )
    return app


def celery_app(settings: Settings) -> Celery:
    """The platform's Celery application (one per process and settings)."""
    if not settings.broker_url:
        raise ValueError("no broker: set ODX_BROKER_URL for production mode")
    return _celery(
        settings.broker_url,
        settings.queue_prefix,
        settings.sweep_seconds,
        settings.job_timeout_seconds,
    )


class Broker:
    """Sends jobs to the workers. A failed send is logged, never raised: the job is committed
    and the sweep sends it again once the broker is back."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = celery_app(settings)

    def _send(self, task: str, *args: str, countdown: float | None = None) -> bool:
        try:
            self.app.send_task(task, args=args, retry=False, countdown=countdown)
        except Exception as error:  # kombu.OperationalError, socket errors: broker unreachable
            log.warning("could not send %s%s to the broker: %s", task, args, error)
            return False
        return True

    def submission(self, submission_id: str, *, countdown: float | None = None) -> bool:
        """Queue a submission's scoring (a model on the models queue); on success the row
        remembers it was sent."""
        with session_scope(self.settings.resolved_database_url) as session:
            kind = session.scalar(select(Submission.kind).where(Submission.id == submission_id))
        task = SCORE_MODEL if kind == SubmissionKind.MODEL else SCORE
        sent = self._send(task, submission_id, countdown=countdown)
        if sent:
            with session_scope(self.settings.resolved_database_url) as session:
                queue.mark_sent(session, [submission_id])
        return sent

    def dataset_job(self, job_id: str) -> bool:
        sent = self._send(DATASET_JOB, job_id)
        if sent:
            with session_scope(self.settings.resolved_database_url) as session:
                dataset_jobs.mark_sent(session, [job_id])
        return sent

    def tracking(self, submission_id: str, lease: datetime | None = None) -> bool:
        """Queue writing a run; ``lease`` is one the sweep took for this message."""
        args = (submission_id,) if lease is None else (submission_id, lease.isoformat())
        return self._send(TRACK, *args)
