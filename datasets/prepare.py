"""Turn a raw frame into the dataset the spec describes: chosen columns, cleaned and typed.

The organizer must account for every raw column (published or dropped with a reason), so a
new column in next year's file cannot slip into a public release unreviewed.
"""

from __future__ import annotations

import difflib
import hashlib
import html
from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from odx.datasets.binary import binary_labels
from odx.datasets.errors import CoreError
from odx.datasets.spec import (
    Column,
    ColumnType,
    DatasetSpec,
    DroppedColumn,
    SpecError,
    SplitFirst,
    TableSpec,
    TaskType,
)

EXAMPLES = 5


class DataError(CoreError):
    """Raw data that contradicts its spec (types, ids, target)."""

    code = "invalid_dataset_data"
    title = "Data does not match its spec"


@dataclass(frozen=True)
class PreparedData:
    """The typed dataset plus what preparing it removed, for the data card."""

    frame: pd.DataFrame
    raw_rows: int
    rows_dropped_missing_target: int
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # the spec's further tables


class Columns(Protocol):
    """What a table declares of its columns: the main table (the spec) and further tables."""

    @property
    def columns(self) -> list[Column]: ...

    @property
    def drop(self) -> list[DroppedColumn]: ...


def _did_you_mean(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_columns(spec: Columns, raw_columns: list[str], *, source: str, key: str = "") -> None:
    """Every spec column must exist in the raw data, and every raw column must be accounted for.

    ``key`` is where the columns sit in the spec (``tables[0].``) for the messages."""
    problems: list[str] = []
    available = list(raw_columns)
    for i, column in enumerate(spec.columns):
        if column.raw_name not in available:
            problems.append(
                f"{source}: {key}columns[{i}] '{column.name}' reads raw column "
                f"'{column.raw_name}', "
                f"which is not in the raw data{_did_you_mean(column.raw_name, available)}"
            )
    for i, dropped in enumerate(spec.drop):
        if dropped.column not in available:
            problems.append(
                f"{source}: {key}drop[{i}] names raw column '{dropped.column}', which is not in "
                f"the raw data{_did_you_mean(dropped.column, available)}"
            )
    used = {c.raw_name for c in spec.columns} | {d.column for d in spec.drop}
    for name in available:
        if name not in used:
            problems.append(
                f"{source}: raw column '{name}' is neither in '{key}columns' nor in '{key}drop'; "
                "decide whether it may be published"
            )
    if problems:
        raise SpecError("\n".join(problems), extra={"problems": problems})


def _apply_transforms(values: pd.Series, column: Column) -> pd.Series:
    for transform in column.transforms:
        if isinstance(transform, SplitFirst):
            values = values.str.split(transform.split_first, n=1, regex=False).str[0]
        elif transform == "html_unescape":
            # Some feeds escape twice (&amp;#40;); unescaping is idempotent once clean.
            values = values.map(lambda v: html.unescape(html.unescape(v)), na_action="ignore")
        elif transform == "strip":
            values = values.str.strip()
        elif transform == "collapse_whitespace":
            values = values.str.replace(r"\s+", " ", regex=True).str.strip()
    return values


def _bad_examples(original: pd.Series, parsed: pd.Series) -> list[str]:
    bad = original.notna() & parsed.isna()
    return [str(v) for v in original[bad].unique()[:EXAMPLES]]


def cast_column(values: pd.Series, column: Column) -> pd.Series:
    """Cast a text column to its declared type; refuse values that do not parse."""
    kind = column.type
    if kind in (ColumnType.string, ColumnType.category):
        return values.astype("string").str.strip().replace("", pd.NA).astype("str")
    if kind == ColumnType.text:
        return values.astype("string").str.replace("\r\n", "\n", regex=False).astype("str")
    if kind in (ColumnType.integer, ColumnType.float):
        parsed = pd.to_numeric(values.astype("string").str.replace(",", ""), errors="coerce")
        bad = _bad_examples(values, parsed)
        if bad:
            raise DataError(f"column '{column.name}' ({kind}): values that are not numbers: {bad}")
        if kind == ColumnType.float:
            return parsed.astype("float64")
        fractional = parsed.notna() & (parsed % 1 != 0)
        if fractional.any():
            examples = [str(v) for v in values[fractional].unique()[:EXAMPLES]]
            raise DataError(f"column '{column.name}' (integer): values with a fraction: {examples}")
        # Plain int64 where nothing is missing: faster everywhere, and GX vectorises it.
        return parsed.astype("Int64") if parsed.isna().any() else parsed.astype("int64")
    if kind == ColumnType.boolean:
        lookup = {
            "y": True,
            "yes": True,
            "true": True,
            "1": True,
            "n": False,
            "no": False,
            "false": False,
            "0": False,
        }
        parsed = values.astype("string").str.strip().str.lower().map(lookup)
        bad = _bad_examples(values, parsed)
        if bad:
            raise DataError(
                f"column '{column.name}' (boolean): values not in Y/N/true/false: {bad}"
            )
        return parsed.astype("boolean")
    parsed = pd.to_datetime(values, errors="coerce", format="ISO8601")
    bad = _bad_examples(values, parsed)
    if bad:
        raise DataError(f"column '{column.name}' ({kind}): values that are not ISO dates: {bad}")
    # Kept as normalised ISO text: sorts like time, compares with ISO bounds in GX suites,
    # and is written to CSV exactly as validated.
    pattern = "%Y-%m-%d" if kind == ColumnType.date else "%Y-%m-%d %H:%M:%S"
    return parsed.dt.strftime(pattern).astype("str")


def generated_ids(count: int, *, seed: int, prefix: str) -> list[str]:
    """Stable ids that say nothing about a row: a hash of the seed and the row's position."""
    return [prefix + hashlib.sha256(f"{seed}:{i}".encode()).hexdigest()[:12] for i in range(count)]


def _typed(raw: pd.DataFrame, columns: list[Column], frame: pd.DataFrame) -> pd.DataFrame:
    for column in columns:
        values = raw[column.raw_name].astype(object).where(raw[column.raw_name].notna(), None)
        values = pd.Series(values, dtype="string")
        frame[column.name] = cast_column(_apply_transforms(values, column), column)
    return frame


def prepare_table(raw: pd.DataFrame, table: TableSpec, *, source: str, key: str) -> pd.DataFrame:
    """Select, clean and type a further table's columns; its id, if any, must be unique."""
    check_columns(table, list(raw.columns), source=source, key=key)
    frame = _typed(raw, table.columns, pd.DataFrame(index=raw.index)).reset_index(drop=True)
    if table.id_column is not None:
        _check_ids(frame, table.id_column, where=f"table '{table.name}': ")
    return frame


def prepare(
    raw: pd.DataFrame,
    spec: DatasetSpec,
    *,
    source: str,
    tables: dict[str, pd.DataFrame] | None = None,
) -> PreparedData:
    """Select, clean, type and check the columns the spec publishes or scores on, and those
    of its further ``tables`` (raw frames by table name)."""
    check_columns(spec, list(raw.columns), source=source)
    frame = pd.DataFrame(index=raw.index)
    id_spec = spec.id_column
    if id_spec.generate:
        frame[id_spec.column] = generated_ids(len(raw), seed=spec.split.seed, prefix=id_spec.prefix)
    frame = _typed(raw, spec.columns, frame)
    prepared_tables = {
        table.name: prepare_table(
            (tables or {})[table.name], table, source=source, key=f"tables[{i}]."
        )
        for i, table in enumerate(spec.tables)
    }

    target = spec.target.column
    missing_target = frame[target].isna()
    dropped = int(missing_target.sum())
    if dropped and not spec.target.drop_missing:
        raise DataError(
            f"target '{target}' is empty in {dropped} of {len(frame)} rows; fill them, or set "
            "'target.drop_missing: true' in the spec to leave those rows out"
        )
    frame = frame[~missing_target].reset_index(drop=True)
    if spec.task == TaskType.binary:
        frame[target] = binary_labels(
            frame[target], positive=spec.target.positive, column=target, source=source
        )
    if spec.ranking is not None:
        items = prepared_tables[spec.ranking.items][spec.ranking.item_id]
        frame[target] = ranked_lists(frame[target], set(items), column=target)
    _check_ids(frame, id_spec.column)
    return PreparedData(
        frame=frame,
        raw_rows=len(raw),
        rows_dropped_missing_target=dropped,
        tables=prepared_tables,
    )


def ranked_lists(values: pd.Series, items: set[str], *, column: str) -> pd.Series:
    """A ranking target as one space between ids; every id must be a known item, once."""
    lists = values.str.split()
    unknown = sorted({i for ids in lists for i in ids if i not in items})
    if unknown:
        raise DataError(
            f"target '{column}' names {len(unknown)} ids that are not in the items table, "
            f"e.g. {unknown[:EXAMPLES]}"
        )
    repeated = values[lists.map(lambda ids: len(ids) != len(set(ids)))]
    if not repeated.empty:
        raise DataError(
            f"target '{column}' repeats an id within a row in {len(repeated)} rows, e.g. "
            f"{[str(v) for v in repeated.head(EXAMPLES)]}"
        )
    return lists.str.join(" ").astype("str")


def _check_ids(frame: pd.DataFrame, id_column: str, *, where: str = "") -> None:
    ids = frame[id_column]
    if ids.isna().any():
        raise DataError(f"{where}id column '{id_column}' is empty in {int(ids.isna().sum())} rows")
    duplicated = ids[ids.duplicated(keep=False)]
    if not duplicated.empty:
        examples = [str(v) for v in duplicated.unique()[:EXAMPLES]]
        raise DataError(
            f"{where}id column '{id_column}' has {duplicated.nunique()} duplicated values "
            f"({len(duplicated)} rows), e.g. {examples}; ids must be unique"
        )
