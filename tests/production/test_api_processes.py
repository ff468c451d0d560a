"""Several API processes side by side on one PostgreSQL database: the team quota, checked
under a row lock, holds across processes, not only across one process's threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from production.harness import CHALLENGE, ProductionSite, participants, variants


@pytest.mark.challenge_limits(daily_submissions=5)
def test_quota_holds_across_two_api_processes(production: ProductionSite) -> None:
    urls = [production.api(), production.api()]
    participants(production, urls[0], ["kim"])
    files = variants(production, 24)

    def post(index: int) -> int:
        with production.client(urls[index % 2], "kim") as http:
            response = http.post(
                f"/api/challenges/{CHALLENGE}/submissions",
                files={"file": ("s.csv", files[index])},
            )
            return response.status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        codes = list(pool.map(post, range(len(files))))
    assert sorted(codes) == [202] * 5 + [429] * (len(files) - 5)
