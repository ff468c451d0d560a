"""How fast the command line starts: each participant command's ``--help`` against a bare
interpreter, as whole processes, interleaved so both see the same machine.

The reference is ``python -c pass`` with the same interpreter and flags (``-I`` is not used by
the ``odx`` script either), the tightest process start there is. The goal is every
participant command within 0.3 s of it. Prints medians, the difference and the ratio; asserts
nothing about time.

    python benchmarks/bench_cli_start.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ODX = Path(sys.executable).parent / "odx"
COMMANDS: list[list[str]] = [
    ["--help"],
    ["login", "--help"],
    ["submit", "--help"],
    ["leaderboard", "--help"],
    ["submissions", "--help"],
    ["challenges", "list", "--help"],
    ["datasets", "publish", "--help"],
]
GOAL_SECONDS = 0.3


def _seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    bare = [sys.executable, "-c", "pass"]
    for command in [bare, *([str(ODX), *c] for c in COMMANDS)]:
        _seconds(command)  # warm the file cache once
    print(f"{'command':32} {'median s':>9} {'- bare s':>9} {'ratio':>7}  goal: +{GOAL_SECONDS} s")
    for args in COMMANDS:
        reference, measured = [], []
        for _ in range(runs):
            reference.append(_seconds(bare))
            measured.append(_seconds([str(ODX), *args]))
        base, median = statistics.median(reference), statistics.median(measured)
        verdict = "ok" if median - base <= GOAL_SECONDS else "over"
        print(
            f"odx {' '.join(args):28} {median:9.3f} {median - base:+9.3f} "
            f"{median / base:6.1f}x  {verdict}"
        )
    print(f"bare interpreter (python -c pass): median {base:.3f} s")


if __name__ == "__main__":
    main()
