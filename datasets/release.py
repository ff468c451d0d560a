"""The release contract: its file names, the ``Usage`` values and the manifest's shape.

Publishing writes a release and everything else reads one (validation, scoring jobs,
baselines, the API, the CLI, the pages); they all name its parts from here, so a renamed file
or key is one edit and a reader can never disagree with the writer.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

TRAIN = "train.csv"
TEST = "test.csv"
SAMPLE_SUBMISSION = "sample_submission.csv"
DATA_CARD = "DATACARD.md"
QUALITY_JSON = "quality_report.json"
QUALITY_HTML = "quality_report.html"
MANIFEST = "manifest.json"
TEST_SAMPLE = "test_sample.csv"  # with hidden test features: a few test rows for local checks
LABELS = "labels.csv"  # hidden
TEST_FEATURES = "test_features.csv"  # hidden, when the release hides its test features
REPORTS = (DATA_CARD, QUALITY_JSON, QUALITY_HTML, MANIFEST)
USAGE_COLUMN = "Usage"  # the labels' column that says which board a test row counts for


class TestFeatures(StrEnum):
    """Where a release keeps the test features: published (participants upload predictions)
    or hidden beside the labels (models are run on them; only a sample is published)."""

    PUBLIC = "public"
    HIDDEN = "hidden"


def table_places(test_features: TestFeatures) -> tuple[tuple[str, ...], dict[str, str]]:
    """The tables a release publishes, and those it keeps hidden (table -> hidden file name)."""
    if test_features == TestFeatures.HIDDEN:
        return (TRAIN, TEST_SAMPLE, SAMPLE_SUBMISSION), {LABELS: LABELS, TEST: TEST_FEATURES}
    return (TRAIN, TEST, SAMPLE_SUBMISSION), {LABELS: LABELS}


def public_files(test_features: TestFeatures) -> tuple[str, ...]:
    """Every file in a release's public folder."""
    return (*table_places(test_features)[0], *REPORTS)


class Usage(StrEnum):
    PUBLIC = "Public"
    PRIVATE = "Private"


class FileEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sha256: str
    bytes: int
    rows: int | None = None


class SplitSummary(BaseModel):
    """The spec's split settings (kept as written) plus the sizes they produced."""

    model_config = ConfigDict(extra="allow", frozen=True)

    method: str
    test_rows: int
    public_rows: int
    private_rows: int


class QualitySummary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    success: bool
    expectations: str  # "passed/evaluated"
    checks: dict[str, bool]


class RankingRelease(BaseModel):
    """What a ranking release adds: the public table of items a ranked list may name (by
    its id column) and the cut-off ``k`` of the metric."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    k: int = Field(ge=1, le=100)
    items_file: str = Field(pattern=r"^[A-Za-z0-9_-]+\.csv$")
    item_id_column: str


class ReleaseManifest(BaseModel):
    """``manifest.json``: what a release is, made of and checked by."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset_id: str
    fingerprint: str
    format_version: int
    task: str
    id_column: str
    target_column: str
    synthetic: bool
    spec_sha256: str
    suite_sha256: str
    raw_files: dict[str, dict[str, Any]]
    split: SplitSummary
    quality: QualitySummary
    files: dict[str, FileEntry]
    test_features: TestFeatures = TestFeatures.PUBLIC  # written only when hidden
    ranking: RankingRelease | None = None  # written only for a ranking task

    @classmethod
    def read(cls, public_dir: Path) -> ReleaseManifest:
        return cls.model_validate(json.loads((public_dir / MANIFEST).read_text(encoding="utf-8")))

    @property
    def hides_test_features(self) -> bool:
        return self.test_features == TestFeatures.HIDDEN

    def rows(self, name: str) -> int:
        """Row count of one of the release's tables."""
        rows = self.files[name].rows
        if rows is None:
            raise KeyError(f"{name} is not a table")
        return rows
