"""Winners of a model challenge, registered in the MLflow Model Registry at the reveal.

Each ranked team's model on the private board (its final selection, as the board ranks it)
becomes a version of ``odx-<challenge>``, tagged with the team, rank, scores and the
dataset's fingerprint; the winner's version gets the alias ``champion``. Registering again
changes nothing (versions are found by submission), so an organizer may run it again after
an MLflow outage: ``odx models register``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from odx.platform.db.engine import session_scope
from odx.platform.db.models import Submission
from odx.platform.errors import ConflictError
from odx.platform.jobs import tracking
from odx.platform.services import challenges
from odx.platform.services.leaderboards import ranking
from odx.platform.settings import Settings
from odx.scoring.registry import register_version, set_alias

log = logging.getLogger("odx.models")
CHAMPION = "champion"
RUN_WAIT_SECONDS = 60.0  # a worker may still be writing a run the reveal needs


@dataclass(frozen=True)
class RegisteredModel:
    rank: int
    team: str
    submission_id: str
    version: str
    private_score: float | None


def registered_name(challenge_id: str) -> str:
    """The registered model that holds a challenge's winners."""
    return f"odx-{challenge_id}"


def register_finalists(settings: Settings, challenge_id: str) -> list[RegisteredModel]:
    """Register every ranked team's model of a revealed model challenge (idempotent)."""
    with session_scope(settings.resolved_database_url) as session:
        challenge = challenges.get(session, challenge_id)
        if not challenges.spec_of(challenge).takes_models:
            raise ConflictError(f"'{challenge_id}' takes prediction files, not models")
        if challenge.revealed_at is None:
            raise ConflictError(f"'{challenge_id}' is not revealed yet: models are registered then")
        fingerprint = challenges.dataset_version(session, challenge).fingerprint
        ranked = [
            row
            for row in ranking.rows(session, challenge, board="private")
            if row.rank is not None and row.submission_id is not None
        ]
    registered = []
    for row in ranked:
        assert row.submission_id is not None and row.rank is not None
        run_id = _run_of(settings, row.submission_id)
        if run_id is None:
            raise ConflictError(
                f"the MLflow run of {row.submission_id} cannot be written now; try again later"
            )
        with session_scope(settings.resolved_database_url) as session:
            submission = session.get(Submission, row.submission_id)
            assert submission is not None
            scores = {
                f"odx.{part}_score": str(getattr(submission, f"{part}_score"))
                for part in ("public", "private", "overall")
            }
        version = register_version(
            settings.resolved_mlflow_uri,
            registered_name(challenge_id),
            run_id,
            submission_id=row.submission_id,
            tags={"odx.team": row.team, "odx.rank": str(row.rank), "odx.dataset": fingerprint}
            | scores,
        )
        registered.append(
            RegisteredModel(row.rank, row.team, row.submission_id, version, row.score)
        )
    if registered:
        set_alias(
            settings.resolved_mlflow_uri,
            registered_name(challenge_id),
            CHAMPION,
            registered[0].version,
        )
    return registered


def _run_of(
    settings: Settings, submission_id: str, *, wait: float = RUN_WAIT_SECONDS
) -> str | None:
    """The submission's MLflow run: written already, written now, or being written by a
    worker (waited for a while)."""
    deadline = time.monotonic() + wait
    while True:
        run_id = tracking.track(settings, submission_id)
        if run_id is not None or time.monotonic() > deadline:
            return run_id
        time.sleep(0.5)


def after_reveal(settings: Settings, challenge_id: str) -> None:
    """Register a model challenge's winners right after its reveal was committed; a failure
    (MLflow down) is logged, and ``odx models register`` does it later."""
    try:
        with session_scope(settings.resolved_database_url) as session:
            takes_models = challenges.spec_of(challenges.get(session, challenge_id)).takes_models
        if takes_models:
            register_finalists(settings, challenge_id)
    except Exception:
        log.warning(
            "winners of %s not registered; run odx models register", challenge_id, exc_info=True
        )
