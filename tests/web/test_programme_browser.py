"""A whole programme in a real browser, on one challenge: a team applies with its plan, a
judge scores it, the organizer selects the finalists, the restricted data is refused and then
served once the terms are accepted, the organizer starts each stage, a finalist submits a
model, an evaluator on a phone rates three blinded models, two judges score the finalists,
and the winners are published on the challenge page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from playwright.sync_api import Browser, expect
from web.browser import Visitor

from live import PlanUpload, Site, create_users, programme_definition, serving, wait_done
from odx.baselines.run import model_release
from odx.platform.challenges.catalog import SHIPPED_CHALLENGES
from odx.platform.db.engine import session_scope
from odx.platform.services import applications, challenges, teams, users
from odx.platform.services import datasets as dataset_service
from odx.platform.settings import Settings

CHALLENGE = "programme-walk"
DATASET, SAMPLE = "sme-growth-risk-model", "sme-growth-risk"
TEAMS = {"kim": "김씨네 AI", "lee": "lee-lab", "park": "park-lab"}
PLAN = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("programme")
    settings = Settings(home=root / "home", progress=False)
    for dataset in (DATASET, SAMPLE):
        dataset_service.publish(settings, dataset)
    people = {"org": "organizer", "judge": "judge", "judge2": "judge", "ev": "evaluator"}
    tokens = create_users(settings, people | dict.fromkeys(TEAMS, "participant"))
    path = root / f"{CHALLENGE}.yaml"
    definition = programme_definition(CHALLENGE, SAMPLE, datetime.now(UTC))
    path.write_text(yaml.safe_dump(definition, allow_unicode=True), "utf-8")
    with session_scope(settings.resolved_database_url) as session:
        challenge = challenges.register(session, path, actor="test")
        for person, team in TEAMS.items():
            user = users.get_by_name(session, person)
            teams.create(session, challenge, user, team)
            if person != "kim":  # the others applied before; kim applies in the browser
                applications.submit(
                    session, settings, challenge, user, PlanUpload({"service": team})
                )
    with serving(settings) as url:
        yield Site(url, tokens, settings)


def _api(site: Site, who: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {site.tokens[who]}"}
    return httpx.Client(base_url=site.url, headers=headers, timeout=300)


def _visitor(browser: Browser, site: Site, who: str, **context: Any) -> Visitor:
    visitor = Visitor(browser, site, who, **context)
    visitor.sign_in()
    return visitor


def _advance(org: Visitor, expected_stage: str) -> None:
    """The organizer ends the current stage and starts the next one now."""
    org.open(f"/judge/challenges/{CHALLENGE}/programme")
    org.page.locator("#advance button").click()
    org.page.wait_for_url(f"**/judge/challenges/{CHALLENGE}/programme?notice=advanced")
    org.check()
    current = org.page.locator("#schedule tr.stage-current[data-stage]")
    expect(current).to_have_attribute("data-stage", expected_stage)


def _model_zip(site: Site) -> bytes:
    public = next(site.settings.public_root.glob(f"{DATASET}/*"))
    return model_release(public).upload


def test_a_programme_walked_end_to_end_in_the_browser(
    browser: Browser, site: Site, tmp_path: Path
) -> None:
    kim = _visitor(browser, site, "kim")
    judge = _visitor(browser, site, "judge")
    org = _visitor(browser, site, "org")

    # 1. kim's team applies: the form and the plan, checked by content
    kim.open(f"/challenges/{CHALLENGE}/programme", "programme-application")
    kim.page.fill("#f-service", "경영위기 조기경보")
    not_pdf = tmp_path / "plan.pdf"
    not_pdf.write_bytes(b"<html>not a pdf</html>")
    kim.page.set_input_files("#plan", str(not_pdf))
    with kim.page.expect_response(lambda r: r.url.endswith("/application")) as sent:
        kim.page.get_by_role("button", name="신청서 내기").click()
    assert sent.value.status == 422
    kim.page.wait_for_load_state("networkidle")
    kim.expected_refusal(422, sent.value.url)
    kim.check("application-not-a-pdf")
    expect(kim.page.get_by_role("heading", level=1)).to_contain_text("PDF 파일이 아닙니다")
    kim.open(f"/challenges/{CHALLENGE}/programme")
    plan = tmp_path / "사업계획서.pdf"
    plan.write_bytes(PLAN)
    kim.page.fill("#f-service", "경영위기 조기경보")
    kim.page.set_input_files("#plan", str(plan))
    kim.page.get_by_role("button", name="신청서 내기").click()
    kim.page.wait_for_url("**/programme?notice=applied*")
    kim.check("programme-applied")
    expect(kim.page.locator("#application-status")).to_contain_text("심사 중")

    # 2. a judge scores the application; the plan downloads, never shown
    judge.open(f"/judge/challenges/{CHALLENGE}/applications", "judge-applications")
    card = judge.page.locator("section.card", has_text=TEAMS["kim"])
    with judge.page.expect_download() as download:
        card.get_by_role("link", name="사업계획서 내려받기").click()
    assert Path(download.value.path()).read_bytes() == PLAN
    card.locator("input[name='score.feasibility']").fill("4")
    card.get_by_role("button", name="점수 저장").click()
    judge.page.wait_for_url("**/applications?notice=scored*")
    judge.check()
    expect(judge.page.locator("section.card", has_text=TEAMS["kim"])).to_contain_text("75")

    # 3. the organizer selects three finalists (audited); kim's team sees it
    org.open(f"/judge/challenges/{CHALLENGE}/applications")
    for team in TEAMS.values():
        org.page.get_by_role("checkbox", name=team).check()
    org.page.get_by_role("button", name="결선 진출팀 확정").click()
    org.page.wait_for_url("**/applications?notice=finalists")
    org.check()
    kim.open(f"/challenges/{CHALLENGE}/programme")
    expect(kim.page.locator("#application-status")).to_contain_text("결선 진출")

    # 4. the full data: refused until the terms are accepted, then served and recorded
    kim.open(f"/challenges/{CHALLENGE}/data/files/train.csv", status=404)
    kim.open(f"/challenges/{CHALLENGE}/data", "data-terms")
    expect(kim.page.locator("#h-full")).to_be_visible()
    kim.page.get_by_role("button", name="약관에 동의합니다").click()
    kim.page.wait_for_url("**/data?notice=accepted*")
    kim.check("data-accepted")
    with kim.page.expect_download() as download:
        full = kim.page.locator("section", has=kim.page.locator("#h-full"))
        full.get_by_role("link", name="내려받기 train.csv").click()
    assert Path(download.value.path()).read_text("utf-8").startswith("record_id,")
    with _api(site, "org") as http:
        log = http.get(f"/api/challenges/{CHALLENGE}/data-access").json()
    assert [d["file"] for d in log["downloads"]] == ["train.csv"]
    assert [a["user"] for a in log["acceptances"]] == ["kim"]

    # 5. the finals start now; kim's team submits its model in the browser, the others by API
    _advance(org, "finals")
    model = tmp_path / "model.zip"
    model.write_bytes(_model_zip(site))
    kim.open(f"/challenges/{CHALLENGE}/submit")
    kim.page.set_input_files("#file", str(model))
    kim.page.get_by_role("button", name="제출하기").click()
    expect(kim.page.locator("#upload-result")).to_contain_text("채점 완료", timeout=300_000)
    for person in ("lee", "park"):
        with _api(site, person) as http:
            sent = http.post(
                f"/api/challenges/{CHALLENGE}/submissions",
                files={"file": ("model.zip", model.read_bytes())},
            )
            assert wait_done(http, sent.json()["id"], timeout=300)["status"] == "scored"

    # 6. the user evaluation: not before its stage; then an evaluator on a phone rates three
    # blinded models
    phone = _visitor(browser, site, "ev", viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.open(f"/evaluate/{CHALLENGE}")
    expect(phone.page.get_by_role("status")).to_contain_text("체험평가 기간이 아닙니다")
    expect(phone.page.get_by_role("button", name="예측 보기")).to_have_count(0)
    _advance(org, "user_evaluation")
    phone.open("/evaluate", "evaluate-list-phone")
    phone.page.get_by_role("link", name=_title()).click()
    phone.check("evaluate-form-phone")
    expect(phone.page.locator("#privacy")).to_contain_text("저장하지 않습니다")
    _fill_case(phone)
    phone.page.get_by_role("button", name="예측 보기").click()
    phone.page.wait_for_selector("fieldset.model")
    phone.check("evaluate-predictions-phone")
    legends = phone.page.locator("fieldset.model legend").all_inner_texts()
    assert legends == ["모델 A", "모델 B", "모델 C"]
    readings = phone.page.locator("fieldset.model .reading").all_inner_texts()
    assert all("확률" in reading and "%" in reading for reading in readings), readings
    page_text = phone.page.locator("main").inner_text()
    assert not any(team in page_text for team in TEAMS.values())  # blinded
    for label, rating in zip("ABC", ("5", "3", "4"), strict=True):
        phone.page.locator(f"#model-{label} input[value='{rating}']").check()
    phone.page.fill("#comment-A", "바로 쓸 수 있겠어요")
    phone.page.get_by_role("button", name="평가 보내기").click()
    phone.page.wait_for_url("**?notice=rated")
    phone.check("evaluate-thanks-phone")
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width  # nothing wider than the phone

    # 7. judging: two judges score every finalist; the spread between them is shown
    _advance(org, "judging")
    judge2 = _visitor(browser, site, "judge2")
    for visitor, scores in ((judge, ("5", "2", "3")), (judge2, ("5", "1", "3"))):
        visitor.open(f"/judge/challenges/{CHALLENGE}/judging")
        for team, score in zip(TEAMS.values(), scores, strict=True):
            form = visitor.page.locator("form", has=visitor.page.locator(f"h3:text-is('{team}')"))
            form.locator("input[name='score.completeness']").fill(score)
            form.get_by_role("button").click()
            visitor.page.wait_for_url("**/judging?notice=scored")
    judge.open(f"/judge/challenges/{CHALLENGE}/judging", "judging")
    ranking = judge.page.locator("#ranking")
    expect(ranking).to_contain_text("2명")  # two judges per criterion, with their spread
    with _api(site, "judge") as http:
        rows = http.get(f"/api/challenges/{CHALLENGE}/judging").json()
    assert rows[0]["team"] == TEAMS["kim"] and rows[0]["missing"] == []

    # 8. the organizer writes the MLflow runs and publishes the winners; everyone sees them
    org.open(f"/judge/challenges/{CHALLENGE}/judging")
    org.page.get_by_role("button", name="MLflow에 심사 결과 기록").click()
    org.page.wait_for_url("**/judging?notice=runs")
    org.page.select_option("#winner", TEAMS["kim"])
    org.page.get_by_role("checkbox", name=TEAMS["park"]).check()
    org.page.get_by_role("button", name="수상팀 발표").click()
    org.page.wait_for_url("**/judging?notice=awards")
    org.check("judging-published")
    anyone = Visitor(browser, site, "kim")  # not signed in
    anyone.open(f"/challenges/{CHALLENGE}", "winners")
    awards = anyone.page.locator("#awards")
    expect(awards).to_contain_text(f"우승 · {TEAMS['kim']}")
    expect(awards).to_contain_text(f"준우승 · {TEAMS['park']}")
    for visitor in (kim, judge, judge2, org, phone, anyone):
        visitor.close()


def _title() -> str:
    return yaml.safe_load((SHIPPED_CHALLENGES / "sme-growth-risk-model-2026.yaml").read_text())[
        "title"
    ]["ko"]


def _fill_case(phone: Visitor) -> None:
    """A case as an owner types it: the first choice of each list, small numbers elsewhere."""
    for select in phone.page.locator("main select").all():
        select.select_option(index=1)
    for field in phone.page.locator("main input[inputmode]").all():
        field.fill("3")
    for field in phone.page.locator("main input:not([inputmode]):not([type='hidden'])").all():
        field.fill("서울 강남구")
