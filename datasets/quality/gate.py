"""The quality gate: every check a dataset must pass before it may be published.

It runs on the prepared dataset and its split, so that leakage is measured on exactly the
rows participants will see. The result is plain data (:class:`GateReport`), written as JSON
and HTML by :mod:`odx.datasets.quality.report`.
"""

from __future__ import annotations

import dataclasses
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
from odx.datasets.quality.ranking import ranking_leakage
from odx.datasets.quality.report import check_title, describe, expectation_label
from odx.datasets.spec import Column, ColumnType, LoadedSpec
from odx.datasets.split import Split

Step = Callable[[str], None]


@dataclass(frozen=True)
class Check:
    """One named check: passed or not, a one-line summary, and details for the report.

    The details hold every number the summary states, so the summary can be said again in
    another language (see :func:`odx.datasets.quality.report.describe`).
    """

    name: str
    success: bool
    summary: str
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, name: str, success: bool, details: dict[str, Any]) -> Check:
        """A check whose English summary is built from its details."""
        summary = describe(name, details, "en")
        if summary is None:
            raise ValueError(f"no summary for check '{name}' from details {sorted(details)}")
        return cls(name, success, summary, details)

    def title(self, lang: str) -> str:
        return check_title(self.name, lang)

    def text(self, lang: str) -> str:
        """The summary in ``lang`` (the data card shows Korean and English)."""
        return describe(self.name, self.details, lang) or self.summary


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


_TEXTUAL = {ColumnType.string, ColumnType.text, ColumnType.category}


def _text_columns(columns: list[Column]) -> list[str]:
    return [c.name for c in columns if c.type in _TEXTUAL]


def check_expectations(result: SuiteResult) -> Check:
    details = {
        "successful": result.successful,
        "evaluated": result.evaluated,
        "failed": [expectation_label(o.expectation, o.column) for o in result.failed],
    }
    return Check.of("expectations", result.success, details)


def check_personal_data(
    frame: pd.DataFrame, loaded: LoadedSpec, tables: dict[str, pd.DataFrame] | None = None
) -> Check:
    """Scan the main table and every further table (its columns named ``table.column``)."""
    allowed = loaded.spec.quality.privacy.allow
    findings = scan_personal_data(frame, _text_columns(loaded.spec.columns))
    for table in loaded.spec.tables:
        found = scan_personal_data((tables or {})[table.name], _text_columns(table.columns))
        findings += [dataclasses.replace(f, column=f"{table.name}.{f.column}") for f in found]
    blocking = [f for f in findings if f.column not in allowed]
    return Check.of(
        "personal_data",
        not blocking,
        {"findings": [asdict(f) for f in findings], "allowed": dict(allowed)},
    )


def check_k_anonymity(frame: pd.DataFrame, loaded: LoadedSpec) -> Check:
    privacy = loaded.spec.quality.privacy
    result = k_anonymity(frame, privacy.quasi_identifiers, required_k=privacy.k_anonymity)
    ok = not privacy.quasi_identifiers or result.k >= privacy.k_anonymity
    return Check.of("k_anonymity", ok, asdict(result) | {"required": privacy.k_anonymity})


def check_ranking_leakage(
    test: pd.DataFrame, loaded: LoadedSpec, tables: dict[str, pd.DataFrame]
) -> Check:
    """A ranking's labels must not be named by a public table or by a query's own features."""
    spec = loaded.spec
    assert spec.ranking is not None
    features = set(spec.feature_columns)
    result = ranking_leakage(
        test,
        query_id=spec.id_column.column,
        target=spec.target.column,
        item_id=spec.ranking.item_id,
        text_features=[c for c in _text_columns(spec.columns) if c in features],
        tables=tables,
    )
    ok = not result.pairs_in_tables and not result.feature_mentions
    return Check.of("ranking_leakage", ok, dataclasses.asdict(result))


def check_target_leakage(train: pd.DataFrame, loaded: LoadedSpec) -> Check:
    """Single features that predict the target too well (tasks with one value per row)."""
    spec = loaded.spec
    thresholds = spec.quality.leakage
    scores = find_target_leaks(
        train,
        spec.target.column,
        spec.feature_columns,
        classification=spec.task.is_classification,
        threshold=thresholds.max_feature_target_score,
        auc_threshold=thresholds.max_feature_auc,
        seed=spec.split.seed,
    )
    leaks = [s for s in scores if s.flagged]
    by_auc = any(s.kind.startswith("auc_") for s in scores)  # a binary target: AUC per feature
    applied = thresholds.max_feature_auc if by_auc else thresholds.max_feature_target_score
    return Check.of(
        "target_leakage",
        not leaks,
        {"threshold": applied, "scores": [asdict(s) for s in scores]},
    )


def check_leakage(
    frame: pd.DataFrame,
    split: Split,
    loaded: LoadedSpec,
    tables: dict[str, pd.DataFrame] | None = None,
) -> list[Check]:
    spec = loaded.spec
    thresholds = spec.quality.leakage
    features = spec.feature_columns
    train, test = split.train_frame(frame), split.test_frame(frame)
    if spec.ranking is not None:
        target_check = check_ranking_leakage(test, loaded, tables or {})
    else:
        target_check = check_target_leakage(train, loaded)

    # Free text is unique by nature; it only counts when it embeds the row's id.
    free_text = {c.name for c in spec.columns if c.type == ColumnType.text}
    id_like = [
        c
        for c in find_id_like_columns(
            frame, spec.id_column.column, features, uniqueness=thresholds.id_like_uniqueness
        )
        if c.contains_id or (c.column not in free_text and c.column not in thresholds.allow_unique)
    ]
    id_check = Check.of(
        "id_like_columns",
        not id_like,
        {"columns": [asdict(c) for c in id_like], "allowed": dict(thresholds.allow_unique)},
    )

    duplicates = cross_split_duplicates(train, test, features)
    dup_ok = duplicates.fraction <= thresholds.max_cross_split_duplicates
    dup_check = Check.of(
        "train_test_duplicates",
        dup_ok,
        asdict(duplicates) | {"allowed": thresholds.max_cross_split_duplicates},
    )

    adversarial_features = [
        c
        for c in features
        if c not in thresholds.exclude_from_adversarial and c != spec.split.column
    ]
    adversarial = adversarial_auc(train, test, adversarial_features, seed=spec.split.seed)
    adv_ok = adversarial.auc <= thresholds.max_adversarial_auc
    adv_check = Check.of(
        "adversarial_validation",
        adv_ok,
        asdict(adversarial) | {"allowed": thresholds.max_adversarial_auc},
    )
    return [target_check, id_check, dup_check, adv_check]


def run_gate(
    frame: pd.DataFrame,
    split: Split,
    loaded: LoadedSpec,
    *,
    fingerprint: str,
    step: Step | None = None,
    tables: dict[str, pd.DataFrame] | None = None,
) -> GateReport:
    """Run every check on the prepared ``frame`` (and the spec's further ``tables``); never
    raises for a failed check."""
    say = step or (lambda _name: None)
    say("expectations")
    suite = run_suite(frame, loaded.suite_path)
    checks = [check_expectations(suite)]
    say("privacy")
    checks += [check_personal_data(frame, loaded, tables), check_k_anonymity(frame, loaded)]
    say("leakage")
    checks += check_leakage(frame, split, loaded, tables)
    return GateReport(
        dataset_id=loaded.spec.id,
        fingerprint=fingerprint,
        success=all(c.success for c in checks),
        rows=len(frame),
        checks=checks,
        expectations=suite,
    )
