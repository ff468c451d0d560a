"""Deadline rush: 500 submissions from 20 concurrent clients, then the queue drains.

Run: ``python benchmarks/bench_deadline_rush.py [--clients C] [--submissions N] [--rows R]
[--post-seconds S] [--drain-seconds D] [--workers W]``. The real server (uvicorn in a thread,
SQLite, embedded scoring worker) serves a synthetic SME challenge whose test set has
``--rows`` rows (2,000 by default: small files, so the run measures the platform, not the
scorer). ``--clients`` threads, each with its own ``httpx.Client`` and its own user and
team (one team per client, so team quotas and the per-team intake lock do not serialise
them), post ``--submissions`` valid CSVs in all, as fast as they are acknowledged, and stop
at ``--post-seconds`` whatever is left. Then the organizer polls the staff listing every
0.5 s until nothing is queued or scoring, for at most ``--drain-seconds``.

Printed: how many posts were acknowledged (202; every one should be), scored and failed;
lost = acknowledged − rows in ``GET /api/challenges/{id}/submissions`` (must be 0) and any
acknowledged id absent from that listing; duplicates, checked in the database: every
submission row must have ``attempts == 1`` and status ``scored`` (scored exactly once); the
posting time (with acknowledgement latency) and the time from the last acknowledgement
until the queue is empty. Nothing is asserted: the numbers are for people to read.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from platform_fixture import ORGANIZER, Platform, percentile, start_platform
from sqlalchemy import func, select

from odx.platform.db.engine import session_scope
from odx.platform.db.models import Submission

DRAIN_POLL = 0.5


@dataclass
class ClientLog:
    acknowledged: list[str] = field(default_factory=list)
    refused: Counter[str] = field(default_factory=Counter)  # status code or exception name
    latencies: list[float] = field(default_factory=list)
    posted: int = 0


def make_files(ids: np.ndarray, id_column: str, target: str, count: int) -> list[bytes]:
    """``count`` different valid files (shuffled ids, random probabilities)."""
    rng = np.random.default_rng(7)
    files = []
    for _ in range(count):
        order = rng.permutation(len(ids))
        frame = pd.DataFrame({id_column: ids[order], target: rng.random(len(ids)).round(4)})
        files.append(frame.to_csv(index=False).encode())
    return files


def post_all(
    platform: Platform, name: str, files: list[bytes], deadline: float, log: ClientLog
) -> None:
    with platform.client(name, timeout=60) as http:
        for i, content in enumerate(files):
            if time.perf_counter() > deadline:
                break
            start = time.perf_counter()
            log.posted += 1
            try:
                response = http.post(
                    f"/api/challenges/{platform.challenge_id}/submissions",
                    files={"file": (f"{name}-{i}.csv", content, "text/csv")},
                    data={"message": f"{name} #{i}"},
                )
            except Exception as exc:  # count it, keep posting
                log.refused[type(exc).__name__] += 1
                continue
            log.latencies.append(time.perf_counter() - start)
            if response.status_code == 202:
                log.acknowledged.append(response.json()["id"])
            else:
                log.refused[f"HTTP {response.status_code}: {response.text[:120]}"] += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--submissions", type=int, default=500)
    parser.add_argument("--rows", type=int, default=2000, help="test rows per submission")
    parser.add_argument("--post-seconds", type=float, default=60.0)
    parser.add_argument("--drain-seconds", type=float, default=300.0)
    parser.add_argument("--workers", type=int, default=2, help="embedded scoring threads")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="odx-bench-") as tmp:
        started = time.perf_counter()
        platform = start_platform(Path(tmp), workers=args.workers, rows=args.rows)
        names = [f"rush{i:02d}" for i in range(args.clients)]
        platform.add_participants(names)
        setup = time.perf_counter() - started
        try:
            manifest = platform.published.manifest
            id_column, target = manifest["id_column"], manifest["target_column"]
            ids = pd.read_csv(platform.public_dir / "test.csv", usecols=[id_column], dtype=str)
            files = make_files(ids[id_column].to_numpy(), id_column, target, args.submissions)
            shares = [files[i :: args.clients] for i in range(args.clients)]
            logs = [ClientLog() for _ in names]

            post_start = time.perf_counter()
            deadline = post_start + args.post_seconds
            threads = [
                threading.Thread(target=post_all, args=(platform, n, s, deadline, log))
                for n, s, log in zip(names, shares, logs, strict=True)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:  # each stops posting at the deadline; a request may finish
                thread.join(timeout=args.post_seconds + 120)
            post_time = time.perf_counter() - post_start

            drain_start = time.perf_counter()
            drained, listing = False, []
            with platform.client(ORGANIZER, timeout=60) as http:
                while time.perf_counter() - drain_start < args.drain_seconds:
                    response = http.get(f"/api/challenges/{platform.challenge_id}/submissions")
                    response.raise_for_status()
                    listing = response.json()
                    if not any(s["status"] in ("queued", "scoring") for s in listing):
                        drained = True
                        break
                    time.sleep(DRAIN_POLL)
            drain_time = time.perf_counter() - drain_start

            with session_scope(platform.settings.resolved_database_url) as session:
                mine = Submission.challenge_id == platform.challenge_id
                rows_in_db = session.scalar(select(func.count()).where(mine)) or 0
                attempts = dict(
                    session.execute(
                        select(Submission.attempts, func.count())
                        .where(mine)
                        .group_by(Submission.attempts)
                    )
                    .tuples()
                    .all()
                )
                tracked = session.scalar(
                    select(func.count()).where(mine, Submission.mlflow_run_id.is_not(None))
                )
                not_once = session.scalar(
                    select(func.count()).where(
                        mine, (Submission.attempts != 1) | (Submission.status != "scored")
                    )
                )
        finally:
            platform.stop()

    posted = sum(log.posted for log in logs)
    acknowledged = [sid for log in logs for sid in log.acknowledged]
    refused = sum((log.refused for log in logs), Counter())
    latencies = [t for log in logs for t in log.latencies]
    statuses = Counter(s["status"] for s in listing)
    listed = {s["id"] for s in listing}
    absent = [sid for sid in acknowledged if sid not in listed]
    print(
        f"deadline rush: {args.clients} clients, {args.submissions} submissions of "
        f"{args.rows:,} rows ({len(files[0]) / 1e3:.0f} kB), {args.workers} scoring threads, "
        f"SQLite (set-up incl. publish and {args.clients} users/teams {setup:.1f} s)"
    )
    print(
        f"  posted {posted}, acknowledged (202) {len(acknowledged)}, refused or errors "
        f"{sum(refused.values())}" + (f": {dict(refused)}" if refused else "")
    )
    print(
        f"  posting time {post_time:.2f} s ({len(acknowledged) / post_time:.1f} acknowledged/s; "
        f"limit {args.post_seconds:.0f} s); acknowledgement latency median "
        f"{statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )
    print(
        f"  time to drain after the last post: {drain_time:.2f} s"
        + ("" if drained else f" (NOT drained within {args.drain_seconds:.0f} s)")
        + f"; posting start to empty queue {post_time + drain_time:.2f} s"
    )
    print(
        f"  scored {statuses.get('scored', 0)}, failed {statuses.get('failed', 0)}, still queued "
        f"{statuses.get('queued', 0)}, scoring {statuses.get('scoring', 0)}; MLflow runs "
        f"recorded by then {tracked}"
    )
    print(
        f"  lost (posted - rows in the API listing): {posted - len(listing)}; acknowledged - "
        f"listed: {len(acknowledged) - len(listing)}; acknowledged ids missing from the listing: "
        f"{len(absent)}; rows in the database: {rows_in_db}"
    )
    print(
        f"  duplicates: rows not scored exactly once (attempts != 1 or status != scored): "
        f"{not_once}; rows per attempt count: {dict(sorted(attempts.items()))}"
    )


if __name__ == "__main__":
    main()
