"""The dataset spec (``dataset.yaml``): what a dataset is, where it came from, how it is split.

Loading a spec never touches the raw data; :func:`load_spec` turns every mistake into a
:class:`SpecError` that names the file and the key, like a compiler would. Every field's
``description`` and ``examples`` also feed the reference ``docs/dataset-spec.md``
(:mod:`odx.datasets.spec_reference`), so they are written for the organizer who edits the file.
"""

from __future__ import annotations

import hashlib
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from odx.datasets.errors import CoreError
from odx.datasets.specfile import parse_yaml_model, read_utf8

SPEC_FILENAME = "dataset.yaml"
ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"
COLUMN_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
# A drafted spec marks what a person must still write with text starting like this. The loader
# accepts it in free text (so a draft can be checked while it is written) and refuses it where
# the data depends on it; the gate refuses to publish while any is left.
PLACEHOLDER = "TODO"


class SpecError(CoreError):
    """A dataset spec that cannot be used as written."""

    code = "invalid_dataset_spec"
    title = "Invalid dataset spec"


def is_placeholder(value: object) -> bool:
    """Whether a value is a draft's "TODO: ..." placeholder."""
    return isinstance(value, str) and value.lstrip().startswith(PLACEHOLDER)


def _refuse_placeholder(value: object, what: str) -> object:
    if is_placeholder(value):
        raise ValueError(f"fill in {what} (the draft left the placeholder {value!r})")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    """A text in Korean and English; Korean is the platform's first language."""

    ko: str = Field(min_length=1, description="The Korean text.", examples=["전국 전통시장 점포수"])
    en: str = Field(
        min_length=1,
        description="The English text.",
        examples=["Number of stores in traditional markets"],
    )


class TaskType(StrEnum):
    binary = "binary"
    multiclass = "multiclass"
    regression = "regression"
    ranking = "ranking"

    @property
    def is_classification(self) -> bool:
        return self in (TaskType.binary, TaskType.multiclass)


TASK_MEANINGS: dict[TaskType, str] = {
    TaskType.binary: "two classes, published as 0 and 1 (see *Binary targets*)",
    TaskType.multiclass: "one label out of several",
    TaskType.regression: "a number",
    TaskType.ranking: "for each row (a query), the relevant items, as space-separated ids of "
    "the items table (see *Ranking*)",
}


class ColumnType(StrEnum):
    string = "string"  # short identifiers and codes
    text = "text"  # free text (scanned for personal data)
    category = "category"
    integer = "integer"
    float = "float"
    boolean = "boolean"
    date = "date"
    datetime = "datetime"


COLUMN_TYPE_MEANINGS: dict[ColumnType, str] = {
    ColumnType.string: "short text: names, identifiers, codes (trimmed; empty is missing)",
    ColumnType.text: "free text, kept as written (line breaks normalised); scanned for personal "
    "data",
    ColumnType.category: "one of a few labels (trimmed; empty is missing)",
    ColumnType.integer: "whole numbers; thousands separators (1,234) are removed",
    ColumnType.float: "decimal numbers; thousands separators are removed",
    ColumnType.boolean: "Y/N, yes/no, true/false or 1/0 in any case, published as True/False",
    ColumnType.date: "ISO dates, published as YYYY-MM-DD",
    ColumnType.datetime: "ISO date-times, published as YYYY-MM-DD HH:MM:SS",
}


class Licence(_Strict):
    name: str = Field(
        min_length=1,
        description="The licence or terms of use the raw data is published under.",
        examples=["공공누리 제1유형 (출처표시)"],
    )
    url: str | None = Field(
        default=None,
        description="Where the licence text can be read.",
        examples=["https://www.kogl.or.kr/info/licenseType1.do"],
    )
    note: str | None = Field(
        default=None,
        description="Anything a reuser should know about the terms (shown in the data card).",
        examples=["The exact 공공누리 type was not confirmed for this release."],
    )


class Source(_Strict):
    agency: Text = Field(
        description="The agency that publishes the raw data.",
        examples=[{"ko": "소상공인시장진흥공단", "en": "Small Enterprise and Market Service"}],
    )
    url: str | None = Field(
        default=None,
        description="The page where the raw data is published.",
        examples=["https://www.data.go.kr/data/15012894/standard.do"],
    )
    reference: str = Field(
        min_length=1,
        description="Where exactly the raw data came from: portal, dataset number, date, file.",
        examples=["공공데이터포털 전국전통시장표준데이터 (dataset 15012894), 2024-11-04"],
    )
    licence: Licence = Field(
        description="Terms under which the raw data may be republished.",
        examples=[{"name": "공공누리 제1유형 (출처표시)"}],
    )
    provenance: str | None = Field(
        default=None,
        description="How the raw file reached us (downloaded, received, generated).",
        examples=["Downloaded from the portal on 2024-11-20; bytes unchanged."],
    )


class RawFile(_Strict):
    path: str = Field(
        min_length=1,
        description="Path of the raw file, relative to the spec's folder.",
        examples=["raw/markets.csv"],
    )
    format: Literal["csv", "json", "excel", "parquet"] | None = Field(
        default=None,
        description="File format; taken from the file name's suffix if absent "
        "(.json, .xlsx/.xls, .parquet, anything else CSV).",
        examples=["csv"],
    )
    encoding: str | None = Field(
        default=None,
        description="Text encoding of a CSV or JSON file; UTF-8 (with or without BOM) or CP949 "
        "is detected if absent.",
        examples=["cp949"],
    )
    delimiter: str | None = Field(
        default=None,
        min_length=1,
        max_length=1,
        description="CSV field separator; detected (comma, tab, semicolon or pipe) if absent.",
        examples=[","],
    )
    records_path: str | None = Field(
        default=None,
        description="JSON: dotted path of the key that holds the list of records.",
        examples=["response.body.items"],
    )
    sha256: str | None = Field(
        default=None,
        description="Expected checksum of the raw file; a changed file is refused until the spec "
        "says so.",
        examples=["4106bb036330cf84196b6a220e2e487c1cbad2b3155d1fbe070bb1c44f18f4bc"],
    )

    @field_validator("path")
    @classmethod
    def _inside_the_folder(cls, path: str) -> str:
        parts = Path(path).parts
        if Path(path).is_absolute() or ".." in parts or re.match(r"^[A-Za-z]:", path):
            raise ValueError(f"'{path}' leaves the dataset folder; give a path inside it")
        return path

    @model_validator(mode="after")
    def _options_fit_format(self) -> RawFile:
        if self.delimiter and self.resolved_format != "csv":
            raise ValueError(f"'delimiter' applies to CSV files, not to {self.resolved_format}")
        if self.records_path and self.resolved_format != "json":
            raise ValueError(f"'records_path' applies to JSON files, not to {self.resolved_format}")
        return self

    @property
    def resolved_format(self) -> str:
        if self.format:
            return self.format
        suffix = Path(self.path).suffix.lower()
        return {".json": "json", ".xlsx": "excel", ".xls": "excel", ".parquet": "parquet"}.get(
            suffix, "csv"
        )


class SplitFirst(_Strict):
    split_first: str = Field(
        min_length=1,
        description="Keep the text before this separator (e.g. the first of '@'-separated labels).",
        examples=["@"],
    )


Transform = Literal["html_unescape", "strip", "collapse_whitespace"] | SplitFirst

TRANSFORM_MEANINGS: dict[str, str] = {
    "html_unescape": "decode HTML entities such as `&amp;` and `&#40;` (twice, for feeds that "
    "escape twice)",
    "strip": "remove spaces at both ends",
    "collapse_whitespace": "turn every run of spaces and line breaks into one space",
    "{split_first: SEP}": "keep the text before the first SEP",
}


class Column(_Strict):
    name: str = Field(
        pattern=COLUMN_NAME_PATTERN,
        description="Published column name: letters, digits and '_', not starting with a digit.",
        examples=["store_count"],
    )
    source: str | None = Field(
        default=None,
        description="Raw column it is read from, as written in the raw file; default: name.",
        examples=["점포수"],
    )
    type: ColumnType = Field(
        description="How values are read and published (see *Column types*).",
        examples=["integer"],
    )
    description: Text = Field(
        description="What the column means, shown in the data card.",
        examples=[{"ko": "점포수", "en": "Number of stores"}],
    )
    transforms: list[Transform] = Field(
        default_factory=list,
        description="Cleaning steps applied in order before typing (see *Transforms*).",
        examples=[["html_unescape", "strip"]],
    )

    @property
    def raw_name(self) -> str:
        return self.source or self.name


class DroppedColumn(_Strict):
    column: str = Field(
        min_length=1,
        description="Raw column that is not published, as written in the raw file.",
        examples=["전화번호"],
    )
    reason: str = Field(
        min_length=3,
        description="Why it is not published (shown in the data card).",
        examples=["phone number of the market office (contact details are not published)"],
    )


class IdSpec(_Strict):
    column: str = Field(
        min_length=1,
        description="The column that identifies a row in train, test and submissions.",
        examples=["market_id"],
    )
    generate: bool = Field(
        default=False,
        description="Make a stable, meaningless id (a hash of the split seed and the row's "
        "position) when the raw data has none; the column must then not be in 'columns'.",
        examples=[True],
    )
    prefix: str = Field(default="", description="Text put before generated ids.", examples=["MKT-"])

    @field_validator("column")
    @classmethod
    def _filled_in(cls, value: str) -> str:
        return str(_refuse_placeholder(value, "the id column"))


class TargetSpec(_Strict):
    column: str = Field(
        min_length=1,
        description="The column participants predict; it must be among 'columns'.",
        examples=["store_count"],
    )
    drop_missing: bool = Field(
        default=False,
        description="Drop raw rows whose target is empty (reported in the card); otherwise an "
        "empty target is an error.",
        examples=[True],
    )
    positive: str | None = Field(
        default=None,
        description="Binary tasks: the target value that means 1 (the other value means 0). Not "
        "needed for Y/N, yes/no, true/false and 1/0 (see *Binary targets*).",
        examples=["부실"],
    )

    @field_validator("column")
    @classmethod
    def _column_filled_in(cls, value: str) -> str:
        return str(_refuse_placeholder(value, "the target: the column participants predict"))

    @field_validator("positive", mode="before")
    @classmethod
    def _positive_as_text(cls, value: Any) -> Any:
        """YAML reads ``yes`` as true and ``1`` as a number; all are compared as text."""
        _refuse_placeholder(value, "which target value is the positive class")
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(int(value)) if float(value).is_integer() else str(value)
        return value


class SplitSpec(_Strict):
    method: Literal["random", "stratified", "time", "group"] = Field(
        description="random: rows at random; stratified: at random keeping class shares; time: "
        "the latest values of 'column' go to test; group: rows sharing a value of 'column' stay "
        "on one side.",
        examples=["group"],
    )
    column: str | None = Field(
        default=None,
        description="The time or group column (time and group splits only).",
        examples=["market_name"],
    )
    test_fraction: float = Field(
        gt=0, lt=1, description="Share of rows held out as the test set.", examples=[0.3]
    )
    public_fraction: float = Field(
        gt=0,
        lt=1,
        description="Share of test rows on the public leaderboard; the rest score the private one.",
        examples=[0.5],
    )
    seed: int = Field(
        ge=0,
        le=2**32 - 1,  # what numpy's generators take
        description="Seed of every random choice, so the same inputs give the same split.",
        examples=[20251124],
    )
    reason: str | None = Field(
        default=None,
        min_length=3,
        description="Why this rule fits the data, for reviewers of the spec (e.g. rows of one "
        "firm must not be on both sides).",
        examples=["each market is one row; markets of one name stay together"],
    )

    @field_validator("method", mode="before")
    @classmethod
    def _method_filled_in(cls, value: Any) -> Any:
        return _refuse_placeholder(value, "the split method: random, stratified, time or group")

    @model_validator(mode="after")
    def _column_for_method(self) -> SplitSpec:
        if self.method in ("time", "group") and not self.column:
            raise ValueError(f"split method '{self.method}' needs 'column'")
        if self.method in ("random", "stratified") and self.column:
            raise ValueError(f"split method '{self.method}' takes no 'column'")
        return self


class LeakageThresholds(_Strict):
    max_feature_target_score: float = Field(
        default=0.95,
        gt=0,
        le=1,
        description="Multiclass and regression: out-of-fold accuracy (multiclass) or R² "
        "(regression) of a lookup on one feature above which that feature is said to leak the "
        "target (it must also close over half the gap from the baseline to perfect).",
        examples=[0.9],
    )
    max_feature_auc: float = Field(
        default=0.85,
        gt=0.5,
        le=1,
        description="Binary targets: a feature whose own AUC is above this leaks the target. "
        "Numbers are ranked as they are (max(AUC, 1 − AUC)); other features by their out-of-fold "
        "positive rate per value. AUC does not reward the majority class, so imbalanced targets "
        "are judged fairly.",
        examples=[0.85],
    )
    max_adversarial_auc: float = Field(
        default=0.75,
        gt=0.5,
        le=1,
        description="Largest AUC of a model telling train rows from test rows (0.5: the split "
        "is indistinguishable); higher means test differs from train.",
        examples=[0.75],
    )
    max_cross_split_duplicates: float = Field(
        default=0.01,
        ge=0,
        le=1,
        description="Largest share of test rows whose features repeat a train row.",
        examples=[0.01],
    )
    id_like_uniqueness: float = Field(
        default=0.99,
        gt=0,
        le=1,
        description="A feature with at least this share of distinct values acts as a row id.",
        examples=[0.99],
    )
    exclude_from_adversarial: list[str] = Field(
        default_factory=list,
        description="Columns left out of the train-versus-test model (the split column always "
        "is), e.g. a year that differs by design.",
        examples=[["opened_year"]],
    )
    allow_unique: dict[str, str] = Field(
        default_factory=dict,
        description="Column -> reason, for features unique per row by nature (an address).",
        examples=[{"road_address": "an address is unique per market by nature"}],
    )


class PrivacySpec(_Strict):
    allow: dict[str, str] = Field(
        default_factory=dict,
        description="Column -> reason, for columns allowed to hold contact-like values (a "
        "public switchboard number).",
        examples=[{"memo": "public switchboard numbers of shops"}],
    )
    quasi_identifiers: list[str] = Field(
        default_factory=list,
        description="Columns that together could single out a person or firm; checked for "
        "k-anonymity.",
        examples=[["region", "industry"]],
    )
    k_anonymity: int = Field(
        default=1,
        ge=1,
        le=1_000_000,
        description="Smallest number of rows that must share every combination of the "
        "quasi-identifiers.",
        examples=[10],
    )


class QualitySpec(_Strict):
    suite: str = Field(
        default="expectations.json",
        description="Great Expectations suite (GX 1.x JSON) beside the spec, run on the prepared "
        "dataset: published column names and types, a binary target as 0/1.",
        examples=["expectations.json"],
    )
    leakage: LeakageThresholds = Field(
        default_factory=LeakageThresholds,
        description="Thresholds of the leakage checks.",
        examples=[{"max_feature_auc": 0.85}],
    )
    privacy: PrivacySpec = Field(
        default_factory=PrivacySpec,
        description="Personal-data allowances and k-anonymity.",
        examples=[{"k_anonymity": 10, "quasi_identifiers": ["region", "industry"]}],
    )


class ReleaseSpec(_Strict):
    test_features: Literal["public", "hidden"] = Field(
        default="public",
        description="public: test.csv is published and participants upload predictions; "
        "hidden: the test features are kept beside the labels and only models run on them "
        "(model challenges), with test_sample.csv published for local checks.",
        examples=["hidden"],
    )
    test_sample_rows: int = Field(
        default=100,
        ge=1,
        le=10000,
        description="With hidden test features: how many test rows test_sample.csv shows "
        "(without labels).",
        examples=[100],
    )


TABLE_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,40}$"
# Names a release already uses for its own files; a table may not take one.
RESERVED_TABLE_NAMES = ("train", "test", "test_sample", "sample_submission", "labels", "manifest")


class TableSpec(_Strict):
    """A further public table beside the main one, published as ``<name>.csv`` (a ranking
    task's items, an interactions log). Its columns are read, cleaned and typed as the main
    table's are, and every raw column is either published or dropped with a reason."""

    name: str = Field(
        pattern=TABLE_NAME_PATTERN,
        description="Table name; the release publishes it as <name>.csv.",
        examples=["programmes"],
    )
    description: Text = Field(
        description="What one row of the table is, shown in the data card.",
        examples=[{"ko": "지원사업 공고", "en": "Support programmes, one per row"}],
    )
    raw: RawFile = Field(
        description="The table's raw file.", examples=[{"path": "raw/programmes.csv"}]
    )
    columns: list[Column] = Field(
        min_length=1,
        description="Published columns, in order (as the main table's).",
        examples=[
            [
                {
                    "name": "programme_id",
                    "source": "pblancId",
                    "type": "string",
                    "description": {"ko": "공고 ID", "en": "Announcement id"},
                }
            ]
        ],
    )
    drop: list[DroppedColumn] = Field(
        default_factory=list,
        description="Raw columns not published, each with its reason.",
        examples=[[{"column": "rceptInsttTelno", "reason": "contact phone number"}]],
    )
    id_column: str | None = Field(
        default=None,
        description="A column whose values are unique and never empty (a ranking's item id).",
        examples=["programme_id"],
    )

    @model_validator(mode="after")
    def _consistent(self) -> TableSpec:
        if self.name in RESERVED_TABLE_NAMES:
            raise ValueError(f"table name '{self.name}' is a release file's own name")
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"table '{self.name}' declares a column twice")
        if self.id_column is not None and self.id_column not in names:
            raise ValueError(f"table '{self.name}': id_column '{self.id_column}' is not a column")
        return self

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"


class RankingSpec(_Strict):
    """A ranking task: each row of the main table is a query (a company), its target the
    space-separated ids of the relevant items, and a submission ranks at most ``k`` items."""

    k: int = Field(
        default=10,
        ge=1,
        le=100,
        description="How many items a ranked list holds at most.",
        examples=[10],
    )
    items: str = Field(
        description="The table (in 'tables') of the items a list may name.",
        examples=["programmes"],
    )
    item_id: str = Field(
        description="That table's id column: the ids a list is made of.",
        examples=["programme_id"],
    )


class DatasetSpec(_Strict):
    id: Annotated[str, Field(pattern=ID_PATTERN)] = Field(
        description="The dataset id: lower-case letters, digits and '-'; equal to the folder name.",
        examples=["market-store-count"],
    )
    title: Text = Field(
        description="Short title, shown in lists and on the data card.",
        examples=[{"ko": "전국 전통시장 점포수 예측", "en": "Stores in traditional markets"}],
    )
    description: Text = Field(
        description="What the data is and what is predicted, a paragraph in each language.",
        examples=[{"ko": "전국 전통시장 1,388곳의 ...", "en": "1,388 traditional markets ..."}],
    )
    task: TaskType = Field(description="What is predicted (see *Tasks*).", examples=["regression"])
    source: Source = Field(
        description="Where the raw data came from and under which terms.",
        examples=[
            {
                "agency": {"ko": "소상공인시장진흥공단", "en": "Small Enterprise and Market"},
                "reference": "공공데이터포털 dataset 15012894, 2024-11-04",
                "licence": {"name": "공공누리 제1유형 (출처표시)"},
            }
        ],
    )
    synthetic: bool = Field(
        default=False,
        description="The rows are generated, not observed (the card says so at the top).",
        examples=[True],
    )
    raw: list[RawFile] = Field(
        min_length=1,
        description="Raw files, read and concatenated in order; they must share their columns.",
        examples=[[{"path": "raw/markets.csv", "encoding": "cp949"}]],
    )
    columns: list[Column] = Field(
        min_length=2,
        description="Published columns, in order. Every raw column is either here or in 'drop'.",
        examples=[
            [
                {
                    "name": "store_count",
                    "source": "점포수",
                    "type": "integer",
                    "description": {"ko": "점포수", "en": "Number of stores"},
                }
            ]
        ],
    )
    drop: list[DroppedColumn] = Field(
        default_factory=list,
        description="Raw columns that are not published, each with its reason.",
        examples=[[{"column": "전화번호", "reason": "contact phone number of the market office"}]],
    )
    id_column: IdSpec = Field(
        description="The row id.", examples=[{"column": "market_id", "generate": True}]
    )
    target: TargetSpec = Field(
        description="What participants predict.", examples=[{"column": "store_count"}]
    )
    split: SplitSpec = Field(
        description="How rows are divided into train and test.",
        examples=[
            {
                "method": "group",
                "column": "market_name",
                "test_fraction": 0.3,
                "public_fraction": 0.5,
                "seed": 20251124,
            }
        ],
    )
    quality: QualitySpec = Field(
        default_factory=QualitySpec,
        description="The quality gate's suite and thresholds.",
        examples=[{"suite": "expectations.json", "leakage": {"max_adversarial_auc": 0.7}}],
    )
    release: ReleaseSpec = Field(
        default_factory=ReleaseSpec,
        description="What a release publishes.",
        examples=[{"test_features": "hidden"}],
    )
    tables: list[TableSpec] = Field(
        default_factory=list,
        description="Further public tables, each published as <name>.csv (see *Tables*).",
        examples=[[{"name": "programmes", "raw": {"path": "raw/programmes.csv"}}]],
    )
    ranking: RankingSpec | None = Field(
        default=None,
        description="Ranking tasks: the items table, its id and k (see *Ranking*).",
        examples=[{"k": 10, "items": "programmes", "item_id": "programme_id"}],
    )
    notes: Text | None = Field(
        default=None,
        description="Traps and caveats for participants (shown in the data card).",
        examples=[{"ko": "시장명이 여러 지역에 반복됩니다.", "en": "Market names recur."}],
    )

    @field_validator("task", mode="before")
    @classmethod
    def _task_filled_in(cls, value: Any) -> Any:
        return _refuse_placeholder(value, "the task: binary, multiclass, regression or ranking")

    @field_validator("columns")
    @classmethod
    def _unique_names(cls, columns: list[Column]) -> list[Column]:
        seen: set[str] = set()
        for column in columns:
            if column.name in seen:
                raise ValueError(f"column '{column.name}' is declared twice")
            seen.add(column.name)
        return columns

    @model_validator(mode="after")
    def _references_exist(self) -> DatasetSpec:
        names = {c.name for c in self.columns}
        if self.id_column.column not in names and not self.id_column.generate:
            raise ValueError(f"id_column '{self.id_column.column}' is not among 'columns'")
        if self.id_column.generate and self.id_column.column in names:
            raise ValueError(
                f"generated id_column '{self.id_column.column}' must not be in 'columns'"
            )
        if self.target.column not in names:
            raise ValueError(f"target '{self.target.column}' is not among 'columns'")
        if self.target.column == self.id_column.column:
            raise ValueError("the target cannot be the id column")
        if self.target.positive is not None and self.task != TaskType.binary:
            raise ValueError(f"target.positive is read for a binary task only, not '{self.task}'")
        self._check_tables()
        if self.split.method == "stratified" and not self.task.is_classification:
            raise ValueError(f"a stratified split needs a classification task, not '{self.task}'")
        leakage = self.quality.leakage
        referenced = {
            "split.column": [self.split.column] if self.split.column else [],
            "quality.privacy.quasi_identifiers": self.quality.privacy.quasi_identifiers,
            "quality.privacy.allow": list(self.quality.privacy.allow),
            "quality.leakage.exclude_from_adversarial": leakage.exclude_from_adversarial,
            "quality.leakage.allow_unique": list(self.quality.leakage.allow_unique),
        }
        for key, columns in referenced.items():
            for column in columns:
                if column not in names:
                    raise ValueError(f"{key} names '{column}', which is not among 'columns'")
        return self

    def _check_tables(self) -> None:
        tables = {t.name: t for t in self.tables}
        if len(tables) != len(self.tables):
            raise ValueError("tables: two tables share a name")
        if (self.task == TaskType.ranking) != (self.ranking is not None):
            raise ValueError("a ranking task needs 'ranking', and only a ranking task takes it")
        if self.ranking is None:
            return
        items = tables.get(self.ranking.items)
        if items is None:
            raise ValueError(f"ranking.items names '{self.ranking.items}', which is not a table")
        if items.id_column != self.ranking.item_id:
            raise ValueError(
                f"ranking.item_id '{self.ranking.item_id}' must be the id_column of table "
                f"'{items.name}'"
            )
        if self.column(self.target.column).type not in (ColumnType.string, ColumnType.text):
            raise ValueError("a ranking target holds space-separated item ids: give it type string")

    @property
    def raw_files(self) -> list[RawFile]:
        """Every raw file the spec reads: the main table's, then each further table's."""
        return [*self.raw, *(t.raw for t in self.tables)]

    def table(self, name: str) -> TableSpec:
        return next(t for t in self.tables if t.name == name)

    @property
    def feature_columns(self) -> list[str]:
        """Published columns other than the id and the target."""
        skip = {self.id_column.column, self.target.column}
        return [c.name for c in self.columns if c.name not in skip]

    @property
    def published_columns(self) -> list[str]:
        """Every column of the prepared dataset: a generated id first, then 'columns'."""
        generated = [self.id_column.column] if self.id_column.generate else []
        return generated + [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def placeholders(spec: DatasetSpec) -> list[str]:
    """Keys (``title.ko``, ``columns[3].description.en``) still holding a draft's placeholder."""
    found: list[str] = []

    def walk(value: Any, key: str) -> None:
        if isinstance(value, dict):
            for name, item in value.items():
                walk(item, f"{key}.{name}" if key else str(name))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{key}[{i}]")
        elif is_placeholder(value):
            found.append(key)

    walk(spec.model_dump(mode="json"), "")
    return found


class LoadedSpec(BaseModel):
    """A spec together with the folder it came from and the exact bytes that defined it."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    spec: DatasetSpec
    folder: Path
    spec_sha256: str

    @property
    def path(self) -> Path:
        return self.folder / SPEC_FILENAME

    @property
    def suite_path(self) -> Path:
        return self.folder / self.spec.quality.suite

    def raw_path(self, raw: RawFile) -> Path:
        return self.folder / raw.path


def parse_spec(text: str, *, source: str) -> DatasetSpec:
    """Parse spec text; ``source`` names the file in error messages."""
    return parse_yaml_model(text, DatasetSpec, source=source, error=SpecError)


def load_spec(folder: Path) -> LoadedSpec:
    """Load ``dataset.yaml`` from a dataset folder."""
    path = folder / SPEC_FILENAME
    if not path.is_file():
        raise SpecError(f"{path}: no dataset spec here (expected a file named {SPEC_FILENAME})")
    raw, text = read_utf8(path, error=SpecError)
    spec = parse_spec(text, source=str(path))
    if spec.id != folder.name:
        raise SpecError(f"{path}: id: '{spec.id}' must equal the folder name '{folder.name}'")
    return LoadedSpec(spec=spec, folder=folder, spec_sha256=hashlib.sha256(raw).hexdigest())
