"""Request and response shapes of the API, in one place; rows of the database are never
returned as is (a participant's shape has no field a participant may not see)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from odx.platform.services.users import Role

# --- the dataset catalogue ------------------------------------------------------------------


class FilePublic(BaseModel):
    name: str
    rows: int | None = None
    bytes: int
    sha256: str
    url: str


class DatasetSummary(BaseModel):
    id: str
    version: int
    title_ko: str
    title_en: str
    task: str
    published_at: datetime
    train_rows: int
    test_rows: int
    quality_passed: bool
    url: str


class DatasetsPublic(BaseModel):
    data: list[DatasetSummary]
    count: int


class DatasetVersionPublic(DatasetSummary):
    fingerprint: str
    versions: list[int]
    files: list[FilePublic]
    manifest: dict[str, Any]
    card_markdown: str
    quality: dict[str, Any]


# --- challenges -----------------------------------------------------------------------------


class ChallengePublic(BaseModel):
    id: str
    title_ko: str
    title_en: str
    description_ko: str
    description_en: str
    dataset_id: str
    dataset_version: int
    task: str
    submission: str = Field(description="predictions (files) or model (MLflow models).")
    metric: str
    direction: str
    timezone: str
    phases: list[dict[str, Any]]
    limits: dict[str, Any]
    is_open: bool
    closed_at: datetime | None
    private_revealed: bool


# --- teams ----------------------------------------------------------------------------------


class TeamCreate(BaseModel):
    name: str


class TeamJoin(BaseModel):
    name: str
    invite_code: str


class TeamPublic(BaseModel):
    name: str
    members: list[str]
    invite_code: str | None = None


# --- submissions ----------------------------------------------------------------------------


class RegisteredModelOut(BaseModel):
    """A model registered as a version of ``odx-<challenge>`` (rank 1 is the champion)."""

    rank: int
    team: str
    submission_id: str
    version: str
    private_score: float | None


class RescoreOut(BaseModel):
    """A scored submission run or scored again and compared with what was recorded."""

    submission_id: str
    kind: str
    verified: bool
    scores_match: bool
    predictions_match: bool | None = Field(description="Models only: the same bytes again.")
    stored: dict[str, float | None]
    recomputed: dict[str, float | None]
    message: str


class ModelRunPublic(BaseModel):
    """How a model submission's sandbox run ended. Its log is for staff only: a model could
    print the hidden test features it was given."""

    outcome: str
    message: str
    seconds: float | None = None
    peak_memory_mb: float | None = None
    exit_code: int | None = None


class SubmissionPublic(BaseModel):
    """What a team sees of its own submission: no private score until the reveal."""

    id: str
    challenge_id: str
    team: str
    user: str
    status: str
    message: str
    file_name: str
    file_sha256: str
    created_at: datetime
    scored_at: datetime | None
    public_score: float | None
    public_low: float | None
    public_high: float | None
    selected: bool
    problems: list[dict[str, Any]] | None
    kind: str = Field(description="predictions (a file) or model (an MLflow model).")
    model_run: ModelRunPublic | None = None


class SubmissionStaff(SubmissionPublic):
    private_score: float | None
    private_low: float | None
    private_high: float | None
    overall_score: float | None
    mlflow_run_id: str | None
    model_log: str | None = Field(
        default=None, description="What the model printed in the sandbox (capped)."
    )


class Selection(BaseModel):
    selected: bool


# --- users ----------------------------------------------------------------------------------


class UserCreate(BaseModel):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    role: Role = Role.participant


class UsersCreate(BaseModel):
    names: list[str] = Field(max_length=500)
    role: Role = Role.participant


class RoleChange(BaseModel):
    role: Role


class UserPublic(BaseModel):
    name: str
    role: str


class MlflowAccount(BaseModel):
    tracking_uri: str = Field(description="The MLflow server judges sign in to.")
    username: str
    password: str = Field(description="Shown once; asking again sets a new one.")


class UserCreated(UserPublic):
    token: str = Field(description="The API token, shown once; only its hash is kept.")


# --- programme: applications and finalists --------------------------------------------------


class ApplicationOwn(BaseModel):
    """What a team sees of its own application."""

    submitted_at: datetime
    plan_bytes: int
    answers: dict[str, str]
    status: Literal["submitted", "finalist", "not_selected"]


class ApplicationStaff(BaseModel):
    id: int
    team: str
    submitted_at: datetime
    plan_sha256: str
    plan_bytes: int
    answers: dict[str, str]
    scores: dict[str, dict[str, float]]  # judge -> criterion -> score
    mean: float | None  # the rubric's weighted mean over judges, 0..1
    finalist: bool


class ApplicationScores(BaseModel):
    scores: dict[str, float] = Field(max_length=20)


class FinalistsIn(BaseModel):
    teams: list[str] = Field(max_length=100)


class FinalistsOut(BaseModel):
    teams: list[str]


class DataTerms(BaseModel):
    finalists_only: bool
    finalist: bool  # a member of a finalist team
    accepted: bool
    terms: dict[str, str]  # ko, en


class TermsAccepted(BaseModel):
    user: str
    terms_sha256: str
    at: datetime


class Download(BaseModel):
    user: str
    dataset: str
    version: int
    file: str
    sha256: str
    at: datetime


class DataAccessLog(BaseModel):
    acceptances: list[TermsAccepted]
    downloads: list[Download]


class JudgeScoresIn(BaseModel):
    team: str = Field(max_length=100)
    scores: dict[str, float] = Field(max_length=20)


class JudgingRow(BaseModel):
    team: str
    rank: int
    total: float  # 0..1
    criteria: dict[str, float]  # criterion -> 0..1
    spread: dict[str, float]  # judged criterion -> standard deviation of the judges' 0..1
    judges: dict[str, int]  # judged criterion -> judges who scored it
    missing: list[str]
    scores: dict[str, dict[str, float]]  # judge -> criterion -> score on its scale
    private_score: float | None
    submission_id: str | None
    award: str | None


class TrackedRuns(BaseModel):
    runs: dict[str, str]  # team -> MLflow run id


class Awards(BaseModel):
    winner: list[str] = Field(default_factory=list, max_length=10)
    runner_up: list[str] = Field(default_factory=list, max_length=20)


class EvaluationField(BaseModel):
    name: str
    kind: str  # text, integer or number
    ko: str
    en: str
    choices: list[str]


class CaseIn(BaseModel):
    case: dict[str, str] = Field(max_length=200)


class ShownModel(BaseModel):
    label: str
    ok: bool
    prediction: str
    reading_ko: str
    reading_en: str


class Predictions(BaseModel):
    case: str  # the case's sha256: what a rating refers to (the case itself is not kept)
    models: list[ShownModel]


class RatingIn(BaseModel):
    model: str = Field(max_length=2)
    rating: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=1000)
    case: str = Field(max_length=64)


class EvaluationResult(BaseModel):
    team: str
    evaluators: int
    mean: float
    low: float | None
    high: float | None
    comments: list[str]


# --- the schedule ---------------------------------------------------------------------------


class DatesIn(BaseModel):
    """New dates of a stage or phase, with their time-zone offset; one left out stays."""

    model_config = ConfigDict(extra="forbid")

    start: AwareDatetime | None = None
    end: AwareDatetime | None = None


class StageDatesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    application: DatesIn | None = None
    finals: DatesIn | None = None
    user_evaluation: DatesIn | None = None
    judging: DatesIn | None = None


class ScheduleIn(BaseModel):
    """The dates to move: stages by key, phases by name; only the dates given change."""

    model_config = ConfigDict(extra="forbid")

    stages: StageDatesIn = Field(default_factory=StageDatesIn)
    phases: dict[Annotated[str, Field(max_length=32)], DatesIn] = Field(
        default_factory=dict, max_length=50
    )


class ScheduleRow(BaseModel):
    kind: Literal["stage", "phase"]
    name: str  # the stage's key or the phase's name
    title: dict[str, str] | None  # a phase's title (ko, en)
    start: datetime
    end: datetime
    state: Literal["past", "current", "future"]
    start_editable: bool
    end_editable: bool


class ScheduleOut(BaseModel):
    challenge: str
    timezone: str
    now: datetime
    changeable: bool  # false once an organizer closed the challenge or revealed its board
    current_stage: str | None
    next_stage: str | None  # the stage POST …/schedule/advance starts now
    rows: list[ScheduleRow]
