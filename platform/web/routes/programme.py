"""A team's side of a programme in stages: the programme tab (the stages, the application
form and its outcome, the winners), the finalists' data-use terms and restricted downloads.

Pages cannot send a bearer token, so a finalist's download of a restricted table goes
through a page address that reads the session and applies the same grant as the API.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from odx.platform.api.deps import ChallengeDep, SessionDep, SettingsDep
from odx.platform.db.models import utcnow
from odx.platform.downloads import release_file
from odx.platform.errors import NotFoundError
from odx.platform.services import applications, challenges, data_access, judging, teams
from odx.platform.uploads import PLAN_MAX_FIELD_BYTES, PLAN_MAX_FIELDS, FormUpload
from odx.platform.web import security, views
from odx.platform.web.context import PageDep
from odx.platform.web.routes.public import challenge_page
from odx.platform.web.security import CSRF_FIELD, CsrfField

router = APIRouter(include_in_schema=False)
NOTICES = ("applied", "accepted")


@router.get("/challenges/{challenge_id}/programme", response_class=HTMLResponse)
def programme(
    page: PageDep, session: SessionDep, challenge: ChallengeDep, notice: str | None = None
) -> HTMLResponse:
    spec = challenges.spec_of(challenge)
    if spec.stages is None:
        raise NotFoundError(f"'{challenge.id}' runs no programme in stages")
    now = utcnow()
    team = teams.team_of(session, challenge, page.user) if page.user else None
    outcome = None
    if team is not None and spec.application is not None:
        try:
            outcome = applications.outcome(session, challenge, page.user)  # type: ignore[arg-type]
        except NotFoundError:
            outcome = None
    return challenge_page(
        page,
        session,
        challenge,
        "programme",
        "challenge/programme.html",
        stages=views.stage_rows(spec, now),
        application_open=spec.stages.application is not None and spec.stages.application.holds(now),
        outcome=outcome,
        awards=judging.awards(session, challenge) if spec.rubric else {},
        notice=notice if notice in NOTICES else None,
    )


@router.post("/challenges/{challenge_id}/application")
def apply(
    page: PageDep, request: Request, session: SessionDep, challenge: ChallengeDep
) -> RedirectResponse:
    """The plan and the answers, read as they arrive after the team, the stage and the
    declared size are checked; the CSRF token (the form's first field) before the plan."""
    user = page.require()
    security.check_origin(request)

    def csrf_first(fields: dict[str, str]) -> None:
        security.check_csrf(request, fields.get(CSRF_FIELD), page.signed)

    form = FormUpload(
        request,
        before_file=csrf_first,
        max_fields=PLAN_MAX_FIELDS,
        max_field_bytes=PLAN_MAX_FIELD_BYTES,
    )
    applications.submit(session, request.app.state.settings, challenge, user, form)
    return RedirectResponse(
        f"/challenges/{challenge.id}/programme?notice=applied#application", status_code=303
    )


@router.post("/challenges/{challenge_id}/data/terms")
def accept_terms(
    page: PageDep,
    request: Request,
    session: SessionDep,
    challenge: ChallengeDep,
    csrf: CsrfField = "",
) -> RedirectResponse:
    user = page.require()
    security.check_csrf(request, csrf, page.signed)
    data_access.accept(session, challenge, user)
    return RedirectResponse(
        f"/challenges/{challenge.id}/data?notice=accepted#h-full", status_code=303
    )


@router.get("/challenges/{challenge_id}/data/files/{name}")
def download(
    page: PageDep,
    session: SessionDep,
    settings: SettingsDep,
    challenge: ChallengeDep,
    name: str,
) -> FileResponse:
    """A file of the challenge's release for a signed-in visitor (a finalist who accepted
    the terms, or staff); anyone else gets the 404 the API gives."""
    user = page.require()
    row = challenges.dataset_version(session, challenge)
    return release_file(settings, session, row, name, user)
