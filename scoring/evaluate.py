"""Scoring one uploaded file: the core's single entry for any worker.

``evaluate`` reads the upload, checks it against the release's public format and scores it on
the hidden labels. It touches no database, queue or tracking server, so a thread in the web
server, a Celery process or another machine all call the same function; the platform records
what it returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from odx.datasets.release import LABELS, RankingRelease, ReleaseManifest
from odx.scoring.score import Scores, score_submission
from odx.scoring.validation import SubmissionFormat, SubmissionInvalid, check_submission
from odx.submissions.files import SubmissionFileError, read_upload


@dataclass(frozen=True)
class Release:
    """A published release as scoring sees it: the public folder and the hidden labels."""

    public_dir: Path
    hidden_dir: Path
    manifest: ReleaseManifest

    @property
    def labels_path(self) -> Path:
        return self.hidden_dir / LABELS


@dataclass(frozen=True)
class Evaluation:
    """A scored file, kept in memory for the tracking run written right after."""

    scores: Scores
    predictions: pd.Series
    labels: pd.DataFrame
    report: dict[str, Any]


@dataclass(frozen=True)
class Rejection:
    """A file the participant must fix: every problem, each safe to show them."""

    problems: list[dict[str, Any]]


@lru_cache(maxsize=32)
def release_format(
    public_dir: Path, task: str, metric: str, ranking: RankingRelease | None = None
) -> SubmissionFormat:
    """Releases are immutable, so each one's format (ids, labels) is read once per process."""
    return SubmissionFormat.from_release(public_dir, task=task, metric=metric, ranking=ranking)


def read_labels(release: Release) -> pd.DataFrame:
    """The hidden labels, ids as text (and a ranking's lists of item ids), read by Arrow into
    compact columns."""
    manifest = release.manifest
    text = [manifest.id_column] + ([manifest.target_column] if manifest.ranking else [])
    return read_label_file(release.labels_path, *text)


def read_label_file(path: Path, *text_columns: str) -> pd.DataFrame:
    types = dict.fromkeys(text_columns, pa.large_string())
    options = pacsv.ConvertOptions(column_types=types, strings_can_be_null=False)
    return pacsv.read_csv(path, convert_options=options).to_pandas()


def evaluate(
    upload: Path, release: Release, *, metric: str, max_bytes: int
) -> Evaluation | Rejection:
    """Validate ``upload`` against the release's format, then score it on the hidden labels.

    Only the participant's own mistakes become a :class:`Rejection`; anything else (a broken
    release, a full disk) raises, so the caller can retry it without charging the team.
    """
    manifest = release.manifest
    fmt = release_format(release.public_dir, manifest.task, metric, manifest.ranking)
    try:
        table = read_upload(upload, max_bytes=max_bytes, max_rows=len(fmt.ids))
        predictions = check_submission(table.frame, fmt).iloc[:, 0]
    except (SubmissionFileError, SubmissionInvalid) as exc:
        return Rejection(exc.extra.get("problems") or [{"code": exc.code, "message": exc.detail}])
    labels = read_labels(release)
    scores = score_submission(
        labels,
        predictions,
        metric=metric,
        id_column=manifest.id_column,
        target_column=manifest.target_column,
        k=manifest.ranking.k if manifest.ranking else None,
    )
    report = {
        "file": {
            "encoding": table.encoding,
            "compression": table.compression,
            "rows": len(table.frame),
        },
        "validation": "passed",
        "metric": metric,
        "scores": scores.to_dict(),
    }
    return Evaluation(scores, predictions, labels, report)
