"""Users, challenges and teams on a real SQLite catalogue with a published dataset."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy.orm import Session

from odx.platform.challenges.catalog import SHIPPED_CHALLENGES
from odx.platform.challenges.spec import ChallengeSpecError
from odx.platform.db.engine import session_scope
from odx.platform.db.models import Challenge, Submission, Team, User
from odx.platform.errors import ConflictError, InvalidInputError, Message, NotFoundError
from odx.platform.services import audit, challenges, submissions, teams, users
from odx.platform.services import datasets as dataset_service
from odx.platform.services.users import AuthenticationError, PermissionDeniedError, Role
from odx.platform.settings import Settings

MARKET = SHIPPED_CHALLENGES / "market-store-count-2026.yaml"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings(home=tmp_path_factory.mktemp("svc") / "home", progress=False)
    dataset_service.publish(settings, "market-store-count")
    return settings


@pytest.fixture
def session(home: Settings) -> Iterator[Session]:
    with session_scope(home.resolved_database_url) as db:
        yield db
        db.rollback()  # each test leaves the catalogue as it found it


def test_create_user_returns_a_token_that_authenticates(session: Session) -> None:
    user, token = users.create_user(session, name="kim", role="participant", actor="admin")
    assert token.startswith("odx_") and token not in user.token_sha256
    assert users.authenticate(session, token).name == "kim"
    with pytest.raises(AuthenticationError, match="the token is not valid"):
        users.authenticate(session, token + "x")
    with pytest.raises(AuthenticationError, match="Bearer"):
        users.authenticate(session, None)
    with pytest.raises(ConflictError):
        users.create_user(session, name="kim", role="judge", actor="admin")
    with pytest.raises(InvalidInputError, match="unknown role 'king'"):
        users.create_user(session, name="lee", role="king", actor="admin")


def test_require_role_refuses_participants_and_lets_admins_through(session: Session) -> None:
    participant, _ = users.create_user(session, name="p1", role=Role.participant, actor="a")
    admin, _ = users.create_user(session, name="root1", role=Role.admin, actor="a")
    with pytest.raises(PermissionDeniedError, match="needs the role organizer"):
        users.require_role(participant, Role.organizer)
    users.require_role(admin, Role.organizer)


def test_register_challenge_is_idempotent_and_audited(session: Session) -> None:
    challenge = challenges.register(session, MARKET, actor="org")
    assert challenges.register(session, MARKET, actor="org") is challenge
    assert challenges.spec_of(challenge).metric == "rmsle"
    assert [e.action for e in audit.events(session)][:1] == ["challenge.create"]


def test_register_refuses_changed_definition_and_missing_dataset(
    session: Session, tmp_path: Path
) -> None:
    challenges.register(session, MARKET, actor="org")
    data = yaml.safe_load(MARKET.read_text(encoding="utf-8"))
    changed = tmp_path / "changed.yaml"
    changed.write_text(
        yaml.safe_dump(data | {"limits": {"daily_submissions": 50}}, allow_unicode=True),
        encoding="utf-8",
    )
    with pytest.raises(ConflictError, match="exists with a different definition"):
        challenges.register(session, changed, actor="org")
    missing = tmp_path / "missing.yaml"
    missing.write_text(
        yaml.safe_dump(
            data | {"id": "other", "dataset": {"id": "market-store-count", "version": 7}},
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    with pytest.raises(ChallengeSpecError, match="has no version 7; publish it first"):
        challenges.register(session, missing, actor="org")


def test_unknown_challenge_lists_known_ones(session: Session) -> None:
    challenges.register(session, MARKET, actor="org")
    with pytest.raises(NotFoundError, match="unknown challenge 'x'; known: market-store-count"):
        challenges.get(session, "x")


def test_teams_need_the_invite_code_and_respect_the_size_limit(session: Session) -> None:
    challenge = challenges.register(session, MARKET, actor="org")
    people = [
        users.create_user(session, name=f"u{i}", role="participant", actor="a")[0] for i in range(7)
    ]
    team, invite = teams.create(session, challenge, people[0], "시장분석팀")
    with pytest.raises(NotFoundError, match="with that invite code"):
        teams.join(session, challenge, people[1], "시장분석팀", "wrong")
    for person in people[1:5]:
        teams.join(session, challenge, person, "시장분석팀", invite)
    with pytest.raises(ConflictError, match=r"is full \(5 members at most\)"):
        teams.join(session, challenge, people[5], "시장분석팀", invite)
    with pytest.raises(ConflictError, match="already in a team"):
        teams.create(session, challenge, people[1], "another")
    assert teams.team_of(session, challenge, people[3]) is team
    assert len(teams.members(session, team)) == 5


def test_role_change_is_audited(session: Session) -> None:
    users.create_user(session, name="judge-to-be", role="participant", actor="admin")
    assert users.set_role(session, "judge-to-be", "judge", actor="admin").role == "judge"
    event = audit.events(session)[0]
    assert (event.action, event.target, event.details) == (
        "user.role",
        "judge-to-be",
        {"from": "participant", "to": "judge"},
    )
    with pytest.raises(InvalidInputError, match="unknown role"):
        users.set_role(session, "judge-to-be", "boss", actor="admin")


def test_a_board_found_current_is_served_from_memory_for_another_moment(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from odx.platform.services.leaderboards import cache as leaderboards

    challenge = challenges.register(session, MARKET, actor="org")
    leaderboards.invalidate(challenge.id)  # the cache is the process's: other tests fill it
    clock = [1000.0]
    monkeypatch.setattr(leaderboards.time, "monotonic", lambda: clock[0])
    first = leaderboards.rendered(session, challenge, board="public", fmt="json")
    assert leaderboards.fresh(challenge.id, "public", "json") is first
    clock[0] += leaderboards.FRESH_SECONDS + 0.1
    assert leaderboards.fresh(challenge.id, "public", "json") is None  # time to re-check
    again = leaderboards.rendered(session, challenge, board="public", fmt="json")
    assert again is first  # nothing changed: not rendered again ...
    assert leaderboards.fresh(challenge.id, "public", "json") is first  # ... and fresh again
    clock[0] += leaderboards.CACHE_SECONDS
    assert leaderboards.rendered(session, challenge, board="public", fmt="json") is not first
    assert leaderboards.fresh(challenge.id, "private", "json") is None  # never pre-reveal
    leaderboards.invalidate(challenge.id)


def _submission(challenge: Challenge, team: Team, user: User, submission_id: str) -> Submission:
    return Submission(
        id=submission_id,
        challenge_id=challenge.id,
        team_id=team.id,
        user_id=user.id,
        phase="main",
        file_sha256="0" * 64,
        file_bytes=1,
        file_name="p.csv",
    )


def test_a_submission_is_found_by_a_unique_prefix_of_the_teams_own_ids(session: Session) -> None:
    challenge = challenges.register(session, MARKET, actor="org")
    kim = users.create_user(session, name="kim-p", role="participant", actor="a")[0]
    lee = users.create_user(session, name="lee-p", role="participant", actor="a")[0]
    kims, _ = teams.create(session, challenge, kim, "kim team")
    lees, _ = teams.create(session, challenge, lee, "lee team")
    ids = ["abcdef01" + "0" * 24, "abcdef02" + "0" * 24, "a_cdef03" + "0" * 24]
    session.add_all([_submission(challenge, kims, kim, i) for i in ids])
    session.add(_submission(challenge, lees, lee, "bbbbbb01" + "0" * 24))
    session.flush()

    def find(reference: str, user: User = kim) -> Submission:
        return submissions.own_by_prefix(session, reference, user, staff=False)

    assert find(ids[0]).id == ids[0]  # a full id
    assert find("abcdef01").id == ids[0]
    assert find("ABCDEF02").id == ids[1]  # ids are hexadecimal: any case will do
    assert find("a_cdef").id == ids[2]  # '_' is a character here, not a wildcard
    with pytest.raises(submissions.AmbiguousSubmissionError) as ambiguous:
        find("abcdef")
    assert ambiguous.value.status == 409
    assert ambiguous.value.detail == (
        f"'abcdef' is the start of 2 of your team's submission ids ({ids[0]}, {ids[1]}); "
        "give more characters"
    )
    with pytest.raises(submissions.UnknownSubmissionError, match="no submission 'abcdef09'"):
        find("abcdef09")
    with pytest.raises(submissions.UnknownSubmissionError):
        find("a%cdef")  # '%' is no wildcard either
    with pytest.raises(submissions.UnknownSubmissionError):
        find("bbbbbb01")  # another team's: the same answer as for no match at all
    with pytest.raises(submissions.UnknownSubmissionError):
        find("bbbbbb01" + "0" * 24)
    assert find("bbbbbb", lee).team_id == lees.id
    with pytest.raises(InvalidInputError, match="at least 6 characters"):
        find("abcde")


def test_service_errors_keep_their_english_and_carry_a_message_key(session: Session) -> None:
    challenge = challenges.register(session, MARKET, actor="org")
    user = users.create_user(session, name="k-msg", role="participant", actor="a")[0]
    with pytest.raises(NotFoundError) as refused:
        teams.join(session, challenge, user, "없는 팀", "code")
    detail = refused.value.detail
    assert detail == f"no team named '없는 팀' with that invite code in '{challenge.id}'"
    assert isinstance(detail, Message) and detail.key == "team.not_found"
    assert dict(detail.values) == {"name": "없는 팀", "challenge": challenge.id}
    assert refused.value.to_problem()["detail"] == detail  # the API still sends plain English
    with pytest.raises(PermissionDeniedError) as denied:
        users.require_role(user, Role.organizer, Role.judge)
    assert denied.value.detail == "this needs the role organizer, judge; you are participant"
    assert denied.value.detail.values["role"] is Role.participant
