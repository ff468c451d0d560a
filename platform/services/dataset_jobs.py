"""Organizers check and publish datasets from anywhere: a dataset job, run in the background.

A job names a catalogue dataset by id, or an uploaded folder (a zip unpacked under the same
safety rules as submission files). Its row is the durable state (``queued → running → done |
failed``), claimed by a conditional update so that one worker runs it; the quality run it left
is linked whatever the outcome, so the report can always be read.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from odx.datasets.spec import SPEC_FILENAME, load_spec, parse_spec
from odx.platform.db.engine import session_scope
from odx.platform.db.models import DatasetJob, QualityRun, User, utcnow
from odx.platform.errors import REPORTABLE, NotFoundError, OdxError
from odx.platform.services import audit
from odx.platform.services import datasets as dataset_service
from odx.platform.services.users import Role, require_role
from odx.platform.settings import Settings
from odx.platform.states import DatasetJobStatus
from odx.submissions.archives import ArchiveError, extract_zip, single_root
from odx.submissions.storage import ObjectStore, UploadTooLargeError

log = logging.getLogger("odx.dataset_jobs")
Action = Literal["validate", "publish"]
ACTIONS: tuple[Action, ...] = ("validate", "publish")
MAX_ATTEMPTS = 2  # the gate is deterministic: a second crash will not be the last one's luck


class UnknownDatasetJobError(NotFoundError):
    code = "unknown_dataset_job"
    title = "Unknown dataset job"


@dataclass(frozen=True)
class JobView:
    """What an organizer sees of a job: its state, outcome and the gate's checks."""

    id: str
    action: str
    status: str
    actor: str
    source: str
    dataset_id: str | None
    version: int | None
    created_version: bool | None
    error: str | None
    quality_run_id: int | None
    checks: list[dict[str, Any]]
    created_at: datetime
    finished_at: datetime | None


def _check_action(action: str) -> Action:
    if action not in ACTIONS:
        raise OdxError(f"unknown action '{action}'; validate or publish")
    return action  # type: ignore[return-value]


def submit_catalogue(
    session: Session, settings: Settings, user: User, dataset_id: str, *, action: str
) -> DatasetJob:
    """Queue a job on a dataset the server's catalogue holds (ids only, never paths)."""
    require_role(user, Role.organizer)
    checked = _check_action(action)
    dataset_service.require_catalogue_id(settings, dataset_id)
    return _queue(session, user, checked, catalogue_id=dataset_id, dataset_id=dataset_id)


def admit_upload(settings: Settings, user: User, *, declared_bytes: int | None) -> None:
    """Who and how much, before a byte of an upload is read: organizers, within the limit."""
    require_role(user, Role.organizer)
    limit = settings.max_dataset_upload_bytes
    if declared_bytes is not None and declared_bytes > limit:
        raise UploadTooLargeError(f"the upload is larger than the limit of {limit:,} bytes")


def submit_upload(
    session: Session,
    settings: Settings,
    user: User,
    chunks: Iterable[bytes],
    *,
    action: str,
) -> DatasetJob:
    """Store an uploaded zip of a dataset folder, unpack it safely, check its spec, queue it."""
    admit_upload(settings, user, declared_bytes=None)
    checked = _check_action(action)
    limit = settings.max_dataset_upload_bytes
    stored = ObjectStore(settings.objects_root).put_chunks(chunks, max_bytes=limit)
    job_id = uuid.uuid4().hex
    job_dir = settings.uploads_root / job_id
    try:
        folder = _unpack(stored.path, job_dir, max_bytes=limit)
        loaded = load_spec(folder)
    except REPORTABLE as exc:
        shutil.rmtree(job_dir, ignore_errors=True)
        exc.detail = exc.detail.replace(f"{job_dir}/unpacked/", "").replace(f"{job_dir}/", "")
        raise
    relative = str(folder.relative_to(settings.uploads_root))
    return _queue(
        session,
        user,
        checked,
        job_id=job_id,
        upload_dir=relative,
        upload_sha256=stored.sha256,
        dataset_id=loaded.spec.id,
    )


def _unpack(archive: Path, job_dir: Path, *, max_bytes: int) -> Path:
    """Unpack into ``job_dir/<dataset id>``: the spec wants its folder named after the id."""
    with archive.open("rb") as handle:
        if handle.read(4)[:2] != b"PK":
            raise ArchiveError("upload the dataset folder as a .zip (dataset.yaml, raw/ …)")
    unpacked = job_dir / "unpacked"
    extract_zip(archive, unpacked, max_bytes=max_bytes)
    root = single_root(unpacked)
    spec_file = root / SPEC_FILENAME
    if not spec_file.is_file():
        raise ArchiveError(f"the zip has no {SPEC_FILENAME} at its top or in its single top folder")
    spec = parse_spec(spec_file.read_text(encoding="utf-8-sig"), source=SPEC_FILENAME)
    folder = job_dir / spec.id
    root.rename(folder)
    shutil.rmtree(unpacked, ignore_errors=True)
    return folder


def _queue(session: Session, user: User, action: Action, **values: Any) -> DatasetJob:
    job = DatasetJob(
        id=values.pop("job_id", None) or uuid.uuid4().hex,
        action=action,
        actor=user.name,
        status=DatasetJobStatus.QUEUED,
        attempts=0,
        **values,
    )
    session.add(job)
    audit.record(
        session,
        actor=user.name,
        action=f"dataset.{action}.queued",
        target=job.dataset_id or "",
        details={"job": job.id, "upload_sha256": job.upload_sha256},
    )
    session.commit()  # the worker must find it once woken
    return job


def get(session: Session, job_id: str) -> DatasetJob:
    job = session.get(DatasetJob, job_id) if len(job_id) <= 32 else None
    if job is None:
        raise UnknownDatasetJobError(f"no dataset job '{job_id}'")
    return job


def get_for(session: Session, job_id: str, user: User) -> DatasetJob:
    """A job, for organizers only (a report that is not redacted can be reached from it)."""
    require_role(user, Role.organizer)
    return get(session, job_id)


def recent_for(session: Session, user: User, limit: int = 20) -> list[DatasetJob]:
    """The latest jobs, for organizers only (their errors may name the uploaded files)."""
    require_role(user, Role.organizer)
    return recent(session, limit)


def recent(session: Session, limit: int = 20) -> list[DatasetJob]:
    query = select(DatasetJob).order_by(DatasetJob.created_at.desc()).limit(limit)
    return list(session.scalars(query))


def view(settings: Settings, session: Session, job: DatasetJob) -> JobView:
    source = f"catalogue:{job.catalogue_id}" if job.catalogue_id else f"upload:{job.upload_sha256}"
    return JobView(
        id=job.id,
        action=job.action,
        status=job.status,
        actor=job.actor,
        source=source,
        dataset_id=job.dataset_id,
        version=job.version,
        created_version=job.created_version,
        error=job.error,
        quality_run_id=job.quality_run_id,
        checks=[
            c | {"summary": without_server_paths(settings, c["summary"], job.upload_dir)}
            for c in _checks(settings, session, job.quality_run_id)
        ],
        created_at=job.created_at,
        finished_at=job.finished_at,
    )


REPORT_PATH = re.compile(r"\s*Report: \S+")  # the report has a link of its own


def without_server_paths(settings: Settings, text: str, upload_dir: str | None = None) -> str:
    """A message as an organizer elsewhere reads it: files named by their place in the
    dataset folder, never by the server's folders, and no report path (it is linked)."""
    text = REPORT_PATH.sub("", text)
    roots = [settings.uploads_root / upload_dir] if upload_dir else []
    roots += [*dataset_service.search_dirs(settings), settings.resolved_home]
    for root in roots:
        text = text.replace(f"{root}/", "").replace(str(root), "")
    return text


def _checks(settings: Settings, session: Session, run_id: int | None) -> list[dict[str, Any]]:
    """Each check of the gate's report: name, pass or fail, summary."""
    run = session.get(QualityRun, run_id) if run_id is not None else None
    path = settings.reports_root / run.report_dir / "report.json" if run else None
    if path is None or not path.is_file():
        return []
    report = json.loads(path.read_text(encoding="utf-8"))
    return [
        {"name": c["name"], "success": c["success"], "summary": c["summary"]}
        for c in report.get("checks", [])
    ]


# --- running jobs ----------------------------------------------------------------------


def next_queued(session: Session, limit: int) -> list[str]:
    query = (
        select(DatasetJob.id)
        .where(DatasetJob.status == DatasetJobStatus.QUEUED)
        .order_by(DatasetJob.created_at)
        .limit(limit)
    )
    return list(session.scalars(query))


def mark_sent(session: Session, job_ids: list[str]) -> None:
    """The broker has these jobs' messages (production mode)."""
    if job_ids:
        session.execute(
            update(DatasetJob).where(DatasetJob.id.in_(job_ids)).values(sent_at=utcnow())
        )
        session.commit()


def unsent(session: Session, *, resend_after: timedelta, grace: timedelta, limit: int) -> list[str]:
    """Queued jobs the broker may not have (never sent, or sent long ago and lost)."""
    now = utcnow()
    query = (
        select(DatasetJob.id)
        .where(
            DatasetJob.status == DatasetJobStatus.QUEUED,
            DatasetJob.created_at < now - grace,
            or_(DatasetJob.sent_at.is_(None), DatasetJob.sent_at < now - resend_after),
        )
        .order_by(DatasetJob.created_at)
        .limit(limit)
    )
    return list(session.scalars(query))


def requeue_stale(session: Session, *, timeout: timedelta) -> int:
    """Jobs whose worker stopped (no heartbeat for ``timeout``) go back to the queue."""
    result = session.execute(
        update(DatasetJob)
        .where(
            DatasetJob.status == DatasetJobStatus.RUNNING,
            DatasetJob.heartbeat_at < utcnow() - timeout,
        )
        .values(status=DatasetJobStatus.QUEUED, worker=None)
    )
    return result.rowcount or 0


def requeue_all_running(session: Session) -> int:
    """At the start of an embedded server, nobody else is running jobs: take them back."""
    result = session.execute(
        update(DatasetJob)
        .where(DatasetJob.status == DatasetJobStatus.RUNNING)
        .values(status=DatasetJobStatus.QUEUED, worker=None)
    )
    return result.rowcount or 0


def run(settings: Settings, job_id: str, worker: str) -> str | None:
    """Claim and run one job; returns its final status (None when another worker had it)."""
    url = settings.resolved_database_url
    with session_scope(url) as session:
        claimed = session.execute(
            update(DatasetJob)
            .where(DatasetJob.id == job_id, DatasetJob.status == DatasetJobStatus.QUEUED)
            .values(
                status=DatasetJobStatus.RUNNING,
                worker=worker,
                heartbeat_at=utcnow(),
                attempts=DatasetJob.attempts + 1,
            )
        )
        if claimed.rowcount != 1:
            return None
        job = session.get(DatasetJob, job_id)
        assert job is not None
        action, actor, attempts = job.action, job.actor, job.attempts
        session.expunge(job)
        reference = job.catalogue_id or str(settings.uploads_root / (job.upload_dir or ""))
    values: dict[str, Any]
    try:
        values = _perform(settings, action, reference, actor)
    except REPORTABLE as exc:
        values = {
            "status": DatasetJobStatus.FAILED,
            "error": without_server_paths(settings, exc.detail, job.upload_dir)[:4000],
            "quality_run_id": exc.extra.get("quality_run_id"),
        }
    except Exception:
        log.exception("dataset job %s crashed", job_id)
        if attempts < MAX_ATTEMPTS:
            values = {"status": DatasetJobStatus.QUEUED, "worker": None}
        else:
            error = "the job failed on the server; try again"
            values = {"status": DatasetJobStatus.FAILED, "error": error}
    if values["status"] != DatasetJobStatus.QUEUED:
        values["finished_at"] = utcnow()
    with session_scope(url) as session:
        session.execute(
            update(DatasetJob)
            .where(DatasetJob.id == job_id, DatasetJob.worker == worker)
            .values(**values)
        )
    return values["status"]


def _perform(settings: Settings, action: str, reference: str, actor: str) -> dict[str, Any]:
    if action == "validate":
        checked = dataset_service.validate(settings, reference)
        report = checked.report
        error = None if report.success else f"{report.dataset_id} failed its quality gate"
        return {
            "status": DatasetJobStatus.DONE if report.success else DatasetJobStatus.FAILED,
            "error": error,
            "dataset_id": report.dataset_id,
            "quality_run_id": checked.run_id,
        }
    published = dataset_service.publish(settings, reference, actor=actor)
    return {
        "status": DatasetJobStatus.DONE,
        "dataset_id": published.dataset_id,
        "version": published.version,
        "created_version": published.created,
        "quality_run_id": published.quality_run_id,
    }
