"""Files the API and the pages both serve: a release's files (a finalists-only table under a
grant, each such download recorded) and an application's plan (to be saved, never shown)."""

from __future__ import annotations

from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from odx.platform.api.reports import REPORT_HEADERS
from odx.platform.db.models import Application, Challenge, DatasetVersion, User
from odx.platform.services import data_access
from odx.platform.services import datasets as service
from odx.platform.settings import Settings
from odx.submissions.storage import ObjectStore

# A plan is served to be saved, never shown: nothing in it may run in the browser either.
PLAN_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


MEDIA_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
}


def release_file(
    settings: Settings, session: Session, row: DatasetVersion, name: str, user: User | None
) -> FileResponse:
    """One file of a release, streamed with its checksum, for the API and the pages alike: a
    finalists-only table is served only under a grant, and each such download recorded."""
    path = service.public_file(settings, row, name)
    grant = data_access.download_grant(session, row, name, user)
    if grant is not None and user is not None:
        data_access.record_download(session, grant, user, row, name)
    entry = row.release_manifest.files.get(name)
    cache = "private, no-store" if grant else "public, max-age=31536000, immutable"
    headers = {"Cache-Control": cache, **REPORT_HEADERS}
    if entry:  # the manifest cannot list its own checksum
        headers |= {"X-Checksum-SHA256": entry.sha256, "ETag": f'"{entry.sha256}"'}
    return FileResponse(
        path,
        media_type=MEDIA_TYPES[path.suffix],
        filename=name,
        headers=headers,
        content_disposition_type="inline" if name.endswith(".html") else "attachment",
    )


def plan_file(settings: Settings, challenge: Challenge, row: Application) -> FileResponse:
    return FileResponse(
        ObjectStore(settings.objects_root).path_for(row.plan_sha256),
        media_type="application/pdf",
        filename=f"plan-{challenge.id}-{row.id}.pdf",
        headers=PLAN_HEADERS,
    )
