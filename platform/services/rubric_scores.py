"""A judge's scores on a rubric, checked and kept the same way for applications and for the
final judging: every criterion named must be the rubric's and scored within its scale, and a
judge's new score of a criterion replaces their earlier one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from odx.platform.challenges.programme import JudgedCriterion
from odx.platform.db.models import utcnow
from odx.platform.errors import InvalidInputError


def check(given: Mapping[str, float], criteria: Mapping[str, JudgedCriterion], what: str) -> None:
    """Refuse a criterion the rubric lacks (``what`` names the rubric) or a score off its scale."""
    for name, value in given.items():
        if name not in criteria:
            known = ", ".join(criteria)
            raise InvalidInputError(f"{what} has no criterion '{name}'; it has: {known}")
        low, high = criteria[name].bounds
        if not low <= value <= high:
            raise InvalidInputError(f"'{name}' is scored from {low} to {high}, not {value}")


def record(
    session: Session, row: Any, keys: Mapping[str, int | str], given: Mapping[str, float]
) -> None:
    """Keep each score as a ``row`` (the score table) identified by ``keys`` and its criterion,
    replacing the judge's earlier score of that criterion."""
    for name, value in given.items():
        existing = session.scalar(select(row).filter_by(**keys, criterion=name))
        if existing is None:
            session.add(row(**keys, criterion=name, score=value))
        else:
            existing.score, existing.scored_at = value, utcnow()
