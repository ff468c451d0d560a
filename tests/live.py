"""A real platform for end-to-end tests: a shipped challenge opened today, served by uvicorn
on a free localhost port in a background thread (the same app and server settings
``odx serve`` runs)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import uvicorn
import yaml

from odx.platform.api.app import create_app
from odx.platform.api.server import config
from odx.platform.challenges.catalog import SHIPPED_CHALLENGES
from odx.platform.db.engine import session_scope
from odx.platform.services import challenges, users
from odx.platform.services import datasets as dataset_service
from odx.platform.settings import Settings

CHALLENGE = "market-store-count-2026"


@dataclass(frozen=True)
class Site:
    """A running platform: its URL, its users' tokens and its settings."""

    url: str
    tokens: dict[str, str]
    settings: Settings

    @property
    def public_dir(self) -> Path:
        return next(self.settings.public_root.glob("market-store-count/*"))


def open_shipped_challenge(
    settings: Settings, challenge_id: str, dataset_id: str, **limits: Any
) -> None:
    """Publish the dataset and register the shipped challenge with its phase open today."""
    dataset_service.publish(settings, dataset_id)
    definition = yaml.safe_load((SHIPPED_CHALLENGES / f"{challenge_id}.yaml").read_text("utf-8"))
    now = datetime.now(UTC)
    definition["phases"] = [
        definition["phases"][0]
        | {
            "start": (now - timedelta(days=1)).isoformat(),
            "end": (now + timedelta(days=30)).isoformat(),
        }
    ]
    definition["limits"] |= limits
    path = Path(settings.resolved_home) / f"{challenge_id}.yaml"
    path.write_text(yaml.safe_dump(definition, allow_unicode=True), encoding="utf-8")
    with session_scope(settings.resolved_database_url) as session:
        challenges.register(session, path, actor="test")


def create_users(settings: Settings, accounts: dict[str, str]) -> dict[str, str]:
    """Users by name -> role; returns their tokens."""
    with session_scope(settings.resolved_database_url) as session:
        return {
            name: users.create_user(session, name=name, role=role, actor="test")[1]
            for name, role in accounts.items()
        }


@contextmanager
def serving(settings: Settings) -> Iterator[str]:
    """Run the app on a free port until the block ends; yields its base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(settings)
    server = uvicorn.Server(config(app, settings, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def wait_done(http: Any, submission_id: str, *, timeout: float = 60) -> dict[str, Any]:
    """Poll ``GET /api/submissions/{id}`` (with an httpx client) until scored or failed."""
    deadline = time.monotonic() + timeout
    while True:
        body = http.get(f"/api/submissions/{submission_id}").json()
        if body["status"] in ("scored", "failed"):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.1)


@dataclass(frozen=True)
class PlanUpload:
    """An application's plan (a minimal PDF) and answers, as a script hands them to
    ``applications.submit`` for an application stage that has already closed."""

    fields: dict[str, str] = field(default_factory=dict)
    declared_bytes: int | None = None

    def chunks(self) -> list[bytes]:
        return [b"%PDF-1.4\n%%EOF\n"]


def _stage(start: datetime, end: datetime) -> dict[str, str]:
    return {"start": start.isoformat(), "end": end.isoformat()}


def programme_definition(challenge_id: str, sample: str, now: datetime) -> dict[str, Any]:
    """The shipped model challenge as a programme in stages on finalists-only data (``sample``
    the public release beside it): applications open at ``now``, every later stage weeks away,
    for an organizer to start; a one-question form, three finalists, a rubric of all three
    sources."""
    text = {"ko": "항목", "en": "Item"}
    data = yaml.safe_load((SHIPPED_CHALLENGES / "sme-growth-risk-model-2026.yaml").read_text())
    day = timedelta(days=1)
    data["id"] = challenge_id
    data["dataset"]["access"] = "finalists"
    data["sample"] = {"id": sample, "version": 1}
    data["stages"] = {
        "application": _stage(now - day, now + 10 * day),
        "finals": _stage(now + 10 * day, now + 40 * day),
        "user_evaluation": _stage(now + 40 * day, now + 50 * day),
        "judging": _stage(now + 50 * day, now + 60 * day),
    }
    data["phases"] = [data["phases"][0] | _stage(now + 10 * day, now + 40 * day)]
    data["application"] = {
        "form": [{"id": "service", "label": {"ko": "서비스 이름", "en": "Service name"}}],
        "rubric": [{"id": "feasibility", "title": text, "weight": 1}],
        "finalists": 3,
    }
    data["rubric"] = [
        {"id": "accuracy", "title": text, "weight": 1, "source": "leaderboard"},
        {"id": "completeness", "title": {"ko": "완성도", "en": "Completeness"}, "weight": 2},
        {"id": "usefulness", "title": text, "weight": 1, "source": "users"},
    ]
    return data


ODX = Path(sys.executable).parent / "odx"


def odx(
    site: Mapping[str, Any], who: str, *args: str, cwd: Path, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """The real command line against a served platform (``site`` has its ``url`` and users'
    ``tokens``), as a user on another machine runs it: no ODX_ setting but the address and the
    token, a config folder of its own, a wide terminal (rich would wrap a long path)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODX_")}
    env |= {
        "ODX_URL": site["url"],
        "ODX_TOKEN": site["tokens"][who],
        "XDG_CONFIG_HOME": str(cwd / "config"),
        "COLUMNS": "200",
    }
    return subprocess.run(
        [str(ODX), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
