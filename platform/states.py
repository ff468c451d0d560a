"""The states a job row can be in, and why a submission failed: one vocabulary for the
services, workers, API, pages and CLI. ``StrEnum`` members are their text, so rows, JSON and
comparisons with a plain string keep working."""

from __future__ import annotations

from enum import StrEnum


class SubmissionStatus(StrEnum):
    QUEUED = "queued"
    SCORING = "scoring"
    SCORED = "scored"
    FAILED = "failed"


FINAL_SUBMISSION_STATES = (SubmissionStatus.SCORED, SubmissionStatus.FAILED)


class SubmissionKind(StrEnum):
    """What a challenge takes: prediction files, or MLflow models run in the sandbox."""

    PREDICTIONS = "predictions"
    MODEL = "model"


class Failure(StrEnum):
    """Why a submission failed: an invalid file spares the quota, so does our own error."""

    INVALID_FILE = "invalid_file"
    INTERNAL = "internal"


class DatasetJobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


FINAL_DATASET_JOB_STATES = (DatasetJobStatus.DONE, DatasetJobStatus.FAILED)
