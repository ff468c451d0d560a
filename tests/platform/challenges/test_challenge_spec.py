"""Challenge definitions: shipped ones load; mistakes get file:key messages."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from odx.platform.challenges.catalog import SHIPPED_CHALLENGES
from odx.platform.challenges.spec import ChallengeSpecError, load_challenge, parse_challenge

BASE = SHIPPED_CHALLENGES / "sme-growth-risk-2026.yaml"


def _with(**changes: object) -> str:
    data = yaml.safe_load(BASE.read_text(encoding="utf-8")) | changes
    return yaml.safe_dump(data, allow_unicode=True)


def test_shipped_challenges_load_and_name_shipped_datasets() -> None:
    from odx.datasets.catalog import SHIPPED_DIR, catalogue

    datasets = catalogue([SHIPPED_DIR])
    files = sorted(SHIPPED_CHALLENGES.glob("*.yaml"))
    assert len(files) == 7
    for path in files:
        spec, raw = load_challenge(path)
        assert spec.id == path.stem and raw
        assert spec.dataset.id in datasets
        assert (spec.k == 10) == (spec.task == "ranking")  # both recommendation challenges


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"metric": "rmsle"}, "c.yaml: metric: 'rmsle' does not suit a binary task"),
        ({"metric": "auc"}, "metric: unknown metric 'auc'; one of:"),
        ({"direction": "minimize"}, "c.yaml: direction: 'minimize' contradicts metric 'roc_auc'"),
        ({"k": 10}, "c.yaml: k: only a ranking task takes k, not a binary task"),
        ({"task": "ranking", "metric": "map_at_k", "k": 0}, "c.yaml: k:"),
        ({"timezone": "Asia/Busan"}, "timezone: unknown time zone 'Asia/Busan'"),
        ({"limitz": {}}, "limitz: unknown key"),
        ({"limits": {"team_size": 0}}, "limits.team_size: Input should be greater than or equal"),
        (
            {
                "phases": [
                    {
                        "name": "main",
                        "title": {"ko": "본선", "en": "Main"},
                        "start": "2026-11-01T09:00:00",
                        "end": "2027-01-01T09:00:00+09:00",
                    }
                ]
            },
            "phases[0].start: Value error, 2026-11-01T09:00:00 has no time-zone offset",
        ),
        (
            {
                "phases": [
                    {
                        "name": "main",
                        "title": {"ko": "본선", "en": "Main"},
                        "start": "2027-01-01T09:00:00+09:00",
                        "end": "2026-11-01T09:00:00+09:00",
                    }
                ]
            },
            "phases[0]: phase 'main' ends before it starts",
        ),
    ],
)
def test_bad_definition_names_file_and_key(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ChallengeSpecError) as error:
        parse_challenge(_with(**changes), source="c.yaml")
    assert message.replace("Value error, ", "") in error.value.detail
    assert error.value.detail.startswith("c.yaml: ")


def test_overlapping_phases_are_refused() -> None:
    title = {"ko": "단계", "en": "Phase"}
    phases = [
        {
            "name": "a",
            "title": title,
            "start": "2026-11-01T00:00:00+09:00",
            "end": "2026-12-01T00:00:00+09:00",
        },
        {
            "name": "b",
            "title": title,
            "start": "2026-11-20T00:00:00+09:00",
            "end": "2027-01-01T00:00:00+09:00",
        },
    ]
    with pytest.raises(ChallengeSpecError, match=r"c\.yaml: phases: phase 'b' starts before"):
        parse_challenge(_with(phases=phases), source="c.yaml")


def test_day_bounds_follow_the_challenge_time_zone() -> None:
    spec, _ = load_challenge(BASE)
    # 23:30 UTC on 1 Dec is already 2 Dec in Seoul: the quota day starts at 15:00 UTC.
    start, end = spec.day_bounds(datetime(2026, 12, 1, 23, 30, tzinfo=ZoneInfo("UTC")))
    assert start == datetime(2026, 12, 2, tzinfo=ZoneInfo("Asia/Seoul"))
    assert (end - start).total_seconds() == 86400
    assert spec.phase_at(datetime(2026, 12, 1, tzinfo=ZoneInfo("UTC"))).name == "main"
    assert spec.phase_at(datetime(2027, 3, 1, tzinfo=ZoneInfo("UTC"))) is None


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ChallengeSpecError, match="no such challenge file"):
        load_challenge(tmp_path / "nope.yaml")
