"""Submission checks against a challenge's public format, every problem reported at once.

Only public information is used: the test ids (test.csv), the header
(sample_submission.csv) and the label set (train.csv). Hidden labels are never read here,
so every message is safe to show to the participant. Checks are vectorised: one million
rows take a fraction of a second.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from odx.datasets.errors import CoreError
from odx.datasets.release import SAMPLE_SUBMISSION, TRAIN, RankingRelease
from odx.scoring.metrics import METRICS

Kind = Literal["probability", "label", "number", "ranking"]
MAX_EXAMPLES = 5
NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
NON_FINITE = r"^[+-]?(nan|inf|infinity)$"


@dataclass(frozen=True)
class Problem:
    """One kind of mistake in a submission, with where it happens (1-based file lines)."""

    code: str
    message: str
    column: str | None = None
    count: int = 0
    examples: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


class FormatError(CoreError):
    """A challenge whose release or metric cannot define a submission format (an organizer's
    mistake, never the participant's)."""

    code = "invalid_submission_format"
    title = "The submission format cannot be defined"


class SubmissionInvalid(CoreError):
    """A submission that does not match the challenge's format; lists every problem."""

    code = "invalid_submission"
    title = "The submission does not match the expected format"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        lines = [f"the submission has {len(problems)} {noun}:"]
        lines += [f"- {p.message}" for p in problems]
        super().__init__("\n".join(lines), extra={"problems": [asdict(p) for p in problems]})


@dataclass(frozen=True)
class SubmissionFormat:
    """What a valid submission looks like; built from public release files only.

    ``ids`` are the test ids as stripped text, kept as one Arrow array (ten million ids are
    about 150 MB there, several times that as Python strings). ``minimum`` refuses
    predictions below it (RMSLE cannot score negative numbers). A ranking submission lists,
    for each id (a query), at most ``k`` of the public ``items``, best first, separated by
    spaces.
    """

    id_column: str
    target_column: str
    ids: Sequence[str] | pa.Array
    kind: Kind
    labels: tuple[str, ...] = ()
    minimum: float | None = None
    items: Sequence[str] | pa.Array = ()
    k: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("probability", "label", "number", "ranking"):
            raise ValueError(f"unknown submission kind {self.kind!r}")
        if self.kind == "label" and not self.labels:
            raise ValueError("a label submission needs the allowed labels")
        if self.kind == "ranking" and (not len(self.items) or not self.k or self.k < 1):
            raise ValueError("a ranking submission needs the public items and k >= 1")
        object.__setattr__(self, "ids", _text_array(self.ids))
        object.__setattr__(self, "items", _text_array(self.items))

    @cached_property
    def id_array(self) -> pa.Array:
        """The test ids as one Arrow array, for hashed look-ups of a million ids."""
        array = self.ids
        assert isinstance(array, pa.Array)
        if len(pc.unique(array)) != len(array):
            raise ValueError("the test ids are not unique")
        return array

    @cached_property
    def id_index(self) -> pd.Index:
        """The test ids as the index of a checked submission."""
        return pd.Index(pd.array(self.id_array, dtype="str"), name=self.id_column)

    @classmethod
    def from_release(
        cls,
        public_dir: Path,
        *,
        task: str,
        metric: str,
        ranking: RankingRelease | None = None,
    ) -> SubmissionFormat:
        """Read the format from a release's public files (never from its hidden labels);
        a ranking release also names its items file and ``k`` (``manifest.ranking``)."""
        spec = METRICS.get(metric)
        if spec is None:
            raise FormatError(f"unknown metric '{metric}'; known: {', '.join(METRICS)}")
        if task not in spec.tasks:
            raise FormatError(f"metric '{metric}' does not score {task} tasks")
        sample = _read_text(public_dir / SAMPLE_SUBMISSION)
        if sample.num_columns != 2:
            raise FormatError(f"{SAMPLE_SUBMISSION}: expected [id, target]")
        id_column, target_column = sample.column_names
        # the sample submission lists every test id, also where the test features are hidden
        ids = pc.utf8_trim_whitespace(sample[id_column].combine_chunks())
        labels: tuple[str, ...] = ()
        minimum = 0.0 if metric == "rmsle" else None
        if task == "ranking":
            if ranking is None:
                raise FormatError("a ranking release must name its items file and k")
            table = _read_text(public_dir / ranking.items_file, [ranking.item_id_column])
            items = pc.utf8_trim_whitespace(table[ranking.item_id_column].combine_chunks())
            return cls(id_column, target_column, ids, "ranking", items=items, k=ranking.k)
        if spec.needs_probabilities:
            kind: Kind = "probability"
        elif task == "regression":
            kind = "number"
        elif task in ("binary", "multiclass"):
            kind = "label"
            train = _read_text(public_dir / TRAIN, columns=[target_column])
            values = set(pc.utf8_trim_whitespace(train[target_column]).to_pylist())
            labels = tuple(sorted(values - {""}))
        else:
            raise FormatError(f"{task} submissions are not checked by this format")
        return cls(id_column, target_column, ids, kind, labels, minimum)


def _text_array(values: Sequence[str] | pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    array = values if isinstance(values, pa.Array) else pa.array(list(values), pa.large_string())
    return array.cast(pa.large_string())


def _read_text(path: Path, columns: list[str] | None = None) -> pa.Table:
    """A public CSV with every column as text (empty values stay empty strings). Free text
    in a public table may hold quoted line breaks, so values may span lines."""
    with path.open("rb") as handle:
        names = next(csv.reader([handle.readline().decode("utf-8-sig")]))
    wanted = columns or names
    return pacsv.read_csv(
        path,
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(wanted, pa.large_string()),
            include_columns=wanted,
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def check_submission(table: pd.DataFrame, fmt: SubmissionFormat) -> pd.DataFrame:
    """Return the predictions indexed by id in ``fmt.ids`` order, or raise with every problem.

    Row ``i`` of ``table`` is reported as line ``i + 2`` (the header is line 1).
    """
    names = [str(c).strip().lstrip("\ufeff").strip() for c in table.columns]
    problems = _header_problems(names, fmt)
    positions = values = None
    if fmt.id_column in names:
        ids = _text(table.iloc[:, names.index(fmt.id_column)])
        id_problems, positions = _check_ids(ids, fmt)
        problems += id_problems
    if fmt.target_column in names:
        raw = _text(table.iloc[:, names.index(fmt.target_column)])
        value_problems, values = _check_values(raw, fmt)
        problems += value_problems
    if problems or positions is None or values is None:
        raise SubmissionInvalid(problems)
    order = np.empty(len(fmt.ids), dtype=np.intp)
    order[positions] = np.arange(len(positions))
    column = values.take(order).set_axis(fmt.id_index)
    return column.to_frame(fmt.target_column)


def _text(column: pd.Series) -> pd.Series:
    """A column as stripped text; a missing value becomes an empty one."""
    if column.dtype != "str":
        column = column.astype("str")
    return column.fillna("").str.strip().reset_index(drop=True)


def _quote(values: list[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _header_problems(names: list[str], fmt: SubmissionFormat) -> list[Problem]:
    expected = [fmt.id_column, fmt.target_column]
    if names == expected:
        return []
    shape = f"the header must be: {','.join(expected)}"
    problems = []
    missing = [n for n in expected if n not in names]
    extra = [n for n in dict.fromkeys(names) if n not in expected]
    if missing:
        folded = {n.casefold(): n for n in extra}
        hints = [folded[m.casefold()] for m in missing if m.casefold() in folded]
        hint = f" (found {_quote(hints)}: names are case-sensitive)" if hints else ""
        noun = "column" if len(missing) == 1 else "columns"
        message = f"missing {noun} {_quote(missing)}{hint}; {shape}"
        problems.append(Problem("missing_columns", message, count=len(missing), examples=missing))
    if extra:
        noun = "column" if len(extra) == 1 else "columns"
        message = f"unexpected {noun} {_quote(extra)}; {shape}"
        problems.append(Problem("extra_columns", message, count=len(extra), examples=extra))
    for name in dict.fromkeys(names):
        if (times := names.count(name)) > 1:
            message = f"column '{name}' appears {times} times in the header"
            problems.append(Problem("duplicate_columns", message, column=name, count=times))
    present = [n for n in dict.fromkeys(names) if n in expected]
    if not missing and present != expected:
        message = f"columns are in the wrong order: found {','.join(names)}; {shape}"
        problems.append(Problem("column_order", message))
    return problems


def _where(mask: np.ndarray, values: pd.Series) -> tuple[int, list[str], list[int]]:
    """How many rows match, up to five distinct example values and the first five lines."""
    rows = np.flatnonzero(mask)
    seen = values.iloc[rows[:1000]]
    seen = seen[seen != ""].drop_duplicates().head(MAX_EXAMPLES)
    examples = [v if len(v) <= 40 else v[:39] + "…" for v in seen.tolist()]
    return len(rows), examples, (rows[:MAX_EXAMPLES] + 2).tolist()


def _at(lines: list[int], count: int) -> str:
    more = ", …" if count > len(lines) else ""
    noun = "line" if len(lines) == 1 else "lines"
    return f"({noun} {', '.join(map(str, lines))}{more})"


def _row_problem(
    code: str,
    mask: np.ndarray,
    values: pd.Series,
    column: str,
    what: tuple[str, str],
    tail: str = "",
) -> list[Problem]:
    """One problem covering every row in ``mask``; ``what`` is the singular and plural text."""
    if not mask.any():
        return []
    count, examples, lines = _where(mask, values)
    text = what[0] if count == 1 else what[1]
    shown = f", e.g. {_quote(examples)}" if any(examples) else ""
    message = f"{text.format(n=f'{count:,}')}{shown} {_at(lines, count)}{tail}"
    return [Problem(code, message, column, count, examples, lines)]


def _empty(col: str) -> tuple[str, str]:
    return f"{{n}} row has an empty '{col}'", f"{{n}} rows have an empty '{col}'"


def _check_ids(ids: pd.Series, fmt: SubmissionFormat) -> tuple[list[Problem], np.ndarray]:
    """Each test id exactly once; returns the problems and each row's position in ``fmt.ids``."""
    col, expected = fmt.id_column, fmt.id_array
    array = pa.array(ids).cast(pa.large_string())
    if len(array) == len(expected) and pc.all(pc.equal(array, expected)).as_py():
        return [], np.arange(len(array))  # the sample submission's own order
    positions = pc.index_in(array, value_set=expected).fill_null(-1).to_numpy()
    empty = (ids == "").to_numpy()
    known = positions >= 0
    counts = np.bincount(positions[known], minlength=len(expected))
    problems = _row_problem("empty_values", empty, ids, col, _empty(col))
    repeated = np.zeros(len(ids), dtype=bool)
    repeated[known] = counts[positions[known]] > 1
    if repeated.any():
        _, examples, lines = _where(repeated, ids)
        distinct = int((counts > 1).sum())
        text = "id appears" if distinct == 1 else "ids appear"
        message = (
            f"{distinct:,} {text} more than once, e.g. {_quote(examples)} "
            f"{_at(lines, int(repeated.sum()))}"
        )
        problems.append(Problem("duplicate_ids", message, col, distinct, examples, lines))
    problems += _row_problem(
        "unknown_ids",
        ~known & ~empty,
        ids,
        col,
        ("{n} id is not in the test set", "{n} ids are not in the test set"),
    )
    missing = np.flatnonzero(counts == 0)
    if len(missing):
        examples = fmt.id_array.take(missing[:MAX_EXAMPLES]).to_pylist()
        more = ", …" if len(missing) > MAX_EXAMPLES else ""
        text = "test id has" if len(missing) == 1 else "test ids have"
        message = (
            f"{len(missing):,} {text} no row, e.g. {_quote(examples)}{more}; "
            "submit one row for every id of test.csv"
        )
        problems.append(Problem("missing_ids", message, col, len(missing), examples))
    return problems, positions


def _check_values(raw: pd.Series, fmt: SubmissionFormat) -> tuple[list[Problem], pd.Series]:
    """Parse and bound the predictions; returns the problems and the typed values."""
    col = fmt.target_column
    if fmt.kind == "ranking":
        return _check_rankings(raw, fmt)
    empty = (raw == "").to_numpy()
    problems = _row_problem("empty_values", empty, raw, col, _empty(col))
    if fmt.kind == "label":
        allowed = list(fmt.labels)
        unknown = ~raw.isin(allowed).to_numpy() & ~empty
        shown = _quote(allowed[:30]) + (f" ({len(allowed)} in all)" if len(allowed) > 30 else "")
        what = (
            f"{{n}} value in '{col}' is not an allowed label",
            f"{{n}} values in '{col}' are not allowed labels",
        )
        problems += _row_problem("unknown_labels", unknown, raw, col, what, f"; allowed: {shown}")
        return problems, raw
    numbers, text = _parse_floats(raw)
    what = (f"{{n}} value in '{col}' is not a number", f"{{n}} values in '{col}' are not numbers")
    problems += _row_problem("not_a_number", text & ~empty, raw, col, what)
    what = (
        f"{{n}} value in '{col}' is NaN or infinite",
        f"{{n}} values in '{col}' are NaN or infinite",
    )
    tail = "; every prediction must be a finite number"
    nonfinite = ~np.isfinite(numbers) & ~text
    problems += _row_problem("not_finite", nonfinite, raw, col, what, tail)
    finite = np.isfinite(numbers)
    if fmt.kind == "probability":
        what = (
            f"{{n}} probability in '{col}' is outside [0, 1]",
            f"{{n}} probabilities in '{col}' are outside [0, 1]",
        )
        outside = finite & ((numbers < 0) | (numbers > 1))
        problems += _row_problem("out_of_range", outside, raw, col, what)
    if fmt.minimum is not None:
        what = (
            f"{{n}} value in '{col}' is below {fmt.minimum:g}",
            f"{{n}} values in '{col}' are below {fmt.minimum:g}",
        )
        problems += _row_problem("below_minimum", finite & (numbers < fmt.minimum), raw, col, what)
    return problems, pd.Series(numbers, dtype="float64")


def _parse_floats(raw: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The values as floats and a mask of those that are not numbers (NaN and inf words are).

    Arrow parses all at once when it can; otherwise a regular expression says which values are
    numbers, so the accepted syntax is plain decimal or exponent notation either way.
    """
    array = pa.array(raw)
    try:
        numbers = pc.cast(array, pa.float64())
        return numbers.to_numpy(zero_copy_only=False), np.zeros(len(array), dtype=bool)
    except pa.ArrowInvalid:
        pass
    valid = pc.or_(
        pc.match_substring_regex(array, NUMBER),
        pc.match_substring_regex(array, NON_FINITE, ignore_case=True),
    )
    numbers = pc.cast(pc.if_else(valid, array, pa.scalar("nan", array.type)), pa.float64())
    return numbers.to_numpy(zero_copy_only=False), ~valid.to_numpy(zero_copy_only=False)


def _check_rankings(raw: pd.Series, fmt: SubmissionFormat) -> tuple[list[Problem], pd.Series]:
    """Each row's ranked list: space-separated public item ids, none twice, at most ``k``.

    An empty list is allowed (it scores 0). A list longer than ``k`` is refused rather than
    cut: which ``k`` items would count is the participant's choice to make, not ours. An id
    that is not a public item is named as such; nothing here reads or hints at the labels.
    """
    col, k = fmt.target_column, fmt.k or 0
    text = pa.array(raw, pa.large_string())  # stripped already: an empty list is ""
    split = pc.utf8_split_whitespace(text)
    lists = pc.if_else(pc.equal(text, ""), pa.scalar([], type=split.type), split)
    lengths = pc.list_value_length(lists).to_numpy(zero_copy_only=False)
    flat = pc.list_flatten(lists)
    rows = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
    problems: list[Problem] = []
    known = pc.is_in(flat, value_set=fmt.items).to_numpy(zero_copy_only=False)
    if not known.all():
        unknown_rows = np.zeros(len(raw), dtype=bool)
        unknown_rows[rows[~known]] = True
        examples = _distinct(flat.filter(pa.array(~known)).to_pylist())
        count, _, lines = _where(unknown_rows, raw)
        text = "row lists an item" if count == 1 else "rows list items"
        message = (
            f"{count:,} {text} that {'is' if count == 1 else 'are'} not in items.csv, "
            f"e.g. {_quote(examples)} {_at(lines, count)}"
        )
        problems.append(Problem("unknown_items", message, col, count, examples, lines))
    pairs = pd.DataFrame({"row": rows, "item": flat.to_numpy(zero_copy_only=False)})
    repeated = pairs.duplicated().to_numpy()
    if repeated.any():
        repeated_rows = np.zeros(len(raw), dtype=bool)
        repeated_rows[rows[repeated]] = True
        examples = _distinct(pairs["item"][repeated].tolist())
        count, _, lines = _where(repeated_rows, raw)
        text = "row lists an item" if count == 1 else "rows list items"
        message = f"{count:,} {text} more than once, e.g. {_quote(examples)} {_at(lines, count)}"
        problems.append(Problem("repeated_items", message, col, count, examples, lines))
    what = (
        f"{{n}} row lists more than {k} items in '{col}'",
        f"{{n}} rows list more than {k} items in '{col}'",
    )
    tail = f"; list at most {k}, best first (the metric reads only the first {k})"
    problems += _row_problem("too_many_items", lengths > k, raw, col, what, tail)
    return problems, pd.Series(lists.to_pylist(), dtype=object)


def _distinct(values: list[str]) -> list[str]:
    shown = list(dict.fromkeys(values))[:MAX_EXAMPLES]
    return [v if len(v) <= 40 else v[:39] + "…" for v in shown]
