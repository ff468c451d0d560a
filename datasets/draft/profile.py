"""What each raw column looks like, and what a draft proposes for it: a type, or leaving it out.

Types are proposed by casting the column exactly as :mod:`odx.datasets.prepare` will, so a
proposed type always reads the whole column. Columns are proposed for 'drop' when they are
empty or constant, look like contact details or people (header or values, see
:mod:`odx.datasets.quality.privacy`), or are long free text; a person confirms each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from odx.datasets.prepare import DataError, cast_column
from odx.datasets.quality.privacy import contact_header_kind, scan_personal_data
from odx.datasets.spec import Column, ColumnType, Text

MAX_CATEGORIES = 50
LONG_TEXT_CHARS = 100
EXAMPLES = 3
_LEADING_ZERO = re.compile(r"^[+-]?0[0-9]")
_ISO_DATE = re.compile(
    r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?$"
)

_HEADER_REASONS = {
    "email": "e-mail addresses (header '{header}'); contact details are not published",
    "phone": "contact phone numbers (header '{header}'); contact details are not published",
    "person": "names a person or office in charge (header '{header}'); contact details are not "
    "published",
    "web": "a web link (header '{header}'), not a feature",
    "address": "an address (header '{header}'): it can locate a person; publish it only after "
    "review",
}
_VALUE_WORDS = {
    "phone": "phone numbers",
    "email": "e-mail addresses",
    "resident_registration_number": "resident registration numbers",
    "business_registration_number": "business registration numbers",
}


@dataclass(frozen=True)
class ColumnProfile:
    """One raw column: counts, a proposed type, and a proposed reason to leave it out."""

    header: str
    rows: int
    empty: int
    distinct: int
    type: ColumnType
    examples: list[str]
    drop_reason: str | None = None

    @property
    def present(self) -> int:
        return self.rows - self.empty

    @property
    def unique(self) -> bool:
        """Every row has a value, and no value repeats: an id could be this column."""
        return self.empty == 0 and self.distinct == self.rows

    def describe(self) -> str:
        """One line for the organizer reviewing the draft."""
        if not self.present:
            return f"empty in all {self.rows:,} rows"
        empty = "none empty" if not self.empty else f"{self.empty:,} empty"
        examples = ", ".join(repr(e) for e in self.examples)
        return f"{self.distinct:,} distinct of {self.rows:,} rows, {empty}; e.g. {examples}"


def _casts(values: pd.Series, kind: ColumnType) -> bool:
    column = Column(name="probe", type=kind, description=Text(ko="-", en="-"))
    try:
        cast_column(values, column)
    except DataError:
        return False
    return True


def _is_free_text(present: pd.Series, distinct: int) -> bool:
    """Mostly distinct values made of words (titles, summaries), not codes or names."""
    if distinct < 0.5 * len(present):
        return False
    return bool(present.str.count(" ").median() >= 2 or present.str.contains("\n").mean() >= 0.1)


def _is_long_text(present: pd.Series) -> bool:
    return bool(
        present.str.len().median() >= LONG_TEXT_CHARS or present.str.contains("\n").mean() >= 0.1
    )


def suggest_type(values: pd.Series) -> ColumnType:
    """The narrowest type that reads every value of a raw (text) column."""
    present = values.dropna().astype(str)
    if present.empty:
        return ColumnType.string
    stripped = present.str.strip()
    distinct = stripped.nunique()
    if not stripped.str.match(_LEADING_ZERO).any():  # codes such as 01234 keep their zeros
        for kind in (ColumnType.integer, ColumnType.float):
            if _casts(values, kind):
                return kind
    if stripped.str.match(_ISO_DATE).all():
        has_time = stripped.str.contains(":").any()
        kind = ColumnType.datetime if has_time else ColumnType.date
        if _casts(values, kind):
            return kind
    if _is_free_text(present, distinct):
        return ColumnType.text
    if distinct <= min(MAX_CATEGORIES, 0.5 * len(present)):
        return ColumnType.category
    return ColumnType.string


def drop_reason(header: str, values: pd.Series, kind: ColumnType) -> str | None:
    """Why a draft proposes leaving a raw column out, or ``None`` to publish it."""
    present = values.dropna().astype(str)
    if present.empty:
        return "empty in every row"
    contact = contact_header_kind(header)
    if contact:
        return _HEADER_REASONS[contact].format(header=header)
    for finding in scan_personal_data(pd.DataFrame({header: present.reset_index(drop=True)})):
        words = _VALUE_WORDS.get(finding.kind, finding.kind)
        return f"holds {words} in {finding.count:,} rows; personal data is not published"
    if len(present) == len(values) and present.nunique() == 1:
        return f"the same value ('{present.iloc[0]}') in every row; say it in the description"
    if kind == ColumnType.text and _is_long_text(present):
        median = int(present.str.len().median())
        return (
            f"long free text (median {median:,} characters) that may name people or contacts; "
            "read it, then publish it as type 'text' if it is clean"
        )
    return None


def profile_column(header: str, values: pd.Series) -> ColumnProfile:
    present = values.dropna().astype(str)
    kind = suggest_type(values)
    shown = [v if len(v) <= 24 else v[:21] + "..." for v in present.unique()[:EXAMPLES]]
    return ColumnProfile(
        header=header,
        rows=len(values),
        empty=len(values) - len(present),
        distinct=int(present.nunique()),
        type=kind,
        examples=shown,
        drop_reason=drop_reason(header, values, kind),
    )


def profile_frame(frame: pd.DataFrame) -> list[ColumnProfile]:
    """A profile per raw column, in the file's order."""
    return [profile_column(str(header), frame[header]) for header in frame.columns]
