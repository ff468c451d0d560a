"""The audit log: every organizer, judge and admin action, appended and never changed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from odx.platform.db.models import AuditEvent


def record(
    session: Session, *, actor: str, action: str, target: str, details: dict[str, Any] | None = None
) -> None:
    """Append one event in the caller's transaction, so it commits with the action itself."""
    session.add(AuditEvent(actor=actor, action=action, target=target, details=details or {}))


def events(session: Session, *, limit: int = 500) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)))
