"""``odx teams …``: a participant's team, always on the server (HTTP with their token)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from odx.platform.cli.common import ChallengeArg, JsonOpt, print_json
from odx.platform.cli.output import console
from odx.platform.cli.participant_cmd import client

teams_app = typer.Typer(
    help="Create, join or show your team.", no_args_is_help=True, rich_markup_mode=None
)

TeamName = Annotated[str, typer.Argument(help="Team name (unique within the challenge).")]


@teams_app.command("create")
def team_create(challenge: ChallengeArg, name: TeamName, as_json: JsonOpt = False) -> None:
    """Create a team and become its first member; prints the invite code for team-mates."""
    team = client().json("POST", f"/api/challenges/{challenge}/teams", json={"name": name})
    if as_json:
        print_json(team)
        return
    console.print(f"team '{team['name']}' created; invite code (shown once): ", end="")
    console.print(team["invite_code"], highlight=False, soft_wrap=True)


@teams_app.command("join")
def team_join(
    challenge: ChallengeArg,
    name: TeamName,
    invite_code: Annotated[str, typer.Argument(help="The code the team's creator was given.")],
    as_json: JsonOpt = False,
) -> None:
    """Join a team with its invite code."""
    team = client().json(
        "POST",
        f"/api/challenges/{challenge}/teams/join",
        json={"name": name, "invite_code": invite_code},
    )
    _print_team(team, as_json, f"joined '{team['name']}'")


@teams_app.command("show")
def team_show(challenge: ChallengeArg, as_json: JsonOpt = False) -> None:
    """Your team in a challenge and its members."""
    team = client().json("GET", f"/api/challenges/{challenge}/team")
    _print_team(team, as_json, f"team '{team['name']}'")


def _print_team(team: dict[str, Any], as_json: bool, headline: str) -> None:
    if as_json:
        print_json(team)
        return
    console.print(f"{headline}: {', '.join(team['members'])}")
