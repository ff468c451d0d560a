"""In production mode the counts of failed attempts live in Redis, so that every API process
behind the proxy sees the same ones: two servers of one platform, one budget."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import httpx
import pytest
import redis
from limits import parse

from live import create_users, serving
from odx.platform.services.attempts import BUDGETS, Attempts, Secret, Who
from odx.platform.services.datasets import prepare_storage
from odx.platform.settings import Settings

REDIS = os.environ.get("ODX_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
BUDGET = parse(BUDGETS[Secret.TOKEN, "client"]).amount


def settings_of(tmp_path: Path) -> Settings:
    # A queue prefix of the test's own: its keys in Redis are apart from any other run's.
    prefix = f"odx-test-{uuid.uuid4().hex[:8]}."
    return Settings(home=tmp_path / "home", workers=0, ratelimit_url=REDIS, queue_prefix=prefix)


def test_two_api_processes_share_one_budget_of_failures(tmp_path: Path) -> None:
    settings = settings_of(tmp_path)
    prepare_storage(settings)
    (token,) = create_users(settings, {"shared-kim": "participant"}).values()
    wrong = {"Authorization": "Bearer odx_wrong", "X-Forwarded-For": "10.9.0.1"}
    with serving(settings) as first, serving(settings) as second:
        codes = []
        for index in range(BUDGET + 1):  # alternating between the two servers
            with httpx.Client(base_url=(first, second)[index % 2], headers=wrong) as http:
                codes.append(http.get("/api/me").status_code)
        right = {"Authorization": f"Bearer {token}", "X-Forwarded-For": "10.9.0.1"}
        answer = httpx.get(f"{first}/api/me", headers=right)
    assert codes == [401] * BUDGET + [429]
    assert answer.status_code == 429 and int(answer.headers["Retry-After"]) >= 1


def test_counts_are_kept_in_redis_under_the_platforms_prefix(tmp_path: Path) -> None:
    settings = settings_of(tmp_path)
    attempts = Attempts.for_settings(settings)
    attempts.failed(Secret.TOKEN, Who("10.9.0.2"))
    keys = redis.Redis.from_url(REDIS).keys(f"{settings.queue_prefix}attempts*")
    assert len(keys) == 1 and b"10.9.0.2" in keys[0]


def test_an_unreachable_store_lets_tries_through_uncounted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis down must not take sign-in down: the try goes ahead, the outage is logged."""
    settings = settings_of(tmp_path).model_copy(update={"ratelimit_url": "redis://127.0.0.1:9"})
    attempts = Attempts.for_settings(settings)
    for _ in range(BUDGET + 1):
        attempts.check(Secret.TOKEN, Who("10.9.0.3"))
        attempts.failed(Secret.TOKEN, Who("10.9.0.3"))
    assert "attempts store cannot be reached" in caplog.text
