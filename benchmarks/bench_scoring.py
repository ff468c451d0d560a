"""Scoring a 1,000,000-row submission with confidence intervals against one plain metric call.

Run: ``python benchmarks/bench_scoring.py [--rows N] [--repeat R]``. For a binary (roc_auc),
a regression (rmsle) and a 5-class (f1_macro) task it writes hidden labels (~50/50 Public /
Private) and a shuffled submission CSV into a temp folder, then times

- reference: ``pyarrow.csv.read_csv`` of the submission, aligning it with the labels by id
  in pandas, and one scikit-learn metric call on all rows;
- measured: ``pandas.read_csv`` (pyarrow engine), ``set_index`` on the id, and
  ``score_submission`` (public, private and overall, each with a 95% interval).

Target: measured / reference <= 2x. Nothing is asserted: these machines are noisy.
The hidden labels are read once, outside both timings (a scoring job reads them once).
Submission validation joins the measured path once the validator exists: the caller will
wire ``odx.scoring.validation.check_submission`` in before ``score_submission``.
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
import pyarrow.csv as pacsv
from sklearn import metrics as skm

from odx.scoring.score import Scores, score_submission

ID, TARGET = "id", "target"
CLASSES = ["금융", "경영", "기술", "수출", "인력"]
REFERENCE: dict[str, Callable[[Any, Any], float]] = {
    "roc_auc": skm.roc_auc_score,
    "rmsle": skm.root_mean_squared_log_error,
    "f1_macro": lambda t, p: skm.f1_score(t, p, average="macro"),
}


def generate(metric: str, rows: int, folder: Path, seed: int = 0) -> tuple[Path, Path]:
    """Hidden labels in id order and a submission in shuffled order, as a platform sees them."""
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
    return labels_path, submission_path


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


def measured(metric: str, labels: pd.DataFrame, submission: Path) -> tuple[Scores, list[float]]:
    """All three scores with intervals, and the seconds spent reading and in score_submission."""
    start = time.perf_counter()
    dtype = "str" if metric == "f1_macro" else "float64"
    frame = pd.read_csv(submission, engine="pyarrow", dtype={ID: "str", TARGET: dtype})
    predictions = frame.set_index(ID)[TARGET]
    read = time.perf_counter()
    scores = score_submission(
        labels, predictions, metric=metric, id_column=ID, target_column=TARGET
    )
    return scores, [read - start, time.perf_counter() - read]


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
    labels_path, submission = generate(metric, rows, folder)
    labels = pd.read_csv(labels_path)
    ref = partial(reference, metric, labels, submission)
    ours = partial(measured, metric, labels, submission)
    ref_time, (ref_value, steps) = best_of(repeat, ref)
    our_time, (scores, our_steps) = best_of(repeat, ours)
    ref_peak, our_peak = traced_peak(ref), traced_peak(ours)
    o = scores.overall
    print(f"{metric}  rows: {rows:,}  (best of {repeat})")
    print(f"  reference (pyarrow read + pandas align + sklearn once): {ref_time:7.3f} s")
    print(f"  measured  (pandas read + score_submission, 3 parts + CIs): {our_time:7.3f} s")
    print(f"  ratio measured / reference: {our_time / ref_time:.2f}x  (target <= 2x)")
    read, align, metric_call = steps
    print(
        f"  steps of the last run: reference read {read:.3f} s, pandas align {align:.3f} s, "
        f"sklearn {metric_call:.3f} s; measured read {our_steps[0]:.3f} s, "
        f"score_submission (incl. id alignment) {our_steps[1]:.3f} s"
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
    print(f"process peak RSS (getrusage ru_maxrss, whole run incl. generation): {maxrss:,.0f} MiB")


if __name__ == "__main__":
    main()
