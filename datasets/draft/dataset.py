"""Draft a dataset folder from one raw file: ``dataset.yaml``, ``expectations.json``, ``raw/``.

The draft accounts for every raw column (published with a proposed type, or proposed for
'drop' with a reason), detects how the file is read, proposes an id, and drafts a GX suite
from the data. What only a person can say (title, source, licence, English descriptions, why
the split fits) is written as a "TODO: ..." placeholder: the spec loader accepts those, and the
quality gate refuses to publish until each is replaced. :class:`DraftResult` lists them, with
the proposals worth a second look.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from odx.datasets.binary import binary_labels
from odx.datasets.draft.names import column_names, has_hangul
from odx.datasets.draft.profile import ColumnProfile, profile_frame
from odx.datasets.draft.spec_text import spec_text
from odx.datasets.draft.suite import draft_suite, suite_text
from odx.datasets.prepare import cast_column, generated_ids
from odx.datasets.raw import (
    RawDataError,
    decode_text,
    detect_delimiter,
    find_records_path,
    parse_json,
    read_raw_file,
    sha256_file,
)
from odx.datasets.spec import (
    COLUMN_NAME_PATTERN,
    ID_PATTERN,
    PLACEHOLDER,
    SPEC_FILENAME,
    Column,
    ColumnType,
    RawFile,
    SpecError,
    TaskType,
    Text,
    parse_spec,
)

SUITE_FILENAME = "expectations.json"
GENERATED_ID = "row_id"
TEST_FRACTION = 0.3
PUBLIC_FRACTION = 0.5
REGRESSION_MIN_VALUES = 20
RARE_CLASS_EXAMPLES = 5
_ID_WORDS = re.compile(r"(?:^|_|[a-z])(?:id|ID|Id|no|No|NO|code|Code|key|Key)$|번호|코드|아이디")
_TIME_WORDS = re.compile(r"year|date|time|연도|년도|일자|일시|시점|기간", re.IGNORECASE)


@dataclass(frozen=True)
class Decision:
    """Something a person decides or checks before publishing, and where in the spec it is.

    ``blocking`` decisions are "TODO: ..." placeholders: publishing is refused until each is
    replaced (the quality gate's ``open_decisions`` check, or the spec loader for the target,
    the task and a binary target's positive value). The others are proposals to confirm.
    """

    key: str
    message: str
    blocking: bool


@dataclass(frozen=True)
class DraftColumn:
    """A raw column and what the draft proposes: a published name and type, or leaving it out."""

    raw: str
    name: str | None
    type: ColumnType | None
    drop_reason: str | None
    profile: str


@dataclass(frozen=True)
class DraftResult:
    """What :func:`draft_dataset` wrote and what it leaves to a person."""

    folder: Path
    dataset_id: str
    written: list[Path]
    raw: RawFile
    rows: int
    columns: list[DraftColumn]
    id_column: str
    id_generated: bool
    target: str | None
    task: TaskType | None
    decisions: list[Decision]

    @property
    def open_decisions(self) -> list[Decision]:
        """Placeholders to fill in; publishing is refused while any is left."""
        return [d for d in self.decisions if d.blocking]

    @property
    def to_review(self) -> list[Decision]:
        """Proposals worth a second look (drops, types, the id, the split)."""
        return [d for d in self.decisions if not d.blocking]

    def summary(self) -> str:
        """What happened and what is left, as lines for a terminal."""
        published = [c for c in self.columns if c.name]
        how = ", ".join(
            part
            for part in (
                self.raw.format,
                self.raw.encoding,
                f"delimiter {self.raw.delimiter!r}" if self.raw.delimiter else None,
                f"records at '{self.raw.records_path}'" if self.raw.records_path else None,
            )
            if part
        )
        target = f"{self.target} ({self.task})" if self.target else "not chosen"
        lines = [
            f"Drafted {self.folder} from {self.raw.path} ({self.rows:,} rows; {how}).",
            "Wrote " + ", ".join(str(p.relative_to(self.folder)) for p in self.written) + ".",
            f"{len(published)} columns published, {len(self.columns) - len(published)} proposed "
            f"for 'drop'; id: {self.id_column}{' (generated)' if self.id_generated else ''}; "
            f"target: {target}.",
        ]
        for title, items in (
            ("To fill in before publishing", self.open_decisions),
            ("To review", self.to_review),
        ):
            if items:
                lines.append(f"{title}:")
                lines += [f"  - {d.key}: {d.message}" for d in items]
        return "\n".join(lines)


# --- reading the raw file --------------------------------------------------------------------


def _format_of(path: Path) -> str:
    return RawFile(path=path.name).resolved_format


def _raw_entry(raw_file: Path) -> RawFile:
    """How the raw file is read, detected once and written into the spec explicitly."""
    kind = _format_of(raw_file)
    entry: dict[str, Any] = {"path": f"raw/{raw_file.name}", "format": kind}
    if kind in ("csv", "json"):
        text, encoding = decode_text(raw_file.read_bytes(), declared=None, source=str(raw_file))
        entry["encoding"] = "utf-8" if encoding == "utf-8-sig" else encoding
        if kind == "csv":
            entry["delimiter"] = detect_delimiter(text)
        else:
            data = parse_json(text, source=str(raw_file))
            entry["records_path"] = find_records_path(data, source=str(raw_file))
    entry["sha256"] = sha256_file(raw_file)
    return RawFile.model_validate({k: v for k, v in entry.items() if v is not None})


def _text_values(raw: pd.DataFrame, header: str) -> pd.Series:
    """A raw column as nullable text, as :func:`odx.datasets.prepare.prepare` sees it."""
    values = raw[header].astype(object).where(raw[header].notna(), None)
    return pd.Series(values, dtype="string")


# --- choices that need the data ----------------------------------------------------------------


def _did_you_mean(name: str, options: list[str]) -> str:
    # Korean headers are short: one wrong syllable of two is still worth suggesting.
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _resolve(given: str, headers: list[str], names: dict[str, str]) -> str | None:
    """The raw header meant by a raw header or its drafted name; ``None`` when neither."""
    if given in headers:
        return given
    return next((h for h, n in names.items() if n == given), None)


def _dataset_id(folder: Path) -> str:
    if not re.match(ID_PATTERN, folder.name):
        raise SpecError(
            f"{folder}: the folder's name is the dataset id: 2 to 63 lower-case letters, digits "
            f"and '-', starting with a letter or digit ('{folder.name}' is not)"
        )
    return folder.name


def _task(task: str | None) -> TaskType | None:
    if task is None:
        return None
    try:
        return TaskType(task)
    except ValueError:
        options = ", ".join(t.value for t in TaskType)
        raise SpecError(
            f"task '{task}' is not one of {options}{_did_you_mean(task, [*TaskType])}"
        ) from None


def _guess_task(profile: ColumnProfile) -> TaskType:
    if profile.distinct == 2:
        return TaskType.binary
    numeric = profile.type in (ColumnType.integer, ColumnType.float)
    if numeric and profile.distinct > REGRESSION_MIN_VALUES:
        return TaskType.regression
    return TaskType.multiclass


def _suggest_id(profiles: list[ColumnProfile], target: str | None) -> str | None:
    """A unique, id-like raw column (id-like name first, then code-like values)."""
    candidates = [
        p
        for p in profiles
        if p.unique
        and p.header != target
        and p.drop_reason is None
        and p.type in (ColumnType.string, ColumnType.integer)
    ]
    named = [p for p in candidates if _ID_WORDS.search(p.header)]
    if named:
        return named[0].header
    codes = [
        p for p in candidates if p.type == ColumnType.string and " " not in "".join(p.examples)
    ]
    return codes[0].header if codes else None


def _check_id(profile: ColumnProfile, source: str) -> None:
    if profile.empty:
        raise SpecError(
            f"{source}: id column '{profile.header}' is empty in {profile.empty:,} rows; ids must "
            "be filled in (leave the id out to generate one)"
        )
    if profile.distinct < profile.rows:
        repeats = profile.rows - profile.distinct
        raise SpecError(
            f"{source}: id column '{profile.header}' repeats values ({repeats:,} rows share an "
            "id); ids must be unique (leave the id out to generate one)"
        )


def _seed(dataset_id: str) -> int:
    """A seed of its own per dataset, stable across drafts."""
    return int(hashlib.sha256(dataset_id.encode()).hexdigest()[:8], 16) % 100_000_000


# --- the draft ---------------------------------------------------------------------------------


@dataclass
class _Draft:
    """The state built up while drafting, before anything is written."""

    dataset_id: str
    source: str
    raw: RawFile
    frame: pd.DataFrame
    profiles: list[ColumnProfile]
    names: dict[str, str]
    target: str | None = None
    task: TaskType | None = None
    id_header: str | None = None
    id_name: str = GENERATED_ID
    positive_placeholder: str | None = None

    @property
    def published(self) -> list[ColumnProfile]:
        keep = {self.target, self.id_header}
        return [p for p in self.profiles if p.drop_reason is None or p.header in keep]

    @property
    def dropped(self) -> list[ColumnProfile]:
        published = {p.header for p in self.published}
        return [p for p in self.profiles if p.header not in published]

    def type_of(self, profile: ColumnProfile) -> ColumnType:
        if profile.header == self.id_header and profile.type == ColumnType.text:
            return ColumnType.string
        classes = self.task is not None and self.task.is_classification
        textual = profile.type in (ColumnType.string, ColumnType.text)
        if profile.header == self.target and classes and textual:
            return ColumnType.category
        return profile.type

    def profile(self, header: str) -> ColumnProfile:
        return next(p for p in self.profiles if p.header == header)


def _choose_target(draft: _Draft, target: str, task: TaskType | None) -> list[Decision]:
    headers = list(draft.names)
    header = _resolve(target, headers, draft.names)
    if header is None:
        raise SpecError(
            f"{draft.source}: target '{target}' is not a column of the raw file"
            f"{_did_you_mean(target, [*headers, *draft.names.values()])}"
        )
    profile = draft.profile(header)
    decisions: list[Decision] = []
    if task is None:
        task = _guess_task(profile)
        decisions.append(
            Decision("task", f"'{task}' was guessed from the target's values; confirm it", False)
        )
    draft.target, draft.task = header, task
    if task in (TaskType.regression, TaskType.ranking) and profile.type not in (
        ColumnType.integer,
        ColumnType.float,
    ):
        raise SpecError(
            f"{draft.source}: target '{header}' is not numeric (e.g. {profile.examples}); a "
            f"{task} target must be a number"
        )
    present = draft.frame[header].dropna()
    if task == TaskType.binary:
        try:
            binary_labels(present, positive=None, column=header, source=draft.source)
        except SpecError as error:
            if "target.positive" not in error.detail:
                raise
            values = sorted({str(v).strip() for v in present.unique()})
            draft.positive_placeholder = f"{PLACEHOLDER}: which value means 1: " + " or ".join(
                f"'{v}'" for v in values
            )
    if profile.empty:
        decisions.append(
            Decision(
                "target.drop_missing",
                f"{profile.empty:,} rows have no target; the draft leaves them out",
                False,
            )
        )
    if task.is_classification:
        decisions += _class_decisions(draft, present)
    return decisions


def _class_decisions(draft: _Draft, labels: pd.Series) -> list[Decision]:
    counts = labels.astype(str).str.strip().value_counts()
    rare = counts[counts < 2]
    if rare.empty:
        return []
    examples = ", ".join(f"'{v}'" for v in rare.index[:RARE_CLASS_EXAMPLES])
    separators = [s for s in ("@", ",", "|", ";", "/") if labels.astype(str).str.contains(s).any()]
    hint = (
        f"; labels hold '{separators[0]}'-separated lists: to keep the first, add "
        f"transforms: [{{split_first: '{separators[0]}'}}] to the target column"
        if separators
        else ""
    )
    return [
        Decision(
            "target",
            f"{len(rare):,} of {len(counts):,} classes of '{draft.target}' have a single row "
            f"(e.g. {examples}), so no split can put them in train and test; merge rare classes"
            f"{hint}",
            False,
        )
    ]


def _choose_id(draft: _Draft, id_column: str | None) -> list[Decision]:
    headers = list(draft.names)
    if id_column is not None:
        header = _resolve(id_column, headers, draft.names)
        if header is not None:
            _check_id(draft.profile(header), draft.source)
            draft.id_header, draft.id_name = header, draft.names[header]
            return []
        hint = _did_you_mean(id_column, [*headers, *draft.names.values()])
        if hint or not re.match(COLUMN_NAME_PATTERN, id_column):
            raise SpecError(
                f"{draft.source}: id column '{id_column}' is not a column of the raw file{hint}; "
                "a new name (letters, digits, '_') makes a generated id"
            )
        draft.id_name = id_column
        message = f"'{id_column}' is not a raw column, so the draft generates it"
    else:
        header = _suggest_id(draft.profiles, draft.target)
        if header is not None:
            draft.id_header, draft.id_name = header, draft.names[header]
            return [
                Decision(
                    "id_column",
                    f"'{header}' was chosen as the id: unique in every row and id-like; confirm it",
                    False,
                )
            ]
        message = f"no raw column is unique and id-like, so the draft generates '{GENERATED_ID}'"
    if draft.id_name in {draft.names[p.header] for p in draft.published}:
        raise SpecError(
            f"{draft.source}: the generated id '{draft.id_name}' has the name of a raw column's "
            "draft; choose another id name"
        )
    return [Decision("id_column", message, False)]


def _split(draft: _Draft) -> tuple[dict[str, Any], list[Decision]]:
    method = "random"
    if draft.task is not None and draft.task.is_classification and draft.target:
        counts = draft.frame[draft.target].dropna().astype(str).str.strip().value_counts()
        if counts.min() >= 2:
            method = "stratified"
    split = {
        "method": method,
        "test_fraction": TEST_FRACTION,
        "public_fraction": PUBLIC_FRACTION,
        "seed": _seed(draft.dataset_id),
        "reason": f"{PLACEHOLDER}: why a {method} split fits this data (see the comment above)",
    }
    hints = []
    groups = [
        draft.names[p.header]
        for p in draft.published
        if _ID_WORDS.search(p.header) and not p.unique and p.header != draft.target
    ]
    times = [
        draft.names[p.header]
        for p in draft.published
        if _TIME_WORDS.search(p.header) or p.type in (ColumnType.date, ColumnType.datetime)
    ]
    if groups:
        hints.append(f"rows sharing '{groups[0]}' may describe one entity: method: group")
    if times:
        hints.append(f"to predict later rows from earlier ones: method: time on '{times[0]}'")
    how = "at random, keeping each class's share" if method == "stratified" else "at random"
    message = f"the draft splits rows {how}; say why that fits in split.reason"
    if hints:
        message += "; or " + "; or ".join(hints)
    return split, [Decision("split", message, True)]


def _columns(draft: _Draft) -> tuple[list[dict[str, Any]], list[str]]:
    """Spec entries of the published columns, and a comment line for each."""
    entries, comments = [], []
    for profile in draft.published:
        name = draft.names[profile.header]
        header = profile.header
        # The raw header is kept as the description in its own language; the other is asked for.
        if has_hangul(header):
            description = {"ko": header, "en": f"{PLACEHOLDER}: English description of '{header}'"}
        else:
            description = {"ko": f"{PLACEHOLDER}: '{header}'의 한국어 설명", "en": header}
        entry: dict[str, Any] = {"name": name}
        if name != header:
            entry["source"] = header
        entry["type"] = draft.type_of(profile).value
        entry["description"] = description
        entries.append(entry)
        comments.append(profile.describe())
    return entries, comments


def _prepared(draft: _Draft) -> tuple[pd.DataFrame, dict[str, ColumnType]]:
    """The dataset as :mod:`odx.datasets.prepare` will make it, for drafting the suite."""
    columns: dict[str, pd.Series] = {}
    types: dict[str, ColumnType] = {}
    if draft.id_header is None:
        ids = generated_ids(len(draft.frame), seed=_seed(draft.dataset_id), prefix="")
        columns[draft.id_name] = pd.Series(ids, dtype="str")
        types[draft.id_name] = ColumnType.string
    for profile in draft.published:
        name, kind = draft.names[profile.header], draft.type_of(profile)
        column = Column(name=name, type=kind, description=Text(ko="-", en="-"))
        columns[name] = cast_column(_text_values(draft.frame, profile.header), column)
        types[name] = kind
    frame = pd.DataFrame(columns)
    if draft.target:
        target = draft.names[draft.target]
        frame = frame[frame[target].notna()].reset_index(drop=True)
        if draft.task == TaskType.binary and draft.positive_placeholder is None:
            frame[target] = binary_labels(
                frame[target], positive=None, column=target, source=draft.source
            )
    return frame, types


def _spec(draft: _Draft, raw_file: Path) -> tuple[dict[str, Any], list[str], list[Decision]]:
    columns, comments = _columns(draft)
    split, split_decisions = _split(draft)
    target: dict[str, Any] = {
        "column": draft.names[draft.target]
        if draft.target
        else f"{PLACEHOLDER}: the column participants predict (a name under 'columns')"
    }
    if draft.target and draft.profile(draft.target).empty:
        target["drop_missing"] = True
    if draft.positive_placeholder:
        target["positive"] = draft.positive_placeholder
    id_spec: dict[str, Any] = {"column": draft.id_name}
    if draft.id_header is None:
        id_spec["generate"] = True
    checksum = draft.raw.sha256 or ""
    spec = {
        "id": draft.dataset_id,
        "title": {"ko": f"{PLACEHOLDER}: 제목", "en": f"{PLACEHOLDER}: title"},
        "description": {
            "ko": f"{PLACEHOLDER}: 어떤 데이터이고 무엇을 예측하는지",
            "en": f"{PLACEHOLDER}: what the data is and what is predicted",
        },
        "task": draft.task.value
        if draft.task
        else f"{PLACEHOLDER}: binary, multiclass, regression or ranking",
        "source": {
            "agency": {
                "ko": f"{PLACEHOLDER}: 제공 기관",
                "en": f"{PLACEHOLDER}: the agency that publishes the data",
            },
            "reference": f"{PLACEHOLDER}: where exactly the file came from (portal, dataset "
            "number, date)",
            "licence": {
                "name": f"{PLACEHOLDER}: the licence or terms of use (e.g. 공공누리 제1유형)"
            },
            "provenance": f"Copied unchanged from {raw_file.name} (sha256 {checksum[:8]}…).",
        },
        "raw": [draft.raw.model_dump(exclude_none=True)],
        "id_column": id_spec,
        "target": target,
        "columns": columns,
        "drop": [{"column": p.header, "reason": p.drop_reason} for p in draft.dropped],
        "split": split,
        "quality": {"suite": SUITE_FILENAME},
    }
    return spec, comments, split_decisions


def _text_decisions(spec: dict[str, Any]) -> list[Decision]:
    decisions = [
        Decision("title", "a short title in Korean and English", True),
        Decision("description", "what the data is and what is predicted, in both languages", True),
        Decision("source.agency", "the agency that publishes the data", True),
        Decision("source.reference", "where exactly the raw file came from", True),
        Decision("source.licence.name", "the licence or terms the data may be reused under", True),
    ]
    for lang, language in (("ko", "Korean"), ("en", "English")):
        missing = [
            c["name"] for c in spec["columns"] if c["description"][lang].startswith(PLACEHOLDER)
        ]
        if missing:
            decisions.append(
                Decision(
                    f"columns[].description.{lang}",
                    f"{language} descriptions of {len(missing)} columns (the other language "
                    f"holds the raw header): {', '.join(missing)}",
                    True,
                )
            )
    if spec["target"]["column"].startswith(PLACEHOLDER):
        decisions.append(Decision("target.column", "the column participants predict", True))
    if str(spec["task"]).startswith(PLACEHOLDER):
        decisions.append(
            Decision("task", "binary, multiclass, regression or ranking", True),
        )
    if "positive" in spec["target"]:
        decisions.append(
            Decision("target.positive", "which of the target's two values means 1", True)
        )
    return decisions


def _review_decisions(draft: _Draft) -> list[Decision]:
    decisions = [
        Decision(f"drop[{i}]", f"'{p.header}': {p.drop_reason}", False)
        for i, p in enumerate(draft.dropped)
    ]
    renamed = [p.header for p in draft.published if draft.names[p.header] != p.header]
    if renamed:
        shown = ", ".join(f"{h} -> {draft.names[h]}" for h in renamed[:3])
        decisions.append(
            Decision(
                "columns[].name",
                f"{len(renamed)} names are romanised from the raw headers ({shown}, ...); "
                "rename them freely (expectations.json uses the names too)",
                False,
            )
        )
    decisions.append(
        Decision(
            "columns[].type",
            "types are proposed from the values (see the comment above each column)",
            False,
        )
    )
    decisions.append(
        Decision(
            SUITE_FILENAME,
            "drafted from this file's values: value sets, ranges with a margin, not-null "
            "where nothing is empty; widen what next year's file may exceed",
            False,
        )
    )
    return decisions


def draft_dataset(
    folder: Path,
    raw_file: Path,
    *,
    target: str | None = None,
    task: str | None = None,
    id_column: str | None = None,
) -> DraftResult:
    """Write a draft dataset into ``folder`` (whose name is the dataset id) from ``raw_file``.

    ``target`` and ``id_column`` name a raw column (or its drafted name); an ``id_column``
    that is not in the raw file is generated. Without ``task``, it is guessed from the
    target's values. Nothing is written when the raw file cannot be read or the choices do
    not fit the data; an existing spec is never overwritten.
    """
    folder, raw_file = Path(folder), Path(raw_file)
    dataset_id = _dataset_id(folder)
    spec_path = folder / SPEC_FILENAME
    if spec_path.exists():
        raise SpecError(f"{spec_path}: already exists; draft into a new folder or remove it")
    if not raw_file.is_file():
        raise RawDataError(f"{raw_file}: raw file not found")
    task_type = _task(task)
    entry = _raw_entry(raw_file)
    frame, _, _ = read_raw_file(raw_file, entry)
    if frame.empty or len(frame.columns) < 2:
        raise RawDataError(f"{raw_file}: a dataset needs rows and at least two columns")
    frame.columns = [str(c) for c in frame.columns]
    draft = _Draft(
        dataset_id=dataset_id,
        source=str(raw_file),
        raw=entry,
        frame=frame,
        profiles=profile_frame(frame),
        names=column_names(list(frame.columns)),
        task=task_type,
    )
    decisions: list[Decision] = []
    if target is not None:
        decisions += _choose_target(draft, target, task_type)
    decisions += _choose_id(draft, id_column)
    spec, comments, split_decisions = _spec(draft, raw_file)
    prepared, types = _prepared(draft)
    suite = draft_suite(
        dataset_id,
        prepared,
        types,
        id_column=draft.id_name,
        target=draft.names[draft.target] if draft.target else None,
        task=draft.task,
        origin=entry.path,
    )
    text = spec_text(
        spec, column_comments=comments, drop_comments=[p.describe() for p in draft.dropped]
    )
    if draft.target and not draft.positive_placeholder:
        parse_spec(text, source=str(spec_path))  # the draft must load as written
    written = _write(folder, raw_file, entry, text, suite_text(suite))
    dropped = {p.header for p in draft.dropped}
    return DraftResult(
        folder=folder,
        dataset_id=dataset_id,
        written=written,
        raw=entry,
        rows=len(frame),
        columns=[
            DraftColumn(
                raw=p.header,
                name=None if p.header in dropped else draft.names[p.header],
                type=None if p.header in dropped else draft.type_of(p),
                drop_reason=p.drop_reason if p.header in dropped else None,
                profile=p.describe(),
            )
            for p in draft.profiles
        ],
        id_column=draft.id_name,
        id_generated=draft.id_header is None,
        target=draft.names[draft.target] if draft.target else None,
        task=draft.task,
        decisions=_text_decisions(spec) + split_decisions + decisions + _review_decisions(draft),
    )


def _write(folder: Path, raw_file: Path, entry: RawFile, spec: str, suite: str) -> list[Path]:
    copy = folder / entry.path
    if copy.exists() and copy.resolve() != raw_file.resolve() and sha256_file(copy) != entry.sha256:
        raise RawDataError(f"{copy}: a different file of this name is already there")
    folder.mkdir(parents=True, exist_ok=True)
    copy.parent.mkdir(exist_ok=True)
    if not copy.exists():
        shutil.copyfile(raw_file, copy)
    (folder / SPEC_FILENAME).write_text(spec, encoding="utf-8")
    (folder / SUITE_FILENAME).write_text(suite, encoding="utf-8")
    return [folder / SPEC_FILENAME, folder / SUITE_FILENAME, copy]
