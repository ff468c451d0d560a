"""Closing a challenge and revealing its private board, on a server of their own (these
tests end the challenge, so no other test may share it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pandas as pd
import pytest

from live import create_users, open_shipped_challenge, serving, wait_done
from odx.platform.settings import Settings

CHALLENGE = "market-store-count-2026"
pytestmark = pytest.mark.both_backends


@pytest.fixture(scope="module")
def platform(
    tmp_path_factory: pytest.TempPathFactory, database_url: str | None
) -> Iterator[dict[str, Any]]:
    """An open challenge where team 'kim-lab' leads with a scored submission."""
    home = tmp_path_factory.mktemp("close") / "home"
    settings = Settings(home=home, database_url=database_url, progress=False)
    open_shipped_challenge(settings, CHALLENGE, "market-store-count")
    tokens = create_users(settings, {"org": "organizer", "kim": "participant"})
    (folder,) = (settings.hidden_root / "market-store-count").iterdir()
    labels = pd.read_csv(folder / "labels.csv", dtype={"market_id": str})
    perfect = labels[["market_id", "store_count"]].to_csv(index=False).encode()
    with serving(settings) as url:
        platform = {"url": url, "tokens": tokens}
        with client(platform, "kim") as http:
            http.post(f"/api/challenges/{CHALLENGE}/teams", json={"name": "kim-lab"})
            response = upload(http, perfect)
            assert wait_done(http, response.json()["id"])["status"] == "scored"
        yield platform


def client(platform: dict[str, Any], who: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {platform['tokens'][who]}"}
    return httpx.Client(base_url=platform["url"], headers=headers, timeout=60)


def upload(http: httpx.Client, content: bytes) -> httpx.Response:
    return http.post(f"/api/challenges/{CHALLENGE}/submissions", files={"file": ("s.csv", content)})


def test_closed_challenge_refuses_uploads(platform: dict[str, Any]) -> None:
    with client(platform, "org") as http:
        assert not http.post(f"/api/challenges/{CHALLENGE}/close").json()["is_open"]
    with client(platform, "kim") as http:
        response = upload(http, b"market_id,store_count\n")
    assert response.status_code == 403 and response.json()["code"] == "challenge_closed"


def test_organizer_reveals_the_private_board_once_closed_and_finals_freeze(
    platform: dict[str, Any],
) -> None:
    with client(platform, "org") as http:
        http.post(f"/api/challenges/{CHALLENGE}/close")
        assert http.post(f"/api/challenges/{CHALLENGE}/reveal").json()["private_revealed"]
        log = http.get("/api/audit").json()
        assert log[0]["action"] == "challenge.reveal" and log[0]["actor"] == "org"
    with client(platform, "kim") as http:
        private = http.get(
            f"/api/challenges/{CHALLENGE}/leaderboard", params={"board": "private"}
        ).json()
        assert private["board"] == "private" and private["rows"][0]["team"] == "kim-lab"
        mine = http.get(f"/api/challenges/{CHALLENGE}/submissions").json()
        scored = next(s for s in mine if s["status"] == "scored")
        late = http.post(f"/api/submissions/{scored['id']}/select", json={"selected": True})
    assert late.status_code == 409 and "over" in late.json()["detail"]
