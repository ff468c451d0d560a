"""Deadline rush: 1,000 submissions from 20 concurrent clients, then the queue drains, then
MLflow catches up; in embedded mode, production mode, or both side by side.

Run: ``python benchmarks/bench_deadline_rush.py [--mode embedded|production|both]
[--clients C] [--submissions N] [--rows R] [--post-seconds S] [--drain-seconds D]
[--catch-up-seconds M] [--workers W]``. Embedded: the real server (uvicorn in a thread, SQLite,
W scoring threads, MLflow's SQLite store; ``platform_fixture.py``). Production: PostgreSQL,
RabbitMQ, 2 ``odx serve --no-worker`` processes, W ``odx worker --concurrency 1`` processes
and ``odx mlflow-server`` (``production_fixture.py``). Both serve a synthetic SME challenge
whose test set has ``--rows`` rows. Each client (its own user and team) posts its share as
fast as it is acknowledged; the organizer then polls the staff listing until nothing is
queued or scoring; then the database is polled until every scored row has its MLflow run.

Printed per mode: acknowledged, scored, failed, lost (acknowledged but not listed; must be
0), rows not scored exactly once (attempts != 1; must be 0), posting and drain times, MLflow
runs written at the drain and the catch-up time after it; then production / embedded ratios.
Nothing is asserted: the numbers are for people to read.
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
from production_fixture import start_production
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


@dataclass
class Rush:
    """The figures of one rush, for printing side by side."""

    mode: str
    setup: float
    posted: int
    acknowledged: list[str]
    refused: Counter[str]
    latencies: list[float]
    post_time: float
    drain_time: float
    drained: bool
    statuses: Counter[str]
    listed: set[str]
    rows_in_db: int
    attempts: dict[int, int]
    not_once: int
    tracked_at_drain: int
    catch_up: float | None  # seconds from the drain until every scored row had its run
    tracked_at_end: int
    file_bytes: int


def tracked_count(platform: Platform) -> tuple[int, int]:
    """(scored rows, scored rows with their MLflow run)."""
    with session_scope(platform.settings.resolved_database_url) as session:
        mine = Submission.challenge_id == platform.challenge_id
        scored = mine & (Submission.status == "scored")
        return (
            session.scalar(select(func.count()).where(scored)) or 0,
            session.scalar(
                select(func.count()).where(scored, Submission.mlflow_run_id.is_not(None))
            )
            or 0,
        )


def rush(mode: str, args: argparse.Namespace) -> Rush:
    with tempfile.TemporaryDirectory(prefix="odx-bench-") as tmp:
        started = time.perf_counter()
        if mode == "production":
            platform = start_production(Path(tmp), rows=args.rows, apis=2, workers=args.workers)
        else:
            platform = start_platform(Path(tmp), workers=args.workers, rows=args.rows)
        names = [f"rush{i:02d}" for i in range(args.clients)]
        try:
            platform.add_participants(names)
            setup = time.perf_counter() - started
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
            _, tracked_at_drain = tracked_count(platform)

            catch_up_start = time.perf_counter()
            catch_up = None
            while time.perf_counter() - catch_up_start < args.catch_up_seconds:
                scored, tracked = tracked_count(platform)
                if tracked >= scored:
                    catch_up = time.perf_counter() - catch_up_start
                    break
                time.sleep(DRAIN_POLL)
            _, tracked_at_end = tracked_count(platform)

            with session_scope(platform.settings.resolved_database_url) as session:
                mine = Submission.challenge_id == platform.challenge_id
                rows_in_db = session.scalar(select(func.count()).where(mine)) or 0
                attempts = {
                    count: rows
                    for count, rows in session.execute(
                        select(Submission.attempts, func.count())
                        .where(mine)
                        .group_by(Submission.attempts)
                    )
                }
                not_once = session.scalar(
                    select(func.count()).where(
                        mine, (Submission.attempts != 1) | (Submission.status != "scored")
                    )
                )
        finally:
            platform.stop()

    return Rush(
        mode=mode,
        setup=setup,
        posted=sum(log.posted for log in logs),
        acknowledged=[sid for log in logs for sid in log.acknowledged],
        refused=sum((log.refused for log in logs), Counter()),
        latencies=[t for log in logs for t in log.latencies],
        post_time=post_time,
        drain_time=drain_time,
        drained=drained,
        statuses=Counter(s["status"] for s in listing),
        listed={s["id"] for s in listing},
        rows_in_db=rows_in_db,
        attempts=attempts,
        not_once=not_once or 0,
        tracked_at_drain=tracked_at_drain,
        catch_up=catch_up,
        tracked_at_end=tracked_at_end,
        file_bytes=len(files[0]),
    )


def report(run: Rush, args: argparse.Namespace) -> None:
    engines = (
        f"PostgreSQL, RabbitMQ, 2 API processes, {args.workers} worker processes, MLflow server"
        if run.mode == "production"
        else f"SQLite, one server process with {args.workers} scoring threads, MLflow SQLite store"
    )
    absent = [sid for sid in run.acknowledged if sid not in run.listed]
    latencies = run.latencies or [float("nan")]
    print(f"{run.mode} mode: {engines} (set-up {run.setup:.1f} s)")
    print(
        f"  posted {run.posted}, acknowledged (202) {len(run.acknowledged)}, refused or errors "
        f"{sum(run.refused.values())}" + (f": {dict(run.refused)}" if run.refused else "")
    )
    print(
        f"  posting time {run.post_time:.2f} s "
        f"({len(run.acknowledged) / run.post_time:.1f} acknowledged/s; limit "
        f"{args.post_seconds:.0f} s); acknowledgement latency median "
        f"{statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )
    print(
        f"  time to drain after the last post: {run.drain_time:.2f} s"
        + ("" if run.drained else f" (NOT drained within {args.drain_seconds:.0f} s)")
        + f"; posting start to empty queue {run.post_time + run.drain_time:.2f} s"
    )
    catch_up = (
        f"{run.catch_up:.1f} s"
        if run.catch_up is not None
        else f"NOT within {args.catch_up_seconds:.0f} s ({run.tracked_at_end} written)"
    )
    print(
        f"  scored {run.statuses.get('scored', 0)}, failed {run.statuses.get('failed', 0)}, "
        f"still queued {run.statuses.get('queued', 0)}, scoring {run.statuses.get('scoring', 0)}; "
        f"MLflow runs written at the drain {run.tracked_at_drain}; every run written "
        f"{catch_up} after the drain"
    )
    print(
        f"  lost (posted - rows in the API listing): {run.posted - len(run.listed)}; "
        f"acknowledged ids missing from the listing: {len(absent)}; rows in the database: "
        f"{run.rows_in_db}"
    )
    print(
        f"  duplicates: rows not scored exactly once (attempts != 1 or status != scored): "
        f"{run.not_once}; rows per attempt count: {dict(sorted(run.attempts.items()))}"
    )


def rate(run: Rush) -> float:
    return len(run.acknowledged) / run.post_time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=("embedded", "production", "both"), default="both")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--submissions", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=2000, help="test rows per submission")
    parser.add_argument("--post-seconds", type=float, default=120.0)
    parser.add_argument("--drain-seconds", type=float, default=600.0)
    parser.add_argument("--catch-up-seconds", type=float, default=900.0)
    parser.add_argument(
        "--workers", type=int, default=2, help="scoring threads (embedded), worker processes"
    )
    args = parser.parse_args()
    modes = ("embedded", "production") if args.mode == "both" else (args.mode,)
    runs = [rush(mode, args) for mode in modes]
    print(
        f"deadline rush: {args.clients} clients (one team each), {args.submissions} submissions "
        f"of {args.rows:,} rows ({runs[0].file_bytes / 1e3:.0f} kB)"
    )
    for run in runs:
        report(run, args)
    if len(runs) == 2:
        embedded, production = runs
        embedded_total = embedded.post_time + embedded.drain_time
        production_total = production.post_time + production.drain_time
        print(
            f"production / embedded: posting start to empty queue "
            f"{production_total / embedded_total:.2f}x; acknowledgements per second "
            f"{rate(production) / rate(embedded):.2f}x"
            + (
                f"; MLflow catch-up after the drain {production.catch_up / embedded.catch_up:.2f}x"
                if production.catch_up and embedded.catch_up
                else ""
            )
        )


if __name__ == "__main__":
    main()
