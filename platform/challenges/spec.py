"""The challenge definition (``challenge.yaml``), in the spirit of Codabench's
``competition.yaml`` and EvalAI's ``challenge_config.yaml``.

Only what can be checked without a database is checked here: keys, types, that the metric
suits the task and its direction, time zones, and that phases are ordered and do not overlap.
Whether the dataset version exists is checked when the challenge is registered.
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from odx.datasets.spec import TaskType, Text
from odx.datasets.specfile import decode_utf8, parse_yaml_model, read_utf8
from odx.platform.challenges.programme import Application, Criterion, Stages, check_programme
from odx.platform.db import MAX_INTEGER
from odx.platform.errors import InvalidInputError
from odx.platform.states import SubmissionKind
from odx.scoring.metrics import METRICS

DEFAULT_TIMEZONE = "Asia/Seoul"


class ChallengeSpecError(InvalidInputError):
    code = "invalid_challenge"
    title = "Invalid challenge definition"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatasetRef(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    version: int = Field(ge=1, le=MAX_INTEGER)
    access: Literal["public", "finalists"] = Field(
        default="public",
        description="finalists: only finalist teams that accepted the data-use terms may "
        "download the release; everyone else sees the 'sample' release.",
    )


class SampleRef(_Strict):
    """The public release shown beside a finalists-only one (a description or a sample)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    version: int = Field(ge=1, le=MAX_INTEGER)


class Phase(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")
    title: Text
    start: datetime
    end: datetime

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError(
                f"{value.isoformat()} has no time-zone offset; write e.g. {value.isoformat()}+09:00"
            )
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Phase:
        if self.end <= self.start:
            raise ValueError(f"phase '{self.name}' ends before it starts")
        return self


class Limits(_Strict):
    daily_submissions: int = Field(default=5, ge=1, le=1000)
    total_submissions: int | None = Field(default=None, ge=1, le=100_000)
    daily_failed_submissions: int = Field(
        default=10,
        ge=0,
        le=1000,
        description="Invalid files a team may send per day (probing cap).",
    )
    team_size: int = Field(default=5, ge=1, le=100)
    final_submissions: int = Field(default=2, ge=1, le=10)


class ModelLimits(_Strict):
    """What one run of a submitted model may use (model challenges)."""

    seconds: int = Field(default=120, ge=5, le=3600, description="Wall-clock time per run.")
    memory_mb: int = Field(default=2048, ge=256, le=65536, description="Address space.")
    processes: int = Field(default=64, ge=4, le=4096, description="Processes and threads.")


class ChallengeSpec(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
    title: Text
    description: Text
    dataset: DatasetRef
    task: TaskType
    metric: str
    direction: Literal["maximize", "minimize"] | None = Field(
        default=None, description="Optional; must agree with the metric's own direction."
    )
    timezone: str = DEFAULT_TIMEZONE
    phases: list[Phase] = Field(min_length=1)
    limits: Limits = Field(default_factory=Limits)
    submission: SubmissionKind = Field(
        default=SubmissionKind.PREDICTIONS,
        description="predictions: teams upload prediction files; model: teams upload MLflow "
        "models, run in a sandbox on the release's hidden test features.",
    )
    model_limits: ModelLimits = Field(default_factory=ModelLimits)
    k: int | None = Field(
        default=None,
        ge=1,
        le=100,
        description="Ranking tasks: the most items a list may hold, as the dataset release "
        "fixes it (checked when the challenge is registered).",
    )
    rules: Text | None = None
    sample: SampleRef | None = None
    data_terms: Text | None = Field(
        default=None,
        description="The data-use terms finalists accept before downloading finalists-only "
        "data (a default text otherwise).",
    )
    stages: Stages | None = None
    application: Application | None = None
    rubric: list[Criterion] = Field(default_factory=list, max_length=20)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}' (e.g. Asia/Seoul)") from None
        return value

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        if value not in METRICS:
            raise ValueError(f"unknown metric '{value}'; one of: {', '.join(sorted(METRICS))}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ChallengeSpec:
        metric = METRICS[self.metric]
        if self.task.value not in metric.tasks:
            raise ValueError(
                f"metric: '{self.metric}' does not suit a {self.task.value} task "
                f"(it suits: {', '.join(metric.tasks)})"
            )
        if self.direction and self.direction != metric.direction:
            raise ValueError(
                f"direction: '{self.direction}' contradicts metric '{self.metric}', "
                f"which is {metric.direction}d"
            )
        if self.k is not None and self.task != TaskType.ranking:
            raise ValueError(f"k: only a ranking task takes k, not a {self.task.value} task")
        finalists_only = self.dataset.access == "finalists"
        if finalists_only and self.sample is None:
            raise ValueError("dataset.access 'finalists' needs a public 'sample' release beside it")
        check_programme(
            self.stages,
            self.application,
            list(self.rubric),
            [(p.name, p.start, p.end) for p in self.phases],
            finalists_only,
        )
        names = [p.name for p in self.phases]
        if len(set(names)) != len(names):
            raise ValueError("phases: phase names must be unique")
        for before, after in zip(self.phases, self.phases[1:], strict=False):
            if after.start < before.end:
                raise ValueError(f"phases: phase '{after.name}' starts before '{before.name}' ends")
        return self

    @property
    def takes_models(self) -> bool:
        return self.submission == SubmissionKind.MODEL

    @property
    def greater_is_better(self) -> bool:
        return METRICS[self.metric].greater_is_better

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def phase_at(self, moment: datetime) -> Phase | None:
        """The phase open at ``moment`` (start inclusive, end exclusive), if any."""
        return next((p for p in self.phases if p.start <= moment < p.end), None)

    def day_bounds(self, moment: datetime) -> tuple[datetime, datetime]:
        """Start and end of the challenge-local day holding ``moment``: quotas reset there."""
        local = moment.astimezone(self.zone)
        start = datetime.combine(local.date(), time.min, tzinfo=self.zone)
        end = datetime.combine(
            date.fromordinal(local.date().toordinal() + 1), time.min, tzinfo=self.zone
        )
        return start, end


def parse_challenge(text: str, *, source: str) -> ChallengeSpec:
    return parse_yaml_model(text, ChallengeSpec, source=source, error=ChallengeSpecError)


def load_challenge(path: Path) -> tuple[ChallengeSpec, bytes]:
    """Read a challenge file; returns the spec and the exact bytes (kept for the audit trail)."""
    if not path.is_file():
        raise ChallengeSpecError(f"{path}: no such challenge file")
    raw, text = read_utf8(path, error=ChallengeSpecError)
    return parse_challenge(text, source=str(path)), raw


def challenge_from_bytes(raw: bytes, *, source: str) -> ChallengeSpec:
    """A definition sent as text (a form, an upload): errors name ``source``, not a path."""
    text = decode_utf8(raw, source=source, error=ChallengeSpecError)
    return parse_challenge(text, source=source)
