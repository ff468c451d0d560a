"""The rules of model submissions that the intake, the jobs and the pages share."""

from __future__ import annotations

import logging

from odx.platform.challenges.spec import ChallengeSpec
from odx.platform.settings import Settings
from odx.submissions.models.sandbox import ModelLimits, SandboxUnavailableError, bwrap

log = logging.getLogger("odx.models")


def unsandboxed(settings: Settings) -> bool:
    """Models run without the sandbox only where bwrap is missing and the development
    setting asks for it by name."""
    return bwrap() is None and settings.unsafe_run_models_without_sandbox


def require_sandbox(settings: Settings) -> None:
    """Refuse model submissions on a server that cannot contain them (before any upload)."""
    if bwrap() is not None:
        return
    if settings.unsafe_run_models_without_sandbox:
        log.warning(
            "ODX_UNSAFE_RUN_MODELS_WITHOUT_SANDBOX is set: models run with the server's rights"
        )
        return
    raise SandboxUnavailableError(
        "this server cannot run models: the bubblewrap sandbox ('bwrap', Debian package "
        "'bubblewrap') is not installed; ask the organizers to install it"
    )


def limits_of(spec: ChallengeSpec) -> ModelLimits:
    """What one run of a model may use, as the challenge's ``model_limits`` say."""
    return ModelLimits(
        seconds=spec.model_limits.seconds,
        memory_mb=spec.model_limits.memory_mb,
        processes=spec.model_limits.processes,
    )
