"""Dataset jobs from the organizer page over real HTTP: publishing a catalogue id, uploading a
zipped dataset folder, the refusals (paths, bad archives, roles, CSRF), and the judge page's
MLflow link following ``odx mlflow --port``."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from web.test_pages import browser, csrf_of, signed_in

from factories import tiny_rows, write_dataset
from live import CHALLENGE, Site, serving
from odx.platform import mlflow_ui
from odx.platform.db.engine import session_scope
from odx.platform.db.models import DatasetJob, DatasetVersion
from odx.platform.settings import Settings

JOB_WAIT_SECONDS = 120


def zipped(folder: Path) -> bytes:
    """A dataset folder as an organizer zips it: the folder itself at the top of the archive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder.parent).as_posix())
    return buffer.getvalue()


def job_count(site: Site) -> int:
    with session_scope(site.settings.resolved_database_url) as session:
        return session.scalar(select(func.count()).select_from(DatasetJob)) or 0


def queued_job(answer: httpx.Response) -> str:
    """The job id a form's redirect names (``/organizer?notice=queued&target=<id>``)."""
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith("/organizer?notice=queued&target="), location
    return location.rpartition("target=")[2]


def finished(client: httpx.Client, job_id: str) -> str:
    """The job's page once the embedded worker has finished it (bounded wait)."""
    deadline = time.monotonic() + JOB_WAIT_SECONDS
    while time.monotonic() < deadline:
        status = client.get(f"/organizer/dataset-jobs/{job_id}/status")
        assert status.status_code == 200, status.text
        if 'data-active="false"' in status.text:
            page = client.get(f"/organizer/dataset-jobs/{job_id}")
            assert page.status_code == 200
            return page.text
        time.sleep(0.5)
    raise AssertionError(f"dataset job {job_id} did not finish in {JOB_WAIT_SECONDS} s")


def upload(
    client: httpx.Client, token: str | None, body: bytes, action: str, name: str = "data.zip"
) -> httpx.Response:
    data = {"action": action} | ({"csrf_token": token} if token is not None else {})
    files = {"file": (name, body, "application/zip")}
    return client.post("/organizer/datasets/upload", data=data, files=files)


@pytest.fixture(scope="module")
def tiny_zip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return zipped(write_dataset(tmp_path_factory.mktemp("upload"), name="tiny-shops"))


def test_publishing_a_catalogue_id_queues_a_job_the_embedded_worker_completes(site: Site) -> None:
    with signed_in(site, "org") as org:
        page = org.get("/organizer")
        answer = org.post(
            "/organizer/datasets/publish",
            data={"csrf_token": csrf_of(page), "dataset_id": "sme-growth-risk"},
        )
        job = queued_job(answer)
        notice = org.get(answer.headers["location"])
        assert f"데이터셋 작업 {job[:12]}을(를) 대기열에 넣었습니다" in notice.text
        assert f'href="/organizer/dataset-jobs/{job}"' in notice.text
        done = finished(org, job)
        listed = org.get("/organizer/dataset-jobs").text
    assert 'class="badge status-done"' in done and "완료" in done
    assert 'href="/datasets/sme-growth-risk/versions/1"' in done
    assert "/organizer/quality-runs/" in done  # the gate's report, linked from the job
    assert 'class="badge pass"' in done  # every check of the gate, one row each
    assert f'id="job-{job}"' in listed and "카탈로그" in listed
    with session_scope(site.settings.resolved_database_url) as session:
        versions = session.scalars(
            select(DatasetVersion.version).where(DatasetVersion.dataset_id == "sme-growth-risk")
        ).all()
    assert list(versions) == [1]
    with browser(site) as anyone:
        assert anyone.get("/datasets/sme-growth-risk").status_code == 200


@pytest.mark.parametrize("typed", ["/etc", "../x", "market-store-count/../../etc", "C:\\data"])
def test_publish_form_refuses_a_path_with_a_clear_message_and_queues_nothing(
    site: Site, typed: str
) -> None:
    before = job_count(site)
    with signed_in(site, "org") as org:
        page = org.get("/organizer")
        answer = org.post(
            "/organizer/datasets/publish", data={"csrf_token": csrf_of(page), "dataset_id": typed}
        )
    assert answer.status_code == 404
    assert 'role="alert"' in answer.text and "작업을 만들지 않았습니다" in answer.text
    assert "카탈로그에 있는 데이터셋 ID만 고를 수 있습니다" in answer.text
    assert "market-store-count" in answer.text  # what can be chosen instead
    assert job_count(site) == before


def test_an_uploaded_dataset_folder_is_validated_then_published_through_jobs(
    site: Site, tiny_zip: bytes
) -> None:
    with signed_in(site, "org") as org:
        token = csrf_of(org.get("/organizer"))
        checked = finished(org, queued_job(upload(org, token, tiny_zip, "validate")))
        assert 'class="badge status-done"' in checked and "<code>tiny-shops</code>" in checked
        assert 'class="badge pass"' in checked  # the gate's checks, one row each
        assert "/datasets/tiny-shops/versions/" not in checked  # checking publishes nothing
        with browser(site) as anyone:
            assert anyone.get("/datasets/tiny-shops").status_code == 404

        published = finished(org, queued_job(upload(org, token, tiny_zip, "publish")))
        listed = org.get("/organizer").text
    assert 'href="/datasets/tiny-shops/versions/1"' in published
    assert "업로드" in listed and "tiny-shops" in listed
    assert str(site.settings.resolved_home) not in published + listed
    with browser(site) as anyone:
        assert anyone.get("/datasets/tiny-shops").status_code == 200


def test_a_dataset_failing_its_gate_shows_the_failure_and_the_report_without_server_paths(
    site: Site, tmp_path: Path
) -> None:
    rows = tiny_rows()
    rows[2]["size"] = 5000  # sizes between 0 and 1000
    folder = write_dataset(tmp_path, name="tiny-broken", rows=rows)
    with signed_in(site, "org") as org:
        token = csrf_of(org.get("/organizer"))
        page = finished(org, queued_job(upload(org, token, zipped(folder), "publish")))
        listed = org.get("/organizer/dataset-jobs").text
    assert 'class="badge status-failed"' in page and 'class="error"' in page
    assert 'class="badge fail"' in page
    assert "/organizer/quality-runs/" in page
    home = str(site.settings.resolved_home)
    assert home not in page and home not in listed
    assert "Report: " not in page


def test_a_file_that_is_not_a_zip_is_refused_on_the_page(site: Site) -> None:
    before = job_count(site)
    with signed_in(site, "org") as org:
        token = csrf_of(org.get("/organizer"))
        answer = upload(org, token, b"shop_id,kind\nS1,cafe\n", "publish", name="shops.csv")
    assert answer.status_code == 422
    assert 'role="alert"' in answer.text and "데이터셋을 받지 못했습니다" in answer.text
    assert ".zip" in answer.text
    assert str(site.settings.resolved_home) not in answer.text
    assert job_count(site) == before


def test_a_zip_without_dataset_yaml_is_refused_on_the_page(site: Site, tmp_path: Path) -> None:
    folder = write_dataset(tmp_path, name="no-spec")
    (folder / "dataset.yaml").unlink()
    before = job_count(site)
    with signed_in(site, "org") as org:
        token = csrf_of(org.get("/organizer"))
        answer = upload(org, token, zipped(folder), "validate")
    assert answer.status_code == 422
    assert 'role="alert"' in answer.text and "dataset.yaml" in answer.text
    assert str(site.settings.resolved_home) not in answer.text
    assert job_count(site) == before


def test_a_broken_spec_in_the_zip_is_explained_on_the_page(site: Site, tmp_path: Path) -> None:
    folder = write_dataset(tmp_path, name="bad-spec", spec={"task": "astrology"})
    with signed_in(site, "org") as org:
        token = csrf_of(org.get("/organizer"))
        answer = upload(org, token, zipped(folder), "validate")
    assert answer.status_code == 422 and 'role="alert"' in answer.text
    assert "dataset.yaml: task: Input should be &#39;binary&#39;" in answer.text
    assert str(site.settings.resolved_home) not in answer.text


def test_an_upload_without_a_file_is_refused_on_the_page(site: Site) -> None:
    with signed_in(site, "org") as org:
        token = csrf_of(org.get("/organizer"))
        fields_only = {"csrf_token": (None, token), "action": (None, "validate")}
        answer = org.post("/organizer/datasets/upload", files=fields_only)
        not_a_form = org.post("/organizer/datasets/upload", data={"csrf_token": token})
    assert answer.status_code == 400 and "올릴 .zip 파일을 고르세요" in answer.text
    assert not_a_form.status_code == 400 and "multipart/form-data" in not_a_form.text


def test_participant_gets_403_on_the_dataset_job_pages_and_forms(
    site: Site, tiny_zip: bytes
) -> None:
    with signed_in(site, "org") as org:
        page = org.get("/organizer")
        job = queued_job(
            org.post(
                "/organizer/datasets/publish",
                data={
                    "csrf_token": csrf_of(page),
                    "dataset_id": "market-store-count",
                    "action": "validate",
                },
            )
        )
    before = job_count(site)
    with signed_in(site, "kim") as kim:
        token = csrf_of(kim.get("/"))
        for path in (
            "/organizer/dataset-jobs",
            f"/organizer/dataset-jobs/{job}",
            f"/organizer/dataset-jobs/{job}/status",
        ):
            refused = kim.get(path)
            assert refused.status_code == 403, path
            assert "권한이 없습니다" in refused.text
        published = kim.post(
            "/organizer/datasets/publish",
            data={"csrf_token": token, "dataset_id": "market-store-count"},
        )
        uploaded = upload(kim, token, tiny_zip, "publish")
    assert published.status_code == 403 and uploaded.status_code == 403
    assert job_count(site) == before


def test_dataset_job_forms_without_the_csrf_token_are_refused(site: Site, tiny_zip: bytes) -> None:
    before = job_count(site)
    with signed_in(site, "org") as org:
        no_token = upload(org, None, tiny_zip, "publish")
        forged = upload(org, "forged", tiny_zip, "publish")
        publish = org.post("/organizer/datasets/publish", data={"dataset_id": "market-store-count"})
        token = csrf_of(org.get("/organizer"))
        foreign = org.post(
            "/organizer/datasets/publish",
            data={"csrf_token": token, "dataset_id": "market-store-count"},
            headers={"Origin": "https://evil.example"},
        )
    for answer in (no_token, forged, publish, foreign):
        assert answer.status_code == 403, answer.text
    assert "csrf" in no_token.text
    assert job_count(site) == before


def test_unknown_or_malformed_job_ids_are_not_found(site: Site) -> None:
    with signed_in(site, "org") as org:
        assert org.get(f"/organizer/dataset-jobs/{'0' * 32}").status_code == 404
        assert org.get("/organizer/dataset-jobs/not-a-job").status_code == 422


def judge_page(url: str, site: Site) -> str:
    with signed_in(Site(url, site.tokens, site.settings), "judge") as judge:
        page = judge.get(f"/judge/challenges/{CHALLENGE}")
    assert page.status_code == 200
    return page.text


def test_judge_page_links_to_the_port_odx_mlflow_recorded(site: Site) -> None:
    assert 'href="http://127.0.0.1:5000/#/experiments/' in judge_page(site.url, site)
    environment = {k: v for k, v in os.environ.items() if k != "ODX_MLFLOW_UI_URL"}
    environment["ODX_HOME"] = str(site.settings.resolved_home)
    odx = Path(sys.executable).with_name("odx")
    printed = subprocess.run(
        [str(odx), "mlflow", "--port", "5123"],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert "http://127.0.0.1:5123" in printed
    assert mlflow_ui.recorded(site.settings) == "http://127.0.0.1:5123"
    try:
        page = judge_page(site.url, site)
        assert 'href="http://127.0.0.1:5123/#/experiments/' in page
        assert "odx mlflow가 마지막으로 기록한 주소" in page
        assert "odx mlflow --start --port N" in page and "ODX_MLFLOW_UI_URL" in page
        assert "127.0.0.1:5000" not in page
    finally:
        mlflow_ui.record_path(site.settings).unlink()


def test_an_explicit_odx_mlflow_ui_url_wins_over_the_recorded_address(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    mlflow_ui.record(site.settings, "http://127.0.0.1:5123")
    monkeypatch.setenv("ODX_MLFLOW_UI_URL", "https://mlflow.judges.example:7000/")
    explicit = Settings(
        home=site.settings.home,
        database_url=site.settings.database_url,
        progress=False,
        workers=0,
    )
    try:
        assert mlflow_ui.resolve(explicit) == mlflow_ui.UiAddress(
            "https://mlflow.judges.example:7000", "setting"
        )
        with serving(explicit) as url:
            page = judge_page(url, site)
        assert 'href="https://mlflow.judges.example:7000/#/experiments/' in page
        assert "ODX_MLFLOW_UI_URL에서 왔습니다" in page
        assert "127.0.0.1:5123" not in page
    finally:
        mlflow_ui.record_path(site.settings).unlink()


def test_an_unusable_recorded_address_falls_back_to_the_default(site: Site) -> None:
    path = mlflow_ui.record_path(site.settings)
    for content in ('{"url": "javascript:alert(1)"}', "not json", '["http://x:1"]'):
        path.write_text(content, encoding="utf-8")
        assert mlflow_ui.resolve(site.settings) == mlflow_ui.UiAddress(
            "http://127.0.0.1:5000", "default"
        )
    path.unlink()
    with pytest.raises(ValueError):
        mlflow_ui.record(site.settings, "javascript:alert(1)")
