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
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
from kombu import Connection

from live import create_users
from odx.platform.jobs.broker import QUEUES, queue_name
from odx.platform.settings import Settings

BROKER = os.environ.get("ODX_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
CHALLENGE = "market-store-count-2026"
DATASET = "market-store-count"
ODX = [sys.executable, "-c", "from odx.platform.cli.main import app; app()"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition: Any, *, timeout: float, what: str, every: float = 0.2) -> Any:
    """Poll ``condition()`` until it returns something truthy; fail with ``what`` after
    ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
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
