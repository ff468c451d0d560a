"""Production mode's periodic sweep: whatever a lost message or a lost worker left behind.

Run by Celery beat every ``sweep_seconds`` on a worker. It is idempotent (two beats, or a
sweep overlapping a slow one, only send a few messages twice, which the conditional updates
turn into no-ops), so every worker may run it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from odx.platform.db.engine import session_scope
from odx.platform.jobs import queue, tracking
from odx.platform.jobs.broker import Broker
from odx.platform.services import dataset_jobs

log = logging.getLogger("odx.sweep")
GRACE = timedelta(seconds=5)  # a job this young is still being sent by its API process
BATCH = 500


@dataclass(frozen=True)
class SweepResult:
    requeued: int  # jobs whose worker stopped heart-beating
    resent: int  # jobs whose message the broker may not have
    tracking: int  # runs whose message was lost or whose back-off is over


def sweep(broker: Broker) -> SweepResult:
    settings = broker.settings
    timeout = timedelta(seconds=settings.job_timeout_seconds)
    with session_scope(settings.resolved_database_url) as session:
        requeued = queue.requeue_stale(session, timeout=timeout)
        requeued += dataset_jobs.requeue_stale(session, timeout=timeout)
        submissions = queue.unsent(session, resend_after=timeout, grace=GRACE, limit=BATCH)
        jobs = dataset_jobs.unsent(session, resend_after=timeout, grace=GRACE, limit=BATCH)
        runs = tracking.due_runs(session, older_than=timeout, limit=BATCH)
        leases = [
            (submission_id, tracking.lease(session, submission_id, seconds=timeout.total_seconds()))
            for submission_id in runs
        ]
    resent = sum(broker.submission(submission_id) for submission_id in submissions)
    resent += sum(broker.dataset_job(job_id) for job_id in jobs)
    tracked = sum(broker.tracking(sid, lease) for sid, lease in leases if lease is not None)
    result = SweepResult(requeued, resent, tracked)
    if any((result.requeued, result.resent, result.tracking)):
        log.info("sweep: %s", result)
    return result
