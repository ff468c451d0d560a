"""A production-mode platform for the benchmarks: separate processes on the real servers.

``start_production(root, rows, apis=2, workers=2)`` makes fresh PostgreSQL databases (odx's,
MLflow's runs and MLflow's accounts) on ``ODX_BENCH_DATABASE_URL`` (default the machine's
``postgresql+psycopg://postgres@127.0.0.1:5432/test``), queues of its own on
``ODX_BENCH_BROKER_URL`` (default RabbitMQ at 127.0.0.1:5672), creates the platform with
``odx init``, publishes the synthetic dataset and challenge of ``platform_fixture.py`` and
starts the commands of ``docs/deploy.md``: ``odx mlflow-server``, ``apis`` × ``odx serve
--no-worker`` and ``workers`` × ``odx worker --concurrency 1``. Everything is stopped,
dropped and deleted by ``stop()``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from kombu import Connection
from platform_fixture import ORGANIZER, Platform, free_port, write_bench_dataset, write_challenge
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from odx.platform.db.engine import get_engine, session_scope
from odx.platform.jobs.broker import QUEUES, queue_name
from odx.platform.services import challenges
from odx.platform.services import datasets as dataset_service
from odx.platform.settings import Settings
from odx.scoring.tracking import experiment_for

SERVER = os.environ.get(
    "ODX_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BROKER = os.environ.get("ODX_BENCH_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
ODX = [sys.executable, "-c", "from odx.platform.cli.main import app; app()"]
PREFIX = "odx_b_"


def _wait(check: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1, trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass
class ProductionPlatform(Platform):
    """``Platform`` whose clients are spread over several API processes."""

    urls: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    databases: list[str] = field(default_factory=list)

    def client(self, name: str | None = None, *, timeout: float = 120.0) -> httpx.Client:
        """Participants are spread over the API processes by name, as a load balancer would."""
        url = self.urls[sum(map(ord, name or "")) % len(self.urls)]
        headers = {"Authorization": f"Bearer {self.token_for(name)}"} if name else {}
        return httpx.Client(base_url=url, headers=headers, timeout=timeout, trust_env=False)

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = Path(self.settings.resolved_home).parent / f"{args[0]}-{len(self.processes)}.log"
        popen = subprocess.Popen(
            [*ODX, *args],
            env=self.env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(popen)
        return popen

    def stop(self) -> None:
        for popen in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(popen.pid, signal.SIGKILL)
            popen.wait(timeout=30)
        get_engine(self.settings.resolved_database_url).dispose()
        with Connection(BROKER, connect_timeout=5) as connection:
            for name in QUEUES:
                connection.default_channel.queue_delete(queue_name(self.settings, name))
        admin = create_engine(SERVER, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for name in self.databases:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _databases(count: int) -> tuple[list[str], list[str]]:
    """``count`` new empty databases: their names and URLs."""
    admin = create_engine(SERVER, isolation_level="AUTOCOMMIT")
    names = [f"{PREFIX}{uuid.uuid4().hex[:12]}" for _ in range(count)]
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    base = make_url(SERVER)
    urls = [base.set(database=n).render_as_string(hide_password=False) for n in names]
    return names, urls


def start_production(root: Path, *, rows: int, apis: int = 2, workers: int = 2) -> Platform:
    """See the module docstring; the caller must ``stop()`` it."""
    names, (database, mlflow_runs, mlflow_accounts) = _databases(3)
    mlflow_port = free_port()
    settings = Settings(
        home=root / "home",
        database_url=database,
        broker_url=BROKER,
        queue_prefix=f"odxb-{uuid.uuid4().hex[:10]}.",
        mlflow_tracking_uri=f"http://127.0.0.1:{mlflow_port}",
        progress=False,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODX_")} | {
        "ODX_HOME": str(settings.resolved_home),
        "ODX_DATABASE_URL": database,
        "ODX_BROKER_URL": BROKER,
        "ODX_QUEUE_PREFIX": settings.queue_prefix,
        "ODX_MLFLOW_TRACKING_URI": settings.resolved_mlflow_uri,
        "ODX_PROGRESS": "false",
        "MLFLOW_TRACKING_USERNAME": "odx-writer",
        "MLFLOW_TRACKING_PASSWORD": secrets.token_urlsafe(18),
    }
    os.environ.update({k: env[k] for k in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD")})
    platform = ProductionPlatform(
        url="",
        settings=settings,
        challenge_id="",
        published=None,  # type: ignore[arg-type]  # set below
        server=None,  # type: ignore[arg-type]  # processes, not an in-process server
        thread=None,  # type: ignore[arg-type]
        env=env,
        databases=names,
    )
    try:
        subprocess.run([*ODX, "init", "--admin", "admin"], env=env, check=True, capture_output=True)
        folder = write_bench_dataset(root / "datasets", rows)
        platform.published = dataset_service.publish(settings, str(folder))
        platform.challenge_id = f"{platform.published.dataset_id}-2026"
        path = write_challenge(
            root / "challenge.yaml",
            challenge_id=platform.challenge_id,
            dataset_id=platform.published.dataset_id,
            version=platform.published.version,
        )
        with session_scope(database) as session:
            challenges.register(session, path, actor="bench")
        platform.start(
            "mlflow-server",
            "--backend-store-uri",
            mlflow_runs,
            "--auth-database-uri",
            mlflow_accounts,
            "--artifacts-destination",
            str(root / "mlflow-artifacts"),
            "--port",
            str(mlflow_port),
        )
        _wait(lambda: _answers(f"{settings.resolved_mlflow_uri}/health"), "the MLflow server")
        # made once here, as the platform's first scoring would (workers would race to make it)
        experiment_for(settings.resolved_mlflow_uri, platform.challenge_id, root / "unused")
        for _ in range(apis):
            port = free_port()
            platform.start("serve", "--no-worker", "--port", str(port))
            platform.urls.append(f"http://127.0.0.1:{port}")
        for url in platform.urls:
            _wait(lambda url=url: _answers(f"{url}/healthz"), f"the API at {url}")
        platform.url = platform.urls[0]
        for _ in range(workers):
            platform.start("worker", "--concurrency", "1")
        platform.tokens.update(platform._create_users([(ORGANIZER, "organizer")]))
        return platform
    except BaseException:
        platform.stop()
        raise
