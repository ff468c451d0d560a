"""The evaluator's pages (사용자 체험평가), made for a phone: the open evaluations, the case
form, the blinded predictions with one form to rate them all.

The case is sent, run and shown, never stored: the predictions page carries only the case's
checksum forward, in the rating form.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from odx.platform.api.deps import ChallengeDep, SessionDep, SettingsDep
from odx.platform.errors import InvalidInputError
from odx.platform.services import evaluation
from odx.platform.services.users import Role
from odx.platform.web import security
from odx.platform.web.context import PageDep
from odx.platform.web.routes.public import challenge_card
from odx.platform.web.security import CSRF_FIELD

router = APIRouter(include_in_schema=False)
CASE_PREFIX = "case."


@router.get("/evaluate", response_class=HTMLResponse)
def evaluations(page: PageDep, session: SessionDep) -> HTMLResponse:
    user = page.require(Role.evaluator)
    cards = [challenge_card(page, session, c) for c in evaluation.open_to(session, user)]
    return page.render("evaluate/index.html", cards=cards)


def _form_page(
    page: PageDep,
    session: SessionDep,
    settings: SettingsDep,
    challenge: ChallengeDep,
    **values: object,
) -> HTMLResponse:
    user = page.require(Role.evaluator)
    return page.render(
        "evaluate/form.html",
        challenge=challenge_card(page, session, challenge),
        fields=evaluation.form(session, settings, challenge),
        rated=sorted(evaluation.rated(session, challenge, user)),
        open=evaluation.is_open(challenge),
        **values,
    )


@router.get("/evaluate/{challenge_id}", response_class=HTMLResponse)
def case_form(
    page: PageDep,
    session: SessionDep,
    settings: SettingsDep,
    challenge: ChallengeDep,
    notice: str | None = None,
) -> HTMLResponse:
    return _form_page(page, session, settings, challenge, notice=notice == "rated")


@router.post("/evaluate/{challenge_id}", response_class=HTMLResponse)
async def run_case(
    page: PageDep,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    challenge: ChallengeDep,
) -> Response:
    """Run the evaluator's case through every finalist model and show the answers blinded."""
    user = page.require(Role.evaluator)
    form = await request.form()
    security.check_csrf(request, str(form.get(CSRF_FIELD, "")), page.signed)
    given = {
        str(key).removeprefix(CASE_PREFIX): str(value)
        for key, value in form.items()
        if str(key).startswith(CASE_PREFIX)
    }

    def run() -> HTMLResponse:
        attempts = request.app.state.attempts
        shown = evaluation.predict(session, settings, attempts, challenge, user, given)
        return page.render(
            "evaluate/predictions.html",
            challenge=challenge_card(page, session, challenge),
            shown=shown,
            case=evaluation.case_sha256(given),
            rated=sorted(evaluation.rated(session, challenge, user)),
        )

    return await run_in_threadpool(run)


@router.post("/evaluate/{challenge_id}/ratings")
async def rate_models(
    page: PageDep, request: Request, session: SessionDep, challenge: ChallengeDep
) -> RedirectResponse:
    """Every model rated in the form, each once (rated ones are not offered again)."""
    user = page.require(Role.evaluator)
    form = await request.form()
    security.check_csrf(request, str(form.get(CSRF_FIELD, "")), page.signed)
    case = str(form.get("case", ""))
    ratings = {
        str(key).removeprefix("rating."): str(value)
        for key, value in form.items()
        if str(key).startswith("rating.") and value
    }
    if not ratings:
        raise InvalidInputError("choose a rating from 1 to 5 for at least one model")

    def save() -> None:
        for label, value in sorted(ratings.items()):
            if not value.isdigit():
                raise InvalidInputError(f"a rating is 1 to 5, not '{value}'")
            comment = str(form.get(f"comment.{label}", ""))
            evaluation.rate(session, challenge, user, label, int(value), comment, case)

    await run_in_threadpool(save)
    return RedirectResponse(f"/evaluate/{challenge.id}?notice=rated", status_code=303)
