"""Read-only dataset catalogue: list, show, download public files. Hidden labels have no route."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse, HTMLResponse

from odx.datasets.release import DATA_CARD, QUALITY_HTML, QUALITY_JSON
from odx.platform.api import problems
from odx.platform.api.deps import SessionDep, SettingsDep, optional_user
from odx.platform.api.reports import report_page
from odx.platform.api.schemas import (
    DatasetsPublic,
    DatasetSummary,
    DatasetVersionPublic,
    FilePublic,
)
from odx.platform.db import MAX_INTEGER
from odx.platform.db.models import DatasetVersion
from odx.platform.downloads import release_file
from odx.platform.services import datasets as service

router = APIRouter(prefix="/api/datasets", tags=["datasets"])

DatasetId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$", description="Dataset id")]
Version = Annotated[int, Path(ge=1, le=MAX_INTEGER, description="Version number")]
FileName = Annotated[str, Path(description="One of the release's public files")]


def _summary(request: Request, row: DatasetVersion) -> dict:
    url = request.url_for("show_version", dataset_id=row.dataset_id, version=row.version)
    return service.summary(row) | {"url": str(url)}


@router.get("", response_model=DatasetsPublic, summary="List published datasets (latest versions)")
def list_datasets(request: Request, session: SessionDep) -> DatasetsPublic:
    rows = service.latest_versions(session)
    return DatasetsPublic(
        data=[DatasetSummary(**_summary(request, r)) for r in rows], count=len(rows)
    )


def _detail(
    request: Request, settings: SettingsDep, session: SessionDep, row: DatasetVersion
) -> DatasetVersionPublic:
    files = [
        FilePublic(
            name=name,
            rows=entry.rows,
            bytes=entry.bytes,
            sha256=entry.sha256,
            url=str(
                request.url_for(
                    "download_file", dataset_id=row.dataset_id, version=row.version, name=name
                )
            ),
        )
        for name, entry in row.release_manifest.files.items()
    ]
    card = service.public_file(settings, row, DATA_CARD).read_text(encoding="utf-8")
    quality = service.read_public_json(settings, row, QUALITY_JSON)
    versions = [r.version for r in service.list_versions(session, row.dataset_id)]
    return DatasetVersionPublic(
        **_summary(request, row),
        fingerprint=row.fingerprint,
        versions=versions,
        files=files,
        manifest=row.manifest,
        card_markdown=card,
        quality=quality,
    )


@router.get(
    "/{dataset_id}",
    response_model=DatasetVersionPublic,
    summary="Show a dataset's latest version: card, manifest, quality report",
)
def show_dataset(
    dataset_id: DatasetId, request: Request, settings: SettingsDep, session: SessionDep
) -> DatasetVersionPublic:
    return _detail(request, settings, session, service.get_version(session, dataset_id))


@router.get(
    "/{dataset_id}/versions/{version}",
    response_model=DatasetVersionPublic,
    name="show_version",
    summary="Show one version of a dataset",
)
def show_version(
    dataset_id: DatasetId,
    version: Version,
    request: Request,
    settings: SettingsDep,
    session: SessionDep,
) -> DatasetVersionPublic:
    return _detail(request, settings, session, service.get_version(session, dataset_id, version))


@router.get(
    "/{dataset_id}/versions/{version}/files/{name}",
    name="download_file",
    summary="Download one public file (streamed; checksum in headers)",
    response_class=FileResponse,
    responses=problems.responses(401, 429),  # a token is optional, checked in the body
)
def download_file(
    dataset_id: DatasetId,
    version: Version,
    name: FileName,
    request: Request,
    settings: SettingsDep,
    session: SessionDep,
) -> FileResponse:
    """A release given to finalists only serves its tables to finalists who accepted the
    data-use terms (send your token), and to staff; to everyone else they do not exist."""
    row = service.get_version(session, dataset_id, version)
    return release_file(settings, session, row, name, optional_user(request, session))


@router.get(
    "/{dataset_id}/quality",
    response_class=HTMLResponse,
    summary="The latest version's quality report as a page",
)
def quality_page(dataset_id: DatasetId, settings: SettingsDep, session: SessionDep) -> HTMLResponse:
    row = service.get_version(session, dataset_id)
    return report_page(service.public_file(settings, row, QUALITY_HTML), private=False)
