"""The dataset spec (``dataset.yaml``): what a dataset is, where it came from, how it is split.

Loading a spec never touches the raw data; :func:`load_spec` turns every mistake into a
:class:`SpecError` that names the file and the key, like a compiler would.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from odx.platform.errors import InvalidInputError
from odx.platform.specfile import parse_yaml_model, read_utf8

SPEC_FILENAME = "dataset.yaml"
ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"


class SpecError(InvalidInputError):
    """A dataset spec that cannot be used as written."""

    code = "invalid_dataset_spec"
    title = "Invalid dataset spec"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    """A text in Korean and English; Korean is the platform's first language."""

    ko: str = Field(min_length=1)
    en: str = Field(min_length=1)


class TaskType(StrEnum):
    binary = "binary"
    multiclass = "multiclass"
    regression = "regression"
    ranking = "ranking"

    @property
    def is_classification(self) -> bool:
        return self in (TaskType.binary, TaskType.multiclass)


class ColumnType(StrEnum):
    string = "string"  # short identifiers and codes
    text = "text"  # free text (scanned for personal data)
    category = "category"
    integer = "integer"
    float = "float"
    boolean = "boolean"
    date = "date"
    datetime = "datetime"


class Licence(_Strict):
    name: str
    url: str | None = None
    note: str | None = None


class Source(_Strict):
    agency: Text
    url: str | None = None
    reference: str = Field(description="Where exactly the raw data came from.")
    licence: Licence
    provenance: str | None = Field(default=None, description="How the raw file reached us.")


class RawFile(_Strict):
    path: str = Field(description="Path relative to the spec's folder.")
    format: Literal["csv", "json", "excel", "parquet"] | None = None
    encoding: str | None = Field(default=None, description="Declared encoding; detected if absent.")
    records_path: str | None = Field(default=None, description="JSON: key holding the records.")
    sha256: str | None = Field(default=None, description="Expected checksum of the raw file.")

    @property
    def resolved_format(self) -> str:
        if self.format:
            return self.format
        suffix = Path(self.path).suffix.lower()
        return {".json": "json", ".xlsx": "excel", ".xls": "excel", ".parquet": "parquet"}.get(
            suffix, "csv"
        )


class SplitFirst(_Strict):
    split_first: str = Field(min_length=1, description="Keep the text before this separator.")


Transform = Literal["html_unescape", "strip", "collapse_whitespace"] | SplitFirst


class Column(_Strict):
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    source: str | None = Field(default=None, description="Raw column name; default: name.")
    type: ColumnType
    description: Text
    transforms: list[Transform] = Field(default_factory=list)

    @property
    def raw_name(self) -> str:
        return self.source or self.name


class DroppedColumn(_Strict):
    column: str
    reason: str = Field(min_length=3, description="Why it is not published (shown in the card).")


class IdSpec(_Strict):
    column: str
    generate: bool = Field(
        default=False, description="Make a stable, meaningless id when the raw data has none."
    )
    prefix: str = ""


class TargetSpec(_Strict):
    column: str
    drop_missing: bool = Field(
        default=False, description="Drop raw rows whose target is empty (reported in the card)."
    )


class SplitSpec(_Strict):
    method: Literal["random", "stratified", "time", "group"]
    column: str | None = Field(default=None, description="Time or group column.")
    test_fraction: float = Field(gt=0, lt=1)
    public_fraction: float = Field(
        gt=0, lt=1, description="Share of test rows on the public board."
    )
    seed: int

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
        description="Out-of-fold accuracy (classification) or R² (regression) of a lookup on one "
        "feature above which that feature is said to leak the target.",
    )
    max_adversarial_auc: float = Field(default=0.75, gt=0.5, le=1)
    max_cross_split_duplicates: float = Field(
        default=0.01, ge=0, le=1, description="Largest share of test rows duplicated in train."
    )
    id_like_uniqueness: float = Field(default=0.99, gt=0, le=1)
    exclude_from_adversarial: list[str] = Field(default_factory=list)
    allow_unique: dict[str, str] = Field(
        default_factory=dict,
        description="Column -> reason, for features unique per row by nature (an address).",
    )


class PrivacySpec(_Strict):
    allow: dict[str, str] = Field(
        default_factory=dict,
        description="Column -> reason, for columns allowed to hold contact-like values.",
    )
    quasi_identifiers: list[str] = Field(default_factory=list)
    k_anonymity: int = Field(default=1, ge=1)


class QualitySpec(_Strict):
    suite: str = Field(default="expectations.json", description="GX suite file beside the spec.")
    leakage: LeakageThresholds = Field(default_factory=LeakageThresholds)
    privacy: PrivacySpec = Field(default_factory=PrivacySpec)


class DatasetSpec(_Strict):
    id: Annotated[str, Field(pattern=ID_PATTERN)]
    title: Text
    description: Text
    task: TaskType
    source: Source
    synthetic: bool = False
    raw: list[RawFile] = Field(min_length=1)
    columns: list[Column] = Field(min_length=2)
    drop: list[DroppedColumn] = Field(default_factory=list)
    id_column: IdSpec
    target: TargetSpec
    split: SplitSpec
    quality: QualitySpec = Field(default_factory=QualitySpec)
    notes: Text | None = Field(default=None, description="Traps and caveats for participants.")

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

    @property
    def feature_columns(self) -> list[str]:
        """Published columns other than the id and the target."""
        skip = {self.id_column.column, self.target.column}
        return [c.name for c in self.columns if c.name not in skip]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


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
