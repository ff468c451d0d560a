"""Options and helpers the command modules share. Light on purpose: nothing heavy at import."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from odx.platform import instance
from odx.platform.cli.target import Local

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from odx.platform.settings import Settings

LocalOpt = Annotated[
    bool,
    typer.Option(
        "--local",
        help="Act on the local platform ($ODX_HOME, default ./.odx) instead of a server.",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts).")]
ChallengeArg = Annotated[str, typer.Argument(help="Challenge id.")]


def print_json(data: Any) -> None:
    """Plain JSON on standard output: no colours, no wrapping, Hangul as it is."""
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def local_settings(target: Local) -> Settings:
    """The settings of an existing local platform (refused when there is none)."""
    from odx.platform.settings import get_settings

    instance.require(target.home)
    return get_settings().model_copy(update={"home": target.home})


@contextmanager
def local_session(target: Local) -> Iterator[Session]:
    """A database session on an existing local platform, schema brought up to date."""
    from odx.platform.db.engine import session_scope, upgrade

    settings = local_settings(target)
    upgrade(settings.resolved_database_url)
    with session_scope(settings.resolved_database_url) as session:
        yield session
