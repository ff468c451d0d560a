"""Organizer and judge pages. Every handler checks the role itself: a participant who types
the address gets 403 from the server, not just a page without links.

Datasets are checked and published through dataset jobs (a catalogue id, or a zipped folder
uploaded from the page) that the embedded worker runs; the page lists them and follows the
ones still running.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from odx.platform import mlflow_ui
from odx.platform.api.deps import ChallengeDep, RowNumber, SessionDep, SettingsDep
from odx.platform.api.reports import report_page
from odx.platform.db.models import DatasetJob
from odx.platform.errors import REPORTABLE, OdxError, reported
from odx.platform.services import challenges, dataset_jobs, model_registry, teams
from odx.platform.services import datasets as dataset_service
from odx.platform.services import submissions as intake
from odx.platform.services.leaderboards import listings
from odx.platform.services.users import Role
from odx.platform.settings import Settings
from odx.platform.states import DatasetJobStatus
from odx.platform.uploads import FormUpload, declared_length, queue_dataset_job
from odx.platform.web import security
from odx.platform.web.context import Page, PageDep, filesize
from odx.platform.web.errors import Detail, localized
from odx.platform.web.routes.public import challenge_card, challenge_cards
from odx.platform.web.security import CSRF_FIELD, CsrfField
from odx.scoring import tracking

router = APIRouter(include_in_schema=False)
NOTICES = ("queued", "created", "closed", "revealed")
TARGET = re.compile(r"[a-z0-9][a-z0-9-]{0,62}( v[0-9]{1,6})?")
JobId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$")]
# a job in these states may still change: pages follow it
ACTIVE = (DatasetJobStatus.QUEUED, DatasetJobStatus.RUNNING)


def _overview(
    page: Page, session: Session, settings: Settings, *, status: int = 200, **values: object
) -> HTMLResponse:
    values.setdefault("publish_error", None)
    values.setdefault("upload_error", None)
    return page.render(
        "organizer/index.html",
        status=status,
        published={v.dataset_id: v for v in dataset_service.latest_versions(session)},
        dataset_ids=dataset_service.catalogue_ids(settings),
        quality_runs=dataset_service.latest_quality_runs(session),
        cards=challenge_cards(page, session),
        submission_counts=intake.counts_by_challenge(session),
        upload_limit=filesize(settings.max_dataset_upload_bytes),
        **_job_list(page, session, settings),
        **values,
    )


# --- dataset jobs -------------------------------------------------------------------------


def _job_row(settings: Settings, session: Session, job: DatasetJob) -> dict[str, Any]:
    seen = dataset_jobs.view(settings, session, job)
    error = seen.error
    upload = seen.source.removeprefix("upload:") if seen.source.startswith("upload:") else None
    return {"job": seen, "error": error, "upload_sha256": upload}


def _job_list(page: Page, session: Session, settings: Settings) -> dict[str, Any]:
    """The recent jobs as the organizer page shows them, and how many may still change."""
    user = page.require(Role.organizer)
    rows = [_job_row(settings, session, j) for j in dataset_jobs.recent_for(session, user)]
    return {"jobs": rows, "jobs_active": sum(r["job"].status in ACTIVE for r in rows)}


def _queued(job_id: str) -> RedirectResponse:
    return RedirectResponse(f"/organizer?notice=queued&target={job_id}", status_code=303)


def _refusal(page: Page, request: Request, settings: Settings, exc: OdxError) -> Detail:
    """What the page says about a refused dataset, in the page's language where it can."""
    if exc.code == "unknown_dataset":
        known = ", ".join(dataset_service.catalogue_ids(settings))
        return Detail(page.t("org.error.not_catalogue", known=known))
    if exc.code == "upload_too_large":  # the dataset limit, not the submission files' one
        return Detail(
            page.t("org.error.too_large", limit=filesize(settings.max_dataset_upload_bytes))
        )
    detail = dataset_jobs.without_server_paths(settings, exc.detail)
    return localized(request, page.lang, exc.code, detail)


@router.get("/organizer", response_class=HTMLResponse)
def organizer(
    page: PageDep,
    session: SessionDep,
    settings: SettingsDep,
    notice: str | None = None,
    target: str | None = None,
) -> HTMLResponse:
    page.require(Role.organizer)
    shown = notice if notice in NOTICES else None
    target = target if target and TARGET.fullmatch(target) else ""  # ids only, not free text
    return _overview(page, session, settings, notice=shown, target=target, definition="")


@router.post("/organizer/datasets/publish", response_class=HTMLResponse, response_model=None)
def publish(
    page: PageDep,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    dataset_id: Annotated[str, Form(max_length=64)],
    action: Annotated[str, Form(max_length=16)] = "publish",
    csrf: CsrfField = "",
) -> HTMLResponse | RedirectResponse:
    """Queue a job on a catalogue dataset: ids only, so a form cannot name a server folder."""
    user = page.require(Role.organizer)
    security.check_csrf(request, csrf, page.signed)
    try:
        job = dataset_jobs.submit_catalogue(session, settings, user, dataset_id, action=action)
    except REPORTABLE as refusal:
        session.rollback()
        exc = reported(refusal)
        error = _refusal(page, request, settings, exc)
        return _overview(
            page,
            session,
            settings,
            status=exc.status,
            notice=None,
            target="",
            definition="",
            publish_error=error,
        )
    queue_dataset_job(request, job.id)
    return _queued(job.id)


@router.post("/organizer/datasets/upload", response_class=HTMLResponse, response_model=None)
async def upload_dataset(
    page: PageDep,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    action: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse | RedirectResponse:
    """Queue a job on a dataset folder uploaded as a .zip. The form is read here, not by
    FastAPI, so that the role and the declared size are checked before a byte of the body is
    received (the form's framing counts towards the size too)."""
    user = page.require(Role.organizer)
    security.check_origin(request)

    def refused(error: Detail, status: int) -> HTMLResponse:
        session.rollback()
        return _overview(
            page,
            session,
            settings,
            status=status,
            notice=None,
            target="",
            definition="",
            upload_error=error,
        )

    try:
        dataset_jobs.admit_upload(settings, user, declared_bytes=declared_length(request))
    except REPORTABLE as refusal:
        exc = reported(refusal)
        return await run_in_threadpool(refused, _refusal(page, request, settings, exc), exc.status)
    form = FormUpload(request)

    def store() -> DatasetJob | None:  # storing, unpacking, reading the spec: off the loop
        fields = form.start()
        security.check_csrf(request, fields.get(CSRF_FIELD), page.signed)
        if not form.has_file:
            return None
        # The buttons name the action in the URL: a form sends its button after the file.
        chosen = action if action is not None else fields.get("action", "")
        return dataset_jobs.submit_upload(session, settings, user, form.chunks(), action=chosen)

    try:
        job = await run_in_threadpool(store)
    except REPORTABLE as refusal:
        exc = reported(refusal)
        if exc.code == "csrf":
            raise
        error = _refusal(page, request, settings, exc)
        return await run_in_threadpool(refused, error, exc.status)
    if job is None:
        return await run_in_threadpool(refused, Detail(page.t("org.error.no_file")), 400)
    await run_in_threadpool(queue_dataset_job, request, job.id)
    return _queued(job.id)


@router.get("/organizer/dataset-jobs", response_class=HTMLResponse)
def dataset_job_list(page: PageDep, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """The recent jobs' table alone: the organizer page fetches it while jobs are running."""
    return page.render("organizer/jobs.html", **_job_list(page, session, settings))


@router.get("/organizer/dataset-jobs/{job_id}", response_class=HTMLResponse)
def dataset_job(
    page: PageDep, session: SessionDep, settings: SettingsDep, job_id: JobId
) -> HTMLResponse:
    """One job with every check of its quality gate."""
    return _job_page(page, session, settings, job_id, "organizer/job.html")


@router.get("/organizer/dataset-jobs/{job_id}/status", response_class=HTMLResponse)
def dataset_job_status(
    page: PageDep, session: SessionDep, settings: SettingsDep, job_id: JobId
) -> HTMLResponse:
    """The job page's changing part alone, fetched by the page until the job has finished."""
    return _job_page(page, session, settings, job_id, "organizer/job_status.html")


def _job_page(
    page: Page, session: Session, settings: Settings, job_id: str, template: str
) -> HTMLResponse:
    user = page.require(Role.organizer)
    row = _job_row(settings, session, dataset_jobs.get_for(session, job_id, user))
    return page.render(template, row=row, active=row["job"].status in ACTIVE)


@router.get("/organizer/quality-runs/{run_id}", response_class=HTMLResponse)
def quality_run(
    page: PageDep, session: SessionDep, settings: SettingsDep, run_id: RowNumber
) -> HTMLResponse:
    page.require(Role.organizer)
    path = dataset_service.quality_run_report(settings, session, run_id)
    return report_page(path, private=True)


@router.post("/organizer/challenges", response_class=HTMLResponse, response_model=None)
def create_challenge(
    page: PageDep,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    definition: Annotated[str, Form(max_length=100_000)],
    csrf: CsrfField = "",
) -> HTMLResponse | RedirectResponse:
    user = page.require(Role.organizer)
    security.check_csrf(request, csrf, page.signed)
    try:
        challenge = challenges.register_definition(
            session, definition.encode("utf-8"), actor=user.name
        )
    except REPORTABLE as exc:  # keep what was typed, show what is wrong
        session.rollback()
        error = reported(exc).detail
        return _overview(
            page, session, settings, notice=None, target="", definition=definition, error=error
        )
    return RedirectResponse(f"/organizer?notice=created&target={challenge.id}", status_code=303)


@router.post("/organizer/challenges/{challenge_id}/{action}")
def challenge_action(
    page: PageDep,
    request: Request,
    session: SessionDep,
    challenge: ChallengeDep,
    action: str,
    after: BackgroundTasks,
    csrf: CsrfField = "",
) -> RedirectResponse:
    user = page.require(Role.organizer)
    security.check_csrf(request, csrf, page.signed)
    if action == "close":
        challenges.close(session, challenge, actor=user.name)
    elif action == "reveal":
        challenges.reveal(session, challenge, actor=user.name)
        after.add_task(model_registry.after_reveal, request.app.state.settings, challenge.id)
    else:
        raise OdxError(f"unknown action '{action}'; close or reveal")
    notice = "closed" if action == "close" else "revealed"
    return RedirectResponse(f"/organizer?notice={notice}&target={challenge.id}", status_code=303)


@router.get("/organizer/challenges/{challenge_id}/teams", response_class=HTMLResponse)
def team_list(page: PageDep, session: SessionDep, challenge: ChallengeDep) -> HTMLResponse:
    page.require(Role.organizer)
    counts = intake.counts_by_team(session, challenge)
    rows = [
        {"team": t, "members": teams.members(session, t), "submissions": counts.get(t.id, 0)}
        for t in teams.all_of(session, challenge)
    ]
    card = challenge_card(page, session, challenge)
    return page.render("organizer/teams.html", challenge=card, rows=rows)


@router.get("/judge", response_class=HTMLResponse)
def judge(page: PageDep, session: SessionDep) -> HTMLResponse:
    page.require(Role.judge, Role.organizer)
    return page.render(
        "judge/index.html",
        cards=challenge_cards(page, session),
        submission_counts=intake.counts_by_challenge(session),
    )


@router.get("/judge/challenges/{challenge_id}", response_class=HTMLResponse)
def judge_challenge(
    page: PageDep, session: SessionDep, settings: SettingsDep, challenge: ChallengeDep
) -> HTMLResponse:
    page.require(Role.judge, Role.organizer)
    experiment = tracking.existing_experiment_id(settings.resolved_mlflow_uri, challenge.id)
    ui = mlflow_ui.resolve(settings)  # odx mlflow --port N records where it started the UI
    rows = [
        {
            "s": named.submission,
            "team": named.team,
            "user": named.user,
            "run_url": tracking.run_url(ui.url, experiment, named.submission.mlflow_run_id)
            if experiment and named.submission.mlflow_run_id
            else None,
        }
        for named in listings.all_named(session, challenge)
    ]
    card = challenge_card(page, session, challenge)
    return page.render(
        "judge/challenge.html",
        challenge=card,
        rows=rows,
        experiment=experiment,
        mlflow_ui=ui.url,
        mlflow_ui_source=ui.source,
    )
