"""``odx challenges …``: reading them from the server, and the organizer's actions, on a server
(role checked there) or on the local platform (see ``target``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from odx.platform.cli.common import (
    ChallengeArg,
    JsonOpt,
    LocalOpt,
    local_session,
    local_settings,
    print_json,
)
from odx.platform.cli.output import console
from odx.platform.cli.participant_cmd import client
from odx.platform.cli.target import Remote, choose

challenges_app = typer.Typer(
    help="See, create and run challenges.", no_args_is_help=True, rich_markup_mode=None
)


@challenges_app.command("list")
def list_challenges(as_json: JsonOpt = False) -> None:
    """Challenges on the server."""
    from rich.table import Table

    rows = client().json("GET", "/api/challenges")
    if as_json:
        print_json(rows)
        return
    table = Table(title="challenges")
    for column in ("id", "title", "task", "metric", "open", "ends"):
        table.add_column(column, overflow="fold")
    for c in rows:
        ends = c["closed_at"] or c["phases"][-1]["end"]
        table.add_row(
            c["id"], c["title_ko"], c["task"], c["metric"], "yes" if c["is_open"] else "no", ends
        )
    console.print(table)


@challenges_app.command("show")
def show_challenge(challenge: ChallengeArg, as_json: JsonOpt = False) -> None:
    """One challenge: task, metric, phases and limits."""
    c = client().json("GET", f"/api/challenges/{challenge}")
    if as_json:
        print_json(c)
        return
    console.print(f"[bold]{c['id']}[/bold] — {c['title_ko']} · {c['title_en']}")
    console.print(
        f"{c['task']}, {c['metric']} ({c['direction']}); dataset {c['dataset_id']} "
        f"v{c['dataset_version']}; {'open' if c['is_open'] else 'not open'}"
    )
    for phase in c["phases"]:
        console.print(f"  phase {phase.get('name', '')}: {phase['start']} → {phase['end']}")
    console.print("  limits: " + ", ".join(f"{k} {v}" for k, v in c["limits"].items()))


@challenges_app.command("create")
def create_challenge(
    file: Annotated[
        Path, typer.Option("-f", "--file", help="challenge.yaml", exists=True, dir_okay=False)
    ],
    local: LocalOpt = False,
) -> None:
    """Validate a challenge definition and register it (organizers)."""
    target = choose(local=local)
    if isinstance(target, Remote):
        created = client().json(
            "POST",
            "/api/challenges",
            content=file.read_bytes(),
            headers={"Content-Type": "application/yaml"},
        )
        challenge_id = created["id"]
    else:
        from odx.platform.services import challenges

        with local_session(target) as session:
            challenge_id = challenges.register(session, file, actor="cli").id
    console.print(f"challenge '{challenge_id}' registered")


def _organizer_action(challenge: str, action: str, local: bool) -> None:
    """POST ``/api/challenges/{id}/{action}`` on a server, or call the service of the same
    name on the local platform (``close`` or ``reveal``)."""
    target = choose(local=local)
    if isinstance(target, Remote):
        client().json("POST", f"/api/challenges/{challenge}/{action}")
    else:
        from odx.platform.services import challenges, model_registry

        local_actions = {"close": challenges.close, "reveal": challenges.reveal}
        with local_session(target) as session:
            local_actions[action](session, challenges.get(session, challenge), actor="cli")
        if action == "reveal":  # committed: a model challenge's winners are registered now
            model_registry.after_reveal(local_settings(target), challenge)
    console.print(f"{challenge}: {action} done")


@challenges_app.command("close")
def close(challenge: ChallengeArg, local: LocalOpt = False) -> None:
    """Stop accepting submissions now (organizers)."""
    _organizer_action(challenge, "close", local)


@challenges_app.command("reveal")
def reveal(challenge: ChallengeArg, local: LocalOpt = False) -> None:
    """Reveal the private leaderboard of a closed challenge (organizers)."""
    _organizer_action(challenge, "reveal", local)
