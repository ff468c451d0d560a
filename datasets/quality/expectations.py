"""Great Expectations (GX Core 1.x) behind one function: run a stored suite on a frame.

The suite lives beside the spec in GX's own JSON format, so organizers can edit it with GX's
tools; this module only loads it, runs it on an in-memory pandas batch and condenses the
result into plain data for the report. GX is imported lazily: it is slow to import.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from odx.datasets.quality.suite_checks import suite_problems
from odx.datasets.spec import DatasetSpec, SpecError

EXAMPLES = 5
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": EXAMPLES}


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's verdict, reduced to what a person needs to act on it."""

    expectation: str
    column: str | None
    success: bool
    kwargs: dict[str, Any]
    observed_value: Any = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    examples: list[Any] = field(default_factory=list)
    error: str | None = None


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    success: bool
    evaluated: int
    successful: int
    outcomes: list[ExpectationOutcome]

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]


def load_suite(path: Path, spec: DatasetSpec | None = None) -> dict[str, Any]:
    """Read a GX suite file and check it before GX runs it.

    Every expectation's type and arguments are checked against GX's own registry; with
    ``spec``, also the columns it names and the values it expects of a binary target. All
    problems are reported at once as one :class:`SpecError`.
    """
    data = _read_suite(path)
    problems = suite_problems(data, path, spec)
    if problems:
        raise SpecError("\n".join(problems), extra={"problems": problems})
    return data


def _read_suite(path: Path) -> dict[str, Any]:
    """The parsed suite, checking the shape we rely on."""
    if not path.is_file():
        raise SpecError(f"{path}: expectation suite not found (spec key quality.suite)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: not a valid JSON expectation suite: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("expectations"), list):
        raise SpecError(f"{path}: a GX suite needs 'name' and a list of 'expectations'")
    for i, item in enumerate(data["expectations"]):
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            raise SpecError(f"{path}: expectations[{i}]: needs a 'type' (e.g. expect_column_...)")
    return data


def _plain(value: Any) -> Any:
    """JSON-safe copy of a GX value (numpy scalars, NaN, timestamps)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _build_suite(data: dict[str, Any], path: Path) -> Any:
    import great_expectations as gx

    try:
        return gx.ExpectationSuite(
            name=str(data.get("name") or path.stem),
            expectations=[
                {"type": e["type"], "kwargs": e.get("kwargs", {}), "meta": e.get("meta", {})}
                for e in data["expectations"]
            ],
        )
    except Exception as exc:  # GX raises many types for a bad configuration
        raise SpecError(f"{path}: GX cannot build this suite: {exc}") from None


def _vectorisable(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable integers as float64 for GX, whose range checks fall back to a per-value Python
    loop for any dtype but numpy's int and float (values and verdicts are unchanged)."""
    nullable = [c for c, t in frame.dtypes.items() if isinstance(t, pd.Int64Dtype)]
    if not nullable:
        return frame
    return frame.assign(**{c: frame[c].astype("float64") for c in nullable})


def _batches(frame: pd.DataFrame, data: dict[str, Any]) -> list[tuple[pd.DataFrame, list[int]]]:
    """Which expectations run on which frame: each column's on that column alone.

    GX's pandas engine filters the *whole* batch frame for every column expectation; on a wide
    frame most of that work copies columns the expectation never reads. Table expectations
    (and anything naming a column that is not there) keep the whole frame.
    """
    groups: dict[str | None, list[int]] = {}
    for i, expectation in enumerate(data["expectations"]):
        column = expectation.get("kwargs", {}).get("column")
        groups.setdefault(column if column in frame.columns else None, []).append(i)
    return [
        (frame if column is None else frame[[column]], indices)
        for column, indices in groups.items()
    ]


def _skip_decimal_scan_of_numeric_columns() -> None:
    """GX's mean, sum and standard deviation look at every value of a column in a Python
    loop for ``decimal.Decimal`` objects, which only an object column can hold: a numeric
    column is passed through as it is (the same values, and verdicts, either way)."""
    from great_expectations import util
    from great_expectations.expectations.metrics.column_aggregate_metrics import (
        column_mean,
        column_standard_deviation,
        column_sum,
    )

    scan = util.convert_pandas_series_decimal_to_float_dtype

    def numeric_as_is(data: pd.Series, inplace: bool = False) -> pd.Series | None:
        if data.dtype.kind in "biuf":
            return None if inplace else data
        return scan(data, inplace=inplace)

    for module in (column_mean, column_standard_deviation, column_sum):
        module.convert_pandas_series_decimal_to_float_dtype = numeric_as_is  # type: ignore[attr-defined]


def run_suite(frame: pd.DataFrame, suite_path: Path) -> SuiteResult:
    """Validate ``frame`` with the suite stored at ``suite_path``."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # no phoning home from a ministry
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine import pandas_execution_engine

    # GX hashes every in-memory frame below 1 GB just to label the batch; we never read that
    # label, and on a million rows the hash costs more than several expectations together.
    pandas_execution_engine.HASH_THRESHOLD = 0
    _skip_decimal_scan_of_numeric_columns()

    data = load_suite(suite_path)
    name = str(data.get("name") or suite_path.stem)
    _build_suite(data, suite_path)  # refuse a malformed suite before any work
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    definition = (
        context.data_sources.add_pandas("odx")
        .add_dataframe_asset("dataset")
        .add_batch_definition_whole_dataframe("whole")
    )
    outcomes: dict[int, ExpectationOutcome] = {}
    for part, indices in _batches(_vectorisable(frame), data):
        subset = {**data, "expectations": [data["expectations"][i] for i in indices]}
        batch = definition.get_batch(batch_parameters={"dataframe": part})
        result = batch.validate(_build_suite(subset, suite_path), result_format=RESULT_FORMAT)
        outcomes.update(zip(indices, map(_outcome, result.results), strict=True))
    ordered = [outcomes[i] for i in sorted(outcomes)]
    return SuiteResult(
        suite=name,
        success=all(o.success for o in ordered),
        evaluated=len(ordered),
        successful=sum(o.success for o in ordered),
        outcomes=ordered,
    )


def _exception_message(info: dict[str, Any]) -> str | None:
    """GX nests exception info per metric when a metric fails; take the first message."""
    infos = [info] if "raised_exception" in info else list(info.values())
    for item in infos:
        if isinstance(item, dict) and item.get("raised_exception"):
            return str(item.get("exception_message") or "GX raised an exception")
    return None


def _outcome(result: Any) -> ExpectationOutcome:
    config = result.expectation_config
    kwargs = {k: _plain(v) for k, v in config.kwargs.items() if k != "batch_id"}
    details = result.result or {}
    error = _exception_message(result.exception_info or {})
    return ExpectationOutcome(
        expectation=config.type,
        column=kwargs.get("column"),
        success=bool(result.success),
        kwargs=kwargs,
        observed_value=_plain(details.get("observed_value")),
        unexpected_count=_plain(details.get("unexpected_count")),
        unexpected_percent=_plain(details.get("unexpected_percent")),
        examples=_plain(details.get("partial_unexpected_list", []))[:EXAMPLES],
        error=str(error).splitlines()[0] if error else None,
    )
