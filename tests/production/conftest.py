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
    ODX,
    ProductionSite,
    delete_queues,
    environment,
)


@pytest.fixture
def production(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ProductionSite]:
    """A production-mode platform with the market challenge open; no process started yet.
    ``@pytest.mark.challenge_limits(...)`` changes the challenge's limits."""
    marker = request.node.get_closest_marker("challenge_limits")
    limits = {"daily_submissions": 1000, "daily_failed_submissions": 1000}
    limits |= marker.kwargs if marker else {}
    if not server_url():  # .ci/run sets it; a laptop without the servers runs the rest
        pytest.skip("ODX_TEST_DATABASE_URL names no PostgreSQL server for production mode")
    with fresh_postgres_database() as database_url:
        settings = Settings(
            home=tmp_path / "home",
            database_url=database_url,
            broker_url=BROKER,
            queue_prefix=f"odxt-{uuid.uuid4().hex[:10]}.",
            sweep_seconds=1.0,
            job_timeout_seconds=30,
            tracking_retry_seconds=0.5,
            progress=False,
        )
        env = environment(settings)
        init = subprocess.run([*ODX, "init", "--admin", "admin"], env=env, capture_output=True)
        assert init.returncode == 0, init.stderr.decode()
        open_shipped_challenge(settings, CHALLENGE, DATASET, **limits)
        # the store exists before the worker processes start (they would race to create it)
        experiment_for(settings.resolved_mlflow_uri, CHALLENGE, settings.mlflow_artifact_root)
        tokens = create_users(settings, {"org": "organizer", "judge": "judge"})
        logs = tmp_path / "logs"
        logs.mkdir()
        site = ProductionSite(settings, env, tokens, logs)
        try:
            yield site
        finally:
            site.stop()
            delete_queues(settings)
