"""Guessing secrets is rate-limited: wrong tokens, failed sign-ins and wrong invite codes,
per client address and per account, answered 429 with Retry-After, and audited. Clients are
told apart by X-Forwarded-For, which uvicorn trusts from 127.0.0.1 (a local proxy)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from limits import parse

from live import CHALLENGE, create_users, open_shipped_challenge, serving
from odx.platform.db.engine import session_scope
from odx.platform.services import audit
from odx.platform.services.attempts import BUDGETS, Secret
from odx.platform.settings import Settings

TOKEN_BUDGET = parse(BUDGETS[Secret.TOKEN, "client"]).amount
INVITE_BUDGET = parse(BUDGETS[Secret.INVITE, "team"]).amount


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    settings = Settings(home=tmp_path_factory.mktemp("attempts") / "home", workers=0)
    open_shipped_challenge(settings, CHALLENGE, "market-store-count")
    names = ["owner", "guesser", "helper", "victim"]
    tokens = create_users(settings, {n: "participant" for n in names})
    with serving(settings) as url:
        yield {"url": url, "tokens": tokens, "settings": settings}


def from_client(site: dict[str, Any], address: str, token: str | None = None) -> httpx.Client:
    headers = {"X-Forwarded-For": address}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(base_url=site["url"], headers=headers, timeout=30)


def audited(site: dict[str, Any], action: str) -> list[str]:
    with session_scope(site["settings"].resolved_database_url) as session:
        return [e.target for e in audit.events(session) if e.action == action]


def test_wrong_tokens_from_one_client_get_429_then_even_a_right_one_waits(
    site: dict[str, Any],
) -> None:
    with from_client(site, "10.0.0.1", "odx_wrong") as guesser:
        codes = [guesser.get("/api/me").status_code for _ in range(TOKEN_BUDGET + 2)]
        refused = guesser.get("/api/me")
    assert codes == [401] * TOKEN_BUDGET + [429] * 2
    assert refused.json()["code"] == "too_many_attempts"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    with from_client(site, "10.0.0.1", site["tokens"]["victim"]) as same_client:
        assert same_client.get("/api/me").status_code == 429  # the address waits out its window
    with from_client(site, "10.0.0.2", site["tokens"]["victim"]) as other_client:
        assert other_client.get("/api/me").status_code == 200  # nobody else is held up
    assert audited(site, "token.too_many_failures").count("client:10.0.0.1") == 1


def test_failed_sign_ins_on_the_page_are_limited_too(site: dict[str, Any]) -> None:
    with from_client(site, "10.0.0.3") as browser:
        form = browser.get("/signin")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        codes = [
            browser.post("/signin", data={"token": "odx_nope", "csrf_token": csrf}).status_code
            for _ in range(TOKEN_BUDGET + 1)
        ]
        right = browser.post(
            "/signin", data={"token": site["tokens"]["victim"], "csrf_token": csrf}
        )
    assert codes == [401] * TOKEN_BUDGET + [429]
    assert right.status_code == 429 and "Retry-After" in right.headers
    assert audited(site, "token.too_many_failures").count("client:10.0.0.3") == 1


def test_wrong_invite_codes_are_limited_per_team_whoever_tries(site: dict[str, Any]) -> None:
    """Guessers at different addresses share the team's budget: the team is the account."""
    with from_client(site, "10.0.1.1", site["tokens"]["owner"]) as owner:
        made = owner.post(f"/api/challenges/{CHALLENGE}/teams", json={"name": "locked"}).json()
    join = f"/api/challenges/{CHALLENGE}/teams/join"
    codes = []
    for index in range(INVITE_BUDGET + 1):
        who = "guesser" if index % 2 else "helper"
        with from_client(site, f"10.0.2.{index}", site["tokens"][who]) as guesser:
            wrong = {"name": "locked", "invite_code": f"guess-{index}"}
            codes.append(guesser.post(join, json=wrong).status_code)
    with from_client(site, "10.0.3.1", site["tokens"]["victim"]) as late:
        right = late.post(join, json={"name": "locked", "invite_code": made["invite_code"]})
    assert codes == [404] * INVITE_BUDGET + [429]
    assert right.status_code == 429  # the team's window must pass, even for the right code
    assert f"team:{CHALLENGE}/locked" in audited(site, "invite.too_many_failures")
