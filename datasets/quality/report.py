"""Quality reports as JSON (for machines) and a standalone HTML page (for people), and the
checks in words, Korean and English, rebuilt from each check's details."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
CHECK_TEXTS = TEMPLATES / "quality_checks.yaml"
LANGS = ("ko", "en")


@cache
def check_texts() -> dict[str, dict[str, dict[str, str]]]:
    texts: dict[str, dict[str, dict[str, str]]] = yaml.safe_load(
        CHECK_TEXTS.read_text(encoding="utf-8")
    )
    for name, parts in texts.items():
        for part, text in parts.items():
            if any(not text.get(lang) for lang in LANGS):
                raise ValueError(f"{CHECK_TEXTS.name}: {name}.{part} needs Korean and English")
    return texts


def check_title(name: str, lang: str) -> str:
    """A check's name for people (the code name for a check these texts do not know)."""
    return check_texts().get(name, {}).get("title", {}).get(lang, name)


def expectation_label(expectation: str, column: str | None) -> str:
    return f"{expectation}({column})" if column else expectation


class _Words:
    """The texts of one check in one language."""

    def __init__(self, parts: Mapping[str, Mapping[str, str]], lang: str) -> None:
        self.parts, self.lang = parts, lang

    def __call__(self, part: str, **values: Any) -> str:
        return self.parts[part][self.lang].format(**values)

    def word(self, part: str, default: str) -> str:
        return self.parts.get(part, {}).get(self.lang, default)

    def limit(self, details: Mapping[str, Any]) -> str:
        """The threshold after a summary, or nothing when the details do not carry it."""
        try:
            return self("limit", **details)
        except (KeyError, TypeError, ValueError):
            return ""


def _expectations(d: Mapping[str, Any], say: _Words) -> str:
    failed = d["failed"]
    part = "failed" if failed else "met"
    return say(part, successful=d["successful"], evaluated=d["evaluated"], failed=", ".join(failed))


def _personal_data(d: Mapping[str, Any], say: _Words) -> str:
    blocking = [f for f in d["findings"] if f["column"] not in d["allowed"]]
    if blocking:
        findings = ", ".join(
            say(
                "finding",
                column=f["column"],
                kind=say.word(f"kind.{f['kind']}", f["kind"]),
                count=f["count"],
            )
            for f in blocking
        )
        return say("blocking", findings=findings)
    return say("allowed_only") if d["findings"] else say("none")


def _k_anonymity(d: Mapping[str, Any], say: _Words) -> str:
    if not d["quasi_identifiers"]:
        return say("none")
    measured = say("measured", quasi_identifiers=", ".join(d["quasi_identifiers"]), k=d["k"])
    return measured + say.limit(d)


def _target_leakage(d: Mapping[str, Any], say: _Words) -> str:
    leaks = [s for s in d["scores"] if s["flagged"]]
    if leaks:
        found = ", ".join(say("leak", column=s["column"], score=s["score"]) for s in leaks)
        return say("leaks", leaks=found)
    by_auc = any(str(s.get("kind", "")).startswith("auc_") for s in d["scores"])  # binary
    return say("none_auc" if by_auc else "none", threshold=d["threshold"])


def _id_like_columns(d: Mapping[str, Any], say: _Words) -> str:
    if d["columns"]:
        return say("found", columns=", ".join(c["column"] for c in d["columns"]))
    return say("none")


def _ranking_leakage(d: Mapping[str, Any], say: _Words) -> str:
    words = dict(d) | {"tables": ", ".join(d["tables"]) or "-"}
    return say("found" if d["pairs_in_tables"] or d["feature_mentions"] else "none", **words)


def _measured(d: Mapping[str, Any], say: _Words) -> str:
    return say("summary", **d) + say.limit(d)


_SUMMARIES: dict[str, Callable[[Mapping[str, Any], _Words], str]] = {
    "expectations": _expectations,
    "personal_data": _personal_data,
    "k_anonymity": _k_anonymity,
    "target_leakage": _target_leakage,
    "ranking_leakage": _ranking_leakage,
    "id_like_columns": _id_like_columns,
    "train_test_duplicates": _measured,
    "adversarial_validation": _measured,
}


def describe(name: str, details: Mapping[str, Any], lang: str) -> str | None:
    """A check's one-line summary in ``lang``, built from its details; None when the check is
    unknown or its details lack what the sentence needs."""
    parts, summary = check_texts().get(name), _SUMMARIES.get(name)
    if parts is None or summary is None:
        return None
    try:
        return summary(details, _Words(parts, lang))
    except (KeyError, TypeError, ValueError):
        return None


def check_summary(check: Mapping[str, Any], lang: str, report: Mapping[str, Any]) -> str:
    """A published check's summary for a page in ``lang``.

    English is the report's own sentence. Other languages are rebuilt from the details, and
    for reports written before release format 3 the expectation counts come from the
    report's expectations section; what cannot be rebuilt stays as the report says it.
    """
    if lang == "en":
        return check["summary"]
    details = dict(check.get("details") or {})
    if check["name"] == "expectations" and "evaluated" not in details:
        suite = report["expectations"]
        details |= {
            "successful": suite["successful"],
            "evaluated": suite["evaluated"],
            "failed": [
                expectation_label(o["expectation"], o.get("column"))
                for o in suite["outcomes"]
                if not o["success"]
            ],
        }
    return describe(check["name"], details, lang) or check["summary"]


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
