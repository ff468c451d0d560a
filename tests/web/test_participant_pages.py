"""What participants meet on the pages, over real HTTP against a running platform: service
errors in the page's language, quality checks in Korean, a challenge closed early, the score
chart, the judge's view of a failed file, and choosing a final submission by a short id.

Each test that changes something works on a challenge or a team of its own, so the tests pass
alone and in any order.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
import os
import re
import string
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pandas as pd
import pytest
import yaml

from live import CHALLENGE, Site, create_users
from odx.datasets.quality.report import describe
from odx.platform.challenges.catalog import SHIPPED_CHALLENGES
from odx.platform.db.engine import session_scope
from odx.platform.services import challenges
from odx.platform.web import charts, views
from odx.platform.web.context import when
from odx.platform.web.i18n import catalogue

ROOT = Path(__file__).resolve().parents[2]
HTML = {"Accept": "text/html"}
PEOPLE = ("park", "choi", "han", "yoon", "seo", "oh")


@pytest.fixture(scope="module")
def tokens(site: Site) -> dict[str, str]:
    """Participants of this module's own (one each, so no test depends on another's)."""
    return create_users(site.settings, dict.fromkeys(PEOPLE, "participant")) | site.tokens


def register(site: Site, challenge_id: str, title: str, **limits: int) -> None:
    """Another challenge on the published market dataset, open since yesterday for 30 days."""
    definition = yaml.safe_load((SHIPPED_CHALLENGES / f"{CHALLENGE}.yaml").read_text("utf-8"))
    now = datetime.now(UTC)
    definition |= {"id": challenge_id, "title": {"ko": title, "en": f"{title} (en)"}}
    definition["phases"] = [
        definition["phases"][0]
        | {
            "start": (now - timedelta(days=1)).isoformat(),
            "end": (now + timedelta(days=30)).isoformat(),
        }
    ]
    definition["limits"] |= limits
    path = Path(site.settings.resolved_home) / f"{challenge_id}.yaml"
    path.write_text(yaml.safe_dump(definition, allow_unicode=True), encoding="utf-8")
    with session_scope(site.settings.resolved_database_url) as session:
        challenges.register(session, path, actor="test")


def api(site: Site, token: str) -> httpx.Client:
    return httpx.Client(base_url=site.url, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def csrf_of(page: httpx.Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]*)"', page.text)
    assert match, "no CSRF field on the page"
    return match.group(1)


@contextmanager
def signed_in(site: Site, token: str, lang: str = "ko") -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.url, headers=HTML, timeout=60) as client:
        client.cookies.set("odx_lang", lang)
        form = client.get("/signin")
        answer = client.post(
            "/signin", data={"token": token, "csrf_token": csrf_of(form), "next": "/"}
        )
        assert answer.status_code == 303, answer.text
        yield client


def predictions(site: Site, value: float | None = None) -> bytes:
    frame = pd.read_csv(site.public_dir / "sample_submission.csv", dtype={"market_id": str})
    if value is not None:
        frame["store_count"] = value
    return frame.to_csv(index=False).encode()


BROKEN = b"market_id,store_count\nnot-an-id,1\n"


def submit(http: httpx.Client, challenge_id: str, body: bytes, name: str = "p.csv") -> str:
    sent = http.post(
        f"/api/challenges/{challenge_id}/submissions", files={"file": (name, body, "text/csv")}
    )
    assert sent.status_code == 202, sent.text
    return sent.json()["id"]


def finished(http: httpx.Client, submission_id: str) -> dict[str, Any]:
    for _ in range(480):
        shown = http.get(f"/api/submissions/{submission_id}").json()
        if shown["status"] in ("scored", "failed"):
            return shown
        time.sleep(0.25)
    raise AssertionError(f"submission {submission_id} was not scored in time")


def section(html: str, heading_id: str) -> str:
    match = re.search(rf'<section aria-labelledby="{heading_id}">.*?</section>', html, re.S)
    assert match, f"no section {heading_id}"
    return match.group(0)


def error_text(page: httpx.Response) -> str:
    match = re.search(r'<p class="error" role="alert"([^>]*)>(.*?)</p>', page.text, re.S)
    assert match, page.text
    return match.group(2).replace("&#39;", "'").replace("&#x27;", "'")


# --- quality checks -----------------------------------------------------------------------


def test_quality_checks_read_in_korean_on_the_data_tab_and_the_dataset_page(site: Site) -> None:
    report = json.loads((site.public_dir / "quality_report.json").read_text("utf-8"))
    met, total = report["expectations"]["successful"], report["expectations"]["evaluated"]
    pages = [f"/challenges/{CHALLENGE}/data", "/datasets/market-store-count"]
    with httpx.Client(base_url=site.url, headers=HTML, timeout=60) as client:
        for path in pages:
            quality = section(client.get(path).text, "h-quality")
            assert f"기대 조건 {total}개 중 {met}개 충족" in quality
            assert "학습·평가 중복 행" in quality and "(허용: " in quality
            assert "expectations met" not in quality and "allowed:" not in quality
            card = section(client.get(path).text, "h-card")
            assert f"기대 조건 {total}개 중 {met}개 충족" in card  # the data card says both
        client.cookies.set("odx_lang", "en")
        for path in pages:
            quality = section(client.get(path).text, "h-quality")
            assert f"{met} of {total} expectations met" in quality
            assert "Train–test duplicates" in quality and "(allowed: " in quality


def test_quality_report_of_an_older_release_still_reads_in_korean(site: Site) -> None:
    """Releases before format 3 lack the thresholds and the expectation counts in details."""
    report = json.loads((site.public_dir / "quality_report.json").read_text("utf-8"))
    older = copy.deepcopy(report)
    for check in older["checks"]:
        for key in ("successful", "evaluated", "failed", "required", "allowed"):
            if not isinstance(check["details"].get(key), dict):  # personal data: a dict
                check["details"].pop(key, None)
    korean = {c.name: c.summary for c in views.quality_checks(older, "ko")}
    total = report["expectations"]["evaluated"]
    assert korean["expectations"].startswith(f"기대 조건 {total}개 중")
    assert korean["train_test_duplicates"].startswith("평가 행 ")
    assert "허용" not in korean["train_test_duplicates"]  # the threshold is not there to say
    english = {c.name: c.summary for c in views.quality_checks(older, "en")}
    assert english == {c["name"]: c["summary"] for c in report["checks"]}
    assert [c.title for c in views.quality_checks(older, "ko")][:2] == [
        "기대 조건 (Great Expectations)",
        "개인정보",
    ]


FAILING_DETAILS = {  # one check of each kind as the gate writes it when it fails
    "expectations": {"successful": 14, "evaluated": 15, "failed": ["expect_x(a)"]},
    "personal_data": {
        "findings": [{"column": "memo", "kind": "phone", "count": 3, "examples": []}],
        "allowed": {},
    },
    "k_anonymity": {"quasi_identifiers": ["region", "industry"], "k": 2, "required": 5},
    "target_leakage": {
        "threshold": 0.85,
        "scores": [{"column": "x", "score": 0.97, "baseline": 0.5, "kind": "auc_rank"}],
    },
    "id_like_columns": {"columns": [{"column": "code"}], "allowed": {}},
    "train_test_duplicates": {"test_rows_duplicated": 9, "fraction": 0.09, "allowed": 0.01},
    "adversarial_validation": {"auc": 0.93, "allowed": 0.7},
}


def test_every_check_is_said_in_korean_and_english_when_it_fails_too() -> None:
    details = copy.deepcopy(FAILING_DETAILS)
    details["target_leakage"]["scores"][0]["flagged"] = True
    english = {name: describe(name, d, "en") for name, d in details.items()}
    korean = {name: describe(name, d, "ko") for name, d in details.items()}
    assert english["personal_data"] == (
        "personal data in published columns: memo (phone, 3 rows); drop the column in the "
        "spec or allow it under quality.privacy.allow with a reason"
    )
    assert korean["personal_data"].startswith(
        "공개하는 열에 개인정보가 있습니다: memo (전화번호 3행)"
    )
    assert korean["target_leakage"] == "정답을 드러내는 특성: x (0.970)"
    assert korean["train_test_duplicates"] == "평가 행 9개(9.0%)가 학습 행과 같습니다 (허용: 1.0%)"
    assert korean["k_anonymity"].endswith("2행입니다 (기준: 5행 이상)")
    assert all(english.values()) and all(korean.values())
    assert not set(english.values()) & set(korean.values())


# --- service errors in the page's language -------------------------------------------------


def test_quota_refusal_reads_in_the_page_language_with_its_reset_time(
    site: Site, tokens: dict[str, str]
) -> None:
    register(site, "quota-test-2026", "하루 한 번 대회", daily_submissions=1)
    url = "/challenges/quota-test-2026/submit"
    tomorrow = datetime.now(ZoneInfo("Asia/Seoul")).date() + timedelta(days=1)
    resets = f"{tomorrow.isoformat()} 00:00 KST"
    with api(site, tokens["park"]) as http:
        http.post("/api/challenges/quota-test-2026/teams", json={"name": "박팀"})
        submit(http, "quota-test-2026", predictions(site))
        refused = http.post(
            "/api/challenges/quota-test-2026/submissions",
            files={"file": ("p.csv", predictions(site), "text/csv")},
        )
    assert refused.status_code == 429  # the API keeps its English detail
    assert refused.json()["detail"] == (
        f"your team has used its 1 submissions for today; the quota resets at {resets}"
    )
    files = {"file": ("p.csv", predictions(site), "text/csv")}
    with signed_in(site, tokens["park"]) as park:
        token = csrf_of(park.get(url))
        page = park.post(url, data={"csrf_token": token}, files=files)  # without script
        assert page.status_code == 429 and "제출 한도에 도달했습니다" in page.text
        expected = f"팀이 오늘 제출 1회를 모두 썼습니다. {resets}에 다시 제출할 수 있습니다."
        assert error_text(page) == expected
        script = park.post(
            url, data={"csrf_token": token}, files=files, headers={"Accept": "application/json"}
        )  # what the submit tab's script shows in place
        assert script.status_code == 429
        assert script.json()["code"] == "submission_limit"
        assert script.json()["detail"] == expected
    with signed_in(site, tokens["park"], lang="en") as park:
        page = park.post(url, data={"csrf_token": csrf_of(park.get(url))}, files=files)
        assert error_text(page) == (
            f"Your team has used its 1 submissions for today; the quota resets at {resets}."
        )


def test_team_errors_read_in_korean(site: Site, tokens: dict[str, str]) -> None:
    base = f"/challenges/{CHALLENGE}/teams"
    with signed_in(site, tokens["choi"]) as choi:
        token = csrf_of(choi.get(f"/challenges/{CHALLENGE}/submit"))
        wrong = choi.post(
            f"{base}/join", data={"csrf_token": token, "name": "김씨네 AI", "invite_code": "x"}
        )
        assert wrong.status_code == 404
        assert error_text(wrong) == (
            f"'{CHALLENGE}' 대회에 이름이 '김씨네 AI'이고 이 초대 코드를 쓰는 팀이 없습니다. "
            "팀 이름과 초대 코드를 확인하세요."
        )
        blank = choi.post(base, data={"csrf_token": token, "name": "   "})
        assert blank.status_code == 422
        assert error_text(blank) == "팀 이름은 1자 이상 100자 이하로 정하세요."
        taken = choi.post(base, data={"csrf_token": token, "name": "김씨네 AI"})
        assert taken.status_code == 409
        assert "'김씨네 AI' 팀이 이미 있습니다. 다른 이름을 고르세요." in error_text(taken)
        assert choi.post(base, data={"csrf_token": token, "name": "최팀"}).status_code == 303
        again = choi.post(base, data={"csrf_token": token, "name": "최팀 2"})
        assert again.status_code == 409
        assert error_text(again).startswith(f"이미 '{CHALLENGE}' 대회의 팀에 속해 있습니다.")


def test_other_page_errors_read_in_korean(site: Site, tokens: dict[str, str]) -> None:
    with signed_in(site, tokens["kim"]) as kim:
        forbidden = kim.get("/organizer")
        assert forbidden.status_code == 403
        assert error_text(forbidden) == (
            "이 화면에는 다음 권한 중 하나가 필요합니다: 운영자. 현재 권한: 참가자."
        )
        expired = kim.post(
            f"/challenges/{CHALLENGE}/teams", data={"csrf_token": "stale", "name": "x"}
        )
        assert expired.status_code == 403 and "보안 토큰" in error_text(expired)
        hidden = kim.get(f"/challenges/{CHALLENGE}/leaderboard", params={"board": "private"})
        assert error_text(hidden) == "비공개 리더보드는 아직 공개되지 않았습니다."
        nobody = "0123456789abcdef0123456789abcdef"
        unknown = kim.post(
            f"/submissions/{nobody}/select",
            data={"csrf_token": csrf_of(kim.get("/")), "selected": "true"},
        )
        assert unknown.status_code == 404
        assert error_text(unknown) == f"제출 '{nobody}'을(를) 찾을 수 없습니다."
        incomplete = kim.post(  # no invite code: the form itself is refused
            f"/challenges/{CHALLENGE}/teams/join",
            data={"csrf_token": csrf_of(kim.get("/")), "name": "x"},
        )
        assert incomplete.status_code == 422
        assert error_text(incomplete) == "보낸 양식에 빠졌거나 올바르지 않은 값이 있습니다."
        assert "invite_code" in incomplete.text  # the technical detail follows, in English
    with httpx.Client(base_url=site.url, headers=HTML, timeout=60) as anyone:
        assert error_text(anyone.get("/challenges/nope")).startswith("'nope' 대회가 없습니다.")
        unpublished = anyone.get("/datasets/nope")
        assert error_text(unpublished) == "'nope' 데이터셋은 공개된 버전이 없습니다."
        missing = anyone.get("/datasets/market-store-count/versions/9")
        assert error_text(missing) == "'market-store-count' 데이터셋에는 버전 9이(가) 없습니다."
        assert error_text(anyone.get("/nowhere")) == "/nowhere 주소에는 페이지가 없습니다."
    with signed_in(site, tokens["org"]) as org:  # an error raised without a key stays English
        token = csrf_of(org.get("/organizer"))
        plain = org.post(f"/organizer/challenges/{CHALLENGE}/dance", data={"csrf_token": token})
        assert plain.status_code == 400
        assert 'role="alert" lang="en"' in plain.text and "unknown action" in plain.text


def _message_calls() -> list[tuple[str, str, set[str], str]]:
    """(file, key, keyword names, English) of every Message(...) written in the source."""
    calls = []
    for folder in ("platform", "datasets", "scoring", "submissions", "baselines"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "Message"
                ):
                    key, english = (ast.literal_eval(a) for a in node.args[:2])
                    names = {k.arg for k in node.keywords if k.arg}
                    calls.append((str(path.relative_to(ROOT)), key, names, english))
    return calls


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_error_message_has_korean_and_english_texts_for_its_values() -> None:
    calls = _message_calls()
    assert len(calls) >= 20  # the participant-facing errors of the services and pages
    texts = catalogue()
    for where, key, names, english in calls:
        entry = texts.get(f"detail.{key}")
        assert entry is not None, f"{where}: no detail.{key} in messages.yaml"
        assert _placeholders(english) <= names, (where, key)
        for lang in ("ko", "en"):
            assert _placeholders(entry[lang]) <= names, f"detail.{key}.{lang} asks for more"


# --- the home page, the chart, the judge page -------------------------------------------


def test_home_shows_the_closing_date_of_a_challenge_closed_early(site: Site) -> None:
    register(site, "early-close-2026", "조기 마감 시험 대회")
    with session_scope(site.settings.resolved_database_url) as session:
        challenges.close(session, challenges.get(session, "early-close-2026"), actor="test")
    with session_scope(site.settings.resolved_database_url) as session:  # as stored
        challenge = challenges.get(session, "early-close-2026")
        closed_at = challenge.closed_at
        planned_end = challenges.spec_of(challenge).phases[-1].end
    assert closed_at is not None
    with httpx.Client(base_url=site.url, headers=HTML, timeout=60) as client:
        closed = section(client.get("/").text, "h-closed")
        card = re.search(r'<li class="card">(?:(?!</li>).)*early-close-2026.*?</li>', closed, re.S)
        assert card, closed
        assert f'datetime="{closed_at.isoformat()}">{when(closed_at)}</time>' in card.group(0)
        assert when(planned_end) not in card.group(0)
        assert "(조기 마감)" in card.group(0)
        overview = client.get("/challenges/early-close-2026").text
        assert f"운영자가 {when(closed_at)}에 제출을 조기 마감했습니다." in overview


def test_score_chart_is_drawn_once_there_are_two_points(site: Site, tokens: dict[str, str]) -> None:
    register(site, "chart-test-2026", "그래프 시험 대회")
    board = "/challenges/chart-test-2026/leaderboard"
    with httpx.Client(base_url=site.url, headers=HTML, timeout=60) as client:
        assert "아직 참가 팀의 점수가 없습니다." in client.get(board).text
        with api(site, tokens["han"]) as http:
            http.post("/api/challenges/chart-test-2026/teams", json={"name": "한팀"})
            first = finished(http, submit(http, "chart-test-2026", predictions(site, 1.0)))
            one = section(client.get(board).text, "h-progress")
            assert '<svg class="chart"' not in one
            assert "아직 최고 점수가 한 번만 기록되었습니다" in one
            assert f"{first['public_score']:.4f}" in one
            finished(http, submit(http, "chart-test-2026", predictions(site, 60.0)))
        two = section(client.get(board).text, "h-progress")
        assert '<svg class="chart"' in two and "한 번만" not in two


def test_a_chart_needs_two_distinct_moments() -> None:
    now = datetime.now(UTC)
    draw = {"until": now, "title": "t", "description": "d"}
    assert charts.progress_chart([], **draw) == ""
    assert charts.progress_chart([(now, 0.5)], **draw) == ""
    assert charts.progress_chart([(now, 0.5), (now, 0.4)], **draw) == ""
    assert "<svg" in charts.progress_chart([(now - timedelta(hours=1), 0.5), (now, 0.4)], **draw)


def test_judge_sees_that_a_failed_submission_gets_no_mlflow_run(
    site: Site, tokens: dict[str, str]
) -> None:
    body = BROKEN + b"yoon-" + str(time.time()).encode() + b",2\n"  # a file of its own
    with api(site, tokens["yoon"]) as http:
        http.post(f"/api/challenges/{CHALLENGE}/teams", json={"name": "윤팀"})
        assert finished(http, submit(http, CHALLENGE, body))["status"] == "failed"
    sha = hashlib.sha256(body).hexdigest()[:12]
    with signed_in(site, tokens["judge"]) as judge:
        page = judge.get(f"/judge/challenges/{CHALLENGE}").text
    row = re.search(rf"<tr>(?:(?!</tr>).)*{sha}.*?</tr>", page, re.S)
    assert row, page
    assert "없음 (실패한 제출은 기록하지 않음)" in row.group(0)
    assert "아직 없음" not in row.group(0)


# --- a final submission chosen by a short id -------------------------------------------------


def test_select_takes_a_unique_prefix_of_the_teams_own_submission_ids(
    site: Site, tokens: dict[str, str], tmp_path: Path
) -> None:
    with api(site, tokens["oh"]) as http:
        http.post(f"/api/challenges/{CHALLENGE}/teams", json={"name": "오팀"})
        theirs = submit(http, CHALLENGE, predictions(site, 55.0))
    with api(site, tokens["seo"]) as http:
        http.post(f"/api/challenges/{CHALLENGE}/teams", json={"name": "서팀"})
        mine = submit(http, CHALLENGE, predictions(site, 65.0))
        assert finished(http, mine)["status"] == "scored"

        chosen = http.post(f"/api/submissions/{mine[:12]}/select", json={"selected": True})
        assert chosen.status_code == 200, chosen.text
        assert chosen.json()["id"] == mine and chosen.json()["selected"]
        dropped = http.post(f"/api/submissions/{mine[:6]}/select", json={"selected": False})
        assert dropped.status_code == 200 and not dropped.json()["selected"]

        short = http.post(f"/api/submissions/{mine[:5]}/select", json={"selected": True})
        assert short.status_code == 422 and "at least 6 characters" in short.json()["detail"]
        other = "0" if mine[0] != "0" else "1"
        none = http.post(f"/api/submissions/{other}{mine[1:8]}/select", json={"selected": True})
        assert none.status_code == 404 and none.json()["code"] == "unknown_submission"
        for foreign in (theirs[:12], theirs):  # another team's ids are not found, not refused
            answer = http.post(f"/api/submissions/{foreign}/select", json={"selected": True})
            assert answer.status_code == 404

    env = {  # the command line prints 12 characters of an id; those are enough to select it
        **os.environ,
        "ODX_URL": site.url,
        "ODX_TOKEN": tokens["seo"],
        "XDG_CONFIG_HOME": str(tmp_path),
        "COLUMNS": "200",
    }
    odx = Path(sys.executable).parent / "odx"
    done = subprocess.run(
        [str(odx), "select", mine[:12]], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{mine}: final" in done.stdout
