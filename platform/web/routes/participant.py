"""Signing in and out, teams, uploading predictions and following them until scored.

Uploads work without JavaScript (the form posts and the browser lands on the submissions
tab); with it, the page posts in the background and shows the result in place.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from odx.platform.api.deps import ChallengeDep, SessionDep, attempts_of, client_of
from odx.platform.api.problems import PROBLEM_JSON
from odx.platform.db.models import Team, utcnow
from odx.platform.errors import REPORTABLE, reported
from odx.platform.services import challenges, sessions, teams
from odx.platform.services import submissions as intake
from odx.platform.services.attempts import Secret
from odx.platform.services.leaderboards.finals import choose_final
from odx.platform.services.users import AuthenticationError, is_staff
from odx.platform.uploads import receive_submission
from odx.platform.web import security, views
from odx.platform.web.context import PageDep
from odx.platform.web.errors import localized
from odx.platform.web.routes.public import challenge_page
from odx.platform.web.security import CsrfField

router = APIRouter(include_in_schema=False)


@router.get("/signin", response_class=HTMLResponse)
def signin_form(page: PageDep, request: Request, next: str | None = None) -> HTMLResponse:
    token = security.anonymous_token(request)
    response = page.render("signin.html", next=security.safe_next(next), csrf_token=token)
    security.remember_anonymous(request, response, token)
    return response


@router.post("/signin")
def signin(
    page: PageDep,
    request: Request,
    session: SessionDep,
    token: Annotated[str, Form(max_length=200)],
    csrf: CsrfField = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    security.check_csrf(request, csrf, None)
    target = security.safe_next(next)
    try:
        cookie, _ = attempts_of(request).attempt(
            Secret.TOKEN, client_of(request), lambda: sessions.create(session, token)
        )
    except AuthenticationError:
        response = page.render(
            "signin.html",
            status=401,
            next=target,
            csrf_token=request.cookies.get(security.CSRF_COOKIE, ""),
            error=page.t("signin.bad_token"),
        )
        return response
    sessions.end(session, request.cookies.get(security.SESSION_COOKIE))  # one at a time
    response = RedirectResponse(target, status_code=303)
    security.set_session_cookie(request, response, cookie)
    return response


@router.post("/signout")
def signout(page: PageDep, request: Request, session: SessionDep, csrf: CsrfField = "") -> Response:
    security.check_csrf(request, csrf, page.signed)
    sessions.end(session, request.cookies.get(security.SESSION_COOKIE))
    response = RedirectResponse("/", status_code=303)
    security.clear_session_cookie(request, response)
    return response


INVITE_COOKIE = "odx_invite"


@router.get("/challenges/{challenge_id}/submit", response_class=HTMLResponse)
def submit_page(
    page: PageDep, request: Request, session: SessionDep, challenge: ChallengeDep
) -> HTMLResponse:
    user = page.require()
    team = teams.team_of(session, challenge, user)
    quota = intake.quota(session, challenge, team, utcnow()) if team else None
    members = teams.members(session, team) if team else []
    invite = request.cookies.get(INVITE_COOKIE) if team else None
    response = challenge_page(
        page,
        session,
        challenge,
        "submit",
        "challenge/submit.html",
        quota=quota,
        members=members,
        invite=invite,
    )
    if invite:  # shown once: the cookie that carried it here is dropped
        response.delete_cookie(INVITE_COOKIE, path=request.url.path)
    return response


@router.post("/challenges/{challenge_id}/teams")
def create_team(
    page: PageDep,
    request: Request,
    session: SessionDep,
    challenge: ChallengeDep,
    name: Annotated[str, Form(max_length=100)],
    csrf: CsrfField = "",
) -> RedirectResponse:
    """Create the team, then show its invite code once on the submit tab (post, redirect,
    get: reloading the page does not post the form again)."""
    user = page.require()
    security.check_csrf(request, csrf, page.signed)
    _, invite = teams.create(session, challenge, user, name)
    target = f"/challenges/{challenge.id}/submit"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        INVITE_COOKIE, invite, max_age=600, httponly=True, samesite="strict", path=target
    )
    return response


@router.post("/challenges/{challenge_id}/teams/join")
def join_team(
    page: PageDep,
    request: Request,
    session: SessionDep,
    challenge: ChallengeDep,
    name: Annotated[str, Form(max_length=100)],
    invite_code: Annotated[str, Form(max_length=100)],
    csrf: CsrfField = "",
) -> RedirectResponse:
    user = page.require()
    security.check_csrf(request, csrf, page.signed)
    attempts_of(request).attempt(
        Secret.INVITE,
        client_of(request, *teams.invite_accounts(challenge, name, user)),
        lambda: teams.join(session, challenge, user, name, invite_code),
    )
    return RedirectResponse(f"/challenges/{challenge.id}/submit", status_code=303)


@router.post("/challenges/{challenge_id}/submit")
def upload(
    page: PageDep, request: Request, session: SessionDep, challenge: ChallengeDep
) -> Response:
    """The form is read here, as it arrives, after the sign-in, the team and the quota are
    checked; its CSRF token (the form's first field) is checked before the file is stored."""
    user = page.require()
    script = "application/json" in request.headers.get("accept", "")

    def csrf_first(fields: dict[str, str]) -> None:
        security.check_csrf(request, fields.get(security.CSRF_FIELD), page.signed)

    try:
        security.check_origin(request)
        submission = receive_submission(request, session, challenge, user, before_file=csrf_first)
    except REPORTABLE as error:
        if not script:
            raise  # an error page, in the visitor's language
        session.rollback()
        exc = reported(error)
        body = exc.to_problem(request.url.path)
        body["detail"] = localized(request, page.lang, exc.code, exc.detail).text
        return JSONResponse(body, status_code=exc.status, media_type=PROBLEM_JSON)
    if script:
        team = teams.require_team(session, challenge, user)
        left = intake.quota(session, challenge, team, utcnow())
        return JSONResponse(
            {
                "id": submission.id,
                "status_url": f"/submissions/{submission.id}/status",
                "remaining_today": left.remaining_today,
            },
            status_code=202,
        )
    return RedirectResponse(f"/challenges/{challenge.id}/submissions", status_code=303)


@router.get("/submissions/{submission_id}/status", response_class=HTMLResponse)
def submission_status(page: PageDep, session: SessionDep, submission_id: str) -> HTMLResponse:
    """A fragment the submit page polls until the submission is scored or has failed. It
    carries the team's quota left today as the submit tab would show it now: a file found
    invalid gives back the submission it took while queued."""
    user = page.require()
    submission = intake.visible_to(session, submission_id, user, staff=is_staff(user))
    challenge = challenges.get(session, submission.challenge_id)
    team = session.get(Team, submission.team_id)
    assert team is not None  # a foreign key guarantees it
    return page.render(
        "partials/submission_result.html",
        submission=submission,
        problems=views.problems_of(submission),
        timezone=challenge.spec["timezone"],
        remaining=intake.quota(session, challenge, team, utcnow()).remaining_today,
    )


@router.get("/challenges/{challenge_id}/submissions", response_class=HTMLResponse)
def my_submissions(page: PageDep, session: SessionDep, challenge: ChallengeDep) -> HTMLResponse:
    user = page.require()
    team = teams.team_of(session, challenge, user)
    rows = intake.of_team(session, challenge, team) if team else []
    return challenge_page(
        page,
        session,
        challenge,
        "submissions",
        "challenge/submissions.html",
        submissions=rows,
        problems_of=views.problems_of,
    )


@router.post("/submissions/{submission_id}/select")
def toggle_final(
    page: PageDep,
    request: Request,
    session: SessionDep,
    submission_id: str,
    selected: Annotated[bool, Form()],
    csrf: CsrfField = "",
) -> RedirectResponse:
    user = page.require()
    security.check_csrf(request, csrf, page.signed)
    submission = choose_final(session, user, submission_id, selected)
    return RedirectResponse(
        f"/challenges/{submission.challenge_id}/submissions#s-{submission.id}", status_code=303
    )
