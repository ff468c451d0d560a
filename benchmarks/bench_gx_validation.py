"""GX validation of the 1,000,000-row SME panel against the same checks in plain pandas.

Run: ``python benchmarks/bench_gx_validation.py [--rows N] [--repeat R]``. Prints the best
time of each and the ratio GX / pandas (target: at most 2x). The pandas reference is as tight
as the same verdicts allow (Arrow-backed string checks, one pass per expectation). Nothing here
is asserted: these machines are noisy, so the numbers are for people to read.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import pandas as pd

from odx.datasets.catalog import SHIPPED_DIR
from odx.datasets.generators.sme_panel import generate
from odx.datasets.prepare import prepare
from odx.datasets.quality.expectations import load_suite, run_suite
from odx.datasets.spec import load_spec


def _between(s: pd.Series, k: dict[str, Any]) -> pd.Series:
    ok = pd.Series(True, index=s.index)
    if k.get("min_value") is not None:
        ok &= s >= k["min_value"]
    if k.get("max_value") is not None:
        ok &= s <= k["max_value"]
    return ok


def _mostly(
    ok: pd.Series, column: pd.Series, k: dict[str, Any], *, skip_nulls: bool = True
) -> bool:
    considered = ok[column.notna()] if skip_nulls else ok
    share = float(considered.mean()) if len(considered) else 1.0
    return share >= k.get("mostly", 1.0)


def pandas_check(frame: pd.DataFrame, expectation: dict[str, Any]) -> bool:
    """The same verdict as GX's for the expectation types our suites use."""
    kind, k = expectation["type"], expectation.get("kwargs", {})
    if kind == "expect_table_row_count_to_be_between":
        return bool(_between(pd.Series([len(frame)]), k).all())
    if kind == "expect_table_columns_to_match_set":
        return set(frame.columns) == set(k["column_set"])
    s = frame[k["column"]]
    checks: dict[str, Callable[[], bool]] = {
        "expect_column_values_to_be_unique": lambda: not s.dropna().duplicated().any(),
        "expect_column_values_to_not_be_null": lambda: _mostly(s.notna(), s, k, skip_nulls=False),
        "expect_column_values_to_be_between": lambda: _mostly(_between(s, k), s, k),
        "expect_column_values_to_be_in_set": lambda: _mostly(s.isin(k["value_set"]), s, k),
        "expect_column_values_to_match_regex": lambda: _mostly(
            s.str.contains(k["regex"], regex=True, na=False), s, k
        ),
        "expect_column_mean_to_be_between": lambda: bool(_between(pd.Series([s.mean()]), k).all()),
    }
    return checks[kind]()


def best_of(repeat: int, action: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    loaded = load_spec(SHIPPED_DIR / "sme-growth-risk")
    raw = generate(args.rows).astype(str).replace({"nan": None})
    frame = prepare(raw, loaded.spec, source="generated").frame
    suite = load_suite(loaded.suite_path)
    run_suite(frame.head(1000), loaded.suite_path)  # warm up imports and GX's registries

    gx_time, gx_result = best_of(args.repeat, lambda: run_suite(frame, loaded.suite_path))
    pd_time, pd_verdicts = best_of(
        args.repeat, lambda: [pandas_check(frame, e) for e in suite["expectations"]]
    )
    gx_verdicts = [o.success for o in gx_result.outcomes]
    agree = gx_verdicts == pd_verdicts
    print(
        f"rows: {len(frame):,}  expectations: {len(suite['expectations'])}  verdicts agree: {agree}"
    )
    print(f"GX (run_suite):   {gx_time:7.3f} s  (best of {args.repeat})")
    print(f"pandas reference: {pd_time:7.3f} s  (best of {args.repeat})")
    ratio = gx_time / pd_time
    print(f"ratio GX / pandas: {ratio:.2f}x  (target <= 2x: {'met' if ratio <= 2 else 'NOT met'})")
    if not agree:
        raise SystemExit("GX and the pandas reference disagree; the comparison is void")


if __name__ == "__main__":
    main()
