"""A first GX suite for a drafted dataset, from a profile of its prepared columns.

Every expectation holds on the data it was drafted from; ranges get a margin so that next
year's file is not refused for a value just past this year's maximum. The organizer tightens
or widens them by hand.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

from odx.datasets.spec import ColumnType, TaskType

VALUE_SET_MAX = 30
RANGE_MARGIN = 0.1
_NUMBERS = (ColumnType.integer, ColumnType.float)
_LABELS = (ColumnType.string, ColumnType.category, ColumnType.boolean)
_FORMATS = {ColumnType.date: "%Y-%m-%d", ColumnType.datetime: "%Y-%m-%d %H:%M:%S"}


def _expect(kind: str, **kwargs: Any) -> dict[str, Any]:
    return {"type": kind, "kwargs": kwargs, "meta": {}}


def widened_range(low: float, high: float, *, integer: bool) -> tuple[float, float]:
    """``[low, high]`` widened by a tenth of its span on each side, rounded outwards to a round
    step; a range that starts at zero or above stays non-negative."""
    span = high - low
    margin = span * RANGE_MARGIN if span > 0 else max(abs(high) * RANGE_MARGIN, 1.0)
    step = 10.0 ** math.floor(math.log10(margin))
    lower = math.floor((low - margin) / step) * step
    upper = math.ceil((high + margin) / step) * step
    if low >= 0:
        lower = max(lower, 0.0)
    if integer:
        return math.floor(lower), math.ceil(upper)
    digits = max(0, -math.floor(math.log10(step)))
    return round(lower, digits), round(upper, digits)


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _column_expectations(
    name: str, values: pd.Series, kind: ColumnType, *, is_target: bool, task: TaskType | None
) -> list[dict[str, Any]]:
    present = values.dropna()
    found: list[dict[str, Any]] = []
    if present.empty:
        return found
    if len(present) == len(values):
        found.append(_expect("expect_column_values_to_not_be_null", column=name))
    if is_target and task == TaskType.binary:
        found.append(_expect("expect_column_values_to_be_in_set", column=name, value_set=[0, 1]))
    elif kind in _NUMBERS:
        low, high = widened_range(
            float(present.min()), float(present.max()), integer=kind == ColumnType.integer
        )
        found.append(
            _expect(
                "expect_column_values_to_be_between", column=name, min_value=low, max_value=high
            )
        )
    elif kind in _FORMATS:
        found.append(
            _expect(
                "expect_column_values_to_match_strftime_format",
                column=name,
                strftime_format=_FORMATS[kind],
            )
        )
    elif kind in _LABELS:
        distinct = sorted({_plain(v) for v in present.unique()}, key=str)
        classes = is_target and task is not None and task.is_classification
        if classes or len(distinct) <= min(VALUE_SET_MAX, len(present) - 1):
            found.append(
                _expect("expect_column_values_to_be_in_set", column=name, value_set=distinct)
            )
    return found


def draft_suite(
    name: str,
    frame: pd.DataFrame,
    types: dict[str, ColumnType],
    *,
    id_column: str,
    target: str | None,
    task: TaskType | None,
    origin: str,
) -> dict[str, Any]:
    """A GX suite (as JSON data) for the prepared ``frame`` whose columns have ``types``."""
    rows = len(frame)
    expectations = [
        _expect(
            "expect_table_row_count_to_be_between",
            min_value=max(1, rows // 2),
            max_value=max(2, rows * 2),
        ),
        _expect(
            "expect_table_columns_to_match_set", column_set=list(frame.columns), exact_match=True
        ),
        _expect("expect_column_values_to_be_unique", column=id_column),
        _expect("expect_column_values_to_not_be_null", column=id_column),
    ]
    for column in frame.columns:
        if column == id_column:
            continue
        expectations += _column_expectations(
            column, frame[column], types[column], is_target=column == target, task=task
        )
    notes = (
        f"Drafted from {origin} ({rows:,} rows): checks run on the prepared dataset (published "
        "names and types, a binary target as 0/1). Ranges have a margin; tighten or widen them."
    )
    return {"name": name, "meta": {"notes": notes}, "expectations": expectations}


def suite_text(suite: dict[str, Any]) -> str:
    """JSON laid out like the shipped suites: one expectation per line."""
    lines = [
        f"    {json.dumps(e, ensure_ascii=False, default=_plain)}" for e in suite["expectations"]
    ]
    return (
        "{\n"
        f'  "name": {json.dumps(suite["name"], ensure_ascii=False)},\n'
        f'  "meta": {json.dumps(suite["meta"], ensure_ascii=False)},\n'
        '  "expectations": [\n' + ",\n".join(lines) + "\n  ]\n}\n"
    )
