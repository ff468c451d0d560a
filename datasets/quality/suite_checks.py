"""Static checks of a GX suite, before any data is validated.

GX logs a traceback for an expectation it cannot build and then drops it (which later breaks
the run with an unrelated error), and an expectation on a column the dataset does not have
only fails at run time. Both are typing mistakes in a file a person edits, so they are found
here and reported like a compiler would: file, key, message and a suggestion.
"""

from __future__ import annotations

import difflib
import os
from functools import cache
from pathlib import Path
from typing import Any

from odx.datasets.spec import DatasetSpec, TaskType

# Keyword arguments that name columns of the dataset, as GX spells them.
COLUMN_KWARGS = ("column", "column_A", "column_B")
COLUMN_LIST_KWARGS = ("column_list", "column_set")
# Fields every GX expectation has; they are not arguments a suite passes in "kwargs".
_COMMON_FIELDS = frozenset(
    {
        "id",
        "meta",
        "notes",
        "result_format",
        "description",
        "catch_exceptions",
        "rendered_content",
        "severity",
        "windows",
        "batch_id",
    }
)


@cache
def expectation_types() -> tuple[str, ...]:
    """Every expectation type GX knows, from GX's own registry."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    from great_expectations.expectations.registry import (
        list_registered_expectation_implementations,
        register_core_expectations,
    )

    register_core_expectations()
    return tuple(sorted(list_registered_expectation_implementations()))


def _did_you_mean(name: str, options: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name, list(options), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _kwargs_problems(kind: str, kwargs: dict[str, Any], where: str) -> list[str]:
    """Unknown, missing and ill-typed arguments, as GX's own model of the expectation sees them."""
    from great_expectations.expectations.registry import get_expectation_impl
    from pydantic.v1 import ValidationError

    model = get_expectation_impl(kind)
    fields = {n: f for n, f in model.__fields__.items() if n not in _COMMON_FIELDS}
    problems = [
        f"{where}.kwargs.{name}: not an argument of {kind}{_did_you_mean(name, list(fields))}"
        for name in kwargs
        if name not in fields and name not in _COMMON_FIELDS
    ]
    problems += [
        f"{where}.kwargs: {kind} needs '{name}'"
        for name, field in fields.items()
        if field.required and name not in kwargs
    ]
    if problems:
        return problems
    try:
        model(**kwargs)
    except ValidationError as exc:
        # A union type reports every branch it tried: the first error of each key says enough.
        # Checks across keys (min_value and max_value) only count when every key was valid.
        by_key: dict[str, str] = {}
        for error in exc.errors():
            loc = ".".join(str(part) for part in error["loc"] if part != "__root__")
            by_key.setdefault(loc, error["msg"])
        across = by_key.pop("", None)
        if not by_key and across:
            by_key[""] = across
        for loc, message in by_key.items():
            problems.append(f"{where}.kwargs{'.' + loc if loc else ''}: {message}")
    return problems


def _column_problems(kwargs: dict[str, Any], where: str, spec: DatasetSpec) -> list[str]:
    published = spec.published_columns
    raw_to_name = {c.raw_name: c.name for c in spec.columns if c.raw_name != c.name}
    dropped = {d.column for d in spec.drop}
    problems: list[str] = []
    for key in (*COLUMN_KWARGS, *COLUMN_LIST_KWARGS):
        value = kwargs.get(key)
        names = [value] if key in COLUMN_KWARGS else value
        if not isinstance(names, list):
            continue
        for name in names:
            if not isinstance(name, str) or name in published:
                continue
            if name in raw_to_name:
                hint = f"; it is published as '{raw_to_name[name]}', the name expectations see"
            elif name in dropped:
                hint = "; the spec drops it, so it is not published"
            else:
                hint = _did_you_mean(name, published)
            problems.append(f"{where}.kwargs.{key}: '{name}' is not a column of the dataset{hint}")
    return problems


def _binary_target_problems(kwargs: dict[str, Any], where: str, spec: DatasetSpec) -> list[str]:
    """A binary target is checked after it is read as 0/1, whatever its raw spelling."""
    if spec.task != TaskType.binary or kwargs.get("column") != spec.target.column:
        return []
    values = kwargs.get("value_set")
    if not isinstance(values, list) or all(not isinstance(v, str) and v in (0, 1) for v in values):
        return []
    return [
        f"{where}.kwargs.value_set: the binary target '{spec.target.column}' is checked after it "
        "is read as 0 and 1 (see target.positive); use [0, 1]"
    ]


def suite_problems(data: dict[str, Any], path: Path, spec: DatasetSpec | None = None) -> list[str]:
    """Every static problem of a parsed suite; with ``spec``, also its columns and target."""
    known = expectation_types()
    problems: list[str] = []
    for i, item in enumerate(data["expectations"]):
        where = f"{path}: expectations[{i}]"
        kind = item["type"]
        if kind not in known:
            problems.append(
                f"{where}.type: unknown expectation type '{kind}'{_did_you_mean(kind, known)}"
            )
            continue
        kwargs = item.get("kwargs", {})
        if not isinstance(kwargs, dict):
            problems.append(f"{where}.kwargs: expected a mapping of arguments")
            continue
        problems += _kwargs_problems(kind, kwargs, where)
        if spec is not None:
            problems += _column_problems(kwargs, where, spec)
            problems += _binary_target_problems(kwargs, where, spec)
    return problems
