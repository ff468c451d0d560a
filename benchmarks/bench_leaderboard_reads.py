"""Leaderboard reads: requests per second of the public board vs ``/healthz``, same server.

Run: ``python benchmarks/bench_leaderboard_reads.py [--submissions N] [--teams T]
[--clients C] [--requests R] [--seconds S] [--profile K] [--in-process]``. The real server
(uvicorn in a thread, SQLite) serves a small synthetic SME challenge; ``--submissions`` scored
submissions with random public and private scores across ``--teams`` teams are inserted
straight into the database with SQLAlchemy (posting them would only measure the scorer).
Then ``--clients`` clients, each a process of its own with one ``httpx.Client`` (or, with
``--in-process``, a thread of the server's process), send ``--requests`` requests
each to ``GET /healthz`` and then to ``GET /api/challenges/{id}/leaderboard`` — each phase
stopping early after ``--seconds`` — and the requests per second of both are printed with
their ratio (target: leaderboard >= 50% of healthz).

``--profile K`` (default 20) then runs what the route runs (session, challenge, rows,
to_json) K times in this process under cProfile, prints the top functions, and times the
parts separately — the query with ORM objects, the same query as plain columns, the
ranking, the JSON — so the reader sees where a request's time goes. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import multiprocessing
import pstats
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from platform_fixture import Platform, percentile, start_platform
from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session

from odx.platform.db.engine import session_scope
from odx.platform.db.models import Submission, Team, User
from odx.platform.services import challenges
from odx.platform.services.leaderboards import export, ranking
from odx.platform.services.users import hash_token
from odx.scoring.leaderboard import Entry, public_leaderboard

TARGET = 0.5


def seed_submissions(platform: Platform, submissions: int, teams: int, seed: int = 3) -> None:
    """``teams`` teams and ``submissions`` scored rows spread over the last 20 days."""
    rng = np.random.default_rng(seed)
    now = datetime.now(UTC)
    url = platform.settings.resolved_database_url
    with session_scope(url) as session:
        user = User(
            name="seeder",
            role="participant",
            token_sha256=hash_token(uuid.uuid4().hex),
            token_prefix="odx_seed",
        )
        session.add(user)
        session.execute(
            insert(Team),
            [
                {
                    "challenge_id": platform.challenge_id,
                    "name": f"team-{i:04d}",
                    "is_baseline": False,
                    "invite_sha256": hash_token(f"invite-{i}"),
                    "created_at": now - timedelta(days=21),
                }
                for i in range(teams)
            ],
        )
        session.flush()
        team_ids = list(
            session.scalars(select(Team.id).where(Team.challenge_id == platform.challenge_id))
        )
        owner = rng.integers(0, len(team_ids), submissions)
        public = rng.uniform(0.55, 0.9, submissions)
        private = np.clip(public + rng.normal(0, 0.01, submissions), 0, 1)
        ages = rng.uniform(0, 20 * 86400, submissions)
        rows = []
        for i in range(submissions):
            created = now - timedelta(seconds=float(ages[i]))
            p, q = float(public[i]), float(private[i])
            rows.append(
                {
                    "id": uuid.uuid4().hex,
                    "challenge_id": platform.challenge_id,
                    "team_id": team_ids[int(owner[i])],
                    "user_id": user.id,
                    "phase": "main",
                    "message": f"seeded {i}",
                    "file_sha256": f"{i:064x}",
                    "file_bytes": 2_000_000,
                    "file_name": "predictions.csv",
                    "status": "scored",
                    "attempts": 1,
                    "created_at": created,
                    "scored_at": created + timedelta(seconds=1),
                    "public_score": p,
                    "public_low": p - 0.01,
                    "public_high": p + 0.01,
                    "private_score": q,
                    "private_low": q - 0.01,
                    "private_high": q + 0.01,
                    "overall_score": (p + q) / 2,
                    "overall_low": (p + q) / 2 - 0.01,
                    "overall_high": (p + q) / 2 + 0.01,
                    "selected": False,
                }
            )
        session.execute(insert(Submission), rows)


Outcome = tuple[list[float], int, int]  # latencies, errors, size of the last body


def _get_loop(
    http: httpx.Client,
    path: str,
    requests: int,
    seconds: float,
    headers: dict[str, str] | None,
    ok: int,
) -> Outcome:
    """``requests`` GETs of ``path`` or until ``seconds`` have passed."""
    latencies, errors, size = [], 0, 0
    deadline = time.perf_counter() + seconds
    for _ in range(requests):
        if time.perf_counter() > deadline:
            break
        start = time.perf_counter()
        response = http.get(path, headers=headers)
        latencies.append(time.perf_counter() - start)
        size = len(response.content)
        errors += response.status_code != ok
    return latencies, errors, size


def _summary(outcomes: list[Outcome], elapsed: float) -> dict[str, Any]:
    flat = [t for latencies, _, _ in outcomes for t in latencies]
    return {
        "requests": len(flat),
        "elapsed": elapsed,
        "rps": len(flat) / elapsed,
        "median": statistics.median(flat),
        "p95": percentile(flat, 0.95),
        "errors": sum(errors for _, errors, _ in outcomes),
        "bytes": max(size for _, _, size in outcomes),
    }


def _client_process(
    url: str,
    path: str,
    requests: int,
    seconds: float,
    headers: dict[str, str] | None,
    ok: int,
    barrier: Any,
    results: Any,
) -> None:
    """One client in a process of its own: connects, waits for the others, GETs in a loop;
    puts its outcome and when it stopped (wall clock)."""
    with httpx.Client(base_url=url, timeout=60, trust_env=False) as http:
        http.get("/healthz")  # connect outside the timing
        barrier.wait()
        outcome = _get_loop(http, path, requests, seconds, headers, ok)
    results.put((outcome, time.time()))


def hammer(
    platform: Platform,
    path: str,
    clients: int,
    requests: int,
    seconds: float,
    headers: dict[str, str] | None = None,
    ok: int = 200,
    *,
    in_process: bool = False,
) -> dict[str, Any]:
    """``clients`` clients, ``requests`` GETs each or until ``seconds``. By default each
    client is a process of its own, so that clients do not take the server's interpreter
    lock (on two cores an in-process client costs the server about as much as it measures);
    with ``in_process`` they are threads of this process."""
    if in_process:
        return _hammer_threads(platform, path, clients, requests, seconds, headers, ok)
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(clients + 1), context.Queue()
    processes = [
        context.Process(
            target=_client_process,
            args=(platform.url, path, requests, seconds, headers, ok, barrier, results),
        )
        for _ in range(clients)
    ]
    for process in processes:
        process.start()
    barrier.wait(timeout=180)  # every client connected
    released = time.time()
    collected = [results.get(timeout=seconds + 180) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    elapsed = max(ended for _, ended in collected) - released
    return _summary([outcome for outcome, _ in collected], elapsed)


def _hammer_threads(
    platform: Platform,
    path: str,
    clients: int,
    requests: int,
    seconds: float,
    headers: dict[str, str] | None,
    ok: int,
) -> dict[str, Any]:
    outcomes: list[Outcome] = []
    barrier = threading.Barrier(clients + 1)

    def work() -> None:
        with platform.client(None, timeout=60) as http:
            http.get("/healthz")  # connect outside the timing
            barrier.wait()
            outcomes.append(_get_loop(http, path, requests, seconds, headers, ok))

    threads = [threading.Thread(target=work) for _ in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=120)
    start = time.perf_counter()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    return _summary(outcomes, time.perf_counter() - start)


def route_work(platform: Platform) -> str:
    """What ``GET /api/challenges/{id}/leaderboard`` does, without HTTP."""
    with session_scope(platform.settings.resolved_database_url) as session:
        challenge = challenges.get(session, platform.challenge_id)
        rows = ranking.rows(session, challenge, board="public")
        return export.to_json(rows, board="public")


def timed(repeat: int, action: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def best_per_team_sql(session: Session, challenge_id: str) -> list[Any]:
    """The public board's rows computed by the database (maximize; invalid files left out):
    one row per team instead of one per submission."""
    counted = or_(Submission.failure.is_(None), Submission.failure != "invalid_file")
    team = (Submission.team_id,)
    ranked = (
        select(
            Submission.team_id,
            Submission.id,
            Submission.public_score,
            Submission.public_low,
            Submission.public_high,
            func.row_number()
            .over(
                partition_by=team,
                order_by=(Submission.public_score.desc().nulls_last(), Submission.created_at),
            )
            .label("place"),
            func.count().over(partition_by=team).label("entries"),
            func.max(Submission.created_at).over(partition_by=team).label("last"),
        )
        .where(Submission.challenge_id == challenge_id, counted)
        .subquery()
    )
    query = (
        select(Team.name, Team.is_baseline, ranked)
        .join(Team, Team.id == ranked.c.team_id)
        .where(ranked.c.place == 1)
        .order_by(ranked.c.public_score.desc().nulls_last(), ranked.c.last)
    )
    return session.execute(query).all()


def profile(platform: Platform, repeat: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        route_work(platform)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(12)
    print(f"cProfile of the route's work, {repeat} calls, top 12 by own time:")
    body = out.getvalue()
    print("\n".join(line for line in body.splitlines()[4:] if line.strip()))

    url = platform.settings.resolved_database_url
    with session_scope(url) as session:
        challenge = challenges.get(session, platform.challenge_id)
        statuses = ("scored", "failed", "queued", "scoring")
        orm_query = (
            select(Submission, Team.name, Team.is_baseline)
            .join(Team, Team.id == Submission.team_id)
            .where(Submission.challenge_id == challenge.id, Submission.status.in_(statuses))
        )
        columns = (
            Team.name,
            Submission.id,
            Submission.created_at,
            Submission.public_score,
            Submission.private_score,
            Submission.selected,
            Team.is_baseline,
            Submission.public_low,
            Submission.public_high,
            Submission.private_low,
            Submission.private_high,
        )
        column_query = (
            select(*columns)
            .join(Team, Team.id == Submission.team_id)
            .where(Submission.challenge_id == challenge.id, Submission.status.in_(statuses))
        )

        def orm_rows() -> list[Any]:
            result = session.execute(orm_query).all()
            session.expunge_all()  # the route's session is fresh each request
            return result

        def plain_rows() -> list[Any]:
            return session.execute(column_query).all()

        t_entries, entries = timed(repeat, lambda: ranking.entries(session, challenge))
        session.expunge_all()
        t_orm, _ = timed(repeat, orm_rows)
        t_plain, plain = timed(repeat, plain_rows)
        t_build, _ = timed(repeat, lambda: [Entry(*row) for row in plain])
        t_rank, board = timed(repeat, lambda: public_leaderboard(entries, greater_is_better=True))
        t_json, _ = timed(repeat, lambda: export.to_json(board, board="public"))
        t_spec, _ = timed(repeat, lambda: challenges.spec_of(challenge))
        t_sql, best = timed(repeat, lambda: best_per_team_sql(session, challenge.id))
    t_route, _ = timed(repeat, lambda: route_work(platform))
    gc.disable()
    try:
        t_route_nogc, _ = timed(repeat, lambda: route_work(platform))
    finally:
        gc.enable()
    same = {(r.team, r.submission_id) for r in board} == {(b.name, b.id) for b in best}
    print(f"parts of one leaderboard request (median of {repeat}, in this process):")
    parts = [
        ("route work (session + challenge + rows + to_json)", t_route),
        ("  _entries (query -> ORM Submission objects -> Entry)", t_entries),
        ("    the same query, ORM objects only", t_orm),
        ("    the same data as 11 plain columns", t_plain),
        ("    Entry objects from the plain columns", t_build),
        (f"  public_leaderboard (group, rank) on {len(entries):,} entries", t_rank),
        (f"  to_json of {len(board)} rows", t_json),
        ("  spec_of (pydantic validation of the challenge)", t_spec),
        ("route work with Python's cyclic GC off", t_route_nogc),
    ]
    for label, seconds in parts:
        print(f"  {label:<58} {seconds * 1000:7.1f} ms")
    print(
        f"for comparison (not what the route does): best public entry per team in SQL (window "
        f"functions), {len(best)} rows: {t_sql * 1000:.1f} ms; same teams and submissions as "
        f"the route's board: {same}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--teams", type=int, default=500)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=5000, help="per client and route")
    parser.add_argument("--seconds", type=float, default=10.0, help="cap per route")
    parser.add_argument("--profile", type=int, default=20, help="profiled calls (0: none)")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="embedded scoring threads (default 0: nothing to score, and the worker's sweeps "
        "would otherwise look at the seeded rows, which have no files)",
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the clients as threads of the server's process (they then compete with it "
        "for the interpreter lock; the default puts each client in a process of its own)",
    )
    args = parser.parse_args()
    load = {"in_process": args.in_process}
    where = "as threads of the server's process" if args.in_process else "in their own processes"

    with tempfile.TemporaryDirectory(prefix="odx-bench-") as tmp:
        started = time.perf_counter()
        platform = start_platform(Path(tmp), workers=args.workers, rows=2000)
        seed_submissions(platform, args.submissions, args.teams)
        setup = time.perf_counter() - started
        try:
            board_path = f"/api/challenges/{platform.challenge_id}/leaderboard"
            health = hammer(platform, "/healthz", args.clients, args.requests, args.seconds, **load)
            board = hammer(platform, board_path, args.clients, args.requests, args.seconds, **load)
            with platform.client(None, timeout=60) as http:
                etag = http.get(board_path).headers["etag"]
            revisit = hammer(
                platform,
                board_path,
                args.clients,
                args.requests,
                args.seconds,
                headers={"If-None-Match": etag},
                ok=304,
                **load,
            )
            ratio = board["rps"] / health["rps"]
            print(
                f"leaderboard reads: {args.submissions:,} scored submissions, {args.teams} teams, "
                f"{args.clients} clients x up to {args.requests} requests or {args.seconds:g} s "
                f"per route, clients {where}, SQLite (set-up incl. publish and seeding "
                f"{setup:.1f} s)"
            )
            for name, result in (
                ("GET /healthz", health),
                (f"GET {board_path}", board),
                ("  same, revisited with If-None-Match (304)", revisit),
            ):
                print(
                    f"  {name:<48} {result['rps']:8.1f} req/s  ({result['requests']} in "
                    f"{result['elapsed']:.1f} s; median {result['median'] * 1000:.1f} ms, p95 "
                    f"{result['p95'] * 1000:.1f} ms; {result['bytes']:,} bytes; "
                    f"{result['errors']} errors)"
                )
            print(
                f"  ratio leaderboard / healthz: {ratio:.1%}  (target >= {TARGET:.0%})"
                + ("" if ratio >= TARGET else "  BELOW TARGET")
            )
            print(
                f"  ratio revisit (304) / healthz: {revisit['rps'] / health['rps']:.1%}  "
                "(what a browser or client refreshing an unchanged board costs)"
            )
            if args.profile:
                profile(platform, args.profile)
        finally:
            platform.stop()


if __name__ == "__main__":
    main()
