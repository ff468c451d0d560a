"""The programme around a challenge, as the ministry runs it: stages, the application form and
its rubric, and the final judging rubric (``stages``, ``application`` and ``rubric`` in
``challenge.yaml``).

Document screening (``application``) picks the finalists; only they get the full data in the
``finals``; SME users try the finalists' models in the ``user_evaluation``; judges score them
in the ``judging``. Every stage is optional. Only what needs no database is checked here.
"""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from odx.datasets.spec import Text

STAGE_ORDER = ("application", "finals", "user_evaluation", "judging")
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
JUDGE_SCALES = {"1-5": (1, 5), "0-100": (0, 100)}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def aware(value: datetime) -> datetime:
    """Programme dates, like phases, must say their time zone."""
    if value.tzinfo is None:
        raise ValueError(
            f"{value.isoformat()} has no time-zone offset; write e.g. {value.isoformat()}+09:00"
        )
    return value


class Stage(_Strict):
    start: datetime
    end: datetime

    _aware = field_validator("start", "end")(aware)

    @model_validator(mode="after")
    def _ordered(self) -> Stage:
        if self.end <= self.start:
            raise ValueError("the stage ends before it starts")
        return self

    def holds(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


class Stages(_Strict):
    """The programme's stages, in this order and without overlap; each optional."""

    application: Stage | None = None
    finals: Stage | None = None
    user_evaluation: Stage | None = None
    judging: Stage | None = None

    @model_validator(mode="after")
    def _in_order(self) -> Stages:
        given = [(name, getattr(self, name)) for name in STAGE_ORDER]
        present = [(name, stage) for name, stage in given if stage is not None]
        for (first, before), (second, after) in pairwise(present):
            if after.start < before.end:
                raise ValueError(f"'{second}' starts before '{first}' ends")
        return self

    def current(self, moment: datetime) -> str | None:
        """The stage open at ``moment`` (start inclusive, end exclusive), if any."""
        return next(
            (name for name in STAGE_ORDER if (s := getattr(self, name)) and s.holds(moment)),
            None,
        )


class FormField(_Strict):
    """One question of the application form."""

    id: str = Field(pattern=KEY_PATTERN)
    label: Text
    kind: Literal["text", "long_text", "choice"] = "text"
    required: bool = True
    max_length: int = Field(default=500, ge=1, le=10_000)
    choices: list[Text] = Field(default_factory=list)

    @model_validator(mode="after")
    def _choices_for_choice(self) -> FormField:
        if self.kind == "choice" and len(self.choices) < 2:
            raise ValueError(f"field '{self.id}': a choice needs at least two choices")
        if self.kind != "choice" and self.choices:
            raise ValueError(f"field '{self.id}': only a choice field takes choices")
        return self


class JudgedCriterion(_Strict):
    """A criterion judges score, each on the criterion's scale."""

    id: str = Field(pattern=KEY_PATTERN)
    title: Text
    weight: float = Field(gt=0, le=100)
    scale: Literal["1-5", "0-100"] | None = None  # judges score 1-5 unless it says 0-100

    @property
    def bounds(self) -> tuple[int, int]:
        """The lowest and highest score a judge may give."""
        return JUDGE_SCALES[self.scale or "1-5"]


class Criterion(JudgedCriterion):
    """A criterion of the final rubric and where its score comes from: the judges, the
    private leaderboard (normalised across the finalists) or the user evaluation's mean."""

    source: Literal["judges", "leaderboard", "users"] = "judges"

    @model_validator(mode="after")
    def _scale_for_judges(self) -> Criterion:
        if self.source != "judges" and self.scale is not None:
            raise ValueError(f"criterion '{self.id}': only judges' criteria take a scale")
        return self


def _unique(criteria: list[JudgedCriterion], what: str) -> None:
    ids = [c.id for c in criteria]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ValueError(f"{what}: criterion ids must be unique; repeated: {', '.join(repeated)}")


class Application(_Strict):
    """Document screening: a plan (one PDF), a short form, and the judges' rubric for both."""

    form: list[FormField] = Field(default_factory=list, max_length=30)
    plan_max_mb: int = Field(default=10, ge=1, le=100)
    rubric: list[JudgedCriterion] = Field(min_length=1, max_length=20)
    finalists: int = Field(default=5, ge=1, le=100, description="Finalists to select.")

    @model_validator(mode="after")
    def _unique_keys(self) -> Application:
        _unique(list(self.rubric), "rubric")
        ids = [f.id for f in self.form]
        if len(set(ids)) != len(ids):
            raise ValueError("form: field ids must be unique")
        return self


def check_programme(
    stages: Stages | None,
    application: Application | None,
    rubric: list[Criterion],
    phases: list[tuple[str, datetime, datetime]],
    finalists_only: bool,
) -> None:
    """The rules that tie the programme's parts to each other and to the phases."""
    stages = stages or Stages()
    if (application is None) != (stages.application is None):
        raise ValueError("an 'application' section and stages.application go together")
    _unique(list(rubric), "rubric")
    sources = [c.source for c in rubric]
    if stages.judging is not None and not rubric:
        raise ValueError("stages.judging needs a 'rubric' to judge by")
    if "users" in sources and stages.user_evaluation is None:
        raise ValueError("rubric: a 'users' criterion needs stages.user_evaluation")
    if sources.count("leaderboard") > 1:
        raise ValueError("rubric: at most one criterion comes from the leaderboard")
    if finalists_only and stages.finals is None:
        raise ValueError("dataset.access 'finalists' needs stages.finals")
    if finalists_only and application is None:
        raise ValueError("dataset.access 'finalists' needs an 'application' to pick them")
    if finalists_only and stages.finals is not None:  # only finalists can submit on the data
        for name, start, end in phases:
            if start < stages.finals.start or end > stages.finals.end:
                raise ValueError(f"phases: phase '{name}' must lie within stages.finals")
