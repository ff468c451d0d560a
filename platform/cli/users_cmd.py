"""``odx users …``: accounts and roles, on a server (role checked there) or locally."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Annotated

import typer

from odx.platform.cli.common import JsonOpt, LocalOpt, local_session, print_json
from odx.platform.cli.output import console
from odx.platform.cli.participant_cmd import client
from odx.platform.cli.target import Remote, choose
from odx.platform.errors import InvalidInputError

users_app = typer.Typer(
    help="Users, roles and their API tokens.", no_args_is_help=True, rich_markup_mode=None
)

RoleArg = Annotated[str, typer.Argument(help="admin, organizer, judge, participant or evaluator.")]


@users_app.command("create")
def create_user(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[
        str, typer.Option(help="admin, organizer, judge, participant or evaluator.")
    ] = "participant",
    local: LocalOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Create a user and print its token (shown once). Organizers create participants and
    judges; admins any role."""
    target = choose(local=local)
    if isinstance(target, Remote):
        created = client().json("POST", "/api/users", json={"name": name, "role": role})
        user_name, user_role, token = created["name"], created["role"], created["token"]
    else:
        from odx.platform.services import users

        with local_session(target) as session:
            user, token = users.create_user(session, name=name, role=role, actor="cli")
            user_name, user_role = user.name, user.role
    if as_json:
        print_json({"name": user_name, "role": user_role, "token": token})
        return
    console.print(f"created {user_role} '{user_name}'. Token (shown once, keep it safe):")
    console.print(token, highlight=False, soft_wrap=True)


def _names(path: Path) -> list[str]:
    """Login names from a CSV: its 'name' column, or its first column when it has none."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{path}: cannot read it as UTF-8 text ({exc})") from None
    rows = [row for row in csv.reader(io.StringIO(text)) if row and any(c.strip() for c in row)]
    if not rows:
        raise InvalidInputError(f"{path}: no names in it")
    header = [c.strip().lower() for c in rows[0]]
    column = header.index("name") if "name" in header else 0
    body = rows[1:] if "name" in header else rows
    return [row[column].strip() for row in body if len(row) > column and row[column].strip()]


@users_app.command("import")
def import_users(
    path: Annotated[Path, typer.Argument(help="A CSV of login names (a 'name' column).")],
    role: Annotated[
        str, typer.Option(help="The role of every one of them, e.g. evaluator.")
    ] = "participant",
    tokens: Annotated[
        Path, typer.Option(help="Where to write name,role,token (readable by you only).")
    ] = Path("tokens.csv"),
    local: LocalOpt = False,
) -> None:
    """Create many users at once, all or none (e.g. the evaluators of a user evaluation);
    their tokens go to a file only you can read, not to the screen."""
    names = _names(path)
    if tokens.exists():
        raise InvalidInputError(f"{tokens} exists; choose another --tokens file")
    target = choose(local=local)
    if isinstance(target, Remote):
        body = {"names": names, "role": role}
        created = [
            (u["name"], u["role"], u["token"])
            for u in client().json("POST", "/api/users/bulk", json=body)
        ]
    else:
        from odx.platform.services import users

        with local_session(target) as session:
            created = []
            for name in names:
                user, token = users.create_user(session, name=name, role=role, actor="cli")
                created.append((user.name, user.role, token))
    handle = os.fdopen(os.open(tokens, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w")
    with handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["name", "role", "token"])
        writer.writerows(created)
    console.print(f"created {len(created)} users ({role}); their tokens are in {tokens}")


@users_app.command("role")
def set_role(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: RoleArg,
    local: LocalOpt = False,
) -> None:
    """Change a user's role (admins; recorded in the audit log)."""
    target = choose(local=local)
    if isinstance(target, Remote):
        client().json("POST", f"/api/users/{name}/role", json={"role": role})
    else:
        from odx.platform.services import users

        with local_session(target) as session:
            users.set_role(session, name, role, actor="cli")
    console.print(f"'{name}' is now {role}")


@users_app.command("mlflow-access")
def mlflow_access(
    name: Annotated[str, typer.Argument(help="Login name of a judge (or other staff).")],
    local: LocalOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Give a judge a read-only account on the MLflow tracking server and print its password
    (shown once; running this again sets a new one). Participants never get one."""
    target = choose(local=local)
    if isinstance(target, Remote):
        access = client().json("POST", f"/api/users/{name}/mlflow-access")
    else:
        from odx.platform.cli.common import local_settings
        from odx.platform.services import mlflow_access as service

        with local_session(target) as session:
            granted = service.grant(session, local_settings(target), name, actor="cli")
        access = {
            "tracking_uri": granted.tracking_uri,
            "username": granted.username,
            "password": granted.password,
        }
    if as_json:
        print_json(access)
        return
    console.print(f"MLflow at {access['tracking_uri']}: user '{access['username']}' may read.")
    console.print("Password (shown once, keep it safe):")
    console.print(access["password"], highlight=False, soft_wrap=True)
