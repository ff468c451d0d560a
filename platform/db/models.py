"""Database tables. The schema itself is owned by Alembic migrations in ``migrations/``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from odx.datasets.release import ReleaseManifest
from odx.platform.states import DatasetJobStatus, SubmissionKind, SubmissionStatus


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite drops the offset; this puts it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class DatasetVersion(Base):
    """A published, immutable release of a dataset. Its row is what makes it visible."""

    __tablename__ = "dataset_versions"
    __table_args__ = (
        UniqueConstraint("dataset_id", "version", name="uq_dataset_versions_number"),
        UniqueConstraint("dataset_id", "fingerprint", name="uq_dataset_versions_fingerprint"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(64))
    title_ko: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    task: Mapped[str] = mapped_column(String(32))
    public_dir: Mapped[str] = mapped_column(String(500), doc="Relative to the public root.")
    hidden_dir: Mapped[str] = mapped_column(String(500), doc="Relative to the hidden root.")
    hidden_labels_sha256: Mapped[str] = mapped_column(String(64))
    manifest: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def release_manifest(self) -> ReleaseManifest:
        """The manifest as the typed release contract."""
        return ReleaseManifest.model_validate(self.manifest)


class QualityRun(Base):
    """One run of the quality gate, kept whether it passed or not."""

    __tablename__ = "quality_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[str] = mapped_column(String(64), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    success: Mapped[bool] = mapped_column(Boolean)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    report_dir: Mapped[str] = mapped_column(String(500), doc="Relative to the reports root.")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class User(Base):
    """A person with one role and an API token (only its hash is stored)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    token_prefix: Mapped[str] = mapped_column(String(12), doc="Shown to tell tokens apart.")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Challenge(Base):
    """A registered challenge: its definition as given, and what organizers did to it."""

    __tablename__ = "challenges"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    spec_sha256: Mapped[str] = mapped_column(String(64))
    dataset_version_id: Mapped[int] = mapped_column(ForeignKey("dataset_versions.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Team(Base):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("challenge_id", "name", name="uq_teams_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[str] = mapped_column(ForeignKey("challenges.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    is_baseline: Mapped[bool] = mapped_column(Boolean, default=False)
    invite_sha256: Mapped[str] = mapped_column(String(64), doc="Joining needs the invite code.")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TeamMember(Base):
    """A user belongs to at most one team per challenge."""

    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("challenge_id", "user_id", name="uq_member_once"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[str] = mapped_column(ForeignKey("challenges.id"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Submission(Base):
    """An uploaded file and its scoring job: the row is the job's durable state."""

    __tablename__ = "submissions"
    __table_args__ = (
        Index("ix_submissions_queue", "status", "created_at"),
        Index("ix_submissions_team_day", "challenge_id", "team_id", "created_at"),
        Index("ix_submissions_board", "challenge_id", "scored_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    challenge_id: Mapped[str] = mapped_column(ForeignKey("challenges.id"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    phase: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(String(500), default="")
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_bytes: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default=SubmissionStatus.QUEUED)
    failure: Mapped[str | None] = mapped_column(
        String(32), nullable=True, doc="invalid_file | internal; invalid files spare the quota."
    )
    problems: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(64), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    public_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    public_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    public_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    private_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    private_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    private_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    overall_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    overall_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    overall_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    selected: Mapped[bool] = mapped_column(Boolean, default=False)
    mlflow_run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    tracking_failures: Mapped[int] = mapped_column(
        Integer, default=0, doc="Failed attempts to write the MLflow run."
    )
    track_after: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), nullable=True, doc="No new attempt before then (backing off)."
    )
    sent_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), nullable=True, doc="Last handed to the broker (production mode)."
    )
    kind: Mapped[str] = mapped_column(
        String(16), default=SubmissionKind.PREDICTIONS, server_default=SubmissionKind.PREDICTIONS
    )
    predictions_sha256: Mapped[str | None] = mapped_column(
        String(64), nullable=True, doc="A model's predictions in the object store."
    )
    model_run: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, nullable=True, doc="The sandbox run: outcome, seconds, memory, capped log."
    )


class Application(Base):
    """A team's application to a programme's document screening: its plan (a PDF in the
    object store, served to staff only) and its answers to the challenge's form."""

    __tablename__ = "applications"
    __table_args__ = (UniqueConstraint("challenge_id", "team_id", name="uq_application_once"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[str] = mapped_column(ForeignKey("challenges.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), doc="Who sent it last.")
    plan_sha256: Mapped[str] = mapped_column(String(64))
    plan_bytes: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApplicationScore(Base):
    """One judge's score of one application on one criterion of the application rubric."""

    __tablename__ = "application_scores"
    __table_args__ = (
        UniqueConstraint("application_id", "judge_id", "criterion", name="uq_score_once"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    criterion: Mapped[str] = mapped_column(String(32))
    score: Mapped[float] = mapped_column(Float)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Finalist(Base):
    """A team an organizer selected from the applications (the selection is audited)."""

    __tablename__ = "finalists"
    __table_args__ = (UniqueConstraint("challenge_id", "team_id", name="uq_finalist_once"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[str] = mapped_column(ForeignKey("challenges.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    selected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TermsAcceptance(Base):
    """A user's acceptance of a challenge's data-use terms (the text's checksum: new terms
    need a new acceptance)."""

    __tablename__ = "terms_acceptances"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[str] = mapped_column(ForeignKey("challenges.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    terms_sha256: Mapped[str] = mapped_column(String(64))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DataDownload(Base):
    """One download of a finalists-only file: who, which file, its checksum, when."""

    __tablename__ = "data_downloads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[str] = mapped_column(ForeignKey("challenges.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    dataset_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    file: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class JudgeScore(Base):
    """One judge's score of one finalist team on one criterion of the final rubric."""

    __tablename__ = "judge_scores"
    __table_args__ = (
        UniqueConstraint("challenge_id", "team_id", "judge_id", "criterion", name="uq_judged_once"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[str] = mapped_column(ForeignKey("challenges.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    judge_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    criterion: Mapped[str] = mapped_column(String(32))
    score: Mapped[float] = mapped_column(Float)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Award(Base):
    """A published result: a team's award (winner or runner-up) in a challenge."""

    __tablename__ = "awards"
    __table_args__ = (UniqueConstraint("challenge_id", "team_id", name="uq_award_once"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[str] = mapped_column(ForeignKey("challenges.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    award: Mapped[str] = mapped_column(String(16))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class UserRating(Base):
    """An evaluator's rating of one finalist's model, and only what it needs: the case the
    evaluator typed is kept as its checksum, never as text."""

    __tablename__ = "user_ratings"
    __table_args__ = (
        UniqueConstraint("challenge_id", "evaluator_id", "team_id", name="uq_rated_once"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[str] = mapped_column(ForeignKey("challenges.id"), index=True)
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(String(1000), default="")
    case_sha256: Mapped[str] = mapped_column(String(64))
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuditEvent(Base):
    """Append-only record of every organizer, judge and admin action."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class WebSession(Base):
    """A browser's sign-in: the cookie holds a random id, the table only its hash, so a
    leaked database cannot be replayed and signing out really ends the session."""

    __tablename__ = "web_sessions"

    id_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64), doc="Echoed by every form of the session.")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DatasetJob(Base):
    """An organizer's request to check or publish a dataset, run in the background.

    The dataset is a catalogue id or an uploaded folder (``upload_dir``, relative to the
    uploads root). The row is the job's durable state, as for submissions; the quality run it
    left is kept whatever the outcome, so the report can always be read.
    """

    __tablename__ = "dataset_jobs"
    __table_args__ = (Index("ix_dataset_jobs_queue", "status", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    action: Mapped[str] = mapped_column(String(16), doc="validate | publish")
    actor: Mapped[str] = mapped_column(String(64))
    catalogue_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    upload_dir: Mapped[str | None] = mapped_column(String(500), nullable=True)
    upload_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=DatasetJobStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(64), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    dataset_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_version: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    quality_run_id: Mapped[int | None] = mapped_column(ForeignKey("quality_runs.id"), nullable=True)
    error: Mapped[str | None] = mapped_column(String(4000), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), nullable=True, doc="Last handed to the broker (production mode)."
    )
