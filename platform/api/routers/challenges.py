"""Challenges over HTTP: list, show, and the organizers' register, close and reveal.
Routes only translate; the rules are in ``services.challenges``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Body

from odx.platform.api.deps import ChallengeDep, OrganizerUser, SessionDep, SettingsDep
from odx.platform.api.schemas import ChallengePublic, RegisteredModelOut
from odx.platform.db.models import Challenge, utcnow
from odx.platform.services import challenges, model_registry

router = APIRouter(prefix="/api", tags=["challenges"])


def challenge_public(challenge: Challenge) -> ChallengePublic:
    spec = challenges.spec_of(challenge)
    return ChallengePublic(
        id=spec.id,
        title_ko=spec.title.ko,
        title_en=spec.title.en,
        description_ko=spec.description.ko,
        description_en=spec.description.en,
        dataset_id=spec.dataset.id,
        dataset_version=spec.dataset.version,
        task=spec.task.value,
        submission=spec.submission.value,
        metric=spec.metric,
        direction="maximize" if spec.greater_is_better else "minimize",
        timezone=spec.timezone,
        phases=[p.model_dump(mode="json") for p in spec.phases],
        limits=spec.limits.model_dump(),
        is_open=challenges.is_open(challenge, utcnow()),
        closed_at=challenge.closed_at,
        private_revealed=challenge.revealed_at is not None,
    )


@router.get("/challenges", response_model=list[ChallengePublic], summary="List challenges")
def list_challenges(session: SessionDep) -> list[ChallengePublic]:
    return [challenge_public(c) for c in challenges.list_all(session)]


@router.get("/challenges/{challenge_id}", response_model=ChallengePublic)
def show_challenge(challenge: ChallengeDep) -> ChallengePublic:
    return challenge_public(challenge)


@router.post(
    "/challenges",
    response_model=ChallengePublic,
    status_code=201,
    summary="Register a challenge from its YAML definition (organizers)",
)
def create_challenge(
    user: OrganizerUser,
    session: SessionDep,
    definition: Annotated[str, Body(media_type="application/yaml")],
) -> ChallengePublic:
    challenge = challenges.register_definition(session, definition.encode("utf-8"), actor=user.name)
    return challenge_public(challenge)


@router.post("/challenges/{challenge_id}/close", response_model=ChallengePublic)
def close_challenge(
    challenge: ChallengeDep, user: OrganizerUser, session: SessionDep
) -> ChallengePublic:
    challenges.close(session, challenge, actor=user.name)
    return challenge_public(challenge)


@router.post("/challenges/{challenge_id}/reveal", response_model=ChallengePublic)
def reveal_private(
    challenge: ChallengeDep,
    user: OrganizerUser,
    session: SessionDep,
    settings: SettingsDep,
    after: BackgroundTasks,
) -> ChallengePublic:
    """Reveal the private board; a model challenge's winners are then registered in MLflow
    (after the reveal is committed)."""
    challenges.reveal(session, challenge, actor=user.name)
    after.add_task(model_registry.after_reveal, settings, challenge.id)
    return challenge_public(challenge)


@router.post(
    "/challenges/{challenge_id}/models/register",
    response_model=list[RegisteredModelOut],
    summary="Register a revealed model challenge's ranked models in MLflow (organizers)",
)
def register_models(
    challenge: ChallengeDep, user: OrganizerUser, settings: SettingsDep
) -> list[RegisteredModelOut]:
    registered = model_registry.register_finalists(settings, challenge.id)
    return [RegisteredModelOut(**vars(model)) for model in registered]
