"""Validating and scoring a 1,000,000-row submission against one plain metric call.

Run: ``python benchmarks/bench_scoring.py [--rows N] [--repeat R]``. For a binary (roc_auc),
a regression (rmsle) and a 5-class (f1_macro) task it writes hidden labels (~50/50 Public /
Private) and a shuffled submission CSV into a temp folder, then times

- reference: ``pyarrow.csv.read_csv`` of the submission, aligning it with the labels by id
  in pandas, and one scikit-learn metric call on all rows;
- measured: what a scoring job does with the file — ``odx.submissions.files.read_upload``
  (magic bytes, strict decoding, every value read as text), ``check_submission`` against a
  ``SubmissionFormat`` (every id exactly once, every value a finite probability / number /
  allowed label; returns the predictions in test-id order) and ``score_submission``
  (public, private and overall, each with a 95% interval).

Target: measured / reference <= 2x. Nothing is asserted: these machines are noisy.
The hidden labels are read once and the format is built once, outside both timings (a
worker caches each release's format, and reads the labels once per job).
Peak memory: Python-allocator peak per path (tracemalloc, untimed run), Arrow's pool peak,
and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from sklearn import metrics as skm

from odx.scoring.score import Scores, score_submission
from odx.scoring.validation import SubmissionFormat, check_submission
from odx.submissions.files import read_upload

ID, TARGET = "id", "target"
CLASSES = ["금융", "경영", "기술", "수출", "인력"]
REFERENCE: dict[str, Callable[[Any, Any], float]] = {
    "roc_auc": skm.roc_auc_score,
    "rmsle": skm.root_mean_squared_log_error,
    "f1_macro": lambda t, p: skm.f1_score(t, p, average="macro"),
}


def generate(metric: str, rows: int, folder: Path, seed: int = 0) -> tuple[Path, Path, list[str]]:
    """Hidden labels in id order and a submission in shuffled order, as a platform sees them;
    also the test ids (what a release's test.csv holds)."""
    rng = np.random.default_rng(seed)
    ids = np.char.add("R", np.char.zfill(np.arange(1, rows + 1).astype(str), 7))
    if metric == "roc_auc":
        target: np.ndarray = rng.integers(0, 2, rows)
        guess: np.ndarray = np.clip(0.3 * target + 0.7 * rng.random(rows), 0, 1).round(6)
    elif metric == "rmsle":
        target = rng.lognormal(3, 1, rows).round(3)
        guess = (target * rng.lognormal(0, 0.4, rows)).round(3)
    else:
        codes = rng.integers(0, len(CLASSES), rows)
        noise = rng.integers(0, len(CLASSES), rows)
        names = np.array(CLASSES)
        target, guess = names[codes], names[np.where(rng.random(rows) < 0.6, codes, noise)]
    usage = np.where(rng.random(rows) < 0.5, "Public", "Private")
    labels_path, submission_path = folder / f"{metric}_labels.csv", folder / f"{metric}_sub.csv"
    pd.DataFrame({ID: ids, TARGET: target, "Usage": usage}).to_csv(labels_path, index=False)
    order = rng.permutation(rows)
    pd.DataFrame({ID: ids[order], TARGET: guess[order]}).to_csv(submission_path, index=False)
    return labels_path, submission_path, ids.tolist()


def submission_format(metric: str, ids: list[str]) -> SubmissionFormat:
    """The format a release gives (``SubmissionFormat.from_release`` reads the same from
    test.csv, sample_submission.csv and train.csv), built once and warmed like a worker's."""
    if metric == "roc_auc":
        fmt = SubmissionFormat(ID, TARGET, tuple(ids), "probability")
    elif metric == "rmsle":
        fmt = SubmissionFormat(ID, TARGET, tuple(ids), "number", minimum=0.0)
    else:
        fmt = SubmissionFormat(ID, TARGET, tuple(ids), "label", labels=tuple(sorted(CLASSES)))
    fmt.id_index  # noqa: B018 -- the hashed ids, cached per release by the worker
    return fmt


def reference(metric: str, labels: pd.DataFrame, submission: Path) -> tuple[float, list[float]]:
    """The metric once, and the seconds spent reading, aligning and in scikit-learn."""
    marks = [time.perf_counter()]
    frame = pacsv.read_csv(submission).to_pandas()
    marks.append(time.perf_counter())
    aligned = frame.set_index(ID)[TARGET].reindex(labels[ID])
    marks.append(time.perf_counter())
    value = REFERENCE[metric](labels[TARGET].to_numpy(), aligned.to_numpy())
    marks.append(time.perf_counter())
    return value, [b - a for a, b in pairwise(marks)]


def measured(
    metric: str, labels: pd.DataFrame, submission: Path, fmt: SubmissionFormat
) -> tuple[Scores, list[float]]:
    """All three scores with intervals, and the seconds spent in each step of the job."""
    marks = [time.perf_counter()]
    table = read_upload(submission)
    marks.append(time.perf_counter())
    predictions = check_submission(table.frame, fmt)
    marks.append(time.perf_counter())
    scores = score_submission(
        labels, predictions.iloc[:, 0], metric=metric, id_column=ID, target_column=TARGET
    )
    marks.append(time.perf_counter())
    return scores, [b - a for a, b in pairwise(marks)]


def best_of(repeat: int, action: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return min(times), result


def traced_peak(action: Callable[[], Any]) -> float:
    """Peak MiB allocated through Python's allocator (numpy, pandas) during one untimed run."""
    tracemalloc.start()
    action()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def run(metric: str, rows: int, repeat: int, folder: Path) -> None:
    labels_path, submission, ids = generate(metric, rows, folder)
    labels = pd.read_csv(labels_path)
    fmt = submission_format(metric, ids)
    ref = partial(reference, metric, labels, submission)
    ours = partial(measured, metric, labels, submission, fmt)
    ref_time, (ref_value, steps) = best_of(repeat, ref)
    our_time, (scores, our_steps) = best_of(repeat, ours)
    ref_peak, our_peak = traced_peak(ref), traced_peak(ours)
    o = scores.overall
    print(f"{metric}  rows: {rows:,}  (best of {repeat})")
    for label, seconds in (
        ("reference (pyarrow read + pandas align + sklearn once)", ref_time),
        ("measured  (read_upload + check_submission + score_submission)", our_time),
    ):
        print(f"  {label + ':':<64}{seconds:7.3f} s")
    print(f"  ratio measured / reference: {our_time / ref_time:.2f}x  (target <= 2x)")
    read, align, metric_call = steps
    upload, check, score = our_steps
    print(
        f"  steps of the last run: reference read {read:.3f} s, pandas align {align:.3f} s, "
        f"sklearn {metric_call:.3f} s; measured read_upload {upload:.3f} s, "
        f"check_submission {check:.3f} s, score_submission (3 parts + CIs) {score:.3f} s"
    )
    print(
        f"  peak traced memory (tracemalloc; excludes Arrow's own pool): "
        f"reference {ref_peak:,.0f} MiB, measured {our_peak:,.0f} MiB"
    )
    print(
        f"  overall {o.value:.6f} [{o.low:.6f}, {o.high:.6f}] {o.method} (sklearn {ref_value:.6f});"
        f" public {scores.public.rows:,} rows, private {scores.private.rows:,} rows"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="odx-bench-") as tmp:
        for metric in REFERENCE:
            run(metric, args.rows, args.repeat, Path(tmp))
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    arrow = pa.default_memory_pool()
    print(
        f"Arrow pool ({arrow.backend_name}) peak: {arrow.max_memory() / 2**20:,.0f} MiB; "
        f"process peak RSS (getrusage ru_maxrss, whole run incl. generation): {maxrss:,.0f} MiB"
    )


if __name__ == "__main__":
    main()
