"""Organizer commands (run on the server's machine, against its database) and the
participant's commands in the manner of the Kaggle CLI (run anywhere, over HTTP)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from odx.platform.cli.client import Client, save_login
from odx.platform.cli.output import console
from odx.platform.db.engine import session_scope
from odx.platform.services import challenges, users
from odx.platform.services.datasets import prepare_storage
from odx.platform.settings import get_settings

challenges_app = typer.Typer(help="Create and run challenges.", no_args_is_help=True)
users_app = typer.Typer(help="Users and their API tokens (on the server).", no_args_is_help=True)
teams_app = typer.Typer(help="Create or join a team.", no_args_is_help=True)

ChallengeArg = Annotated[str, typer.Argument(help="Challenge id.")]


def _local():  # type: ignore[no-untyped-def]
    settings = get_settings()
    prepare_storage(settings)
    return session_scope(settings.resolved_database_url)


@users_app.command("create")
def create_user(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[
        str, typer.Option(help="admin, organizer, judge or participant.")
    ] = "participant",
) -> None:
    """Create a user and print its token (shown once)."""
    with _local() as session:
        user, token = users.create_user(session, name=name, role=role, actor="cli")
        console.print(f"created {user.role} '{user.name}'. Token (shown once, keep it safe):")
        console.print(token, highlight=False, soft_wrap=True)


@users_app.command("role")
def set_role(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Argument(help="admin, organizer, judge or participant.")],
) -> None:
    """Change a user's role (recorded in the audit log)."""
    with _local() as session:
        user = users.set_role(session, name, role, actor="cli")
        console.print(f"'{user.name}' is now {user.role}")


@challenges_app.command("create")
def create_challenge(
    file: Annotated[Path, typer.Option("-f", "--file", help="challenge.yaml")],
) -> None:
    """Validate a challenge definition and register it."""
    with _local() as session:
        challenge = challenges.register(session, file, actor="cli")
        console.print(f"challenge '{challenge.id}' registered")


@challenges_app.command("list")
def list_challenges() -> None:
    """Challenges on the server."""
    table = Table(title="challenges")
    for column in ("id", "title", "task", "metric", "open", "ends"):
        table.add_column(column)
    for c in Client().json("GET", "/api/challenges"):
        table.add_row(
            c["id"],
            c["title_ko"],
            c["task"],
            c["metric"],
            "yes" if c["is_open"] else "no",
            c["phases"][-1]["end"],
        )
    console.print(table)


@challenges_app.command("show")
def show_challenge(challenge: ChallengeArg) -> None:
    c = Client().json("GET", f"/api/challenges/{challenge}")
    console.print_json(data=c)


def _organizer_action(challenge: str, action: str) -> None:
    with _local() as session:
        found = challenges.get(session, challenge)
        getattr(challenges, action)(session, found, actor="cli")
    console.print(f"{challenge}: {action} done")


@challenges_app.command("close")
def close(challenge: ChallengeArg) -> None:
    """Stop accepting submissions now."""
    _organizer_action(challenge, "close")


@challenges_app.command("reveal")
def reveal(challenge: ChallengeArg) -> None:
    """Reveal the private leaderboard."""
    _organizer_action(challenge, "reveal")


@teams_app.command("create")
def team_create(challenge: ChallengeArg, name: Annotated[str, typer.Argument()]) -> None:
    team = Client().json("POST", f"/api/challenges/{challenge}/teams", json={"name": name})
    console.print(f"team '{team['name']}' created; invite code: {team['invite_code']}")


@teams_app.command("join")
def team_join(
    challenge: ChallengeArg,
    name: Annotated[str, typer.Argument()],
    invite_code: Annotated[str, typer.Argument()],
) -> None:
    team = Client().json(
        "POST",
        f"/api/challenges/{challenge}/teams/join",
        json={"name": name, "invite_code": invite_code},
    )
    console.print(f"joined '{team['name']}': {', '.join(team['members'])}")


def login(
    url: Annotated[str, typer.Argument(help="Server URL.")],
    token: Annotated[str, typer.Argument(help="Your API token.")],
) -> None:
    """Remember the server and your token for the participant commands."""
    path = save_login(url, token)
    who = Client().json("GET", "/api/me")
    console.print(f"signed in to {url} as {who['name']} ({who['role']}); saved in {path}")


def submit(
    challenge: ChallengeArg,
    file: Annotated[
        Path, typer.Argument(help="CSV, .csv.gz or .zip.", exists=True, dir_okay=False)
    ],
    message: Annotated[str, typer.Option("-m", "--message")] = "",
    wait: Annotated[bool, typer.Option("--wait", help="Wait until it is scored.")] = False,
) -> None:
    """Upload predictions, like `kaggle competitions submit`."""
    client = Client()
    with file.open("rb") as handle:
        sub = client.json(
            "POST",
            f"/api/challenges/{challenge}/submissions",
            files={"file": (file.name, handle)},
            data={"message": message},
        )
    console.print(f"submission {sub['id']} {sub['status']}")
    while wait and sub["status"] in ("queued", "scoring"):
        time.sleep(1)
        sub = client.json("GET", f"/api/submissions/{sub['id']}")
    if wait:
        _print_outcome(sub)
        if sub["status"] == "failed":
            raise typer.Exit(1)


def _print_outcome(sub: dict) -> None:  # type: ignore[type-arg]
    if sub["status"] == "scored":
        console.print(
            f"scored: public {sub['public_score']:.6g} "
            f"(95% CI {sub['public_low']:.6g} – {sub['public_high']:.6g})"
        )
    elif sub["status"] == "failed":
        console.print("[red]failed:[/red]")
        for problem in sub.get("problems") or []:
            console.print(f"  - {problem.get('message')}", highlight=False)


def submissions(challenge: ChallengeArg) -> None:
    """Your team's submissions."""
    table = Table(title=f"{challenge}: submissions")
    for column in ("id", "when (UTC)", "status", "public", "final", "message"):
        table.add_column(column)
    for s in Client().json("GET", f"/api/challenges/{challenge}/submissions"):
        score = "" if s["public_score"] is None else f"{s['public_score']:.6g}"
        table.add_row(
            s["id"][:12],
            s["created_at"][:19],
            s["status"],
            score,
            "✓" if s["selected"] else "",
            s["message"],
        )
    console.print(table)


def leaderboard(
    challenge: ChallengeArg,
    private: Annotated[
        bool, typer.Option("--private", help="The private board, if revealed.")
    ] = False,
    download: Annotated[Path | None, typer.Option("--download", help="Save as CSV.")] = None,
) -> None:
    """The leaderboard, like `kaggle competitions leaderboard`."""
    board = "private" if private else "public"
    client = Client()
    if download:
        text = client.request(
            "GET",
            f"/api/challenges/{challenge}/leaderboard",
            params={"board": board, "format": "csv"},
        ).text
        download.write_text(text, encoding="utf-8")
        console.print(f"saved {download}")
        return
    data = client.json("GET", f"/api/challenges/{challenge}/leaderboard", params={"board": board})
    table = Table(title=f"{challenge}: {board} leaderboard")
    for column in ("rank", "team", "score", "95% CI", "entries", "last"):
        table.add_column(column)
    for r in data["rows"]:
        score = "" if r["score"] is None else f"{r['score']:.6g}"
        ci = "" if r["low"] is None else f"{r['low']:.4g} – {r['high']:.4g}"
        rank = "baseline" if r["is_baseline"] else ("" if r["rank"] is None else str(r["rank"]))
        table.add_row(rank, r["team"], score, ci, str(r["entries"]), r["last_submitted_at"][:16])
    console.print(table)


def download(
    challenge: ChallengeArg,
    out: Annotated[Path, typer.Option("--path", "-p", help="Folder to save into.")] = Path("."),
) -> None:
    """Download the challenge's public files, checking each checksum."""
    import hashlib

    client = Client()
    c = client.json("GET", f"/api/challenges/{challenge}")
    version = client.json("GET", f"/api/datasets/{c['dataset_id']}/versions/{c['dataset_version']}")
    out.mkdir(parents=True, exist_ok=True)
    for f in version["files"]:
        body = client.request("GET", f["url"]).content
        if hashlib.sha256(body).hexdigest() != f["sha256"]:
            raise typer.BadParameter(f"{f['name']}: checksum mismatch; download again")
        (out / f["name"]).write_bytes(body)
        console.print(f"{f['name']:24} {len(body):>10} B  sha256 ok")


def select(
    submission_id: Annotated[str, typer.Argument(help="Submission id (from `odx submissions`).")],
    unselect: Annotated[
        bool, typer.Option("--unselect", help="Remove it from the finals.")
    ] = False,
) -> None:
    """Choose a scored submission as one of your team's final ones (for the private board)."""
    sub = Client().json(
        "POST", f"/api/submissions/{submission_id}/select", json={"selected": not unselect}
    )
    console.print(f"{sub['id']}: {'final' if sub['selected'] else 'not final'}")
