"""Reading a binary target: Y/N, yes/no, true/false or 1/0 in any case, or any two values of
which the spec declares the positive one (``target.positive``).

Whatever the raw spelling, the prepared dataset and the release hold 0 and 1, so metrics,
sample submissions and participants' files agree on one form.
"""

from __future__ import annotations

import difflib

import pandas as pd

from odx.datasets.spec import SpecError

POSITIVE_SPELLINGS = frozenset({"1", "y", "yes", "true"})
NEGATIVE_SPELLINGS = frozenset({"0", "n", "no", "false"})
EXAMPLES = 5


def spelling(value: object) -> str:
    """A value as compared: text, trimmed and lower-case; 1.0 and True read as "1" and "true"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float) and float(value).is_integer():
        return str(int(value))
    return str(value).strip().lower()


def _meaning(key: str) -> int | str:
    """1 or 0 for the usual spellings of yes and no; any other value stands for itself."""
    if key in POSITIVE_SPELLINGS:
        return 1
    if key in NEGATIVE_SPELLINGS:
        return 0
    return key


def _shown(values: list[str]) -> str:
    return ", ".join(f"'{v}'" for v in values[:EXAMPLES]) + (
        ", ..." if len(values) > EXAMPLES else ""
    )


def binary_labels(
    values: pd.Series, *, positive: str | None, column: str, source: str
) -> pd.Series:
    """0/1 labels (int64) for a binary target without empty values.

    Raises :class:`SpecError` when the data has not exactly two values, when the declared
    positive value is not one of them, or when neither is a usual spelling of yes and no and
    no positive value is declared.
    """
    keys = values.map(spelling)
    meanings = keys.map(_meaning)
    raw_values = sorted({str(v).strip() for v in values.unique()})
    distinct = set(meanings)
    if len(distinct) != 2:
        count = "a single value" if len(distinct) == 1 else f"{len(distinct)} values"
        raise SpecError(
            f"{source}: task: binary, but target '{column}' has {count} in the data "
            f"({_shown(raw_values)}); a binary target has exactly two — use task: multiclass, "
            "or map the values to two"
        )
    if positive is not None:
        wanted = _meaning(spelling(positive))
        if wanted not in distinct:
            close = difflib.get_close_matches(str(positive), raw_values, n=1, cutoff=0.5)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise SpecError(
                f"{source}: target.positive: '{positive}' is not a value of '{column}' "
                f"(its values: {_shown(raw_values)}){hint}"
            )
        return (meanings == wanted).astype("int64")
    if distinct == {0, 1}:
        return meanings.astype("int64")
    raise SpecError(
        f"{source}: target.positive: target '{column}' has the values {_shown(raw_values)}; "
        "declare which one means 1, e.g. 'positive: "
        f"{raw_values[0]}' under 'target'"
    )
