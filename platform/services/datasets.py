"""The organizer's dataset flow: validate, publish, list, show — over files and the catalogue DB."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from odx.datasets.catalog import SHIPPED_DIR, UnknownDatasetError, catalogue, find_dataset
from odx.datasets.publish import (
    Candidate,
    build_candidate,
    fingerprint_inputs,
    gate,
    stage_and_commit,
    write_release,
)
from odx.datasets.quality.gate import GateReport, Step
from odx.datasets.quality.report import write_report
from odx.datasets.raw import sha256_file
from odx.datasets.release import LABELS, MANIFEST, TRAIN
from odx.datasets.spec import LoadedSpec, load_spec
from odx.platform.db.engine import session_scope, upgrade
from odx.platform.db.models import DatasetVersion, QualityRun
from odx.platform.errors import ConflictError, NotFoundError, OdxError
from odx.platform.services import audit
from odx.platform.settings import Settings

NUMBERING_ATTEMPTS = 5  # concurrent publishers of one dataset settle on distinct numbers


class QualityGateFailed(OdxError):
    code = "quality_gate_failed"
    title = "The dataset failed its quality gate"
    status = 422


@dataclass(frozen=True)
class ValidationOutcome:
    report: GateReport
    report_json: Path
    report_html: Path
    run_id: int


@dataclass(frozen=True)
class PublishOutcome:
    dataset_id: str
    version: int
    fingerprint: str
    created: bool
    public_dir: Path
    manifest: dict[str, Any]
    quality_run_id: int | None = None  # None when unchanged inputs needed no gate run


def search_dirs(settings: Settings) -> list[Path]:
    return [SHIPPED_DIR, settings.resolved_home / "catalog"]


def prepare_storage(settings: Settings) -> None:
    """Create the data folder and bring the database schema up to date.

    What only the server may read (the databases, hidden labels, uploads, MLflow's
    artifacts) is its owner's alone: folders 0700, database files 0600.
    """
    settings.resolved_home.mkdir(mode=0o700, parents=True, exist_ok=True)
    private = (
        settings.hidden_root,
        settings.objects_root,
        settings.uploads_root,
        settings.mlflow_artifact_root,
    )
    for folder in private:
        folder.mkdir(mode=0o700, exist_ok=True)
        folder.chmod(0o700)
    for url in (settings.resolved_database_url, settings.resolved_mlflow_uri):
        database = Path(url.removeprefix("sqlite:///"))
        if url.startswith("sqlite:///") and database.parent.is_dir() and database.name[:1] != ":":
            os.close(os.open(database, os.O_CREAT | os.O_WRONLY, 0o600))  # before SQLite does
            database.chmod(0o600)
    upgrade(settings.resolved_database_url)


def load(settings: Settings, id_or_path: str) -> LoadedSpec:
    return load_spec(find_dataset(id_or_path, search_dirs(settings)))


def _run_gate(
    settings: Settings, loaded: LoadedSpec, step: Step | None, fingerprint: str | None = None
) -> tuple[Candidate, ValidationOutcome]:
    candidate = build_candidate(loaded, step=step, fingerprint=fingerprint)
    report = gate(candidate, step=step)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    relative = Path(loaded.spec.id) / f"{stamp}-{candidate.fingerprint[:12]}"
    folder = settings.reports_root / relative
    folder.mkdir(parents=True, exist_ok=True)
    json_path, html_path = folder / "report.json", folder / "report.html"
    write_report(report.to_dict(), json_path, html_path)
    with session_scope(settings.resolved_database_url) as session:
        run = QualityRun(
            dataset_id=loaded.spec.id,
            fingerprint=candidate.fingerprint,
            success=report.success,
            summary={c.name: c.success for c in report.checks},
            report_dir=str(relative),
        )
        session.add(run)
        session.flush()
        run_id = run.id
    return candidate, ValidationOutcome(report, json_path, html_path, run_id)


def validate(settings: Settings, id_or_path: str, *, step: Step | None = None) -> ValidationOutcome:
    """Run the quality gate and keep its report; never publishes."""
    prepare_storage(settings)
    _, outcome = _run_gate(settings, load(settings, id_or_path), step)
    return outcome


def _existing(session: Session, dataset_id: str, fingerprint: str) -> DatasetVersion | None:
    return session.scalar(
        select(DatasetVersion).where(
            DatasetVersion.dataset_id == dataset_id, DatasetVersion.fingerprint == fingerprint
        )
    )


def publish(
    settings: Settings, id_or_path: str, *, step: Step | None = None, actor: str = "cli"
) -> PublishOutcome:
    """Gate, split and write an immutable version; unchanged inputs write nothing."""
    prepare_storage(settings)
    loaded = load(settings, id_or_path)
    dataset_id = loaded.spec.id
    fingerprint = fingerprint_inputs(loaded)
    url = settings.resolved_database_url
    with session_scope(url) as session:
        existing = _existing(session, dataset_id, fingerprint)
        if existing is not None:
            return _outcome(settings, existing, created=False)

    candidate, validation = _run_gate(settings, loaded, step, fingerprint)
    if not validation.report.success:
        failed = "; ".join(f"{c.name}: {c.summary}" for c in validation.report.failed)
        raise QualityGateFailed(
            f"{dataset_id} was not published. {failed}. Report: {validation.report_html}",
            extra={"report": str(validation.report_json), "quality_run_id": validation.run_id},
        )
    relative = Path(dataset_id) / fingerprint[:16]
    public_final = settings.public_root / relative
    hidden_final = settings.hidden_root / relative
    manifest = stage_and_commit(
        lambda public, hidden: write_release(
            candidate, validation.report, public, hidden, step=step
        ),
        public_final=public_final,
        hidden_final=hidden_final,
    )
    labels_sha256 = sha256_file(hidden_final / LABELS)
    for _ in range(NUMBERING_ATTEMPTS):
        try:
            with session_scope(url) as session:
                existing = _existing(session, dataset_id, fingerprint)  # another publisher won
                if existing is not None:
                    return _outcome(settings, existing, created=False)
                number = (
                    session.scalar(
                        select(func.max(DatasetVersion.version)).where(
                            DatasetVersion.dataset_id == dataset_id
                        )
                    )
                    or 0
                ) + 1
                row = DatasetVersion(
                    dataset_id=dataset_id,
                    version=number,
                    fingerprint=fingerprint,
                    title_ko=loaded.spec.title.ko,
                    title_en=loaded.spec.title.en,
                    task=loaded.spec.task.value,
                    public_dir=str(relative),
                    hidden_dir=str(relative),
                    hidden_labels_sha256=labels_sha256,
                    manifest=manifest,
                )
                session.add(row)
                session.flush()
                audit.record(
                    session,
                    actor=actor,
                    action="dataset.publish",
                    target=dataset_id,
                    details={"version": number, "fingerprint": fingerprint},
                )
                return _outcome(settings, row, created=True, run_id=validation.run_id)
        except IntegrityError:
            continue  # a concurrent publisher took this fingerprint or number: look again
    raise ConflictError(f"{dataset_id}: too many concurrent publishes; publish again")


def _outcome(
    settings: Settings, row: DatasetVersion, *, created: bool, run_id: int | None = None
) -> PublishOutcome:
    return PublishOutcome(
        dataset_id=row.dataset_id,
        version=row.version,
        fingerprint=row.fingerprint,
        created=created,
        public_dir=settings.public_root / row.public_dir,
        manifest=row.manifest,
        quality_run_id=run_id,
    )


# --- reading the catalogue -------------------------------------------------------------


class UnknownVersionError(NotFoundError):
    code = "unknown_dataset_version"
    title = "Unknown dataset version"


def list_versions(session: Session, dataset_id: str | None = None) -> list[DatasetVersion]:
    query = select(DatasetVersion).order_by(DatasetVersion.dataset_id, DatasetVersion.version)
    if dataset_id is not None:
        query = query.where(DatasetVersion.dataset_id == dataset_id)
    return list(session.scalars(query))


def latest_versions(session: Session) -> list[DatasetVersion]:
    """The newest version of each published dataset."""
    newest: dict[str, DatasetVersion] = {}
    for row in list_versions(session):
        newest[row.dataset_id] = row
    return list(newest.values())


def summary(row: DatasetVersion) -> dict[str, Any]:
    """A published version as listings show it (the API's and the local CLI's)."""
    manifest = row.release_manifest
    return {
        "id": row.dataset_id,
        "version": row.version,
        "title_ko": row.title_ko,
        "title_en": row.title_en,
        "task": row.task,
        "published_at": row.created_at,
        "train_rows": manifest.rows(TRAIN),
        "test_rows": manifest.split.test_rows,
        "quality_passed": manifest.quality.success,
    }


def get_version(session: Session, dataset_id: str, version: int | None = None) -> DatasetVersion:
    """A published version (the latest when ``version`` is None), or a 404-style error."""
    query = select(DatasetVersion).where(DatasetVersion.dataset_id == dataset_id)
    if version is None:
        row = session.scalar(query.order_by(DatasetVersion.version.desc()).limit(1))
        if row is None:
            raise UnknownDatasetError(f"dataset '{dataset_id}' has no published version")
        return row
    row = session.scalar(query.where(DatasetVersion.version == version))
    if row is None:
        raise UnknownVersionError(f"dataset '{dataset_id}' has no version {version}")
    return row


def public_file(settings: Settings, row: DatasetVersion, name: str) -> Path:
    """Path of one public file of a version; only the files its manifest lists exist (the
    hidden labels never are)."""
    files = [MANIFEST, *row.release_manifest.files]
    if name not in files:
        raise NotFoundError(
            f"no file '{name}' in {row.dataset_id} version {row.version}; files: {', '.join(files)}"
        )
    return settings.public_root / row.public_dir / name


def read_public_json(settings: Settings, row: DatasetVersion, name: str) -> dict[str, Any]:
    return json.loads(public_file(settings, row, name).read_text(encoding="utf-8"))


def unpublished(settings: Settings, session: Session) -> list[str]:
    """Catalogue datasets without any published version (for the organizer's overview)."""
    published = {row.dataset_id for row in list_versions(session)}
    return sorted(set(catalogue(search_dirs(settings))) - published)


def catalogue_ids(settings: Settings) -> list[str]:
    """Every dataset an organizer can publish: shipped ones and those under ``home/catalog``."""
    return sorted(catalogue(search_dirs(settings)))


def require_catalogue_id(settings: Settings, dataset_id: str) -> str:
    """A catalogue id, never a path: what reaches the server names a dataset it knows."""
    known = catalogue_ids(settings)
    if dataset_id not in known:
        raise UnknownDatasetError(
            f"unknown dataset '{dataset_id}'; the catalogue has: {', '.join(known)}. "
            "Upload a dataset folder to publish a new one"
        )
    return dataset_id


def latest_quality_runs(session: Session) -> dict[str, QualityRun]:
    """The most recent quality-gate run of each dataset, passed or not."""
    latest: dict[str, QualityRun] = {}
    for run in session.scalars(select(QualityRun).order_by(QualityRun.id)):
        latest[run.dataset_id] = run
    return latest


def quality_run_report(settings: Settings, session: Session, run_id: int) -> Path:
    """The HTML report a quality-gate run left (organizers only: it is not redacted)."""
    run = session.get(QualityRun, run_id)
    path = settings.reports_root / run.report_dir / "report.html" if run else None
    if path is None or not path.is_file():
        raise NotFoundError(f"no report of quality run {run_id}")
    return path
