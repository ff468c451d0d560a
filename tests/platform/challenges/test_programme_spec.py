"""The programme in a challenge definition: stages, the application form and rubric, the final
rubric and finalists-only data; every mistake gets a file:key message."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from odx.platform.challenges.catalog import SHIPPED_CHALLENGES
from odx.platform.challenges.spec import ChallengeSpecError, parse_challenge

BASE = SHIPPED_CHALLENGES / "sme-growth-risk-model-2026.yaml"
TEXT = {"ko": "항목", "en": "Item"}


def _stage(start: str, end: str) -> dict[str, str]:
    return {"start": f"{start}T09:00:00+09:00", "end": f"{end}T18:00:00+09:00"}


def programme() -> dict[str, Any]:
    """The 2025 edition's shape: screening, seven weeks of finals, three of user evaluation,
    then judging; the full data for finalists only, a sample for everyone."""
    data = yaml.safe_load(BASE.read_text(encoding="utf-8"))
    data["dataset"] |= {"access": "finalists"}
    data["sample"] = {"id": "sme-growth-risk", "version": 1}
    data["phases"][0] |= _stage("2026-11-10", "2026-12-20")
    data["stages"] = {
        "application": _stage("2026-10-01", "2026-10-31"),
        "finals": _stage("2026-11-03", "2026-12-22"),
        "user_evaluation": _stage("2026-12-28", "2027-01-15"),
        "judging": _stage("2027-01-20", "2027-01-29"),
    }
    data["application"] = {
        "form": [
            {"id": "algorithm", "label": TEXT, "kind": "long_text", "max_length": 2000},
            {
                "id": "track",
                "label": TEXT,
                "kind": "choice",
                "choices": [{"ko": "성장", "en": "Growth"}, {"ko": "위기", "en": "Risk"}],
            },
        ],
        "rubric": [{"id": "feasibility", "title": TEXT, "weight": 1}],
        "finalists": 5,
    }
    data["rubric"] = [
        {"id": "accuracy", "title": TEXT, "weight": 30, "source": "leaderboard"},
        {"id": "completeness", "title": TEXT, "weight": 25, "scale": "0-100"},
        {"id": "usefulness", "title": TEXT, "weight": 25, "source": "users"},
        {"id": "direction", "title": TEXT, "weight": 20},
    ]
    return data


def _parse(data: dict[str, Any]) -> Any:
    return parse_challenge(yaml.safe_dump(data, allow_unicode=True), source="c.yaml")


def test_a_whole_programme_loads_and_knows_its_stage() -> None:
    spec = _parse(programme())
    stages = spec.stages
    seoul = ZoneInfo("Asia/Seoul")
    assert stages.current(datetime(2026, 10, 15, tzinfo=seoul)) == "application"
    assert stages.current(datetime(2026, 12, 1, tzinfo=seoul)) == "finals"
    assert stages.current(datetime(2026, 12, 25, tzinfo=seoul)) is None  # between stages
    assert stages.current(datetime(2027, 1, 25, tzinfo=seoul)) == "judging"
    assert [c.source for c in spec.rubric] == ["leaderboard", "judges", "users", "judges"]
    assert spec.rubric[1].bounds == (0, 100) and spec.rubric[3].bounds == (1, 5)


def test_every_part_is_optional() -> None:
    data = programme()
    for key in ("stages", "application", "rubric", "sample"):
        del data[key]
    data["dataset"]["access"] = "public"
    spec = _parse(data)
    assert spec.stages is None and spec.rubric == [] and spec.dataset.access == "public"


def _change(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(programme())
    *parents, last = path.split(".")
    target: Any = data
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    if value is None:
        del target[int(last) if last.isdigit() else last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            "stages.judging",
            _stage("2027-01-10", "2027-01-29"),
            "stages: 'judging' starts before 'user_evaluation' ends",
        ),
        (
            "stages.finals.start",
            "2026-11-03T09:00:00",
            "stages.finals.start: 2026-11-03T09:00:00 has no time-zone offset",
        ),
        ("stages.finals.end", "2026-11-01T09:00:00+09:00", "stages.finals: the stage ends before"),
        ("stages.application", None, "'application' section and stages.application go together"),
        ("stages.user_evaluation", None, "a 'users' criterion needs stages.user_evaluation"),
        ("sample", None, "dataset.access 'finalists' needs a public 'sample' release"),
        ("stages.finals", None, "dataset.access 'finalists' needs stages.finals"),
        ("phases.0.end", "2027-01-05T18:00:00+09:00", "phase 'main' must lie within stages.finals"),
        ("rubric", [], "stages.judging needs a 'rubric' to judge by"),
        ("rubric.2.id", "accuracy", "rubric: criterion ids must be unique; repeated: accuracy"),
        ("rubric.2.source", "leaderboard", "at most one criterion comes from the leaderboard"),
        ("rubric.0.scale", "1-5", "criterion 'accuracy': only judges' criteria take a scale"),
        ("rubric.1.scale", "1-10", "rubric[1].scale: Input should be '1-5' or '0-100'"),
        ("rubric.1.weight", 0, "rubric[1].weight: Input should be greater than 0"),
        ("rubric.1.source", "audience", "rubric[1].source: Input should be 'judges'"),
        ("dataset.access", "secret", "dataset.access: Input should be 'public' or 'finalists'"),
        ("application.rubric", [], "application.rubric: List should have at least 1 item"),
        ("application.form.1.choices", [TEXT], "field 'track': a choice needs at least two"),
        ("application.form.0.choices", [TEXT, TEXT], "field 'algorithm': only a choice field"),
        ("application.form.1.id", "algorithm", "application: form: field ids must be unique"),
        ("application.form.0.kind", "file", "application.form[0].kind: Input should be"),
        ("application.rubric.0.source", "users", "application.rubric[0].source: unknown key"),
        ("application.plan_max_mb", 0, "application.plan_max_mb: Input should be greater than"),
    ],
)
def test_programme_mistakes_name_file_and_key(path: str, value: Any, message: str) -> None:
    with pytest.raises(ChallengeSpecError) as error:
        _parse(_change(path, value))
    assert error.value.detail.startswith("c.yaml: ")
    assert message in error.value.detail.replace("Value error, ", ""), error.value.detail


def test_finalists_only_data_needs_an_application_to_pick_the_finalists() -> None:
    data = programme()
    del data["application"], data["stages"]["application"]
    with pytest.raises(ChallengeSpecError, match="needs an 'application' to pick them"):
        _parse(data)


def test_a_programme_survives_being_stored_and_read_back() -> None:
    """The platform stores a definition as its JSON dump and reads it back at every use."""
    from odx.platform.challenges.spec import ChallengeSpec

    spec = _parse(programme())
    assert ChallengeSpec.model_validate_json(spec.model_dump_json()) == spec
