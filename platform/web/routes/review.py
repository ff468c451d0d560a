"""The staff's side of a programme in stages: document screening (applications, plans, the
judges' scores, the organizer's choice of finalists) and the final judging (rubric scores,
the combined ranking, MLflow runs, the published winners).

Judges score; organizers select, publish and write runs; both read. Every handler checks
the role itself, as the API does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from odx.platform.api.deps import ChallengeDep, RowNumber, SessionDep, SettingsDep
from odx.platform.downloads import plan_file
from odx.platform.errors import InvalidInputError
from odx.platform.services import applications, data_access, evaluation, judging, schedule
from odx.platform.services.challenges import spec_of
from odx.platform.services.users import Role
from odx.platform.web import security
from odx.platform.web.context import PageDep
from odx.platform.web.routes.public import challenge_card
from odx.platform.web.security import CSRF_FIELD, CsrfField

router = APIRouter(include_in_schema=False)
STAFF = (Role.judge, Role.organizer)
NOTICES = ("scored", "finalists", "awards", "runs")


def _scores(form: FormData) -> dict[str, float]:
    """The ``score.<criterion>`` fields a judge filled in (blank ones are left out)."""
    given = {}
    for key, value in form.items():
        if str(key).startswith("score.") and str(value).strip():
            try:
                given[str(key).removeprefix("score.")] = float(str(value))
            except ValueError:
                raise InvalidInputError(f"a score is a number, not '{value}'") from None
    return given


async def _checked_form(page: PageDep, request: Request) -> FormData:
    form = await request.form()
    security.check_csrf(request, str(form.get(CSRF_FIELD, "")), page.signed)
    return form


def _notice(notice: str | None) -> str | None:
    return notice if notice in NOTICES else None


@router.get("/judge/challenges/{challenge_id}/applications", response_class=HTMLResponse)
def application_list(
    page: PageDep, session: SessionDep, challenge: ChallengeDep, notice: str | None = None
) -> HTMLResponse:
    user = page.require(*STAFF)
    rows = applications.for_staff(session, challenge)
    return page.render(
        "judge/applications.html",
        challenge=challenge_card(page, session, challenge),
        rules=applications.rules_of(challenge),
        rows=rows,
        # the organizer's choice of finalists lists the best mean first, unscored last
        choices=sorted(rows, key=lambda r: (r["mean"] is None, -(r["mean"] or 0.0))),
        mine={r["id"]: r["scores"].get(user.name, {}) for r in rows},
        is_judge=user.role in (Role.judge, Role.admin),
        is_organizer=user.role in (Role.organizer, Role.admin),
        notice=_notice(notice),
    )


@router.get("/judge/challenges/{challenge_id}/applications/{application_id}/plan")
def plan(
    page: PageDep,
    session: SessionDep,
    settings: SettingsDep,
    challenge: ChallengeDep,
    application_id: RowNumber,
) -> FileResponse:
    """The plan as a download, never shown in the page (nothing in it may run)."""
    page.require(*STAFF)
    return plan_file(settings, challenge, applications.get(session, challenge, application_id))


@router.post("/judge/challenges/{challenge_id}/applications/{application_id}/scores")
async def score_application(
    page: PageDep,
    request: Request,
    session: SessionDep,
    challenge: ChallengeDep,
    application_id: RowNumber,
) -> RedirectResponse:
    judge = page.require(Role.judge)
    given = _scores(await _checked_form(page, request))
    await run_in_threadpool(applications.score, session, challenge, application_id, judge, given)
    return RedirectResponse(
        f"/judge/challenges/{challenge.id}/applications?notice=scored#a-{application_id}",
        status_code=303,
    )


@router.post("/judge/challenges/{challenge_id}/finalists")
async def select_finalists(
    page: PageDep, request: Request, session: SessionDep, challenge: ChallengeDep
) -> RedirectResponse:
    user = page.require(Role.organizer)
    form = await _checked_form(page, request)
    names = [str(v) for v in form.getlist("team")]
    await run_in_threadpool(
        lambda: applications.select_finalists(session, challenge, names, actor=user.name)
    )
    return RedirectResponse(
        f"/judge/challenges/{challenge.id}/applications?notice=finalists", status_code=303
    )


def _judging_values(session: SessionDep, challenge: ChallengeDep, user: Any) -> dict[str, Any]:
    spec = spec_of(challenge)
    rows = judging.results(session, challenge)
    users = (
        evaluation.results(session, challenge)
        if spec.stages is not None and spec.stages.user_evaluation is not None
        else []
    )
    return {
        "rubric": list(spec.rubric),
        "rows": rows,
        "mine": {r["team"]: r["scores"].get(user.name, {}) for r in rows},
        "users": users,
        "awards": judging.awards(session, challenge),
    }


@router.get("/judge/challenges/{challenge_id}/judging", response_class=HTMLResponse)
def judging_page(
    page: PageDep, session: SessionDep, challenge: ChallengeDep, notice: str | None = None
) -> HTMLResponse:
    user = page.require(*STAFF)
    return page.render(
        "judge/judging.html",
        challenge=challenge_card(page, session, challenge),
        is_judge=user.role in (Role.judge, Role.admin),
        is_organizer=user.role in (Role.organizer, Role.admin),
        notice=_notice(notice),
        **_judging_values(session, challenge, user),
    )


@router.get("/judge/challenges/{challenge_id}/judging.csv")
def judging_csv(page: PageDep, session: SessionDep, challenge: ChallengeDep) -> Response:
    page.require(*STAFF)
    rows = judging.results(session, challenge)
    return Response(
        judging.as_csv(challenge, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{challenge.id}-judging.csv"'},
    )


@router.post("/judge/challenges/{challenge_id}/judging/scores")
async def score_finalist(
    page: PageDep, request: Request, session: SessionDep, challenge: ChallengeDep
) -> RedirectResponse:
    judge = page.require(Role.judge)
    form = await _checked_form(page, request)
    team, given = str(form.get("team", "")), _scores(form)
    await run_in_threadpool(judging.score, session, challenge, team, judge, given)
    return RedirectResponse(
        f"/judge/challenges/{challenge.id}/judging?notice=scored", status_code=303
    )


@router.post("/judge/challenges/{challenge_id}/judging/runs")
def track_judging(
    page: PageDep,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    challenge: ChallengeDep,
    csrf: CsrfField = "",
) -> RedirectResponse:
    page.require(Role.organizer)
    security.check_csrf(request, csrf, page.signed)
    judging.track(settings, session, challenge)
    return RedirectResponse(
        f"/judge/challenges/{challenge.id}/judging?notice=runs", status_code=303
    )


@router.post("/judge/challenges/{challenge_id}/awards")
async def publish_awards(
    page: PageDep, request: Request, session: SessionDep, challenge: ChallengeDep
) -> RedirectResponse:
    user = page.require(Role.organizer)
    form = await _checked_form(page, request)
    chosen = {
        "winner": [str(v) for v in form.getlist("winner") if v],
        "runner_up": [str(v) for v in form.getlist("runner_up") if v],
    }
    await run_in_threadpool(lambda: judging.publish(session, challenge, chosen, actor=user.name))
    return RedirectResponse(
        f"/judge/challenges/{challenge.id}/judging?notice=awards", status_code=303
    )


@router.get("/judge/challenges/{challenge_id}/programme", response_class=HTMLResponse)
def programme_page(
    page: PageDep, session: SessionDep, challenge: ChallengeDep, notice: str | None = None
) -> HTMLResponse:
    """The schedule as it stands (organizers start the next stage from here) and, for
    organizers, who accepted the data-use terms and downloaded which file."""
    user = page.require(*STAFF)
    is_organizer = user.role in (Role.organizer, Role.admin)
    finalists_only = spec_of(challenge).dataset.access == "finalists"
    return page.render(
        "judge/programme.html",
        challenge=challenge_card(page, session, challenge),
        plan=schedule.view(challenge),
        is_organizer=is_organizer,
        access=data_access.log(session, challenge) if is_organizer and finalists_only else None,
        notice=notice if notice in ("advanced", "moved") else None,
    )


@router.post("/judge/challenges/{challenge_id}/schedule/advance")
def advance_stage(
    page: PageDep,
    request: Request,
    session: SessionDep,
    challenge: ChallengeDep,
    csrf: CsrfField = "",
) -> RedirectResponse:
    user = page.require(Role.organizer)
    security.check_csrf(request, csrf, page.signed)
    schedule.advance(session, challenge, actor=user.name)
    return RedirectResponse(
        f"/judge/challenges/{challenge.id}/programme?notice=advanced", status_code=303
    )


def _sent_changes(form: FormData, plan: schedule.Schedule) -> schedule.Changes:
    """The dates an organizer changed in the schedule form (a date-time in the challenge's
    zone, to the minute); a date sent back as shown is no change."""
    zone = ZoneInfo(plan.timezone)
    stages: dict[str, schedule.Dates] = {}
    phases: dict[str, schedule.Dates] = {}
    for row in plan.rows:
        new: dict[str, datetime] = {}
        for edge in ("start", "end"):
            sent = str(form.get(f"{row.kind}.{row.name}.{edge}", "")).strip()
            if not sent:
                continue
            try:
                moment = datetime.fromisoformat(sent)
            except ValueError:
                raise InvalidInputError(
                    f"{row.kind} '{row.name}' {edge}: '{sent}' is not a date and time"
                ) from None
            moment = moment if moment.tzinfo else moment.replace(tzinfo=zone)
            shown = getattr(row, edge).astimezone(zone).replace(second=0, microsecond=0)
            if moment != shown:
                new[edge] = moment
        if new:
            (stages if row.kind == "stage" else phases)[row.name] = schedule.Dates(**new)
    return schedule.Changes(stages, phases)


@router.post("/judge/challenges/{challenge_id}/schedule")
async def move_schedule(
    page: PageDep, request: Request, session: SessionDep, challenge: ChallengeDep
) -> RedirectResponse:
    """Move dates still to come, by the schedule's own rules (audited)."""
    user = page.require(Role.organizer)
    changes = _sent_changes(await _checked_form(page, request), schedule.view(challenge))
    await run_in_threadpool(lambda: schedule.move(session, challenge, changes, actor=user.name))
    return RedirectResponse(
        f"/judge/challenges/{challenge.id}/programme?notice=moved", status_code=303
    )
