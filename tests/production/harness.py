"""Production mode against the real servers: PostgreSQL, RabbitMQ, separate processes.

Each test gets a platform of its own: a fresh PostgreSQL database (``tests/backends.py``),
its own queues on the broker (a unique prefix, deleted afterwards) and a data folder that
every process it starts shares, as the storage root of a real deployment is shared. The
processes are the real commands (``odx serve --no-worker``, ``odx worker``), started in
sessions of their own so that a test can ``kill -9`` one, and all of them are killed at the
end.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pandas as pd
from kombu import Connection
from sqlalchemy import select

from live import create_users
from odx.platform.db.engine import session_scope
from odx.platform.db.models import Submission
from odx.platform.jobs.broker import QUEUES, queue_name
from odx.platform.settings import Settings

BROKER = os.environ.get("ODX_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
CHALLENGE = "market-store-count-2026"
DATASET = "market-store-count"
ODX = [sys.executable, "-c", "from odx.platform.cli.main import app; app()"]
# The MLflow server's admin account, which odx's processes write with (MLflow's own variables).
MLFLOW_ADMIN = {
    "MLFLOW_TRACKING_USERNAME": "odx-writer",
    "MLFLOW_TRACKING_PASSWORD": "writer-" + os.urandom(9).hex(),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(
    condition: Any, *, timeout: float, what: str, every: float = 0.2, show: Any = None
) -> Any:
    """Poll ``condition()`` until it returns something truthy; fail with ``what`` (and what
    ``show()`` returns) after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            seen = f": {show()}" if show is not None else ""
            raise AssertionError(f"timed out after {timeout} s waiting for {what}{seen}")
        time.sleep(every)


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (a Celery worker's pool children too)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)
        self.popen.wait(timeout=30)

    def tail(self) -> str:
        return self.log.read_text("utf-8", errors="replace")[-4000:]


@dataclass
class ProductionSite:
    settings: Settings
    env: dict[str, str]
    tokens: dict[str, str]
    logs: Path
    processes: list[Process] = field(default_factory=list)
    mlflow_args: list[str] = field(default_factory=list)

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> Process:
        log = self.logs / f"{name}-{len(self.processes)}.log"
        popen = subprocess.Popen(
            [*ODX, *args],
            env={**self.env, **(env or {})},
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def api(self, *, port: int | None = None, env: dict[str, str] | None = None) -> str:
        """Start ``odx serve --no-worker`` and wait until it answers; returns its URL."""
        port = port or free_port()
        process = self.start("api", "serve", "--no-worker", "--port", str(port), env=env)
        url = f"http://127.0.0.1:{port}"

        def answers() -> bool:
            if process.popen.poll() is not None:
                raise AssertionError(f"odx serve exited:\n{process.tail()}")
            try:
                return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(answers, timeout=60, what="the API to answer")
        return url

    def mlflow_server(self) -> Process:
        """Start ``odx mlflow-server`` (basic-auth, PostgreSQL stores) and wait for /health."""
        process = self.start("mlflow", "mlflow-server", *self.mlflow_args)
        health = f"{self.settings.resolved_mlflow_uri}/health"

        def healthy() -> bool:
            if process.popen.poll() is not None:
                raise AssertionError(f"odx mlflow-server exited:\n{process.tail()}")
            try:
                return httpx.get(health, timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(healthy, timeout=120, what="the MLflow server to answer")
        return process

    def worker(
        self, *, queues: str = "predictions,tracking", concurrency: int = 2, beat: bool = True
    ) -> Process:
        args = ["worker", "--queues", queues, "--concurrency", str(concurrency)]
        return self.start("worker", *args, "--beat" if beat else "--no-beat")

    def client(self, url: str, who: str) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return httpx.Client(base_url=url, headers=headers, timeout=60)

    def sample(self) -> pd.DataFrame:
        (folder,) = (self.settings.public_root / DATASET).iterdir()
        return pd.read_csv(folder / "sample_submission.csv", dtype={"market_id": str})

    def stop(self) -> None:
        for process in self.processes:
            if process.popen.poll() is None:
                process.kill()


def environment(settings: Settings) -> dict[str, str]:
    """The ``ODX_*`` variables that make a process part of this platform."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODX_")}
    values = {
        "ODX_HOME": str(settings.resolved_home),
        "ODX_DATABASE_URL": settings.resolved_database_url,
        "ODX_BROKER_URL": settings.broker_url or "",
        "ODX_QUEUE_PREFIX": settings.queue_prefix,
        "ODX_SWEEP_SECONDS": str(settings.sweep_seconds),
        "ODX_JOB_TIMEOUT_SECONDS": str(settings.job_timeout_seconds),
        "ODX_TRACKING_RETRY_SECONDS": str(settings.tracking_retry_seconds),
        "ODX_MLFLOW_TRACKING_URI": settings.resolved_mlflow_uri,
        "ODX_PROGRESS": "false",
    }
    return env | values


def delete_queues(settings: Settings) -> None:
    with Connection(settings.broker_url, connect_timeout=5) as connection:
        channel = connection.default_channel
        for name in QUEUES:
            channel.queue_delete(queue_name(settings, name))


def participants(site: ProductionSite, url: str, names: list[str]) -> None:
    """Participants, each in a team of their own (their tokens join ``site.tokens``)."""
    site.tokens |= create_users(site.settings, {name: "participant" for name in names})
    for name in names:
        with site.client(url, name) as http:
            response = http.post(f"/api/challenges/{CHALLENGE}/teams", json={"name": name})
            assert response.status_code == 201, response.text


def submit(http: httpx.Client, content: bytes, name: str = "s.csv") -> str:
    """Post one file; returns the acknowledged submission's id."""
    response = http.post(
        f"/api/challenges/{CHALLENGE}/submissions", files={"file": (name, content)}
    )
    assert response.status_code == 202, response.text
    return response.json()["id"]


def variants(site: ProductionSite, count: int) -> list[bytes]:
    """``count`` different valid prediction files."""
    frame = site.sample()
    target = frame.columns[1]
    files = []
    for i in range(count):
        shuffled = frame.sample(frac=1.0, random_state=i)
        shuffled[target] = (i % 7) + shuffled.index.to_series().mod(5).to_numpy()
        files.append(shuffled.to_csv(index=False).encode())
    return files


class TcpProxy:
    """A TCP forwarder the test can take down and bring back on the same port: the broker
    "unreachable" without stopping the machine's RabbitMQ, which other runs share."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        """Refuse new connections and cut every open one."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by down()
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def burst(
    site: ProductionSite, urls: list[str], names: list[str], files: list[bytes]
) -> tuple[list[str], list[str]]:
    """Post ``files`` from one thread per participant, spread over the API ``urls``; returns
    the acknowledged ids and the errors of posts that were not acknowledged."""
    acknowledged: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()

    def post(index: int, name: str) -> None:
        mine = files[index :: len(names)]
        clients = [site.client(url, name) for url in urls]
        try:
            for n, content in enumerate(mine):
                http = clients[n % len(clients)]
                try:
                    response = http.post(
                        f"/api/challenges/{CHALLENGE}/submissions",
                        files={"file": ("s.csv", content)},
                    )
                except httpx.HTTPError as error:
                    with lock:
                        errors.append(type(error).__name__)
                    continue
                with lock:
                    if response.status_code == 202:
                        acknowledged.append(response.json()["id"])
                    else:
                        errors.append(f"{response.status_code} {response.text[:200]}")
        finally:
            for http in clients:
                http.close()

    threads = [threading.Thread(target=post, args=(i, n)) for i, n in enumerate(names)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return acknowledged, errors


class Row(NamedTuple):
    status: str
    attempts: int
    run_id: str | None
    worker: str | None


def states(site: ProductionSite) -> dict[str, Row]:
    """Every submission row by id."""
    with session_scope(site.settings.resolved_database_url) as session:
        rows = session.execute(
            select(
                Submission.id,
                Submission.status,
                Submission.attempts,
                Submission.mlflow_run_id,
                Submission.worker,
            )
        )
        return {row.id: Row(*row[1:]) for row in rows}


def unsettled(site: ProductionSite) -> dict[str, Row]:
    """The rows not yet scored and tracked (for a failing test's message)."""
    return {i: row for i, row in states(site).items() if row.status != "scored" or not row.run_id}


def settled(site: ProductionSite, ids: list[str], *, tracked: bool) -> bool:
    """Every id scored (and tracked, if asked); nothing left queued or scoring."""
    rows = states(site)
    if any(row.status in ("queued", "scoring") for row in rows.values()):
        return False
    return all(i in rows and rows[i].status == "scored" for i in ids) and (
        not tracked or all(rows[i].run_id for i in ids)
    )


def mlflow_runs_by_submission(site: ProductionSite) -> Counter[str]:
    """How many MLflow runs each submission has (deleted ones included)."""
    from mlflow import MlflowClient
    from mlflow.entities import ViewType

    client = MlflowClient(tracking_uri=site.settings.resolved_mlflow_uri)
    experiment = client.get_experiment_by_name(f"odx/{CHALLENGE}")
    runs = client.search_runs(
        [experiment.experiment_id], run_view_type=ViewType.ALL, max_results=50000
    )
    return Counter(run.data.tags.get("odx.submission_id", "") for run in runs)
