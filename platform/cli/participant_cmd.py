"""The participant's commands, in the manner of the Kaggle CLI: they run anywhere, over HTTP.

Nothing heavy is imported here (no pandas, scikit-learn, MLflow, FastAPI): these commands
start in a fraction of a second.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO

import typer

from odx.platform.cli.common import ChallengeArg, JsonOpt, print_json
from odx.platform.cli.login import save_login
from odx.platform.cli.output import console
from odx.platform.states import FINAL_SUBMISSION_STATES, SubmissionStatus

if TYPE_CHECKING:
    from odx.platform.cli.client import Client


def client() -> Client:
    from odx.platform.cli.client import Client

    return Client()


def login(
    url: Annotated[str, typer.Argument(help="Server URL, e.g. https://odx.example.kr")],
    token: Annotated[str, typer.Argument(help="Your API token (odx_…).")],
) -> None:
    """Remember the server and your token; every command then acts on that server."""
    from odx.platform.cli.client import Client

    who = Client(url, token).json("GET", "/api/me")  # check before saving
    path = save_login(url, token)
    console.print(f"signed in to {url} as {who['name']} ({who['role']}); saved in {path}")


def submit(
    challenge: ChallengeArg,
    file: Annotated[
        Path,
        typer.Argument(
            help="Predictions (CSV, .csv.gz or .zip), or for a model challenge a folder saved "
            "by MLflow (zipped here) or its zip.",
            exists=True,
        ),
    ],
    message: Annotated[str, typer.Option("-m", "--message")] = "",
    wait: Annotated[bool, typer.Option("--wait", help="Wait until it is scored.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Upload predictions or a model, like `kaggle competitions submit`."""
    http = client()
    with _upload_file(file) as (name, handle):
        sub = http.json(
            "POST",
            f"/api/challenges/{challenge}/submissions",
            files={"file": (name, handle)},
            data={"message": message},
        )
    if not as_json:
        console.print(f"submission {sub['id']} {sub['status']}")
    while wait and sub["status"] not in FINAL_SUBMISSION_STATES:
        time.sleep(1)
        sub = http.json("GET", f"/api/submissions/{sub['id']}")
    if as_json:
        print_json(sub)
    elif wait:
        _print_outcome(sub)
    if wait and sub["status"] == SubmissionStatus.FAILED:
        raise typer.Exit(1)


@contextmanager
def _upload_file(path: Path) -> Iterator[tuple[str, BinaryIO]]:
    """The file to send: the file itself, or a model folder zipped into a temp file."""
    if not path.is_dir():
        with path.open("rb") as handle:
            yield path.name, handle
        return
    from odx.submissions.models.archive import MLMODEL, ModelArchiveError, zip_folder

    if not (path / MLMODEL).is_file():
        raise ModelArchiveError(
            f"{path} holds no {MLMODEL} file: save the model with mlflow.pyfunc.save_model "
            "(or mlflow.<flavor>.save_model) and submit that folder"
        )
    with tempfile.TemporaryFile() as handle:
        zip_folder(path, handle)
        handle.seek(0)
        yield f"{path.resolve().name}.zip", handle


def _print_outcome(sub: dict[str, Any]) -> None:
    if sub["status"] == SubmissionStatus.SCORED:
        console.print(
            f"scored: public {sub['public_score']:.6g} "
            f"(95% CI {sub['public_low']:.6g} – {sub['public_high']:.6g})"
        )
    elif sub["status"] == SubmissionStatus.FAILED:
        console.print("[red]failed:[/red]")
        for problem in sub.get("problems") or []:
            console.print(f"  - {problem.get('message')}", highlight=False)


def submissions(challenge: ChallengeArg, as_json: JsonOpt = False) -> None:
    """Your team's submissions (ids are shortened; `odx select` takes the short form)."""
    from rich.table import Table

    rows = client().json("GET", f"/api/challenges/{challenge}/submissions")
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"{challenge}: submissions")
    for column in ("id", "when (UTC)", "status", "public", "final", "message"):
        table.add_column(column)
    for s in rows:
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
    as_json: JsonOpt = False,
) -> None:
    """The leaderboard, like `kaggle competitions leaderboard`."""
    from rich.table import Table

    board = "private" if private else "public"
    http = client()
    path = f"/api/challenges/{challenge}/leaderboard"
    if download:
        text = http.request("GET", path, params={"board": board, "format": "csv"}).text
        download.write_text(text, encoding="utf-8")
        console.print(f"saved {download}")
        return
    data = http.json("GET", path, params={"board": board})
    if as_json:
        print_json(data)
        return
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
    """Download the challenge's files, checking each checksum (data for finalists only: after
    `odx terms CHALLENGE --accept`)."""
    http = client()
    c = http.json("GET", f"/api/challenges/{challenge}")
    version = http.json("GET", f"/api/datasets/{c['dataset_id']}/versions/{c['dataset_version']}")
    out.mkdir(parents=True, exist_ok=True)
    for f in version["files"]:
        body = _fetch(http, challenge, f["url"])
        if hashlib.sha256(body).hexdigest() != f["sha256"]:
            raise typer.BadParameter(f"{f['name']}: checksum mismatch; download again")
        (out / f["name"]).write_bytes(body)
        console.print(f"{f['name']:24} {len(body):>10} B  sha256 ok")
    console.print(f"{len(version['files'])} files in {out}")


def _fetch(http: Client, challenge: str, url: str) -> bytes:
    """One file; a table that does not exist for this user on a finalists-only challenge
    gets a refusal that says why, rather than the bare 404 the server gives."""
    from odx.platform.cli.client import RemoteError

    try:
        return http.request("GET", url).content
    except RemoteError as exc:
        if exc.extra.get("status") != 404 or not _needs_terms(http, challenge):
            raise
        raise RemoteError(
            f"the data of '{challenge}' is for members of finalist teams who accepted its "
            f"data-use terms: see `odx terms {challenge}`"
        ) from None


def _needs_terms(http: Client, challenge: str) -> bool:
    from odx.platform.cli.client import RemoteError

    try:
        state = http.json("GET", f"/api/challenges/{challenge}/data-terms")
    except RemoteError:  # e.g. not signed in: keep the server's own answer
        return False
    return bool(state["finalists_only"]) and not state["accepted"]


def terms(
    challenge: ChallengeArg,
    accept: Annotated[
        bool,
        typer.Option("--accept", help="Accept the terms (members of finalist teams; recorded)."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """The data-use terms of a challenge whose data is for finalists only (Korean and
    English), and whether you may download its data; --accept records your acceptance."""
    from rich.padding import Padding
    from rich.text import Text

    path = f"/api/challenges/{challenge}/data-terms"
    state = client().json("POST" if accept else "GET", path)
    if as_json:
        print_json(state)
        return
    if not state["finalists_only"]:
        console.print(f"the data of '{challenge}' is public: `odx download {challenge}`")
        return
    console.print(f"data-use terms of '{challenge}' (its data is for finalist teams only):")
    for lang in ("ko", "en"):  # the server's text, never read as markup
        console.print(Padding(Text(f"{lang}: {state['terms'][lang]}"), (0, 0, 0, 2)))
    if state["accepted"]:
        console.print(f"you accepted these terms: `odx download {challenge}` fetches the data")
    elif state["finalist"]:
        console.print(f"your team is a finalist: `odx terms {challenge} --accept` to download")
    else:
        console.print(
            "you may not download the data: only members of finalist teams accept these terms"
        )


def select(
    submission_id: Annotated[
        str, typer.Argument(help="Submission id, or its short form from `odx submissions`.")
    ],
    unselect: Annotated[
        bool, typer.Option("--unselect", help="Remove it from the finals.")
    ] = False,
) -> None:
    """Choose a scored submission as one of your team's final ones (for the private board)."""
    sub = client().json(
        "POST", f"/api/submissions/{submission_id}/select", json={"selected": not unselect}
    )
    console.print(f"{sub['id']}: {'final' if sub['selected'] else 'not final'}")


COMMANDS = (login, submit, submissions, leaderboard, download, terms, select)
