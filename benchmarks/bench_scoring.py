"""Validating and scoring a 1,000,000-row submission against one plain metric call.

Run: ``python benchmarks/bench_scoring.py [--rows N] [--repeat R]``. For a binary (roc_auc),
a regression (rmsle) and a 5-class (f1_macro) task it writes hidden labels (~50/50 Public /
Private) and a shuffled submission CSV into a temp folder, then times

- reference (tight): ``pyarrow.csv.read_csv`` of the submission, Arrow hash alignment to the
  labels' ids (``pyarrow.compute.index_in`` + ``take``), and one scikit-learn metric call on
  all rows: the bare work, with nothing checked and one score without an interval;
- the earlier, looser reference is printed beside it for history (ids aligned with a pandas
  ``reindex``, about a second of its time at 1M rows);
- measured: what a scoring job does with the file — ``odx.submissions.files.read_upload``
  (magic bytes, strict decoding, every value read as text), ``check_submission`` against a
  ``SubmissionFormat`` (every id exactly once, every value a finite probability / number /
  allowed label; returns the predictions in test-id order) and ``score_submission``
  (public, private and overall, each with a 95% interval).

Targets: measured / tight reference <= 1.5x at 1M and 10M rows (``--rows 10000000``), and a
peak RSS <= 2.5 GB scoring a 10M-row submission in a process of its own (``--peak-rss``).
Nothing is asserted: these machines are noisy.
The hidden labels are read once and the format is built once, outside both timings (a
worker caches each release's format, and reads the labels once per job).
Peak memory: Python-allocator peak per path (tracemalloc, untimed run), Arrow's pool peak,
and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
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
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sklearn import metrics as skm

from odx.scoring.evaluate import read_label_file
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


def submission_format(metric: str, ids: list[str] | pa.Array) -> SubmissionFormat:
    """The format a release gives (``SubmissionFormat.from_release`` reads the same from
    test.csv, sample_submission.csv and train.csv), built once and warmed like a worker's."""
    if metric == "roc_auc":
        fmt = SubmissionFormat(ID, TARGET, ids, "probability")
    elif metric == "rmsle":
        fmt = SubmissionFormat(ID, TARGET, ids, "number", minimum=0.0)
    else:
        fmt = SubmissionFormat(ID, TARGET, ids, "label", labels=tuple(sorted(CLASSES)))
    fmt.id_index  # noqa: B018 -- the hashed ids, cached per release by the worker
    return fmt


def reference(metric: str, labels: pa.Table, submission: Path) -> tuple[float, list[float]]:
    """The tight reference: the metric once, and the seconds spent reading, aligning by id
    with Arrow's hash lookup, and in scikit-learn."""
    marks = [time.perf_counter()]
    table = pacsv.read_csv(
        submission, convert_options=pacsv.ConvertOptions(column_types={ID: pa.string()})
    )
    marks.append(time.perf_counter())
    where = pc.index_in(labels[ID], value_set=table[ID])
    aligned = table[TARGET].take(where).to_numpy()
    marks.append(time.perf_counter())
    value = REFERENCE[metric](labels[TARGET].to_numpy(), aligned)
    marks.append(time.perf_counter())
    return value, [b - a for a, b in pairwise(marks)]


def loose_reference(metric: str, labels: pd.DataFrame, submission: Path) -> float:
    """The earlier reference, for history: ids aligned with a pandas ``reindex``."""
    frame = pacsv.read_csv(submission).to_pandas()
    aligned = frame.set_index(ID)[TARGET].reindex(labels[ID])
    return REFERENCE[metric](labels[TARGET].to_numpy(), aligned.to_numpy())


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
    labels, label_table = pd.read_csv(labels_path), read_labels_arrow(labels_path)
    fmt = submission_format(metric, ids)
    ref = partial(reference, metric, label_table, submission)
    ours = partial(measured, metric, labels, submission, fmt)
    ref_time, (ref_value, steps) = best_of(repeat, ref)
    our_time, (scores, our_steps) = best_of(repeat, ours)
    loose_time, _ = best_of(repeat, partial(loose_reference, metric, labels, submission))
    ref_peak, our_peak = traced_peak(ref), traced_peak(ours)
    o = scores.overall
    print(f"{metric}  rows: {rows:,}  (best of {repeat})")
    for label, seconds in (
        ("reference (pyarrow read + Arrow index_in/take + sklearn once)", ref_time),
        ("measured  (read_upload + check_submission + score_submission)", our_time),
    ):
        print(f"  {label + ':':<66}{seconds:7.3f} s")
    ratio = our_time / ref_time
    verdict = "met" if ratio <= 1.5 else "NOT met"
    print(f"  ratio measured / tight reference: {ratio:.2f}x  (target <= 1.5x: {verdict})")
    print(
        f"  history: the earlier reference (pandas reindex) took {loose_time:.3f} s; "
        f"ratio against it {our_time / loose_time:.2f}x"
    )
    read, align, metric_call = steps
    upload, check, score = our_steps
    print(
        f"  steps of the last run: reference read {read:.3f} s, Arrow align {align:.3f} s, "
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


def read_labels_arrow(path: Path) -> pa.Table:
    return pacsv.read_csv(
        path, convert_options=pacsv.ConvertOptions(column_types={ID: pa.string()})
    )


def peak_rss(metric: str, rows: int, folder: Path) -> None:
    """Each path once, in a fresh process of its own: its peak RSS, labels and format
    included (what a worker holds while it scores one file)."""
    generate(metric, rows, folder)
    print(f"{metric}  rows: {rows:,}  peak RSS, each in a process of its own")
    results = {}
    for path in ("reference", "measured"):
        command = [sys.executable, __file__, "--child", path, "--metric", metric]
        command += ["--rows", str(rows), "--folder", str(folder)]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        results[path] = float(output.split()[-1])
        print(f"  {path:<10} {results[path]:8,.0f} MiB")
    verdict = "met" if results["measured"] <= 2.5 * 1024 else "NOT met"
    print(f"  measured peak: {results['measured'] / 1024:.2f} GB  (target <= 2.5 GB: {verdict})")


def child(path: str, metric: str, rows: int, folder: Path) -> None:
    """One path, once (the parent wrote the files); prints the process's peak RSS in MiB."""
    labels_path = folder / f"{metric}_labels.csv"
    submission = folder / f"{metric}_sub.csv"
    if path == "reference":
        reference(metric, read_labels_arrow(labels_path), submission)
    else:
        labels = read_label_file(labels_path, ID)  # as a scoring job reads them
        # what the sample submission lists (a worker caches it per release), as Arrow text
        fmt = submission_format(metric, pa.array(labels[ID]))
        measured(metric, labels, submission, fmt)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--metric", choices=list(REFERENCE), action="append")
    parser.add_argument("--peak-rss", action="store_true", help="peak RSS of each path instead")
    parser.add_argument("--child", choices=["reference", "measured"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    metrics = args.metric or list(REFERENCE)
    if args.child:
        child(args.child, metrics[0], args.rows, args.folder)
        return
    with tempfile.TemporaryDirectory(prefix="odx-bench-") as tmp:
        for metric in metrics:
            if args.peak_rss:
                peak_rss(metric, args.rows, Path(tmp))
            else:
                run(metric, args.rows, args.repeat, Path(tmp))
    if args.peak_rss:
        return
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    arrow = pa.default_memory_pool()
    print(
        f"Arrow pool ({arrow.backend_name}) peak: {arrow.max_memory() / 2**20:,.0f} MiB; "
        f"process peak RSS (getrusage ru_maxrss, whole run incl. generation): {maxrss:,.0f} MiB"
    )


if __name__ == "__main__":
    main()
