"""Scoring a model submission: unpack and check it, run it in the sandbox on the release's
hidden test features, store its predictions, then score them exactly as an uploaded file.

The platform process never loads the model: it reads the zip and the ``MLmodel`` text, and
hands the folder to :func:`odx.submissions.models.sandbox.run_model`. While the model runs,
the job's heartbeat is renewed, so a long run is not mistaken for a lost worker.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from odx.datasets.release import TEST_FEATURES
from odx.platform.db.engine import session_scope
from odx.platform.db.models import Challenge, Submission
from odx.platform.jobs import queue
from odx.platform.services.challenges import spec_of
from odx.platform.services.models import limits_of, unsandboxed
from odx.platform.settings import Settings
from odx.scoring.evaluate import Evaluation, Rejection, Release, evaluate
from odx.submissions.archives import ArchiveError
from odx.submissions.models.archive import ModelPackage, unpack_model
from odx.submissions.models.requirements import check_runtime
from odx.submissions.models.sandbox import ModelTask, SandboxRun, run_model
from odx.submissions.storage import ObjectStore

HEARTBEAT_SECONDS = 10.0


@dataclass(frozen=True)
class ModelOutcome:
    """What a model job records: the score or the problems, the run, the predictions."""

    result: Evaluation | Rejection
    model_run: dict[str, Any]
    predictions_sha256: str | None = None


def evaluate_model(
    settings: Settings,
    submission: Submission,
    challenge: Challenge,
    release: Release,
    *,
    worker: str,
) -> ModelOutcome:
    """Run the submitted model in the sandbox and score its predictions (never raises for the
    participant's mistakes: those become a :class:`Rejection` with the run attached)."""
    spec = spec_of(challenge)
    archive = ObjectStore(settings.objects_root).path_for(submission.file_sha256)
    with tempfile.TemporaryDirectory(prefix="odx-model-") as folder:
        work = Path(folder)
        try:
            package = unpack_model(archive, work / "model", max_bytes=settings.max_upload_bytes)
        except ArchiveError as exc:
            return _refused([{"code": exc.code, "message": exc.detail}])
        problems = check_runtime(package.root)
        if problems:
            return _refused([{"code": "model_requirements", "message": p} for p in problems])
        manifest = release.manifest
        task = ModelTask(
            manifest.id_column,
            [manifest.target_column],
            binary=manifest.task == "binary",
            ranking=manifest.ranking is not None,
        )
        features = release.hidden_dir / TEST_FEATURES
        bare = unsandboxed(settings)
        with _heartbeat(settings, submission.id, worker):
            run = run_model(
                package.root,
                features,
                work / "run",
                task,
                limits_of(spec),
                unsandboxed=bare,
                label=f"submission {submission.id}",
            )
        record = _run_record(run, package, sandboxed=not bare)
        if not run.ok or run.predictions is None:
            problem = {"code": f"model_{run.outcome}", "message": run.message}
            return ModelOutcome(Rejection([problem]), record)
        stored = ObjectStore(settings.objects_root).put_file(
            run.predictions, max_bytes=settings.max_upload_bytes
        )
        result = evaluate(
            stored.path, release, metric=spec.metric, max_bytes=settings.max_upload_bytes
        )
    if isinstance(result, Evaluation):
        result.report["model"] = {k: v for k, v in record.items() if k != "log"}
        result.report["predictions_sha256"] = stored.sha256
    return ModelOutcome(result, record, stored.sha256)


def _refused(problems: list[dict[str, Any]]) -> ModelOutcome:
    return ModelOutcome(
        Rejection(problems), {"outcome": "refused", "message": problems[0]["message"]}
    )


def _run_record(run: SandboxRun, package: ModelPackage, *, sandboxed: bool) -> dict[str, Any]:
    return {
        "outcome": run.outcome,
        "message": run.message,
        "exit_code": run.exit_code,
        "seconds": round(run.seconds, 3),
        "peak_memory_mb": round(run.peak_memory_mb, 1),
        "log": run.log,
        "log_truncated": run.log_truncated,
        "sandboxed": sandboxed,
        "flavors": sorted(package.flavors),
        "signature": package.signature,
        "mlflow_version": package.mlflow_version,
    }


@contextmanager
def _heartbeat(settings: Settings, submission_id: str, worker: str) -> Iterator[None]:
    """Renew the job's heartbeat while the block runs (a long model is not a lost worker)."""
    done = threading.Event()

    def beat() -> None:
        while not done.wait(HEARTBEAT_SECONDS):
            with session_scope(settings.resolved_database_url) as session:
                queue.heartbeat(session, submission_id, worker)

    thread = threading.Thread(target=beat, name=f"odx-beat-{submission_id[:8]}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
