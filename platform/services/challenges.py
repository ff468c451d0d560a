"""Registering challenges on published dataset versions, and their organizer actions."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from odx.platform.challenges.spec import (
    ChallengeSpec,
    ChallengeSpecError,
    challenge_from_bytes,
    load_challenge,
)
from odx.platform.db.models import Challenge, DatasetVersion, utcnow
from odx.platform.errors import ConflictError, Message, NotFoundError
from odx.platform.services import audit
from odx.platform.services.datasets import get_version

Status = Literal["open", "upcoming", "closed"]


class UnknownChallengeError(NotFoundError):
    code = "unknown_challenge"
    title = "Unknown challenge"


def spec_of(challenge: Challenge) -> ChallengeSpec:
    return ChallengeSpec.model_validate(challenge.spec)


def register(session: Session, path: Path, *, actor: str) -> Challenge:
    """Validate a challenge file against the catalogue and store it (same file again: no-op)."""
    spec, raw = load_challenge(path)
    return _register(session, spec, raw, source=str(path), actor=actor)


def register_definition(
    session: Session, raw: bytes, *, actor: str, source: str = "challenge.yaml"
) -> Challenge:
    """The same, for a definition sent over HTTP or typed into a page (no file on disk)."""
    spec = challenge_from_bytes(raw, source=source)
    return _register(session, spec, raw, source=source, actor=actor)


def _register(
    session: Session, spec: ChallengeSpec, raw: bytes, *, source: str, actor: str
) -> Challenge:
    try:
        version = get_version(session, spec.dataset.id, spec.dataset.version)
    except NotFoundError as exc:
        raise ChallengeSpecError(f"{source}: dataset: {exc.detail}; publish it first") from None
    if version.task != spec.task.value:
        raise ChallengeSpecError(
            f"{source}: task: '{spec.task.value}' differs from dataset task '{version.task}'"
        )
    manifest = version.release_manifest
    if spec.k is not None and (manifest.ranking is None or spec.k != manifest.ranking.k):
        released = manifest.ranking.k if manifest.ranking else None
        raise ChallengeSpecError(
            f"{source}: k: {spec.k} differs from the k of {spec.dataset.id} version "
            f"{spec.dataset.version} ({released}); the release fixes how long a list may be"
        )
    if manifest.ranking is not None and spec.k is None:  # the pages and the CLI show it
        spec = spec.model_copy(update={"k": manifest.ranking.k})
    hidden = manifest.hides_test_features
    if spec.takes_models and not hidden:
        raise ChallengeSpecError(
            f"{source}: submission: a model challenge needs a release whose test features are "
            f"hidden (release: {{test_features: hidden}} in the dataset spec); "
            f"{spec.dataset.id} version {spec.dataset.version} publishes them"
        )
    if hidden and not spec.takes_models:
        raise ChallengeSpecError(
            f"{source}: submission: {spec.dataset.id} version {spec.dataset.version} hides its "
            "test features, so teams cannot predict them in a file; use 'submission: model'"
        )
    digest = hashlib.sha256(raw).hexdigest()
    existing = session.get(Challenge, spec.id)
    if existing is None:
        _check_release_access(session, spec, source)
    if existing is not None:
        if existing.spec_sha256 == digest:
            return existing
        raise ConflictError(
            f"challenge '{spec.id}' exists with a different definition; give the new one its "
            "own id (a running challenge's rules do not change under its participants)"
        )
    challenge = Challenge(
        id=spec.id,
        spec=json.loads(spec.model_dump_json()),
        spec_sha256=digest,
        dataset_version_id=version.id,
    )
    session.add(challenge)
    audit.record(
        session,
        actor=actor,
        action="challenge.create",
        target=spec.id,
        details={"dataset": spec.dataset.id, "version": spec.dataset.version, "sha256": digest},
    )
    session.flush()
    return challenge


def _releases(spec: ChallengeSpec) -> tuple[set[tuple[str, int]], set[tuple[str, int]]]:
    """The releases a challenge gives to everyone, and those it gives to finalists only."""
    ref = (spec.dataset.id, spec.dataset.version)
    public = {(spec.sample.id, spec.sample.version)} if spec.sample else set()
    if spec.dataset.access == "finalists":
        return public, {ref}
    return public | {ref}, set()


def _check_release_access(session: Session, spec: ChallengeSpec, source: str) -> None:
    """A release is either public or finalists-only, never both: finalists-only tables that
    another challenge publishes would be anyone's."""
    public, restricted = _releases(spec)
    for other in list_all(session):
        their_public, their_restricted = _releases(spec_of(other))
        clashes = (public & their_restricted) | (restricted & their_public)
        for dataset_id, version in sorted(clashes):
            raise ConflictError(
                f"{source}: dataset: {dataset_id} version {version} is public in one of "
                f"'{spec.id}' and '{other.id}' and finalists-only in the other; give the "
                "finalists-only data a release of its own"
            )


def get(session: Session, challenge_id: str) -> Challenge:
    challenge = session.get(Challenge, challenge_id)
    if challenge is None:
        known = ", ".join(c.id for c in list_all(session)) or "none"
        raise UnknownChallengeError(
            Message(
                "challenge.unknown",
                "unknown challenge '{id}'; known: {known}",
                id=challenge_id,
                known=known,
            )
        )
    return challenge


def list_all(session: Session) -> list[Challenge]:
    return list(session.scalars(select(Challenge).order_by(Challenge.id)))


def dataset_version(session: Session, challenge: Challenge) -> DatasetVersion:
    version = session.get(DatasetVersion, challenge.dataset_version_id)
    assert version is not None  # a foreign key guarantees it
    return version


def status_at(challenge: Challenge, moment: datetime) -> Status:
    """Where a challenge stands at ``moment``, the one rule the API, the pages and the final
    selection share: closed once an organizer closed it or its last phase ended, open while
    a phase runs, else upcoming (before the first phase, or between two)."""
    spec = spec_of(challenge)
    if challenge.closed_at is not None or moment >= spec.phases[-1].end:
        return "closed"
    return "open" if spec.phase_at(moment) is not None else "upcoming"


def is_open(challenge: Challenge, moment: datetime) -> bool:
    """Accepting submissions now (a phase runs and no organizer closed it)."""
    return status_at(challenge, moment) == "open"


def close(session: Session, challenge: Challenge, *, actor: str) -> None:
    """Stop accepting submissions now, whatever the phase dates say."""
    if challenge.closed_at is None:
        challenge.closed_at = utcnow()
        audit.record(session, actor=actor, action="challenge.close", target=challenge.id)


def is_over(challenge: Challenge, moment: datetime) -> bool:
    """Closed by an organizer, or past the end of its last phase."""
    return status_at(challenge, moment) == "closed"


def reveal(session: Session, challenge: Challenge, *, actor: str) -> None:
    """Make the private leaderboard visible to everyone, once the challenge is over (private
    scores seen while submissions are still open could be used to fit the private split)."""
    if not is_over(challenge, utcnow()):
        raise ConflictError(
            Message(
                "challenge.reveal_open",
                "'{id}' is still accepting submissions; close it before revealing the "
                "private leaderboard",
                id=challenge.id,
            )
        )
    if challenge.revealed_at is None:
        challenge.revealed_at = utcnow()
        audit.record(session, actor=actor, action="challenge.reveal", target=challenge.id)
