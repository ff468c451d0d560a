"""Organizers check and publish datasets from anywhere: dataset jobs over HTTP.

A job names a catalogue dataset (JSON) or carries a zipped dataset folder (the body itself,
``application/zip``). Both answer ``202`` at once; the quality gate runs in the background
and the job's page says how it went, with the gate's report whatever the outcome.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from odx.platform.api.deps import CurrentUser, SessionDep, SettingsDep
from odx.platform.api.reports import report_page
from odx.platform.db.models import DatasetJob
from odx.platform.services import dataset_jobs as service
from odx.platform.services import datasets as dataset_service
from odx.platform.settings import Settings
from odx.platform.uploads import body_chunks, declared_length, queue_dataset_job

router = APIRouter(prefix="/api/dataset-jobs", tags=["datasets"])

JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="Dataset job id")]
Action = Literal["validate", "publish"]


class CatalogueJob(BaseModel):
    dataset_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$", description="Catalogue id")
    action: Action = "publish"


class CheckPublic(BaseModel):
    name: str
    success: bool
    summary: str


class JobPublic(BaseModel):
    id: str
    action: str
    status: str = Field(description="queued, running, done or failed")
    actor: str
    source: str = Field(description="catalogue:<id> or upload:<sha256 of the zip>")
    dataset_id: str | None
    version: int | None
    created_version: bool | None = Field(description="False: that version already held them")
    error: str | None
    quality_run_id: int | None
    report_url: str | None
    checks: list[CheckPublic]
    created_at: datetime
    finished_at: datetime | None
    url: str


def _public(
    request: Request, settings: Settings, session: SessionDep, job: DatasetJob
) -> JobPublic:
    seen = service.view(settings, session, job)
    report = None
    if seen.quality_run_id is not None:
        report = str(request.url_for("dataset_job_report", job_id=job.id))
    return JobPublic(
        **{k: v for k, v in seen.__dict__.items() if k != "checks"},
        checks=[CheckPublic(**c) for c in seen.checks],
        report_url=report,
        url=str(request.url_for("show_dataset_job", job_id=job.id)),
    )


@router.post(
    "",
    response_model=JobPublic,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Validate or publish a dataset of the server's catalogue (organizers)",
)
def queue_catalogue_job(
    body: CatalogueJob,
    request: Request,
    user: CurrentUser,
    settings: SettingsDep,
    session: SessionDep,
) -> JobPublic:
    job = service.submit_catalogue(session, settings, user, body.dataset_id, action=body.action)
    queue_dataset_job(request, job.id)
    return _public(request, settings, session, job)


@router.post(
    "/upload",
    response_model=JobPublic,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Validate or publish an uploaded dataset folder: the body is its .zip (organizers)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                media: {"schema": {"type": "string", "format": "binary"}}
                for media in ("application/zip", "application/octet-stream")
            },
        }
    },
)
def queue_upload_job(
    request: Request,
    user: CurrentUser,
    settings: SettingsDep,
    session: SessionDep,
    action: Annotated[Action, Query()] = "publish",
) -> JobPublic:
    # Who and how much before a byte of the body is read.
    service.admit_upload(settings, user, declared_bytes=declared_length(request))
    job = service.submit_upload(session, settings, user, body_chunks(request), action=action)
    queue_dataset_job(request, job.id)
    return _public(request, settings, session, job)


@router.get("", response_model=list[JobPublic], summary="Recent dataset jobs (organizers)")
def list_jobs(
    request: Request,
    user: CurrentUser,
    settings: SettingsDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> list[JobPublic]:
    jobs = service.recent_for(session, user, limit)
    return [_public(request, settings, session, j) for j in jobs]


@router.get(
    "/{job_id}",
    response_model=JobPublic,
    name="show_dataset_job",
    summary="One dataset job: its state, the version it published and the gate's checks",
)
def show_job(
    job_id: JobId, request: Request, user: CurrentUser, settings: SettingsDep, session: SessionDep
) -> JobPublic:
    return _public(request, settings, session, service.get_for(session, job_id, user))


@router.get(
    "/{job_id}/report",
    response_class=HTMLResponse,
    name="dataset_job_report",
    summary="The quality gate's full report of a job, passed or not (organizers)",
)
def job_report(
    job_id: JobId, user: CurrentUser, settings: SettingsDep, session: SessionDep
) -> HTMLResponse:
    job = service.get_for(session, job_id, user)
    path = dataset_service.quality_run_report(settings, session, job.quality_run_id or 0)
    return report_page(path, private=True)
