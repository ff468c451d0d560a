"""Pages anyone may read: the challenge list, a challenge's overview, data and leaderboard
tabs, and the dataset catalogue."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse

from odx.datasets.release import DATA_CARD, QUALITY_JSON
from odx.platform.api.deps import ChallengeDep, RowNumber, SessionDep, SettingsDep
from odx.platform.db.models import Challenge, DatasetVersion, utcnow
from odx.platform.services import challenges, data_access, judging, teams
from odx.platform.services import datasets as dataset_service
from odx.platform.services.leaderboards import progress, ranking, visibility
from odx.platform.services.users import is_staff
from odx.platform.settings import Settings
from odx.platform.web import charts, i18n, views
from odx.platform.web.context import Page, PageDep, score
from odx.platform.web.security import safe_next
from odx.scoring.metrics import METRICS

router = APIRouter(include_in_schema=False)


def challenge_cards(page: Page, session: SessionDep) -> list[views.ChallengeCard]:
    """Every registered challenge as the list pages show it."""
    now, team_counts = utcnow(), teams.counts(session)
    return [
        views.card(c, page.lang, team_counts.get(c.id, 0), now)
        for c in challenges.list_all(session)
    ]


def challenge_card(page: Page, session: SessionDep, challenge: Challenge) -> views.ChallengeCard:
    return views.card(challenge, page.lang, teams.counts(session).get(challenge.id, 0), utcnow())


@router.get("/", response_class=HTMLResponse)
def home(page: PageDep, session: SessionDep) -> HTMLResponse:
    cards = challenge_cards(page, session)
    groups = {
        status: [c for c in cards if c.status == status]
        for status in ("open", "upcoming", "closed")
    }
    return page.render("home.html", groups=groups)


@router.get("/lang/{code}")
def switch_language(code: str, next: str | None = None) -> RedirectResponse:
    """Remember the language in a cookie for a year and go back to the page."""
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        i18n.COOKIE, i18n.parse_lang(code), max_age=365 * 86400, samesite="lax", path="/"
    )
    return response


def challenge_page(
    page: Page, session: SessionDep, challenge: Challenge, tab: str, template: str, **values: object
) -> HTMLResponse:
    card = challenge_card(page, session, challenge)
    team = teams.team_of(session, challenge, page.user) if page.user else None
    return page.render(template, challenge=card, tab=tab, team=team, **values)


@router.get("/challenges/{challenge_id}", response_class=HTMLResponse)
def overview(page: PageDep, session: SessionDep, challenge: ChallengeDep) -> HTMLResponse:
    spec = challenges.spec_of(challenge)
    return challenge_page(
        page,
        session,
        challenge,
        "overview",
        "challenge/overview.html",
        metric=METRICS[spec.metric],
        awards=judging.awards(session, challenge) if spec.rubric else {},
    )


def _release(
    page: Page, settings: Settings, session: SessionDep, row: DatasetVersion
) -> dict[str, object]:
    """What the data tab and the dataset page show of one published version."""
    quality = dataset_service.read_public_json(settings, row, QUALITY_JSON)
    return {
        "version": row,
        "card": dataset_service.public_file(settings, row, DATA_CARD).read_text("utf-8"),
        "files": row.release_manifest.files,
        "quality": quality,
        "checks": views.quality_checks(quality, page.lang),
        "versions": [r.version for r in dataset_service.list_versions(session, row.dataset_id)],
    }


@router.get("/challenges/{challenge_id}/data", response_class=HTMLResponse)
def data(
    page: PageDep,
    session: SessionDep,
    settings: SettingsDep,
    challenge: ChallengeDep,
    notice: str | None = None,
) -> HTMLResponse:
    """The release, or for finalists-only data the public sample with, below it, the terms
    and (once a finalist accepted them, or for staff) the full tables."""
    spec = challenges.spec_of(challenge)
    full = challenges.dataset_version(session, challenge)
    if spec.dataset.access != "finalists" or spec.sample is None:
        release = _release(page, settings, session, full)
        return challenge_page(
            page, session, challenge, "data", "challenge/data.html", restricted=None, **release
        )
    sample = dataset_service.get_version(session, spec.sample.id, spec.sample.version)
    user = page.user
    access = data_access.state(session, challenge, user) if user else None
    staff = user is not None and is_staff(user)
    open_to_user = staff or bool(access and access["accepted"])
    restricted = {
        "access": access,
        "terms": data_access.terms_of(challenge),
        "version": full,
        "files": full.release_manifest.files if open_to_user else None,
        "notice": notice == "accepted",
    }
    release = _release(page, settings, session, sample)
    return challenge_page(
        page, session, challenge, "data", "challenge/data.html", restricted=restricted, **release
    )


@router.get("/challenges/{challenge_id}/leaderboard", response_class=HTMLResponse)
def leaderboard(
    page: PageDep,
    session: SessionDep,
    challenge: ChallengeDep,
    board: Annotated[Literal["public", "private"], Query()] = "public",
) -> HTMLResponse:
    visibility.require_visible(challenge, board, lambda: page.user)
    spec = challenges.spec_of(challenge)
    rows = [asdict(r) for r in ranking.rows(session, challenge, board=board)]
    axis = charts.board_axis(rows)
    for row in rows:
        row["bar"] = charts.interval_bar(
            row["score"],  # type: ignore[arg-type]
            row["low"],  # type: ignore[arg-type]
            row["high"],  # type: ignore[arg-type]
            axis,
            label=page.t(
                "board.ci_label",
                score=score(row["score"]),
                low=score(row["low"]),
                high=score(row["high"]),
            ),
        )
    points = progress.progress(session, challenge)
    chart = charts.progress_chart(
        points,
        until=min(utcnow(), spec.phases[-1].end),
        zone=spec.timezone,
        title=page.t("board.chart_title"),
        description=page.t(
            "board.chart_desc",
            count=len(points),
            best=score(points[-1][1]) if points else "—",
        ),
    )
    return challenge_page(
        page,
        session,
        challenge,
        "leaderboard",
        "challenge/leaderboard.html",
        board=board,
        rows=rows,
        chart=chart,
        points=points,
        revealed=challenge.revealed_at is not None,
        staff=page.user is not None and is_staff(page.user),
        higher=spec.greater_is_better,
    )


@router.get("/datasets", response_class=HTMLResponse)
def dataset_list(page: PageDep, session: SessionDep) -> HTMLResponse:
    return page.render("datasets.html", versions=dataset_service.latest_versions(session))


@router.get("/datasets/{dataset_id}", response_class=HTMLResponse)
def dataset_latest(
    page: PageDep, session: SessionDep, settings: SettingsDep, dataset_id: str
) -> HTMLResponse:
    row = dataset_service.get_version(session, dataset_id)
    return page.render("dataset.html", **_release(page, settings, session, row))


@router.get("/datasets/{dataset_id}/versions/{version}", response_class=HTMLResponse)
def dataset_version(
    page: PageDep,
    session: SessionDep,
    settings: SettingsDep,
    dataset_id: str,
    version: RowNumber,
) -> HTMLResponse:
    row = dataset_service.get_version(session, dataset_id, version)
    return page.render("dataset.html", **_release(page, settings, session, row))
