"""The rules the API and the pages share, each in one service function: a challenge's
status, who sees the private board, and who may mark which submission final."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from sqlalchemy.orm import Session

from odx.platform.challenges.catalog import SHIPPED_CHALLENGES
from odx.platform.db.engine import session_scope
from odx.platform.db.models import Challenge, Submission, Team, User
from odx.platform.errors import ConflictError, NotFoundError
from odx.platform.services import challenges, teams, users
from odx.platform.services import datasets as dataset_service
from odx.platform.services.leaderboards import finals, visibility
from odx.platform.services.submissions import UnknownSubmissionError
from odx.platform.services.users import PermissionDeniedError, Role
from odx.platform.settings import Settings

NOW = datetime.now(UTC)
pytestmark = pytest.mark.both_backends


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, database_url: str | None) -> Settings:
    root = tmp_path_factory.mktemp("rules")
    settings = Settings(home=root / "home", database_url=database_url, progress=False)
    dataset_service.publish(settings, "market-store-count")
    return settings


@pytest.fixture
def session(home: Settings) -> Iterator[Session]:
    with session_scope(home.resolved_database_url) as db:
        yield db
        db.rollback()  # each test leaves the catalogue as it found it


def _register(session: Session, phases: list[tuple[datetime, datetime]]) -> Challenge:
    """The shipped market challenge with the given phases, registered from its text."""
    text = (SHIPPED_CHALLENGES / "market-store-count-2026.yaml").read_text("utf-8")
    definition = yaml.safe_load(text)
    first = definition["phases"][0]
    definition["phases"] = [
        first | {"name": f"p{i}", "start": start.isoformat(), "end": end.isoformat()}
        for i, (start, end) in enumerate(phases)
    ]
    raw = yaml.safe_dump(definition, allow_unicode=True).encode("utf-8")
    return challenges.register_definition(session, raw, actor="org")


def _user(session: Session, name: str, role: Role) -> User:
    return users.create_user(session, name=name, role=role, actor="admin")[0]


def _scored(session: Session, challenge: Challenge, team: Team, user: User, sid: str) -> Submission:
    submission = Submission(
        id=sid,
        challenge_id=challenge.id,
        team_id=team.id,
        user_id=user.id,
        phase="p0",
        file_sha256="0" * 64,
        file_bytes=1,
        file_name="p.csv",
        status="scored",
    )
    session.add(submission)
    session.flush()
    return submission


def test_status_is_upcoming_open_between_phases_and_closed(session: Session) -> None:
    day = timedelta(days=1)
    challenge = _register(session, [(NOW + day, NOW + 2 * day), (NOW + 3 * day, NOW + 4 * day)])
    expected = {
        NOW: "upcoming",
        NOW + 1.5 * day: "open",
        NOW + 2.5 * day: "upcoming",  # between two phases
        NOW + 3.5 * day: "open",
        NOW + 4 * day: "closed",  # a phase's end is exclusive
    }
    for moment, status in expected.items():
        assert challenges.status_at(challenge, moment) == status, moment
        assert challenges.is_open(challenge, moment) is (status == "open")
        assert challenges.is_over(challenge, moment) is (status == "closed")
    challenges.close(session, challenge, actor="org")
    assert challenges.status_at(challenge, NOW + 1.5 * day) == "closed"  # closed early


def test_private_board_is_staff_only_until_revealed(session: Session) -> None:
    challenge = _register(session, [(NOW - timedelta(days=1), NOW + timedelta(days=30))])
    participant = _user(session, "vis-p", Role.participant)
    judge = _user(session, "vis-j", Role.judge)

    def nobody_asked() -> User | None:
        raise AssertionError("the viewer is looked up only for a hidden board")

    visibility.require_visible(challenge, "public", nobody_asked)
    for viewer in (None, participant):
        with pytest.raises(NotFoundError) as hidden:
            visibility.require_visible(challenge, "private", lambda v=viewer: v)
        assert hidden.value.detail == "the private leaderboard has not been revealed yet"
        assert hidden.value.detail.key == "board.private_hidden"  # type: ignore[attr-defined]
    visibility.require_visible(challenge, "private", lambda: judge)
    challenge.closed_at = challenge.revealed_at = NOW
    visibility.require_visible(challenge, "private", nobody_asked)
    assert visibility.open_to_all("public", None) and not visibility.open_to_all("private", None)


def test_final_selection_is_the_teams_own_and_admins_may_help(session: Session) -> None:
    challenge = _register(session, [(NOW - timedelta(days=1), NOW + timedelta(days=30))])
    kim = _user(session, "fin-kim", Role.participant)
    lee = _user(session, "fin-lee", Role.participant)
    organizer = _user(session, "fin-org", Role.organizer)
    admin = _user(session, "fin-admin", Role.admin)
    kims, _ = teams.create(session, challenge, kim, "kim final team")
    lees, _ = teams.create(session, challenge, lee, "lee final team")
    orgs, _ = teams.create(session, challenge, organizer, "organizer's team")
    mine = _scored(session, challenge, kims, kim, "c0ffee01" + "0" * 24)
    theirs = _scored(session, challenge, lees, lee, "c0ffee02" + "0" * 24)
    own = _scored(session, challenge, orgs, organizer, "c0ffee03" + "0" * 24)

    assert finals.choose_final(session, kim, mine.id[:8], True).selected
    with pytest.raises(UnknownSubmissionError):  # another team's: not found, not refused
        finals.choose_final(session, kim, theirs.id, True)
    with pytest.raises(PermissionDeniedError, match="only the team itself"):
        finals.choose_final(session, organizer, own.id, True)  # staff, even in a team
    assert finals.choose_final(session, admin, theirs.id, True).selected
    challenges.close(session, challenge, actor="org")
    with pytest.raises(ConflictError, match="can no longer change"):
        finals.choose_final(session, kim, mine.id, False)
