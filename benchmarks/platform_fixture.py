"""A running odx platform for the HTTP benchmarks: one dataset, one open challenge, a server.

``start_platform(root, workers=2, rows=None)`` builds ``Settings(home=root / "home")``,
publishes a dataset, registers a binary (roc_auc) challenge whose only phase runs from
yesterday to next month, and serves the app with uvicorn in a thread on a free port of
127.0.0.1 — the same set-up as ``tests/platform/test_participant_flow.py``.

- ``rows=None``: the shipped ``sme-growth-risk`` dataset (40,000 rows, the 2024 rows are the
  test set) and a copy of its shipped challenge.
- ``rows=N``: a synthetic dataset folder ``sme-bench`` written under ``root`` from
  ``odx.datasets.generators.sme_panel.generate`` with a random split whose test set has
  exactly ``N`` rows, and the challenge ``sme-bench-2026`` on its version 1. It is the
  shipped spec and suite with three changes: no pinned raw checksum, a random split sized
  for ``N`` test rows, and k-anonymity 1 (a few thousand rows cannot fill every
  region × industry cell ten times; this is a benchmark fixture, not a release).

Limits are generous (1,000 submissions and 1,000 invalid files per team and day, no total
cap) so that quotas never shape a timing. Users are made with the user service (the way
``odx users create`` does); teams go through ``POST /api/challenges/{id}/teams``.
Every HTTP client made here talks to 127.0.0.1 only and ignores proxy variables.
"""

from __future__ import annotations

import json
import math
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import yaml

from odx.datasets.catalog import SHIPPED_DIR
from odx.datasets.generators.sme_panel import generate, write_csv
from odx.platform.api.app import create_app
from odx.platform.challenges.catalog import SHIPPED_CHALLENGES
from odx.platform.db.engine import session_scope
from odx.platform.services import challenges, users
from odx.platform.services import datasets as dataset_service
from odx.platform.services.datasets import PublishOutcome
from odx.platform.settings import Settings

SHIPPED_DATASET = "sme-growth-risk"
BENCH_DATASET = "sme-bench"
ORGANIZER = "org"
GENEROUS_LIMITS = {
    "daily_submissions": 1000,
    "total_submissions": None,
    "daily_failed_submissions": 1000,
}
START_TIMEOUT = 60.0  # seconds to wait for uvicorn to listen


def write_bench_dataset(folder: Path, test_rows: int, *, seed: int = 1) -> Path:
    """Write ``folder`` (named ``sme-bench``): spec, GX suite and a generated raw CSV whose
    random split leaves exactly ``test_rows`` rows in the test set."""
    if test_rows < 10:
        raise ValueError("the test set needs at least 10 rows")
    folder = folder / BENCH_DATASET
    (folder / "raw").mkdir(parents=True, exist_ok=True)
    train_rows = max(test_rows // 4, 1000 - test_rows, 200)  # the suite wants >= 1,000 rows
    total = test_rows + train_rows
    write_csv(generate(total), folder / "raw" / "sme_panel.csv")
    shipped = SHIPPED_DIR / SHIPPED_DATASET
    spec = yaml.safe_load((shipped / "dataset.yaml").read_text("utf-8"))
    spec["id"] = BENCH_DATASET
    spec["raw"][0].pop("sha256", None)
    spec["split"] = {
        "method": "random",
        # scikit-learn takes ceil(fraction × rows): half a row below the target lands on it
        "test_fraction": (test_rows - 0.5) / total,
        "public_fraction": 0.5,
        "seed": seed,
    }
    spec["quality"]["privacy"]["k_anonymity"] = 1
    (folder / "dataset.yaml").write_text(
        yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    suite = json.loads((shipped / "expectations.json").read_text("utf-8"))
    suite["name"] = BENCH_DATASET
    (folder / "expectations.json").write_text(
        json.dumps(suite, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return folder


def write_challenge(path: Path, *, challenge_id: str, dataset_id: str, version: int) -> Path:
    """The shipped SME challenge, re-pointed, open from yesterday to next month, generous."""
    definition = yaml.safe_load(
        (SHIPPED_CHALLENGES / "sme-growth-risk-2026.yaml").read_text("utf-8")
    )
    now = datetime.now(UTC)
    definition["id"] = challenge_id
    definition["dataset"] = {"id": dataset_id, "version": version}
    definition["phases"] = [
        definition["phases"][0]
        | {
            "start": (now - timedelta(days=1)).isoformat(),
            "end": (now + timedelta(days=30)).isoformat(),
        }
    ]
    definition["limits"] = definition["limits"] | GENEROUS_LIMITS
    path.write_text(yaml.safe_dump(definition, allow_unicode=True), encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Platform:
    """A served platform. ``token_for(name)`` makes a participant with a team of the same
    name on first use (``"org"`` is the organizer, made at start)."""

    url: str
    settings: Settings
    challenge_id: str
    published: PublishOutcome
    server: uvicorn.Server
    thread: threading.Thread
    tokens: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def public_dir(self) -> Path:
        return self.published.public_dir

    @property
    def hidden_labels(self) -> Path:
        relative = self.published.public_dir.relative_to(self.settings.public_root)
        return self.settings.hidden_root / relative / "labels.csv"

    @property
    def test_rows(self) -> int:
        return int(self.published.manifest["split"]["test_rows"])

    def client(self, name: str | None = None, *, timeout: float = 120.0) -> httpx.Client:
        """An HTTP client for ``name`` (anonymous when None); never uses proxy settings."""
        headers = {"Authorization": f"Bearer {self.token_for(name)}"} if name else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout, trust_env=False)

    def token_for(self, name: str) -> str:
        with self._lock:
            if name not in self.tokens:
                self._add_participants([name])
            return self.tokens[name]

    def add_participants(self, names: list[str]) -> list[str]:
        """Make every new name a participant in a team of its own (one database session)."""
        with self._lock:
            self._add_participants([n for n in dict.fromkeys(names) if n not in self.tokens])
            return [self.tokens[n] for n in names]

    def _add_participants(self, names: list[str]) -> None:
        if not names:
            return
        made = self._create_users([(n, "participant") for n in names])
        for name, token in made.items():
            with httpx.Client(
                base_url=self.url,
                headers={"Authorization": f"Bearer {token}"},
                timeout=60,
                trust_env=False,
            ) as http:
                response = http.post(
                    f"/api/challenges/{self.challenge_id}/teams", json={"name": name}
                )
                if response.status_code != 201:
                    raise RuntimeError(f"team {name}: {response.status_code} {response.text}")
        self.tokens.update(made)

    def _create_users(self, people: list[tuple[str, str]]) -> dict[str, str]:
        made = {}
        with session_scope(self.settings.resolved_database_url) as session:
            for name, role in people:
                made[name] = users.create_user(session, name=name, role=role, actor="bench")[1]
        return made

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=60)

    def __enter__(self) -> Platform:
        return self

    def __exit__(self, *_: Any) -> None:
        self.stop()


def start_platform(root: Path, *, workers: int = 2, rows: int | None = None) -> Platform:
    """Publish, register, make the organizer and serve; see the module docstring."""
    root = Path(root)
    settings = Settings(home=root / "home", progress=False, workers=workers)
    if rows is None:
        published = dataset_service.publish(settings, SHIPPED_DATASET)
        challenge_id = "sme-growth-risk-bench"
    else:
        folder = write_bench_dataset(root / "datasets", rows)
        published = dataset_service.publish(settings, str(folder))
        challenge_id = f"{BENCH_DATASET}-2026"
    path = write_challenge(
        root / "challenge.yaml",
        challenge_id=challenge_id,
        dataset_id=published.dataset_id,
        version=published.version,
    )
    with session_scope(settings.resolved_database_url) as session:
        challenges.register(session, path, actor="bench")
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=port,
            log_level="error",
            access_log=False,
        )
    )
    thread = threading.Thread(target=server.run, name="odx-bench-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    platform = Platform(
        url=f"http://127.0.0.1:{port}",
        settings=settings,
        challenge_id=challenge_id,
        published=published,
        server=server,
        thread=thread,
    )
    platform.tokens.update(platform._create_users([(ORGANIZER, "organizer")]))
    return platform


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]
