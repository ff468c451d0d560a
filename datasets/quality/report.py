"""Quality reports as JSON (for machines) and a standalone HTML page (for people)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        keep_trailing_newline=True,
    )


def public_report(report: dict[str, Any], *, target: str) -> dict[str, Any]:
    """The report as participants may see it: nothing computed from the target's values.

    Expectations on the target column ran over every row, hidden test rows included, so
    their observed values and examples are removed; only the verdict stays.
    """
    redacted = copy.deepcopy(report)
    for outcome in redacted["expectations"]["outcomes"]:
        if outcome.get("column") == target:
            outcome.update(
                observed_value=None, unexpected_count=None, unexpected_percent=None, examples=[]
            )
            kwargs = outcome.get("kwargs", {})
            outcome["kwargs"] = {k: v for k, v in kwargs.items() if k in ("column", "mostly")}
    redacted["redacted"] = f"observed values of the target column '{target}' are not shown"
    return redacted


def render_html(report: dict[str, Any]) -> str:
    return _environment().get_template("quality_report.html.j2").render(report=report)


def write_report(report: dict[str, Any], json_path: Path, html_path: Path) -> None:
    """Write both forms; bytes depend only on the report's content."""
    text = json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n"
    json_path.write_text(text, encoding="utf-8")
    html_path.write_text(render_html(report), encoding="utf-8")
