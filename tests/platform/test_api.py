"""The catalogue over real HTTP: a uvicorn server on localhost serving the shipped datasets."""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from odx.datasets.catalog import SHIPPED_DIR, catalogue
from odx.platform.api.app import create_app
from odx.platform.services import datasets as service
from odx.platform.settings import Settings

SHIPPED = sorted(catalogue([SHIPPED_DIR]))


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Every shipped dataset published once into a fresh data folder."""
    settings = Settings(home=tmp_path_factory.mktemp("api") / "home", progress=False)
    for dataset_id in SHIPPED:
        assert service.publish(settings, dataset_id).created
    return settings


@pytest.fixture(scope="module")
def base_url(published: Settings) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(published), host="127.0.0.1", port=port, log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        yield http


def _labels(settings: Settings) -> list[Path]:
    return sorted(settings.hidden_root.rglob("labels.csv"))


def test_list_datasets_shows_every_shipped_dataset(client: httpx.Client) -> None:
    response = client.get("/api/datasets")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(SHIPPED)
    assert [d["id"] for d in body["data"]] == SHIPPED
    assert all(d["version"] == 1 and d["quality_passed"] for d in body["data"])


def test_show_dataset_has_card_manifest_and_redacted_quality(client: httpx.Client) -> None:
    body = client.get("/api/datasets/market-store-count").json()
    assert "전국 전통시장 점포수 예측" in body["card_markdown"]
    assert body["manifest"]["target_column"] == "store_count"
    assert {f["name"] for f in body["files"]} >= {"train.csv", "test.csv", "sample_submission.csv"}
    target_outcomes = [
        o for o in body["quality"]["expectations"]["outcomes"] if o["column"] == "store_count"
    ]
    assert target_outcomes and all(
        o["observed_value"] is None and o["examples"] == [] for o in target_outcomes
    )


def test_download_streams_file_with_matching_checksum(client: httpx.Client) -> None:
    detail = client.get("/api/datasets/bizinfo-support-field").json()
    entry = next(f for f in detail["files"] if f["name"] == "train.csv")
    response = client.get(entry["url"])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    digest = hashlib.sha256(response.content).hexdigest()
    assert digest == entry["sha256"] == response.headers["x-checksum-sha256"]
    assert response.text.splitlines()[0].startswith("announcement_id,title,summary")


def test_test_file_has_no_target_column(client: httpx.Client) -> None:
    response = client.get("/api/datasets/sme-growth-risk/versions/1/files/test.csv")
    header = response.text.splitlines()[0]
    assert "record_id" in header and "distress_next_year" not in header


@pytest.mark.parametrize(
    "path",
    [
        "/api/datasets/market-store-count/versions/1/files/labels.csv",
        "/api/datasets/market-store-count/versions/1/files/../../../../hidden",
        "/api/datasets/market-store-count/versions/1/files/..%2F..%2F..%2Fhidden%2Flabels.csv",
        "/api/datasets/market-store-count/versions/1/files/%2e%2e%2flabels.csv",
        "/api/datasets/market-store-count/versions/1/files/....//labels.csv",
        "/api/datasets/..%2Fhidden/versions/1/files/labels.csv",
        "/api/datasets/market-store-count/files/labels.csv",
        "/api/datasets/market-store-count/labels.csv",
        "/api/datasets/market-store-count/hidden",
        "/hidden/market-store-count/labels.csv",
        "/labels.csv",
        "/static/../hidden/labels.csv",
        "/api/datasets/market-store-count/versions/1/files/%00labels.csv",
        "/api/datasets/market-store-count/versions/1/files/LABELS.CSV",
    ],
)
def test_hidden_labels_are_unreachable(
    client: httpx.Client, published: Settings, path: str
) -> None:
    response = client.get(path)
    assert response.status_code in (404, 422)
    assert response.headers["content-type"].startswith("application/problem+json")
    labels = _labels(published)
    assert labels
    for label_file in labels:
        private_line = label_file.read_text(encoding="utf-8").splitlines()[1]
        assert private_line not in response.text


def test_no_public_response_contains_a_hidden_label_row(
    client: httpx.Client, published: Settings
) -> None:
    bodies = [client.get("/api/datasets").text, client.get("/openapi.json").text]
    for dataset_id in SHIPPED:
        detail = client.get(f"/api/datasets/{dataset_id}").json()
        bodies.append(str(detail))
        bodies += [client.get(f["url"]).text for f in detail["files"]]
    everything = "\n".join(bodies)
    for label_file in _labels(published):
        for line in label_file.read_text(encoding="utf-8").splitlines()[1:50]:
            assert line not in everything


def test_unknown_dataset_is_a_problem_404(client: httpx.Client) -> None:
    response = client.get("/api/datasets/no-such-dataset")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "unknown_dataset" and body["status"] == 404
    assert "no published version" in body["detail"]


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/datasets/market-store-count/versions/abc", 422, "invalid_request"),
        ("/api/datasets/market-store-count/versions/0", 422, "invalid_request"),
        ("/api/datasets/market-store-count/versions/99", 404, "unknown_dataset_version"),
        ("/api/datasets/Bad_ID!", 422, "invalid_request"),
        ("/nowhere", 404, "http_404"),
    ],
)
def test_bad_requests_get_problem_bodies(
    client: httpx.Client, path: str, status: int, code: str
) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert "Traceback" not in response.text


def test_wrong_method_is_a_problem_405(client: httpx.Client) -> None:
    response = client.delete("/api/datasets/market-store-count")
    assert response.status_code == 405 and response.json()["code"] == "http_405"


def test_openapi_docs_are_served(client: httpx.Client) -> None:
    assert client.get("/docs").status_code == 200
    assert "/api/datasets/{dataset_id}" in client.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/datasets/market-store-count/versions/9223372036854775808",
        "/api/datasets/market-store-count/versions/99999999999999999999999/files/train.csv",
        "/api/datasets/market-store-count/versions/2147483648",
        "/api/datasets/market-store-count/versions/0",
        "/datasets/market-store-count/versions/9223372036854775808",
    ],
)
def test_a_number_too_large_for_the_database_is_a_422(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 422, response.text


def test_the_quality_report_page_may_run_nothing_and_is_never_sniffed(
    client: httpx.Client,
) -> None:
    for path in (
        "/api/datasets/market-store-count/quality",
        "/api/datasets/market-store-count/versions/1/files/quality_report.html",
    ):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["x-content-type-options"] == "nosniff"
        policy = response.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src" not in policy
        assert "frame-ancestors 'none'" in policy


def test_the_databases_and_hidden_labels_are_the_owners_alone(published: Settings) -> None:
    home = published.resolved_home
    private = [home / "odx.db", *_labels(published)]
    assert private[1:], "no labels published"
    assert {oct(path.stat().st_mode & 0o777) for path in private} == {"0o600"}
    assert oct(published.hidden_root.stat().st_mode & 0o777) == "0o700"
    assert oct(home.stat().st_mode & 0o777) == "0o700"
