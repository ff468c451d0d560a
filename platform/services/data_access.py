"""Finalists-only data: a release a challenge references with ``access: finalists`` gives its
tables only to members of finalist teams who accepted the data-use terms (and to staff).

Everyone else gets the same 404 as for a file that does not exist, as for hidden labels; the
card, the quality report and the manifest (the description) stay public. Every acceptance
and every download of a restricted file is recorded for organizers.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from odx.datasets.spec import Text
from odx.platform.db.models import (
    Challenge,
    DataDownload,
    DatasetVersion,
    TermsAcceptance,
    User,
)
from odx.platform.errors import ConflictError, NotFoundError
from odx.platform.services import applications, teams
from odx.platform.services.challenges import list_all, spec_of
from odx.platform.services.users import is_staff

DEFAULT_TERMS = Text(
    ko="이 데이터는 본 챌린지의 결선 과제 수행에만 사용하며, 제3자에게 제공하거나 공개하지 않고, "
    "챌린지가 끝나면 주최 측의 안내에 따라 삭제합니다. 개인이나 기업을 다시 식별하려는 시도를 "
    "하지 않으며, 내려받은 기록이 남는다는 데 동의합니다.",
    en="I will use this data only for this challenge's finals, will not give it to anyone or "
    "publish it, and will delete it when the challenge ends as the organizers instruct. I will "
    "not try to re-identify any person or company, and I agree that my downloads are recorded.",
)


def terms_of(challenge: Challenge) -> Text:
    return spec_of(challenge).data_terms or DEFAULT_TERMS


def terms_sha256(challenge: Challenge) -> str:
    terms = terms_of(challenge)
    return hashlib.sha256(f"{terms.ko}\n{terms.en}".encode()).hexdigest()


def is_restricted_file(name: str) -> bool:
    """The tables are restricted; the description (card, report, manifest) is not."""
    return name.endswith(".csv")


def restricting(session: Session, row: DatasetVersion) -> list[Challenge]:
    """The challenges that give this release to their finalists only."""
    found = []
    for challenge in list_all(session):
        ref = spec_of(challenge).dataset
        if (ref.id, ref.version, ref.access) == (row.dataset_id, row.version, "finalists"):
            found.append(challenge)
    return found


def accepted(session: Session, challenge: Challenge, user: User) -> bool:
    return (
        session.scalar(
            select(TermsAcceptance.id).where(
                TermsAcceptance.challenge_id == challenge.id,
                TermsAcceptance.user_id == user.id,
                TermsAcceptance.terms_sha256 == terms_sha256(challenge),
            )
        )
        is not None
    )


def is_finalist_member(session: Session, challenge: Challenge, user: User) -> bool:
    team = teams.team_of(session, challenge, user)
    return team is not None and applications.is_finalist(session, challenge, team)


def download_grant(
    session: Session, row: DatasetVersion, name: str, user: User | None
) -> Challenge | None:
    """The challenge under which ``user`` may download ``name`` of ``row`` (None when the file
    is not restricted); a 404 for anyone else, the same as for a file that does not exist."""
    if not is_restricted_file(name):
        return None
    challenges = restricting(session, row)
    if not challenges:
        return None
    for challenge in challenges:
        if user is not None and (
            is_staff(user)
            or (is_finalist_member(session, challenge, user) and accepted(session, challenge, user))
        ):
            return challenge
    raise NotFoundError(f"no file '{name}' in {row.dataset_id} version {row.version}")


def record_download(
    session: Session, challenge: Challenge, user: User, row: DatasetVersion, name: str
) -> None:
    entry = row.release_manifest.files.get(name)
    session.add(
        DataDownload(
            challenge_id=challenge.id,
            user_id=user.id,
            dataset_id=row.dataset_id,
            version=row.version,
            file=name,
            sha256=entry.sha256 if entry else "",
        )
    )
    session.commit()


def accept(session: Session, challenge: Challenge, user: User) -> None:
    """Record a finalist's acceptance of the challenge's data-use terms (once per text)."""
    if spec_of(challenge).dataset.access != "finalists":
        raise NotFoundError(f"'{challenge.id}' has no finalists-only data")
    if not is_finalist_member(session, challenge, user):
        raise ConflictError(f"only members of finalist teams of '{challenge.id}' accept its terms")
    if not accepted(session, challenge, user):
        session.add(
            TermsAcceptance(
                challenge_id=challenge.id, user_id=user.id, terms_sha256=terms_sha256(challenge)
            )
        )
        session.commit()


def state(session: Session, challenge: Challenge, user: User) -> dict[str, Any]:
    """What the data tab tells a user: the terms, and whether they may download."""
    finalists_only = spec_of(challenge).dataset.access == "finalists"
    finalist = finalists_only and is_finalist_member(session, challenge, user)
    return {
        "finalists_only": finalists_only,
        "finalist": finalist,
        "accepted": finalist and accepted(session, challenge, user),
        "terms": terms_of(challenge).model_dump(),
    }


def log(session: Session, challenge: Challenge) -> dict[str, list[dict[str, Any]]]:
    """Every acceptance and download of the challenge's restricted data, for organizers."""
    names = {u.id: u.name for u in session.scalars(select(User))}
    acceptances = session.scalars(
        select(TermsAcceptance)
        .where(TermsAcceptance.challenge_id == challenge.id)
        .order_by(TermsAcceptance.accepted_at)
    )
    downloads = session.scalars(
        select(DataDownload)
        .where(DataDownload.challenge_id == challenge.id)
        .order_by(DataDownload.at)
    )
    return {
        "acceptances": [
            {"user": names.get(a.user_id, "?"), "terms_sha256": a.terms_sha256, "at": a.accepted_at}
            for a in acceptances
        ],
        "downloads": [
            {
                "user": names.get(d.user_id, "?"),
                "dataset": d.dataset_id,
                "version": d.version,
                "file": d.file,
                "sha256": d.sha256,
                "at": d.at,
            }
            for d in downloads
        ],
    }
