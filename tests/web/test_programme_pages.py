"""Who may open and send each programme page, over real HTTP with real sessions: nobody
signed in is sent to sign in, every role outside a page's own gets 403 from the server (not
just a page without links), the restricted tables answer 404 to all but accepted finalists
and staff, and the pages say what each visitor may do."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import yaml

from live import PlanUpload, Site, create_users, programme_definition, serving
from odx.platform.db.engine import session_scope
from odx.platform.services import applications, challenges, teams, users
from odx.platform.services import datasets as dataset_service
from odx.platform.settings import Settings

CHALLENGE = "programme-pages"
SAMPLE = "sme-growth-risk"
HTML = {"Accept": "text/html"}
PEOPLE = {
    "org": "organizer",
    "judge": "judge",
    "ev": "evaluator",
    "fin": "participant",  # in a finalist team
    "out": "participant",  # applied, not selected
}
X = f"/challenges/{CHALLENGE}"
J = f"/judge/challenges/{CHALLENGE}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("programme-pages")
    settings = Settings(home=root / "home", progress=False)
    for dataset in ("sme-growth-risk-model", SAMPLE):
        dataset_service.publish(settings, dataset)
    tokens = create_users(settings, PEOPLE)
    path = root / f"{CHALLENGE}.yaml"
    definition = programme_definition(CHALLENGE, SAMPLE, datetime.now(UTC))
    path.write_text(yaml.safe_dump(definition, allow_unicode=True), "utf-8")
    with session_scope(settings.resolved_database_url) as session:
        challenge = challenges.register(session, path, actor="test")
        for person in ("fin", "out"):
            user = users.get_by_name(session, person)
            teams.create(session, challenge, user, f"{person}-team")
            applications.submit(session, settings, challenge, user, PlanUpload({"service": person}))
        applications.select_finalists(session, challenge, ["fin-team"], actor="org")
    with serving(settings) as url:
        yield Site(url, tokens, settings)


def _csrf(page: httpx.Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]*)"', page.text)
    assert match, "no CSRF field on the page"
    return match.group(1)


@contextmanager
def visitor(site: Site, who: str | None) -> Iterator[tuple[httpx.Client, str]]:
    """A browser-like client signed in as ``who`` (or nobody), with its CSRF token."""
    with httpx.Client(base_url=site.url, headers=HTML, timeout=60) as client:
        form = client.get("/signin")
        token = _csrf(form)
        if who is not None:
            answer = client.post(
                "/signin", data={"token": site.tokens[who], "csrf_token": token, "next": "/"}
            )
            assert answer.status_code == 303, answer.text
            token = _csrf(client.get("/"))
        yield client, token


def _application_id(site: Site, team: str) -> int:
    with session_scope(site.settings.resolved_database_url) as session:
        challenge = challenges.get(session, CHALLENGE)
        (row,) = [r for r in applications.for_staff(session, challenge) if r["team"] == team]
        return int(row["id"])


# (method, path, {visitor: status}); None is nobody signed in (sent to sign in: 303)
READS = [
    ("GET", f"{J}/applications", {None: 303, "fin": 403, "ev": 403, "judge": 200, "org": 200}),
    ("GET", f"{J}/judging", {None: 303, "fin": 403, "ev": 403, "judge": 200, "org": 200}),
    ("GET", f"{J}/judging.csv", {None: 303, "fin": 403, "ev": 403, "judge": 200, "org": 200}),
    ("GET", f"{J}/programme", {None: 303, "fin": 403, "ev": 403, "judge": 200, "org": 200}),
    ("GET", "/evaluate", {None: 303, "fin": 403, "judge": 403, "org": 403, "ev": 200}),
    ("GET", f"/evaluate/{CHALLENGE}", {None: 303, "fin": 403, "judge": 403, "org": 403}),
    ("GET", f"{X}/programme", {None: 200, "fin": 200, "ev": 200, "judge": 200}),
    ("GET", f"{X}/data", {None: 200, "fin": 200, "out": 200, "judge": 200}),
    ("GET", f"{X}/data/files/train.csv", {None: 303, "fin": 404, "out": 404, "ev": 404}),
    ("GET", f"{X}/data/files/train.csv", {"judge": 200, "org": 200}),
]
WRITES = [
    ("POST", f"{J}/finalists", {None: 303, "fin": 403, "ev": 403, "judge": 403}),
    ("POST", f"{J}/judging/scores", {None: 303, "fin": 403, "ev": 403, "org": 403}),
    ("POST", f"{J}/judging/runs", {None: 303, "fin": 403, "ev": 403, "judge": 403}),
    ("POST", f"{J}/awards", {None: 303, "fin": 403, "ev": 403, "judge": 403}),
    ("POST", f"{J}/schedule/advance", {None: 303, "fin": 403, "ev": 403, "judge": 403}),
    ("POST", f"{J}/schedule", {None: 303, "fin": 403, "ev": 403, "judge": 403}),
    ("POST", f"/evaluate/{CHALLENGE}", {None: 303, "fin": 403, "judge": 403, "org": 403}),
    ("POST", f"/evaluate/{CHALLENGE}/ratings", {None: 303, "fin": 403, "judge": 403}),
    ("POST", f"{X}/data/terms", {None: 303, "out": 409, "ev": 409}),
    ("POST", f"{X}/application", {None: 303}),
]
CASES = [
    (method, path, who, status)
    for method, path, expected in READS + WRITES
    for who, status in expected.items()
]


@pytest.mark.parametrize(("method", "path", "who", "status"), CASES)
def test_each_programme_page_answers_each_visitor(
    site: Site, method: str, path: str, who: str | None, status: int
) -> None:
    with visitor(site, who) as (client, token):
        if method == "GET":
            answer = client.get(path)
        else:
            answer = client.post(path, data={"csrf_token": token})
    assert answer.status_code == status, (path, who, answer.text[:400])
    if status == 303 and who is None:
        assert answer.headers["location"].startswith("/signin")


@pytest.mark.parametrize(("who", "status"), [(None, 303), ("fin", 403), ("org", 403)])
def test_only_judges_score_applications(site: Site, who: str | None, status: int) -> None:
    number = _application_id(site, "out-team")
    with visitor(site, who) as (client, token):
        answer = client.post(
            f"{J}/applications/{number}/scores",
            data={"csrf_token": token, "score.feasibility": "3"},
        )
    assert answer.status_code == status, answer.text[:300]


@pytest.mark.parametrize(
    ("who", "status"), [(None, 303), ("fin", 403), ("ev", 403), ("judge", 200)]
)
def test_plans_go_to_staff_only_as_downloads(site: Site, who: str | None, status: int) -> None:
    number = _application_id(site, "fin-team")
    with visitor(site, who) as (client, _):
        answer = client.get(f"{J}/applications/{number}/plan")
    assert answer.status_code == status
    if status == 200:
        assert answer.content.startswith(b"%PDF-")
        assert answer.headers["content-disposition"].startswith("attachment")
        assert "sandbox" in answer.headers["content-security-policy"]


def test_a_judge_scores_an_application_on_the_page_and_sees_it(site: Site) -> None:
    number = _application_id(site, "out-team")
    with visitor(site, "judge") as (client, token):
        sent = client.post(
            f"{J}/applications/{number}/scores",
            data={"csrf_token": token, "score.feasibility": "9"},
        )
        assert sent.status_code == 422 and "1 to 5" in sent.text
        sent = client.post(
            f"{J}/applications/{number}/scores",
            data={"csrf_token": token, "score.feasibility": "2"},
        )
        assert sent.status_code == 303
        page = client.get(f"{J}/applications").text
    assert 'name="score.feasibility"' in page and 'value="2.0"' in page


def test_the_data_tab_shows_the_sample_to_all_and_the_terms_to_finalists(site: Site) -> None:
    with visitor(site, None) as (client, _):
        anonymous = client.get(f"{X}/data").text
    assert "/api/datasets/sme-growth-risk/versions/1/files/train.csv" in anonymous
    assert f"{X}/data/files/" not in anonymous and "약관에 동의합니다" not in anonymous
    with visitor(site, "out") as (client, _):
        assert "약관에 동의합니다" not in client.get(f"{X}/data").text
    with visitor(site, "fin") as (client, _):
        page = client.get(f"{X}/data").text
        assert "약관에 동의합니다" in page and f"{X}/data/files/" not in page
    with visitor(site, "org") as (client, _):
        staff = client.get(f"{X}/data").text
    assert f"{X}/data/files/train.csv" in staff  # staff read the full data without terms


def test_the_programme_tab_tells_a_team_its_outcome(site: Site) -> None:
    with visitor(site, "fin") as (client, _):
        assert "결선 진출" in client.get(f"{X}/programme").text
    with visitor(site, "out") as (client, _):
        page = client.get(f"{X}/programme").text
    assert "결선 미진출" in page and 'id="plan"' in page  # applications are still open


def test_an_organizer_moves_the_applications_end_from_the_page(site: Site) -> None:
    with visitor(site, "org") as (client, _):
        page = client.get(f"{J}/programme")
        fields = dict(re.findall(r'name="([a-z_.]+)" value="([^"]*)"(?! disabled)', page.text))
        fields = {k: v for k, v in fields.items() if k.startswith(("stage.", "phase."))}
        unchanged = client.post(f"{J}/schedule", data={"csrf_token": _csrf(page), **fields})
        assert unchanged.status_code == 303  # every date sent back as shown: nothing moves
        end = datetime.fromisoformat(fields["stage.application.end"])
        later = (end - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")  # still ahead
        moved = client.post(
            f"{J}/schedule",
            data={"csrf_token": _csrf(page), **fields, "stage.application.end": later},
        )
        assert moved.status_code == 303 and moved.headers["location"].endswith("notice=moved")
        past = client.post(
            f"{J}/schedule",
            data={"csrf_token": _csrf(page), "stage.application.end": "2020-01-01T09:00"},
        )
        assert past.status_code == 422 and "past" in past.text
    with _api(site, "org") as http:
        shown = http.get(f"/api/challenges/{CHALLENGE}/schedule").json()
        entries = http.get("/api/audit").json()
    rows = {row["name"]: row for row in shown["rows"]}
    assert rows["application"]["end"].startswith(later)
    moves = [e for e in entries if e["action"] == "challenge.schedule"]
    assert len(moves) == 1  # the unchanged form recorded nothing


def _api(site: Site, who: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {site.tokens[who]}"}
    return httpx.Client(base_url=site.url, headers=headers, timeout=60)
