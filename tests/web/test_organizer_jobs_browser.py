"""Dataset jobs in a real browser: an organizer uploads a zipped dataset folder, the jobs
table follows the job until it is done without a reload, and every page involved passes
axe-core (see tests/web/browser.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright
from web.browser import Visitor, launch
from web.test_organizer_jobs import zipped

from factories import write_dataset
from live import Site


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def org(browser: Browser, site: Site) -> Iterator[Visitor]:
    visitor = Visitor(browser, site, "org")
    visitor.sign_in()
    yield visitor
    visitor.close()


def test_organizer_uploads_a_dataset_and_the_jobs_table_follows_it_in_place(
    org: Visitor, tmp_path: Path
) -> None:
    archive = tmp_path / "tiny-shops.zip"
    archive.write_bytes(zipped(write_dataset(tmp_path / "folder", name="tiny-shops")))
    org.open("/organizer", "organizer-no-jobs")
    org.page.set_input_files("#dataset-zip", str(archive))
    org.page.get_by_role("button", name="올리고 검사 후 공개").click()
    expect(org.page.locator(".notice")).to_contain_text("대기열에 넣었습니다")
    org.page.evaluate("window.odxNotReloaded = true")
    polled: list[str] = []
    org.page.on("request", lambda r: polled.append(r.url) if "/dataset-jobs" in r.url else None)
    row = org.page.locator("#dataset-jobs tbody tr").first
    expect(row).to_contain_text("tiny-shops")
    expect(row.locator(".badge")).to_have_text("완료", timeout=120_000)
    expect(row).to_contain_text("v1")
    assert org.page.evaluate("window.odxNotReloaded === true"), "the table updated in place"
    assert polled, "the page followed the job by fetching the table"
    org.check("organizer-dataset-jobs")

    row.get_by_role("link").first.click()
    expect(org.page.get_by_role("heading", level=1)).to_contain_text("데이터셋 작업")
    expect(org.page.locator("#job-status tbody")).to_contain_text("expectations")
    org.check("dataset-job")


def test_organizer_sees_a_refused_upload_explained_on_the_page(
    org: Visitor, tmp_path: Path
) -> None:
    not_a_zip = tmp_path / "shops.csv"
    not_a_zip.write_text("shop_id,kind\nS1,cafe\n", encoding="utf-8")
    org.open("/organizer")
    org.page.set_input_files("#dataset-zip", str(not_a_zip))
    with org.page.expect_response("**/organizer/datasets/upload?action=*") as answer:
        org.page.get_by_role("button", name="올리고 검사만").click()
    assert answer.value.status == 422
    alert = org.page.get_by_role("alert")
    expect(alert).to_contain_text("데이터셋을 받지 못했습니다")
    expect(alert).to_contain_text(".zip")
    org.page.wait_for_load_state("networkidle")
    org.expected_refusal(422, answer.value.url)  # once the page (and its log) has arrived
    org.check("organizer-upload-refused")
