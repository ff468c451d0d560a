"""An organizer with only a URL and a token: accounts, dataset jobs and a challenge, all over
HTTP against a real server (real worker threads, real quality gate), and the refusals."""

from __future__ import annotations

import io
import json
import os
import subprocess
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from factories import write_dataset
from live import ODX, create_users, serving
from live import odx as run_odx
from odx.platform.settings import Settings

UPLOAD_LIMIT = 2_000_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("remote")
    settings = Settings(
        home=root / "home", progress=False, workers=2, max_dataset_upload_bytes=UPLOAD_LIMIT
    )
    from odx.platform.services.datasets import prepare_storage

    prepare_storage(settings)
    tokens = create_users(
        settings, {"root": "admin", "org": "organizer", "kim": "participant", "jo": "judge"}
    )
    with serving(settings) as url:
        yield {"url": url, "tokens": tokens, "settings": settings, "root": root}


def odx(
    server: dict[str, Any], who: str, *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The real command line against the server, run from its folder unless told."""
    return run_odx(server, who, *args, cwd=cwd or server["root"])


def http(server: dict[str, Any], who: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {server['tokens'][who]}"} if who else {}
    return httpx.Client(base_url=server["url"], headers=headers, timeout=60)


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def folder_zip(folder: Path, prefix: str = "") -> bytes:
    return zipped(
        {
            prefix + p.relative_to(folder).as_posix(): p.read_bytes()
            for p in folder.rglob("*")
            if p.is_file()
        }
    )


def wait_for_job(server: dict[str, Any], job_id: str) -> dict[str, Any]:
    with http(server, "org") as client:
        for _ in range(600):
            job = client.get(f"/api/dataset-jobs/{job_id}").json()
            if job["status"] in ("done", "failed"):
                return job
            time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not finish")


def assert_refused(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stdout + result.stderr


# --- the whole way, with the command line ----------------------------------------------


def test_organizer_adds_a_dataset_and_opens_a_challenge_from_another_machine(
    server: dict[str, Any], tmp_path: Path
) -> None:
    laptop = tmp_path / "laptop"
    laptop.mkdir()
    folder = write_dataset(laptop / "catalog")
    published = odx(server, "org", "datasets", "publish", str(folder), cwd=laptop)
    assert published.returncode == 0, published.stdout + published.stderr
    assert "quality gate" in published.stdout and "pass" in published.stdout
    assert "published tiny-shops version" in published.stdout
    assert "/organizer/quality-runs/" in published.stdout
    assert not (laptop / ".odx").exists()  # nothing local was created

    shown = json.loads(odx(server, "kim", "datasets", "show", "tiny-shops", "--json").stdout)
    assert "train.csv" in shown["files"]
    listed = json.loads(odx(server, "kim", "datasets", "list", "--json").stdout)
    assert "tiny-shops" in [row["id"] for row in listed["data"]]

    now = datetime.now(UTC)
    definition = {
        "id": "tiny-shops-2026",
        "title": {"ko": "작은 상점 챌린지", "en": "Tiny shops challenge"},
        "description": {"ko": "업종 예측", "en": "Predict the kind"},
        "dataset": {"id": "tiny-shops", "version": shown["version"]},
        "task": "multiclass",
        "metric": "f1_macro",
        "direction": "maximize",
        "phases": [
            {
                "name": "main",
                "title": {"ko": "본선", "en": "Main"},
                "start": (now - timedelta(days=1)).isoformat(),
                "end": (now + timedelta(days=9)).isoformat(),
            }
        ],
    }
    path = laptop / "tiny.yaml"
    path.write_text(yaml.safe_dump(definition, allow_unicode=True), encoding="utf-8")
    created = odx(server, "org", "challenges", "create", "-f", str(path), cwd=laptop)
    assert created.returncode == 0, created.stderr
    listed = json.loads(odx(server, "kim", "challenges", "list", "--json").stdout)
    assert any(c["id"] == "tiny-shops-2026" and c["is_open"] for c in listed)

    again = odx(server, "org", "datasets", "publish", str(folder), cwd=laptop)
    assert again.returncode == 0 and "unchanged" in again.stdout


def test_a_dataset_that_fails_the_gate_shows_its_checks_and_report(
    server: dict[str, Any], tmp_path: Path
) -> None:
    rows = [dict(r, kind="문구점") if i in (3, 4) else r for i, r in enumerate(_rows())]
    folder = write_dataset(tmp_path, name="tiny-broken", rows=rows)
    result = odx(server, "org", "datasets", "validate", str(folder), cwd=tmp_path)
    assert result.returncode == 1
    assert "FAIL" in result.stdout and "failed its quality gate" in result.stdout
    jobs = json.loads(odx(server, "org", "datasets", "jobs", "--json").stdout)
    job = next(j for j in jobs if j["dataset_id"] == "tiny-broken")
    assert job["status"] == "failed" and job["report_url"]
    with http(server, "org") as client:
        report = client.get(job["report_url"])
        assert report.status_code == 200 and "tiny-broken" in report.text
    with http(server, "kim") as client:
        assert client.get(job["report_url"]).status_code == 403


def test_a_drafted_dataset_is_refused_naming_what_a_person_must_decide(
    server: dict[str, Any], tmp_path: Path
) -> None:
    raw = tmp_path / "shops.csv"
    raw.write_text(
        "상호,업종,면적\n"
        + "".join(f"가게{i},{('카페', '식당', '서점')[i % 3]},{20 + i}\n" for i in range(60)),
        encoding="utf-8",
    )
    folder = tmp_path / "shop-kinds"
    drafted = odx(
        server,
        "org",
        "datasets",
        "init",
        str(folder),
        "--raw",
        str(raw),
        "--target",
        "업종",
        cwd=tmp_path,
    )
    assert drafted.returncode == 0, drafted.stderr
    assert (folder / "dataset.yaml").is_file() and (folder / "expectations.json").is_file()
    result = odx(server, "org", "datasets", "publish", str(folder), cwd=tmp_path)
    assert result.returncode == 1
    assert "open_decisions │ FAIL" in result.stdout.replace("  ", "")
    assert "title.ko" in result.stdout and "in dataset.yaml" in result.stdout
    assert str(server["settings"].resolved_home) not in result.stdout


# --- accounts: who may create whom -----------------------------------------------------


def test_organizers_create_participants_and_judges_and_only_admins_more(
    server: dict[str, Any],
) -> None:
    made = odx(server, "org", "users", "create", "han", "--role", "judge", "--json")
    assert made.returncode == 0, made.stderr
    token = json.loads(made.stdout)["token"]
    with httpx.Client(base_url=server["url"]) as client:
        me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me == {"name": "han", "role": "judge"}

    assert_refused(
        odx(server, "org", "users", "create", "boss", "--role", "organizer"),
        "only an admin creates a user with the role organizer",
    )
    assert_refused(odx(server, "kim", "users", "create", "friend"), "403:")
    assert_refused(odx(server, "org", "users", "role", "kim", "judge"), "only an admin")
    assert_refused(odx(server, "org", "users", "create", "han"), "409: user 'han' already exists")

    assert odx(server, "root", "users", "role", "han", "organizer").returncode == 0
    with http(server, "org") as client:
        events = client.get("/api/audit").json()
    assert any(e["action"] == "user.role" and e["target"] == "han" for e in events)
    assert any(e["action"] == "user.create" and e["actor"] == "org" for e in events)


def test_account_bodies_are_checked(server: dict[str, Any]) -> None:
    with http(server, "root") as client:
        for body in ({"name": "a b"}, {"name": "x", "role": "king"}, {"name": "y" * 65}):
            response = client.post("/api/users", json=body)
            assert response.status_code == 422
            assert response.headers["content-type"] == "application/problem+json"
        assert client.post("/api/users/nobody/role", json={"role": "judge"}).status_code == 404


# --- dataset jobs: refusals before work ------------------------------------------------


def _rows() -> list[dict[str, Any]]:
    from factories import tiny_rows

    return tiny_rows()


def test_uploads_are_refused_by_role_and_size_before_the_body_is_stored(
    server: dict[str, Any],
) -> None:
    settings: Settings = server["settings"]
    staging = settings.objects_root / "staging"
    body = b"PK" + b"\0" * (UPLOAD_LIMIT + 10)
    with http(server, "kim") as client:
        refused = client.post(
            "/api/dataset-jobs/upload",
            content=b"PK\3\4",
            headers={"Content-Type": "application/zip"},
        )
        assert refused.status_code == 403
    with http(server, None) as client:
        assert client.post("/api/dataset-jobs/upload", content=body).status_code == 401
    with http(server, "org") as client:
        too_big = client.post(
            "/api/dataset-jobs/upload", content=body, headers={"Content-Type": "application/zip"}
        )
        assert too_big.status_code == 413
        assert "limit of 2,000,000 bytes" in too_big.json()["detail"]

        def chunked() -> Iterator[bytes]:  # no Content-Length: stopped at the limit
            for _ in range(UPLOAD_LIMIT // 65536 + 5):
                yield b"\0" * 65536

        streamed = client.post("/api/dataset-jobs/upload", content=chunked())
        assert streamed.status_code == 413
    assert not staging.is_dir() or not any(staging.iterdir())  # nothing spooled was kept


@pytest.mark.parametrize(
    ("files", "status", "message"),
    [
        (None, 422, "upload the dataset folder as a .zip"),
        ({"notes.txt": b"hello"}, 422, "no dataset.yaml"),
        ({"../dataset.yaml": b"id: x"}, 422, "unsafe"),
        ({"dataset.yaml": b"id: [unclosed"}, 422, "dataset.yaml"),
    ],
)
def test_bad_archives_get_clear_problems_and_queue_nothing(
    server: dict[str, Any], files: dict[str, bytes] | None, status: int, message: str
) -> None:
    content = b"id,kind\n1,x\n" if files is None else zipped(files)
    with http(server, "org") as client:
        before = len(client.get("/api/dataset-jobs", params={"limit": 200}).json())
        response = client.post(
            "/api/dataset-jobs/upload", content=content, headers={"Content-Type": "application/zip"}
        )
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert message in response.json()["detail"]
        assert str(server["settings"].resolved_home) not in response.text
        assert len(client.get("/api/dataset-jobs", params={"limit": 200}).json()) == before


def test_catalogue_jobs_take_ids_only(server: dict[str, Any]) -> None:
    with http(server, "org") as client:
        for name in ("/etc", "../market-store-count", "market store"):
            response = client.post("/api/dataset-jobs", json={"dataset_id": name})
            assert response.status_code == 422, name
        unknown = client.post("/api/dataset-jobs", json={"dataset_id": "no-such-data"})
        assert unknown.status_code == 404 and "the catalogue has" in unknown.json()["detail"]
        queued = client.post(
            "/api/dataset-jobs", json={"dataset_id": "market-store-count", "action": "validate"}
        )
        assert queued.status_code == 202
    job = wait_for_job(server, queued.json()["id"])
    assert job["status"] == "done" and job["checks"] and job["version"] is None
    with http(server, "kim") as client:
        assert client.get(f"/api/dataset-jobs/{job['id']}").status_code == 403
        assert client.get("/api/dataset-jobs").status_code == 403


def test_an_archive_with_a_top_folder_is_published(server: dict[str, Any], tmp_path: Path) -> None:
    folder = write_dataset(tmp_path, name="tiny-nested")
    with http(server, "org") as client:
        response = client.post(
            "/api/dataset-jobs/upload",
            params={"action": "publish"},
            content=folder_zip(folder, prefix="tiny-nested/"),
            headers={"Content-Type": "application/zip"},
        )
        assert response.status_code == 202, response.text
    job = wait_for_job(server, response.json()["id"])
    assert job["status"] == "done", job
    assert job["created_version"] is True and job["version"] == 1


def test_dataset_commands_need_a_platform_or_a_server(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODX_")}
    env |= {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    for args in (["datasets", "list"], ["datasets", "publish", "market-store-count"]):
        result = subprocess.run(
            [str(ODX), *args], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120
        )
        assert_refused(result, "odx init")
    assert not (tmp_path / ".odx").exists()
