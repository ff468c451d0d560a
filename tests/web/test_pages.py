"""Pages over real HTTP: sign-in cookies, CSRF, roles enforced by the server, languages,
error pages, and that the JSON API keeps answering in JSON."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import get_args

import httpx
import pytest

from live import CHALLENGE, Site
from odx.datasets.spec import TaskType
from odx.platform.challenges.programme import STAGE_ORDER, Criterion
from odx.platform.services.judging import AWARDS
from odx.platform.services.users import Role
from odx.platform.web.i18n import catalogue
from odx.platform.web.routes.review import NOTICES as REVIEW_NOTICES
from odx.platform.web.routes.staff import NOTICES
from odx.platform.web.security import SESSION_COOKIE
from odx.scoring.metrics import METRICS
from odx.submissions.models.sandbox import Outcome

PUBLIC_PAGES = [
    "/",
    f"/challenges/{CHALLENGE}",
    f"/challenges/{CHALLENGE}/data",
    f"/challenges/{CHALLENGE}/leaderboard",
    "/datasets",
    "/datasets/market-store-count",
    "/datasets/market-store-count/versions/1",
    "/signin",
]
HTML = {"Accept": "text/html"}


def browser(site: Site) -> httpx.Client:
    return httpx.Client(base_url=site.url, headers=HTML, timeout=60)


def csrf_of(page: httpx.Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]*)"', page.text)
    assert match, "no CSRF field on the page"
    return match.group(1)


@contextmanager
def signed_in(site: Site, who: str) -> Iterator[httpx.Client]:
    with browser(site) as client:
        form = client.get("/signin")
        answer = client.post(
            "/signin", data={"token": site.tokens[who], "csrf_token": csrf_of(form), "next": "/"}
        )
        assert answer.status_code == 303, answer.text
        yield client


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_get_public_page_in_korean_by_default_with_security_headers(site: Site, path: str) -> None:
    with browser(site) as client:
        page = client.get(path)
    assert page.status_code == 200, page.text
    assert '<html lang="ko">' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_switch_language_remembers_english_and_refuses_open_redirects(site: Site) -> None:
    with browser(site) as client:
        answer = client.get("/lang/en", params={"next": f"/challenges/{CHALLENGE}"})
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/challenges/{CHALLENGE}"
        page = client.get(f"/challenges/{CHALLENGE}")
        assert '<html lang="en">' in page.text and "Leaderboard" in page.text
        for target in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
            assert client.get("/lang/ko", params={"next": target}).headers["location"] == "/"


def test_sign_in_sets_http_only_cookie_and_sign_out_ends_the_session(site: Site) -> None:
    client = browser(site)
    form = client.get("/signin")
    answer = client.post(
        "/signin",
        data={"token": site.tokens["kim"], "csrf_token": csrf_of(form), "next": "/datasets"},
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/datasets"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert site.tokens["kim"] not in cookie  # the browser never holds the API token
    value = client.cookies[SESSION_COOKIE]
    home = client.get("/")
    assert "kim" in home.text
    client.post("/signout", data={"csrf_token": csrf_of(home)})
    with browser(site) as replay:  # a copy of the old cookie no longer works
        replay.cookies.set(SESSION_COOKIE, value)
        assert replay.get(f"/challenges/{CHALLENGE}/submit").status_code == 303


def test_sign_in_with_a_wrong_token_shows_an_error_and_sets_no_session(site: Site) -> None:
    with browser(site) as client:
        form = client.get("/signin")
        answer = client.post("/signin", data={"token": "odx_wrong", "csrf_token": csrf_of(form)})
    assert answer.status_code == 401
    assert "토큰이 올바르지 않습니다" in answer.text
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")


def test_post_without_or_with_a_foreign_csrf_token_is_refused(site: Site) -> None:
    with browser(site) as client:
        answer = client.post("/signin", data={"token": site.tokens["kim"]})
        assert answer.status_code == 403 and "csrf" in answer.text
    with signed_in(site, "org") as org:
        token = csrf_of(org.get("/organizer"))
        url = f"/organizer/challenges/{CHALLENGE}/close"
        assert org.post(url, data={"csrf_token": "forged"}).status_code == 403
        foreign = org.post(
            url, data={"csrf_token": token}, headers={"Origin": "https://evil.example"}
        )
        assert foreign.status_code == 403
        still_open = org.get(f"/challenges/{CHALLENGE}")
        assert "진행 중" in still_open.text


@pytest.mark.parametrize(
    "path", ["/organizer", "/judge", f"/judge/challenges/{CHALLENGE}", "/organizer/quality-runs/1"]
)
def test_participant_cannot_open_staff_pages(site: Site, path: str) -> None:
    with signed_in(site, "kim") as kim:
        page = kim.get(path)
    assert page.status_code == 403
    assert "권한이 없습니다" in page.text


def test_participant_cannot_post_organizer_actions(site: Site) -> None:
    with signed_in(site, "kim") as kim:
        token = csrf_of(kim.get("/"))
        answer = kim.post(f"/organizer/challenges/{CHALLENGE}/reveal", data={"csrf_token": token})
        assert answer.status_code == 403
        private = kim.get(f"/challenges/{CHALLENGE}/leaderboard", params={"board": "private"})
        assert private.status_code == 404


def test_anonymous_visitor_is_sent_to_sign_in_and_back(site: Site) -> None:
    with browser(site) as client:
        answer = client.get(f"/challenges/{CHALLENGE}/submissions")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/signin?next=/challenges/{CHALLENGE}/submissions"


def test_staff_see_private_board_before_reveal_and_judge_sees_private_scores(site: Site) -> None:
    with signed_in(site, "judge") as judge:
        board = judge.get(f"/challenges/{CHALLENGE}/leaderboard", params={"board": "private"})
        assert board.status_code == 200 and "기준 모델" in board.text
        page = judge.get(f"/judge/challenges/{CHALLENGE}")
    assert page.status_code == 200
    assert "비공개 점수" in page.text and '<th scope="row">baseline</th>' in page.text


def test_unknown_page_is_a_page_but_api_errors_stay_json(site: Site) -> None:
    with browser(site) as client:
        page = client.get("/challenges/no-such-challenge")
        api = client.get("/api/challenges/no-such-challenge")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "no-such-challenge" in page.text
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/problem+json"


def test_organizer_sees_a_wrong_challenge_definition_explained_with_the_text_kept(
    site: Site,
) -> None:
    with signed_in(site, "org") as org:
        token = csrf_of(org.get("/organizer"))
        definition = "id: new-one\ntitle: {ko: 새 대회, en: New}\nmetric: nonsense\n"
        page = org.post(
            "/organizer/challenges", data={"csrf_token": token, "definition": definition}
        )
    assert page.status_code == 200
    assert "nonsense" in page.text and 'role="alert"' in page.text
    assert "id: new-one" in page.text  # what was typed is kept


def test_every_message_used_by_a_template_exists_in_both_languages() -> None:
    from odx.platform.web.context import TEMPLATES

    used = set()
    for path in TEMPLATES.rglob("*.html"):
        used |= set(re.findall(r"\bt\('([a-z0-9_.]+)'", path.read_text(encoding="utf-8")))
    texts = catalogue()
    fixed = {k for k in used if not k.endswith(".")}
    assert fixed <= set(texts), sorted(fixed - set(texts))
    families = {  # keys the templates build from values
        "status.": ["open", "upcoming", "closed"],
        "sub.": ["queued", "scoring", "scored", "failed"],
        "role.": [r.value for r in Role],
        "task.": [t.value for t in TaskType],
        "org.notice.": list(NOTICES),
        "tabs.": ["overview", "programme", "data", "leaderboard", "submit", "submissions"],
        "model.": [*get_args(Outcome), "refused"],
        "stage.": [*STAGE_ORDER, *(f"{name}.explain" for name in STAGE_ORDER)],
        "stage.state.": ["past", "current", "future"],
        "rubric.source.": list(get_args(Criterion.model_fields["source"].annotation)),
        "application.status.": ["submitted", "finalist", "not_selected"],
        "awards.": list(AWARDS),
        "review.notice.": list(REVIEW_NOTICES),
        "schedule.": ["advanced", "moved"],
        "overview.": ["start", "end"],
    }
    built = {prefix + value for prefix, values in families.items() for value in values}
    built |= {f"status.{s}.heading" for s in families["status."]}
    built |= {f"task.{t.value}.explain" for t in TaskType}
    built |= {f"metric.{m}.{part}" for m in METRICS for part in ("name", "explain")}
    assert built <= set(texts), sorted(built - set(texts))
    # every key family a template builds is listed above (metric, error and problem keys are
    # checked above or fall back to a generic text)
    assert {k for k in used if k.endswith(".")} <= set(families) | {"metric.", "error.", "problem."}


def test_organizer_publishes_a_dataset_from_the_page_through_a_dataset_job(site: Site) -> None:
    with signed_in(site, "org") as org:
        page = org.get("/organizer")
        assert "bizinfo-support-field" in page.text and "미공개" in page.text
        first = follow_publish(org, csrf_of(page), "bizinfo-support-field")
        assert "완료" in first and "v1" in first
        again = follow_publish(org, csrf_of(page), "bizinfo-support-field")
        assert "입력이 같아 기존 버전" in again  # unchanged inputs make no new version
        missing = org.post(
            "/organizer/datasets/publish",
            data={"csrf_token": csrf_of(page), "dataset_id": "no-such-dataset"},
        )
    assert missing.status_code == 404 and 'role="alert"' in missing.text
    assert "카탈로그에 있는 데이터셋 ID만" in missing.text
    with browser(site) as anyone:
        assert anyone.get("/datasets/bizinfo-support-field").status_code == 200


def follow_publish(org: httpx.Client, token: str, dataset_id: str) -> str:
    """Queue a publish job from the organizer page and return its status once it finished."""
    answer = org.post(
        "/organizer/datasets/publish", data={"csrf_token": token, "dataset_id": dataset_id}
    )
    assert answer.status_code == 303, answer.text
    job = answer.headers["location"].rpartition("target=")[2]
    assert "대기열에 넣었습니다" in org.get(answer.headers["location"]).text
    for _ in range(240):  # the embedded worker runs the quality gate: seconds, not minutes
        status = org.get(f"/organizer/dataset-jobs/{job}/status").text
        if 'data-active="false"' in status:
            return status
        time.sleep(0.5)
    raise AssertionError(f"dataset job {job} did not finish")


def test_names_typed_by_participants_are_escaped_on_pages(site: Site) -> None:
    evil = '<script>alert("x")</script>'
    submit = f"/challenges/{CHALLENGE}/submit"
    with signed_in(site, "lee") as lee:
        token = csrf_of(lee.get(submit))
        made = lee.post(f"/challenges/{CHALLENGE}/teams", data={"csrf_token": token, "name": evil})
        assert made.status_code == 303 and made.headers["location"] == submit
        page = lee.get(submit)
        assert "초대 코드" in page.text  # the invite code is shown once ...
        assert evil not in page.text and "&lt;script&gt;" in page.text
        assert "초대 코드" not in lee.get(submit).text  # ... and not on the next visit
    with signed_in(site, "org") as org:
        teams_page = org.get(f"/organizer/challenges/{CHALLENGE}/teams")
    assert evil not in teams_page.text and "&lt;script&gt;" in teams_page.text


def test_markdown_on_pages_drops_raw_html_and_inline_styles() -> None:
    from odx.platform.web.context import markdown

    html = str(markdown("# Card\n\n<script>x()</script>\n\n| a |\n|--:|\n| 1 |\n", shift=2))
    assert html.startswith("<h3>Card</h3>")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "style=" not in html and '<td class="num">1</td>' in html


def test_private_board_cannot_be_revealed_from_the_page_while_open(site: Site) -> None:
    with signed_in(site, "org") as org:
        page = org.get("/organizer")
        assert f"/organizer/challenges/{CHALLENGE}/reveal" not in page.text  # no button yet
        early = org.post(
            f"/organizer/challenges/{CHALLENGE}/reveal", data={"csrf_token": csrf_of(page)}
        )
    assert early.status_code == 409
    assert "지금은 할 수 없는 작업입니다" in early.text
    assert "비공개 리더보드를 공개하기 전에 제출을 마감하세요" in early.text


def test_a_form_sent_after_the_session_ended_leads_back_to_its_page(site: Site) -> None:
    with browser(site) as client:
        answer = client.post(
            f"/challenges/{CHALLENGE}/teams",
            data={"name": "x"},
            headers={"Referer": f"{site.url}/challenges/{CHALLENGE}/submit"},
        )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/signin?next=/challenges/{CHALLENGE}/submit"
