"""The embedded scoring worker: threads inside the server process, woken on each upload.

It runs :func:`odx.platform.jobs.scoring.run_job`, the same job a Celery worker runs (model
submissions on threads of their own, ``ODX_MODEL_WORKERS``), and the organizers' dataset
jobs (:func:`odx.platform.services.dataset_jobs.run`). On start it re-queues jobs left
"scoring" by a previous process (in embedded mode nobody else scores),
and every ``sweep_seconds`` it re-queues jobs whose worker stopped. MLflow runs (plots,
artifacts) are written by a thread of their own, so that scores come first under a deadline
rush; :func:`odx.platform.jobs.tracking.sync_tracking` catches up on any run that could not be
written.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from odx.platform.db.engine import session_scope
from odx.platform.jobs import queue, scoring, tracking
from odx.platform.services import dataset_jobs
from odx.platform.settings import Settings
from odx.platform.states import SubmissionKind

log = logging.getLogger("odx.worker")


class EmbeddedWorker:
    def __init__(self, settings: Settings, *, sweep_seconds: float = 30.0) -> None:
        self.settings = settings
        self.name = f"embedded-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.sweep_seconds = sweep_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        threads = max(settings.workers, 1)
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="odx-score")
        # model submissions wait for their own threads, so a slow model never delays files
        self._models = (
            ThreadPoolExecutor(max_workers=settings.model_workers, thread_name_prefix="odx-model")
            if settings.model_workers
            else None
        )
        self._tracker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="odx-track")
        self._in_flight: set[str] = set()
        self._lock = threading.Lock()
        self._loop = threading.Thread(target=self._run, name="odx-dispatch", daemon=True)

    def start(self) -> None:
        with session_scope(self.settings.resolved_database_url) as session:
            if orphaned := queue.requeue_all_scoring(session):
                log.warning("re-queued %d jobs left scoring by a previous run", orphaned)
            if dataset_jobs.requeue_all_running(session):
                log.warning("re-queued dataset jobs left running by a previous run")
        self._loop.start()
        self.wake()

    def wake(self) -> None:
        self._wake.set()

    def submission(self, _submission_id: str) -> None:
        """A submission was committed: look for it now rather than at the next sweep."""
        self.wake()

    def dataset_job(self, _job_id: str) -> None:
        self.wake()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        self._loop.join(timeout)
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._models is not None:
            self._models.shutdown(wait=True, cancel_futures=True)
        self._tracker.shutdown(wait=True, cancel_futures=True)

    def _run(self) -> None:
        timeout = timedelta(seconds=self.settings.job_timeout_seconds)
        next_sync = time.monotonic() + self.sweep_seconds
        batch = 4 * max(self.settings.workers, 1)
        while not self._stop.is_set():
            queued: list[str] = []
            models: list[str] = []
            datasets: list[str] = []
            try:
                with session_scope(self.settings.resolved_database_url) as session:
                    queue.requeue_stale(session, timeout=timeout)
                    dataset_jobs.requeue_stale(session, timeout=timeout)
                    queued = queue.next_queued(
                        session, limit=batch, kind=SubmissionKind.PREDICTIONS
                    )
                    if self._models is not None:
                        models = queue.next_queued(session, limit=batch, kind=SubmissionKind.MODEL)
                    datasets = dataset_jobs.next_queued(session, limit=batch)
                for submission_id in queued:
                    self._dispatch(submission_id, self._score, self._pool)
                for submission_id in models:
                    self._dispatch(submission_id, self._score, self._models)
                for job_id in datasets:
                    self._dispatch(job_id, self._run_dataset_job, self._pool)
                if time.monotonic() >= next_sync:
                    self._tracker.submit(tracking.sync_tracking, self.settings)
                    next_sync = time.monotonic() + self.sweep_seconds
            except Exception:  # keep the loop alive; the next sweep retries
                log.exception("dispatch loop error")
            self._wake.wait(self.sweep_seconds if not (queued or models or datasets) else 0.2)
            self._wake.clear()

    def _dispatch(
        self, job_id: str, run: Callable[[str], None], pool: ThreadPoolExecutor | None
    ) -> None:
        with self._lock:
            if job_id in self._in_flight or pool is None:
                return
            self._in_flight.add(job_id)
        future = pool.submit(run, job_id)
        future.add_done_callback(lambda _f: self._done(job_id))

    def _run_dataset_job(self, job_id: str) -> None:
        dataset_jobs.run(self.settings, job_id, self.name)

    def _score(self, submission_id: str) -> None:
        outcome = scoring.run_job(self.settings, submission_id, self.name)
        if outcome.evaluation is not None:
            self._tracker.submit(tracking.track, self.settings, submission_id, outcome.evaluation)

    def _done(self, job_id: str) -> None:
        with self._lock:
            self._in_flight.discard(job_id)
        self._wake.set()
