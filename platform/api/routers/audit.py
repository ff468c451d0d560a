"""The audit log for organizers and judges, and who a token belongs to."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from odx.platform.api.deps import CurrentUser, ReviewerUser, SessionDep
from odx.platform.services import audit

router = APIRouter(prefix="/api", tags=["challenges"])


@router.get("/audit", summary="The audit log (organizers)")
def audit_log(user: ReviewerUser, session: SessionDep) -> list[dict[str, Any]]:
    return [
        {
            "at": e.at.isoformat(),
            "actor": e.actor,
            "action": e.action,
            "target": e.target,
            "details": e.details,
        }
        for e in audit.events(session)
    ]


@router.get("/me", summary="Who the token belongs to")
def me(user: CurrentUser) -> dict[str, str]:
    return {"name": user.name, "role": user.role}
