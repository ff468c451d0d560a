"""Publishing: turn a prepared, gated dataset into an immutable, byte-reproducible release.

A release is two folders named by the inputs' fingerprint: the public one (train, test
without the target, sample submission, data card, quality report, manifest) and the hidden
one (the labels, each row marked Public or Private). Both are written to a staging folder
and renamed into place, so a crash never leaves a half-written release where a reader looks.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from odx.datasets.card import render_card
from odx.datasets.prepare import PreparedData, prepare
from odx.datasets.quality.expectations import load_suite
from odx.datasets.quality.gate import Check, GateReport, Step, run_gate
from odx.datasets.quality.report import public_report, write_report
from odx.datasets.raw import read_raw, read_tables, sha256_file
from odx.datasets.release import (
    DATA_CARD,
    LABELS,
    MANIFEST,
    QUALITY_HTML,
    QUALITY_JSON,
    SAMPLE_SUBMISSION,
    TEST,
    TEST_SAMPLE,
    TRAIN,
    USAGE_COLUMN,
    ReleaseManifest,
    TestFeatures,
    Usage,
    table_places,
)
from odx.datasets.spec import LoadedSpec, TaskType, placeholders
from odx.datasets.split import Split, split_rows

# Bump when the bytes a release is made of change for the same inputs.
# 2: the quality report's content sits in a <main> landmark
# 3: binary targets are judged for leakage by each feature's own AUC; quality checks carry
#    every number their summary states (thresholds included), and the data card says each
#    check in Korean and English
FORMAT_VERSION = 3
OPEN_DECISIONS_CHECK = "open_decisions"


@dataclass(frozen=True)
class Candidate:
    """Everything a release is made from, before it is written."""

    loaded: LoadedSpec
    prepared: PreparedData
    split: Split
    fingerprint: str
    raw_info: dict[str, dict[str, str | None]]


def fingerprint_inputs(loaded: LoadedSpec) -> str:
    """Hash of everything that decides a release's bytes: spec, suite, raw files, format."""
    raw_hashes = {}
    for raw in loaded.spec.raw_files:
        path = loaded.raw_path(raw)
        raw_hashes[raw.path] = sha256_file(path) if path.is_file() else "missing"
    suite = loaded.suite_path
    payload = {
        "format_version": FORMAT_VERSION,
        "spec": loaded.spec_sha256,
        "suite": sha256_file(suite) if suite.is_file() else "missing",
        "raw": raw_hashes,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def build_candidate(
    loaded: LoadedSpec, *, step: Step | None = None, fingerprint: str | None = None
) -> Candidate:
    """Check the suite, then read, prepare and split a dataset.

    Raises on a suite GX cannot run or that names columns the dataset lacks, and on data that
    contradicts its spec, all before any expectation is validated. ``fingerprint`` saves
    hashing the raw files again when the caller already did.
    """
    say = step or (lambda _name: None)
    say("check the expectation suite")
    load_suite(loaded.suite_path, loaded.spec)
    say("read raw files")
    raw, raw_info = read_raw(loaded)
    tables, table_info = read_tables(loaded)
    say("prepare columns")
    prepared = prepare(raw, loaded.spec, source=str(loaded.path), tables=tables)
    say("split")
    split = split_rows(prepared.frame, loaded.spec)
    fingerprint = fingerprint or fingerprint_inputs(loaded)
    return Candidate(loaded, prepared, split, fingerprint, raw_info | table_info)


def gate(candidate: Candidate, *, step: Step | None = None) -> GateReport:
    """Run the quality gate; a spec still holding a draft's placeholders fails it too."""
    report = run_gate(
        candidate.prepared.frame,
        candidate.split,
        candidate.loaded,
        fingerprint=candidate.fingerprint,
        step=step,
        tables=candidate.prepared.tables,
    )
    check = open_decisions_check(candidate.loaded)
    if check is None:
        return report
    return dataclasses.replace(report, success=False, checks=[check, *report.checks])


def open_decisions_check(loaded: LoadedSpec) -> Check | None:
    """A failed check naming every key that still holds a placeholder; ``None`` when none does.

    Only a draft has placeholders, so a finished spec's report keeps exactly its usual checks.
    """
    keys = placeholders(loaded.spec)
    if not keys:
        return None
    summary = (
        f"decisions left to make in {loaded.path}: {', '.join(keys)}; "
        "replace each 'TODO: ...' with what it asks for"
    )
    return Check(OPEN_DECISIONS_CHECK, False, summary, {"keys": keys})


def _sample_value(train_target: pd.Series, task: TaskType, k: int | None = None) -> Any:
    """A valid placeholder prediction learnt from train only (never from hidden labels); for
    a ranking, the ``k`` items most often relevant in train (ties by id)."""
    if task == TaskType.ranking:
        counts = train_target.str.split().explode().value_counts()
        ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return " ".join(str(item) for item, _ in ordered[:k])
    if task == TaskType.regression:
        return float(train_target.median())
    if task == TaskType.binary:
        return round(float(pd.to_numeric(train_target).mean()), 6)
    return train_target.mode().sort_values().iloc[0]


def release_frames(candidate: Candidate) -> dict[str, pd.DataFrame]:
    """The tables of a release, in a stable row order (sorted by id): train, test, sample
    submission and labels, plus the test sample when the test features are hidden."""
    spec = candidate.loaded.spec
    frame = candidate.prepared.frame
    id_col, target = spec.id_column.column, spec.target.column
    columns = [id_col, *spec.feature_columns]
    train = frame.loc[candidate.split.train, [*columns, target]]
    test_all = frame.loc[candidate.split.test]
    labels = pd.DataFrame(
        {
            id_col: test_all[id_col].to_numpy(),
            target: test_all[target].to_numpy(),
            USAGE_COLUMN: [Usage.PUBLIC if p else Usage.PRIVATE for p in candidate.split.public],
        }
    )
    sample = pd.DataFrame(
        {
            id_col: test_all[id_col].to_numpy(),
            target: _sample_value(
                train[target], spec.task, spec.ranking.k if spec.ranking else None
            ),
        }
    )
    tables = {
        TRAIN: train,
        TEST: test_all[columns],
        SAMPLE_SUBMISSION: sample,
        LABELS: labels,
    }
    frames = {
        name: t.sort_values(id_col, kind="stable").reset_index(drop=True)
        for name, t in tables.items()
    }
    for table in spec.tables:  # published as prepared: the raw order, or by id when it has one
        prepared = candidate.prepared.tables[table.name]
        if table.id_column is not None:
            prepared = prepared.sort_values(table.id_column, kind="stable")
        frames[table.file_name] = prepared.reset_index(drop=True)
    if spec.release.test_features == TestFeatures.HIDDEN:
        count = min(spec.release.test_sample_rows, len(frames[TEST]))
        chosen = frames[TEST].sample(n=count, random_state=spec.split.seed).index.sort_values()
        frames[TEST_SAMPLE] = frames[TEST].loc[chosen].reset_index(drop=True)
    return frames


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def _file_entry(path: Path, rows: int | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
    if rows is not None:
        entry["rows"] = rows
    return entry


def write_release(
    candidate: Candidate,
    report: GateReport,
    public_dir: Path,
    hidden_dir: Path,
    *,
    step: Step | None = None,
) -> dict[str, Any]:
    """Write a release into two empty folders; returns the manifest."""
    say = step or (lambda _name: None)
    loaded, spec = candidate.loaded, candidate.loaded.spec
    tables = release_frames(candidate)
    hidden = spec.release.test_features == TestFeatures.HIDDEN
    published, kept = table_places(TestFeatures(spec.release.test_features))
    published = (*published, *(table.file_name for table in spec.tables))
    files: dict[str, dict[str, Any]] = {}
    for name in published:
        say(f"write {name}")
        _write_csv(tables[name], public_dir / name)
        files[name] = _file_entry(public_dir / name, len(tables[name]))
    for table, file_name in kept.items():
        _write_csv(tables[table], hidden_dir / file_name)

    say("write data card and quality report")
    redacted = public_report(report.to_dict(), target=spec.target.column)
    write_report(redacted, public_dir / QUALITY_JSON, public_dir / QUALITY_HTML)
    sizes = {name: len(table) for name, table in tables.items()}
    public_rows = int(candidate.split.public.sum())
    card = render_card(loaded, candidate.prepared, report, sizes=sizes, public_rows=public_rows)
    (public_dir / DATA_CARD).write_text(card, encoding="utf-8")
    for name in (DATA_CARD, QUALITY_JSON, QUALITY_HTML):
        files[name] = _file_entry(public_dir / name, None)

    manifest = {
        "dataset_id": spec.id,
        "fingerprint": candidate.fingerprint,
        "format_version": FORMAT_VERSION,
        "task": spec.task.value,
        "id_column": spec.id_column.column,
        "target_column": spec.target.column,
        "synthetic": spec.synthetic,
        "spec_sha256": loaded.spec_sha256,
        "suite_sha256": sha256_file(loaded.suite_path),
        "raw_files": candidate.raw_info,
        "split": {
            **spec.split.model_dump(),
            "test_rows": sizes[TEST],
            "public_rows": public_rows,
            "private_rows": sizes[TEST] - public_rows,
        },
        "quality": {
            "success": report.success,
            "expectations": f"{report.expectations.successful}/{report.expectations.evaluated}",
            "checks": {c.name: c.success for c in report.checks},
        },
        "files": files,
    }
    if hidden:  # absent otherwise, so releases of public test features keep their bytes
        manifest["test_features"] = TestFeatures.HIDDEN.value
    if spec.ranking is not None:
        manifest["ranking"] = {
            "k": spec.ranking.k,
            "items_file": spec.table(spec.ranking.items).file_name,
            "item_id_column": spec.ranking.item_id,
        }
    ReleaseManifest.model_validate(manifest)  # the contract every reader relies on
    text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    (public_dir / MANIFEST).write_text(text, encoding="utf-8")
    return manifest


def _fsync_tree(folder: Path) -> None:
    for path in folder.iterdir():
        with path.open("rb") as handle:
            os.fsync(handle.fileno())


def stage_and_commit(
    writer: Callable[[Path, Path], dict[str, Any]],
    *,
    public_final: Path,
    hidden_final: Path,
) -> dict[str, Any]:
    """Run ``writer`` into staging folders, then rename each into place atomically.

    A final folder that already exists is complete (it got there by rename) and is kept:
    that is a retry after a crash between the two renames or before the catalogue commit.
    """
    staging = []
    for final in (public_final, hidden_final):
        final.parent.mkdir(parents=True, exist_ok=True)
        folder = final.parent / f".staging-{uuid.uuid4().hex}"
        folder.mkdir(mode=0o700)  # the hidden folder keeps it: only the service user reads labels
        staging.append(folder)
    try:
        manifest = writer(staging[0], staging[1])
        staging[0].chmod(0o755)
        for label_file in staging[1].iterdir():
            label_file.chmod(0o600)
        for folder, final in zip(staging, (public_final, hidden_final), strict=True):
            _fsync_tree(folder)
            try:
                os.replace(folder, final)
            except OSError:
                if not final.is_dir():  # not a concurrent publisher's identical folder
                    raise
    finally:
        for folder in staging:
            if folder.exists():
                shutil.rmtree(folder, ignore_errors=True)
    return manifest
