"""Finalists-only data over HTTP: the data-use terms (read, accept) and, for organizers, who
accepted them and who downloaded which file."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from odx.platform.api.deps import ChallengeDep, CurrentUser, OrganizerUser, SessionDep
from odx.platform.api.schemas import DataAccessLog, DataTerms
from odx.platform.services import data_access

router = APIRouter(prefix="/api", tags=["programme"])


@router.get(
    "/challenges/{challenge_id}/data-terms",
    response_model=DataTerms,
    summary="The data-use terms (Korean and English) and whether you may download the data",
)
def terms(challenge: ChallengeDep, user: CurrentUser, session: SessionDep) -> Any:
    return data_access.state(session, challenge, user)


@router.post(
    "/challenges/{challenge_id}/data-terms",
    response_model=DataTerms,
    summary="Accept the data-use terms (members of finalist teams; recorded)",
)
def accept_terms(challenge: ChallengeDep, user: CurrentUser, session: SessionDep) -> Any:
    data_access.accept(session, challenge, user)
    return data_access.state(session, challenge, user)


@router.get(
    "/challenges/{challenge_id}/data-access",
    response_model=DataAccessLog,
    summary="Who accepted the data-use terms and who downloaded which file (organizers)",
)
def access_log(challenge: ChallengeDep, user: OrganizerUser, session: SessionDep) -> Any:
    return data_access.log(session, challenge)
