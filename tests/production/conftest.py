"""The ``production`` fixture: a production-mode platform of the test's own (see harness.py)."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from backends import fresh_postgres_database, server_url
from live import create_users, open_shipped_challenge
from odx.platform.settings import Settings
from odx.scoring.tracking import experiment_for
from production.harness import (
    BROKER,
    CHALLENGE,
    DATASET,
    MLFLOW_ADMIN,
    ODX,
    ProductionSite,
    delete_queues,
    environment,
    free_port,
)


@pytest.fixture
def production(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ProductionSite]:
    """A production-mode platform with the market challenge open; no process started yet.
    ``@pytest.mark.challenge_limits(...)`` changes the challenge's limits."""
    marker = request.node.get_closest_marker("challenge_limits")
    limits = {"daily_submissions": 1000, "daily_failed_submissions": 1000}
    limits |= marker.kwargs if marker else {}
    if not server_url():  # .ci/run sets it; a laptop without the servers runs the rest
        pytest.skip("ODX_TEST_DATABASE_URL names no PostgreSQL server for production mode")
    with (
        fresh_postgres_database() as database_url,
        fresh_postgres_database() as mlflow_database,
        fresh_postgres_database() as accounts_database,
    ):
        mlflow_port = free_port()
        settings = Settings(
            home=tmp_path / "home",
            database_url=database_url,
            broker_url=BROKER,
            queue_prefix=f"odxt-{uuid.uuid4().hex[:10]}.",
            sweep_seconds=1.0,
            job_timeout_seconds=30,
            tracking_retry_seconds=0.5,
            mlflow_tracking_uri=f"http://127.0.0.1:{mlflow_port}",
            progress=False,
        )
        # odx retries MLflow writes itself (with back-off), so MLflow's own retries stay short
        mlflow_client = MLFLOW_ADMIN | {
            "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
            "MLFLOW_HTTP_REQUEST_TIMEOUT": "20",
        }
        for name, value in mlflow_client.items():
            monkeypatch.setenv(name, value)
        env = environment(settings) | mlflow_client
        init = subprocess.run([*ODX, "init", "--admin", "admin"], env=env, capture_output=True)
        assert init.returncode == 0, init.stderr.decode()
        open_shipped_challenge(settings, CHALLENGE, DATASET, **limits)
        tokens = create_users(settings, {"org": "organizer", "judge": "judge"})
        logs = tmp_path / "logs"
        logs.mkdir()
        site = ProductionSite(settings, env, tokens, logs)
        site.mlflow_args = [
            "--backend-store-uri",
            mlflow_database,
            "--auth-database-uri",
            accounts_database,
            "--artifacts-destination",
            str(tmp_path / "mlflow-artifacts"),
            "--port",
            str(mlflow_port),
            "--workers",
            "1",
        ]
        try:
            site.mlflow_server()
            # the experiment exists before the worker processes start (they would race to make it)
            experiment_for(settings.resolved_mlflow_uri, CHALLENGE, settings.mlflow_artifact_root)
            yield site
        finally:
            site.stop()
            delete_queues(settings)
