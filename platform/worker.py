"""The embedded scoring worker: threads inside the server process, woken on each upload.

It runs :func:`odx.scoring.jobs.run`, the same job a Celery worker will run. On start it
re-queues jobs left "scoring" by a previous process (in embedded mode nobody else scores),
and every ``sweep_seconds`` it re-queues jobs whose worker stopped.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import update

from odx.platform.db.engine import session_scope
from odx.platform.db.models import Submission
from odx.platform.settings import Settings
from odx.scoring import jobs

log = logging.getLogger("odx.worker")


class EmbeddedWorker:
    def __init__(self, settings: Settings, *, sweep_seconds: float = 30.0) -> None:
        self.settings = settings
        self.name = f"embedded-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.sweep_seconds = sweep_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(
            max_workers=max(settings.workers, 1), thread_name_prefix="odx-score"
        )
        self._in_flight: set[str] = set()
        self._lock = threading.Lock()
        self._loop = threading.Thread(target=self._run, name="odx-dispatch", daemon=True)

    def start(self) -> None:
        with session_scope(self.settings.resolved_database_url) as session:
            orphaned = session.execute(
                update(Submission)
                .where(Submission.status == "scoring")
                .values(status="queued", worker=None)
            )
            if orphaned.rowcount:
                log.warning("re-queued %d jobs left scoring by a previous run", orphaned.rowcount)
        self._loop.start()
        self.wake()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        self._loop.join(timeout)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _run(self) -> None:
        timeout = timedelta(seconds=self.settings.job_timeout_seconds)
        next_sync = time.monotonic() + self.sweep_seconds
        while not self._stop.is_set():
            queued: list[str] = []
            try:
                with session_scope(self.settings.resolved_database_url) as session:
                    jobs.requeue_stale(session, timeout=timeout)
                if time.monotonic() >= next_sync:  # MLflow runs that failed to write earlier
                    jobs.sync_tracking(self.settings)
                    next_sync = time.monotonic() + self.sweep_seconds
                    queued = jobs.next_queued(session, limit=4 * max(self.settings.workers, 1))
                for submission_id in queued:
                    self._dispatch(submission_id)
            except Exception:  # keep the loop alive; the next sweep retries
                log.exception("dispatch loop error")
            self._wake.wait(self.sweep_seconds if not queued else 0.2)
            self._wake.clear()

    def _dispatch(self, submission_id: str) -> None:
        with self._lock:
            if submission_id in self._in_flight:
                return
            self._in_flight.add(submission_id)
        future = self._pool.submit(jobs.run, self.settings, submission_id, self.name)
        future.add_done_callback(lambda _f: self._done(submission_id))

    def _done(self, submission_id: str) -> None:
        with self._lock:
            self._in_flight.discard(submission_id)
        self._wake.set()
