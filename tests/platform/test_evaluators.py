"""Evaluators, the SME and 소상공인 users of a user evaluation: organizers create them in bulk
(all or none) from a list of names; they hold tokens but join no team."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from live import create_users, open_shipped_challenge, serving

CHALLENGE = "market-store-count-2026"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from odx.platform.settings import Settings

    settings = Settings(home=tmp_path_factory.mktemp("evaluators") / "home", progress=False)
    open_shipped_challenge(settings, CHALLENGE, "market-store-count")
    tokens = create_users(settings, {"org": "organizer", "kim": "participant"})
    with serving(settings) as url:
        yield {"url": url, "tokens": tokens, "settings": settings}


def client(site: dict[str, Any], token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=site["url"], headers=headers, timeout=60)


def test_an_organizer_creates_evaluators_in_bulk_and_they_join_no_team(
    site: dict[str, Any],
) -> None:
    with client(site, site["tokens"]["org"]) as http:
        made = http.post(
            "/api/users/bulk", json={"names": ["sme-01", "sme-02"], "role": "evaluator"}
        )
    assert made.status_code == 201, made.text
    assert [(u["name"], u["role"]) for u in made.json()] == [
        ("sme-01", "evaluator"),
        ("sme-02", "evaluator"),
    ]
    with client(site, made.json()[0]["token"]) as http:
        refused = http.post(f"/api/challenges/{CHALLENGE}/teams", json={"name": "sme-team"})
    assert refused.status_code == 403 and "teams are for participants" in refused.json()["detail"]


@pytest.mark.parametrize(
    ("who", "body", "status", "words"),
    [
        ("org", {"names": ["dup-1", "dup-1"], "role": "evaluator"}, 422, "names given twice"),
        ("org", {"names": ["ok-1", "kim"], "role": "evaluator"}, 409, "'kim' already exists"),
        ("org", {"names": ["boss-1"], "role": "organizer"}, 403, "only an admin"),
        ("org", {"names": [], "role": "evaluator"}, 422, "between 1 and 500"),
        ("kim", {"names": ["x-1"], "role": "evaluator"}, 403, ""),
        (None, {"names": ["x-2"], "role": "evaluator"}, 401, ""),
    ],
)
def test_bulk_creation_is_all_or_nothing_and_for_organizers(
    site: dict[str, Any], who: str | None, body: dict[str, Any], status: int, words: str
) -> None:
    token = site["tokens"][who] if who else None
    with client(site, token) as http:
        answer = http.post("/api/users/bulk", json=body)
    assert answer.status_code == status and words in answer.json()["detail"]
    first = (body["names"] or ["kim"])[0]
    if first != "kim":  # nothing of a refused batch exists: its first name is still free
        with client(site, site["tokens"]["org"]) as http:
            retry = http.post("/api/users", json={"name": first, "role": "evaluator"})
        assert retry.status_code == 201, retry.text


def test_the_cli_imports_a_csv_of_names_and_keeps_the_tokens_private(
    site: dict[str, Any], tmp_path: Path
) -> None:
    names = tmp_path / "panel.csv"
    names.write_text("name,region\n소상공인-김,서울\ncafe-park,부산\n\n", encoding="utf-8")
    env = {
        **os.environ,
        "ODX_URL": site["url"],
        "ODX_TOKEN": site["tokens"]["org"],
        "XDG_CONFIG_HOME": str(tmp_path),
    }
    odx = [str(Path(sys.executable).parent / "odx"), "users", "import"]
    bad = subprocess.run(
        [*odx, str(names), "--role", "evaluator"], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 1 and "a user name is 1–64 letters" in bad.stdout + bad.stderr
    assert not (tmp_path / "tokens.csv").exists()  # all or none
    names.write_text("name,region\ncafe-kim,서울\ncafe-park,부산\n", encoding="utf-8")
    done = subprocess.run(
        [*odx, str(names), "--role", "evaluator"], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "created 2 users (evaluator)" in done.stdout and "odx_" not in done.stdout
    tokens = tmp_path / "tokens.csv"
    assert tokens.stat().st_mode & 0o077 == 0
    lines = tokens.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "name,role,token" and lines[1].startswith("cafe-kim,evaluator,odx_")
