"""``odx models …`` and ``odx rescore``: a model challenge's winners, served and verified."""

from __future__ import annotations

from typing import Annotated

import typer

from odx.platform.cli.common import ChallengeArg, JsonOpt, LocalOpt, local_settings, print_json
from odx.platform.cli.output import console
from odx.platform.cli.participant_cmd import client
from odx.platform.cli.target import Local, Remote, choose

models_app = typer.Typer(
    help="Registered models of model challenges.", no_args_is_help=True, rich_markup_mode=None
)


@models_app.command("register")
def register(challenge: ChallengeArg, local: LocalOpt = False, as_json: JsonOpt = False) -> None:
    """Register a revealed model challenge's ranked models in MLflow (organizers; done at the
    reveal, so this is for after an MLflow outage). The winner gets the alias 'champion'."""
    target = choose(local=local)
    if isinstance(target, Remote):
        rows = client().json("POST", f"/api/challenges/{challenge}/models/register")
    else:
        from odx.platform.services import model_registry

        found = model_registry.register_finalists(local_settings(target), challenge)
        rows = [vars(model) for model in found]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        console.print(
            f"#{row['rank']} {row['team']}: odx-{challenge} version {row['version']} "
            f"(submission {row['submission_id'][:12]}, private {row['private_score']})",
            highlight=False,
        )
    if not rows:
        console.print("no ranked model to register")


@models_app.command("serve")
def serve(
    challenge: ChallengeArg,
    alias: Annotated[str, typer.Option(help="Which registered version.")] = "champion",
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 5001,
) -> None:
    """Serve a registered model on 127.0.0.1 in MLflow's scoring-server format (organizers,
    on the platform's machine: every request runs in the model sandbox)."""
    import uvicorn

    from odx.platform.serving import create_serving_app

    settings = local_settings(choose(local=True))  # type: ignore[arg-type]
    app = create_serving_app(settings, challenge, alias)
    console.print(f"serving odx-{challenge}@{alias} at http://127.0.0.1:{port}/invocations")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def rescore(
    submission: Annotated[str, typer.Argument(help="Submission id.")],
    local: LocalOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Run a model submission again in the sandbox (or score a file again) and say whether
    its predictions and scores match the stored ones exactly (judges, organizers)."""
    target = choose(local=local)
    if isinstance(target, Remote):
        result = client().json("POST", f"/api/submissions/{submission}/rescore")
    else:
        result = _rescore_locally(target, submission)
    if as_json:
        print_json(result)
    else:
        console.print(f"{result['submission_id']}: {result['message']}", highlight=False)
        if result["predictions_match"] is not None:
            same = "the same" if result["predictions_match"] else "DIFFERENT"
            console.print(f"  predictions: {same} bytes as stored")
        for name, stored in result["stored"].items():
            console.print(f"  {name}: stored {stored}, now {result['recomputed'].get(name)}")
    if not result["verified"]:
        raise typer.Exit(1)


def _rescore_locally(target: Local, submission: str) -> dict:
    from odx.platform.services.rescore import rescore as run

    result = run(local_settings(target), submission)
    return vars(result) | {"verified": result.verified}
