"""Organizer and judge pages. Every handler checks the role itself: a participant who types
the address gets 403 from the server, not just a page without links."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from odx.platform.api.deps import ChallengeDep, SessionDep, SettingsDep
from odx.platform.db.models import Team, User
from odx.platform.errors import OdxError
from odx.platform.services import challenges, teams
from odx.platform.services import datasets as dataset_service
from odx.platform.services import submissions as intake
from odx.platform.services.leaderboards import all_submissions
from odx.platform.services.users import Role
from odx.platform.settings import Settings
from odx.platform.web import security
from odx.platform.web.context import Page, PageDep
from odx.platform.web.routes.public import challenge_card, challenge_cards
from odx.platform.web.security import CsrfField
from odx.scoring import tracking

router = APIRouter(include_in_schema=False)
NOTICES = ("published", "unchanged", "created", "closed", "revealed")
TARGET = re.compile(r"[a-z0-9][a-z0-9-]{0,62}( v[0-9]{1,6})?")


def _overview(
    page: Page, session: SessionDep, settings: Settings, **values: object
) -> HTMLResponse:
    return page.render(
        "organizer/index.html",
        published={v.dataset_id: v for v in dataset_service.latest_versions(session)},
        dataset_ids=dataset_service.catalogue_ids(settings),
        quality_runs=dataset_service.latest_quality_runs(session),
        cards=challenge_cards(page, session),
        submission_counts=intake.counts_by_challenge(session),
        **values,
    )


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


@router.post("/organizer/datasets/publish")
async def publish(
    page: PageDep,
    request: Request,
    settings: SettingsDep,
    dataset_id: Annotated[str, Form(max_length=64)],
    csrf: CsrfField = "",
) -> RedirectResponse:
    user = page.require(Role.organizer)
    security.check_csrf(request, csrf, page.signed)
    outcome = await run_in_threadpool(
        dataset_service.publish, settings, dataset_id, actor=user.name
    )  # the quality gate takes seconds: off the event loop
    notice = "published" if outcome.created else "unchanged"
    return RedirectResponse(
        f"/organizer?notice={notice}&target={outcome.dataset_id}%20v{outcome.version}",
        status_code=303,
    )


@router.get("/organizer/quality-runs/{run_id}", response_class=HTMLResponse)
def quality_run(
    page: PageDep, session: SessionDep, settings: SettingsDep, run_id: int
) -> HTMLResponse:
    page.require(Role.organizer)
    path = dataset_service.quality_run_report(settings, session, run_id)
    # The report is a standalone document with its own inline styles, and no script.
    headers = {
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    return HTMLResponse(path.read_text(encoding="utf-8"), headers=headers)


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
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "challenge.yaml"
            path.write_text(definition, encoding="utf-8")
            challenge = challenges.register(session, path, actor=user.name)
    except OdxError as exc:  # keep what was typed, show what is wrong
        session.rollback()
        error = exc.detail.replace(str(path), "challenge.yaml")
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
    csrf: CsrfField = "",
) -> RedirectResponse:
    user = page.require(Role.organizer)
    security.check_csrf(request, csrf, page.signed)
    if action == "close":
        challenges.close(session, challenge, actor=user.name)
    elif action == "reveal":
        challenges.reveal(session, challenge, actor=user.name)
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
    team_names = dict(
        session.execute(select(Team.id, Team.name).where(Team.challenge_id == challenge.id)).all()
    )
    user_names = dict(session.execute(select(User.id, User.name)).all())
    experiment = tracking.existing_experiment_id(settings.resolved_mlflow_uri, challenge.id)
    rows = [
        {
            "s": s,
            "team": team_names.get(s.team_id, ""),
            "user": user_names.get(s.user_id, ""),
            "run_url": tracking.run_url(settings.mlflow_ui_url, experiment, s.mlflow_run_id)
            if experiment and s.mlflow_run_id
            else None,
        }
        for s in all_submissions(session, challenge)
    ]
    card = challenge_card(page, session, challenge)
    return page.render(
        "judge/challenge.html",
        challenge=card,
        rows=rows,
        experiment=experiment,
        mlflow_ui=settings.mlflow_ui_url,
    )
