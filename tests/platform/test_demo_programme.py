"""The shipped programme and how the demo stages it: whatever today is, the demo's copy is in
its finals with every rule of the definition still holding; demo-team's plan is a real PDF
and its answers fit the form."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from odx.datasets.catalog import SHIPPED_DIR, catalogue
from odx.platform.challenges.catalog import SHIPPED_CHALLENGES
from odx.platform.challenges.programme import STAGE_ORDER
from odx.platform.challenges.spec import load_challenge
from odx.platform.demo_programme import DemoPlan, demo_answers, in_finals_now, plan_pdf
from odx.platform.services import applications
from odx.platform.settings import Settings

PROGRAMME = SHIPPED_CHALLENGES / "sme-growth-risk-finals-2026.yaml"


def test_the_shipped_programme_mirrors_the_ministrys() -> None:
    spec, _ = load_challenge(PROGRAMME)
    assert spec.dataset.access == "finalists" and spec.takes_models
    assert spec.sample is not None and spec.sample.id in catalogue([SHIPPED_DIR])
    assert spec.stages is not None and all(getattr(spec.stages, s) for s in STAGE_ORDER)
    application = spec.application
    assert application is not None and application.finalists == 5
    kinds = {f.label.ko: f.kind for f in application.form}
    assert kinds == {"서비스 이름": "text", "알고리즘 방향": "long_text", "참여 형태": "choice"}
    assert [c.title.ko for c in application.rubric] == ["실현 가능성", "데이터 활용"]
    sources = {c.title.ko: c.source for c in spec.rubric}
    assert sources == {
        "정확도": "leaderboard",
        "완성도": "judges",
        "유용성": "judges",
        "발전 방향": "judges",
        "사용자 평가": "users",
    }
    assert spec.data_terms is not None and "결선" in spec.data_terms.ko


@pytest.mark.parametrize(
    "today",
    [
        datetime(2025, 1, 1, tzinfo=UTC),  # before the shipped dates
        datetime(2026, 10, 27, tzinfo=UTC),  # finals begun, phase not yet open
        datetime(2026, 12, 7, 15, 30, tzinfo=UTC),  # inside the shipped finals
        datetime(2027, 3, 10, tzinfo=UTC),  # the user evaluation of the shipped dates
        datetime(2031, 6, 30, 23, 59, tzinfo=UTC),  # long after
    ],
)
def test_the_demo_puts_the_programme_in_its_finals_whatever_today_is(
    tmp_path: Path, today: datetime
) -> None:
    said: list[str] = []
    source = in_finals_now(PROGRAMME, Settings(home=tmp_path), said.append, now=today)
    shipped, _ = load_challenge(PROGRAMME)
    spec, _ = load_challenge(source)  # every rule of the definition checked again
    assert spec.stages is not None and shipped.stages is not None
    assert spec.stages.current(today) == "finals" and spec.phase_at(today) is not None
    assert spec.stages.application is not None and spec.stages.application.end < today
    assert spec.stages.user_evaluation is not None and today < spec.stages.user_evaluation.start
    shifts = {
        getattr(spec.stages, name).start - getattr(shipped.stages, name).start
        for name in STAGE_ORDER
    }
    shifts |= {spec.phases[0].start - shipped.phases[0].start}
    (shift,) = shifts  # everything moved together, by whole days
    assert shift % timedelta(days=1) == timedelta(0)
    assert {p.start.utcoffset() for p in spec.phases} == {timedelta(hours=9)}  # as written
    assert (source == PROGRAMME) == (shift == timedelta(0)) == (not said)


def test_demo_teams_plan_is_a_pdf_the_intake_takes() -> None:
    pdf = b"".join(DemoPlan().chunks())
    assert pdf.startswith(applications.PDF_HEADER) and pdf.rstrip().endswith(b"%%EOF")
    for number, offset in enumerate(re.findall(rb"(\d{10}) 00000 n", pdf), start=1):
        assert pdf[int(offset) :].startswith(b"%d 0 obj" % number)
    start = int(re.findall(rb"startxref\n(\d+)", pdf)[0])
    assert pdf[start:].startswith(b"xref")
    assert b"(a \\(b\\)) Tj" in plan_pdf("a (b)")
    assert list(applications._checked_pdf(DemoPlan().chunks())) == [pdf]


def test_demo_teams_answers_fit_the_form() -> None:
    spec, _ = load_challenge(PROGRAMME)
    assert spec.application is not None
    answers = demo_answers(spec.application)
    assert applications.answers_of(spec.application, answers) == answers
    assert answers["participation"] == "개인"
