"""The quality gate: every check a dataset must pass before it may be published.

It runs on the prepared dataset and its split, so that leakage is measured on exactly the
rows participants will see. The result is plain data (:class:`GateReport`), written as JSON
and HTML by :mod:`odx.datasets.quality.report`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from odx.datasets.quality.expectations import SuiteResult, run_suite
from odx.datasets.quality.leakage import (
    adversarial_auc,
    cross_split_duplicates,
    find_id_like_columns,
    find_target_leaks,
)
from odx.datasets.quality.privacy import k_anonymity, scan_personal_data
from odx.datasets.spec import ColumnType, LoadedSpec
from odx.datasets.split import Split

Step = Callable[[str], None]


@dataclass(frozen=True)
class Check:
    """One named check: passed or not, a one-line summary, and details for the report."""

    name: str
    success: bool
    summary: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GateReport:
    dataset_id: str
    fingerprint: str
    success: bool
    rows: int
    checks: list[Check]
    expectations: SuiteResult

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.success]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _text_columns(loaded: LoadedSpec) -> list[str]:
    textual = {ColumnType.string, ColumnType.text, ColumnType.category}
    names = [c.name for c in loaded.spec.columns if c.type in textual]
    return names


def check_expectations(result: SuiteResult) -> Check:
    failed = result.failed
    summary = f"{result.successful} of {result.evaluated} expectations met"
    if failed:
        summary += "; failed: " + ", ".join(
            f"{o.expectation}({o.column})" if o.column else o.expectation for o in failed
        )
    return Check("expectations", result.success, summary)


def check_personal_data(frame: pd.DataFrame, loaded: LoadedSpec) -> Check:
    allowed = loaded.spec.quality.privacy.allow
    findings = scan_personal_data(frame, _text_columns(loaded))
    blocking = [f for f in findings if f.column not in allowed]
    if blocking:
        summary = (
            "personal data in published columns: "
            + ", ".join(f"{f.column} ({f.kind}, {f.count} rows)" for f in blocking)
            + "; drop the column in the spec or allow it under quality.privacy.allow with a reason"
        )
    elif findings:
        summary = "contact-like values only in columns allowed by the spec"
    else:
        summary = "no phone numbers, e-mail addresses, resident or business registration numbers"
    return Check(
        "personal_data",
        not blocking,
        summary,
        {"findings": [asdict(f) for f in findings], "allowed": dict(allowed)},
    )


def check_k_anonymity(frame: pd.DataFrame, loaded: LoadedSpec) -> Check:
    privacy = loaded.spec.quality.privacy
    result = k_anonymity(frame, privacy.quasi_identifiers, required_k=privacy.k_anonymity)
    if not privacy.quasi_identifiers:
        return Check("k_anonymity", True, "no quasi-identifiers declared", asdict(result))
    ok = result.k >= privacy.k_anonymity
    summary = (
        f"smallest group over {', '.join(privacy.quasi_identifiers)} has {result.k} rows "
        f"(required: {privacy.k_anonymity})"
    )
    return Check("k_anonymity", ok, summary, asdict(result))


def check_leakage(frame: pd.DataFrame, split: Split, loaded: LoadedSpec) -> list[Check]:
    spec = loaded.spec
    thresholds = spec.quality.leakage
    features = spec.feature_columns
    train, test = split.train_frame(frame), split.test_frame(frame)

    scores = find_target_leaks(
        train,
        spec.target.column,
        features,
        classification=spec.task.is_classification,
        threshold=thresholds.max_feature_target_score,
        seed=spec.split.seed,
    )
    leaks = [s for s in scores if s.flagged]
    target_check = Check(
        "target_leakage",
        not leaks,
        (
            "features that give the target away: "
            + ", ".join(f"{s.column} ({s.score:.3f})" for s in leaks)
        )
        if leaks
        else f"no feature predicts the target above {thresholds.max_feature_target_score}",
        {"threshold": thresholds.max_feature_target_score, "scores": [asdict(s) for s in scores]},
    )

    # Free text is unique by nature; it only counts when it embeds the row's id.
    free_text = {c.name for c in spec.columns if c.type == ColumnType.text}
    id_like = [
        c
        for c in find_id_like_columns(
            frame, spec.id_column.column, features, uniqueness=thresholds.id_like_uniqueness
        )
        if c.contains_id or (c.column not in free_text and c.column not in thresholds.allow_unique)
    ]
    id_check = Check(
        "id_like_columns",
        not id_like,
        (
            "columns that act as an id: "
            + ", ".join(c.column for c in id_like)
            + "; drop them, or list a unique-by-nature column under quality.leakage.allow_unique"
        )
        if id_like
        else "no feature is unique per row or embeds the id",
        {"columns": [asdict(c) for c in id_like], "allowed": dict(thresholds.allow_unique)},
    )

    duplicates = cross_split_duplicates(train, test, features)
    dup_ok = duplicates.fraction <= thresholds.max_cross_split_duplicates
    dup_check = Check(
        "train_test_duplicates",
        dup_ok,
        f"{duplicates.test_rows_duplicated} test rows ({duplicates.fraction:.1%}) "
        "repeat a train row "
        f"(allowed: {thresholds.max_cross_split_duplicates:.1%})",
        asdict(duplicates),
    )

    adversarial_features = [
        c
        for c in features
        if c not in thresholds.exclude_from_adversarial and c != spec.split.column
    ]
    adversarial = adversarial_auc(train, test, adversarial_features, seed=spec.split.seed)
    adv_ok = adversarial.auc <= thresholds.max_adversarial_auc
    adv_check = Check(
        "adversarial_validation",
        adv_ok,
        f"a classifier tells train from test with AUC {adversarial.auc:.3f} "
        f"(allowed: {thresholds.max_adversarial_auc})",
        asdict(adversarial),
    )
    return [target_check, id_check, dup_check, adv_check]


def run_gate(
    frame: pd.DataFrame,
    split: Split,
    loaded: LoadedSpec,
    *,
    fingerprint: str,
    step: Step | None = None,
) -> GateReport:
    """Run every check on the prepared ``frame``; never raises for a failed check."""
    say = step or (lambda _name: None)
    say("expectations")
    suite = run_suite(frame, loaded.suite_path)
    checks = [check_expectations(suite)]
    say("privacy")
    checks += [check_personal_data(frame, loaded), check_k_anonymity(frame, loaded)]
    say("leakage")
    checks += check_leakage(frame, split, loaded)
    return GateReport(
        dataset_id=loaded.spec.id,
        fingerprint=fingerprint,
        success=all(c.success for c in checks),
        rows=len(frame),
        checks=checks,
        expectations=suite,
    )
