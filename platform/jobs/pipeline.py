"""The whole job for callers without a tracking thread of their own (a Celery task, the
baselines): score, then write the tracking run right after the score is committed."""

from __future__ import annotations

from odx.platform.jobs.scoring import run_job
from odx.platform.jobs.tracking import track
from odx.platform.settings import Settings


def run(settings: Settings, submission_id: str, worker: str) -> str:
    """Run one job and track it; returns the job's status (``skipped`` if another worker
    has it)."""
    outcome = run_job(settings, submission_id, worker)
    if outcome.evaluation is not None:
        track(settings, submission_id, outcome.evaluation)
    return outcome.status
