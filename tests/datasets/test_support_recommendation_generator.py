"""The synthetic support-programme applications: deterministic, eligible, split at the cutoff.

Eligibility and fields are re-derived here from the bizinfo JSON, independently of the
generator's own parsing, so a wrong rule in the generator cannot hide behind itself.
"""

import json
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from odx.datasets.generators import support_recommendation
from odx.datasets.generators.support_recommendation import generate, write

REPO = Path(__file__).resolve().parents[2]
CATALOG = REPO / "datasets" / "catalog"
RAW = CATALOG / "support-programme-recommendation" / "raw"
BIZINFO_JSON = CATALOG / "bizinfo-support-field" / "raw" / "bizinfo_support_programs_2021.json"
CUTOFF = "2021-09-01"
COMPANY_COLUMNS = [
    "company_id", "region", "industry", "firm_size", "firm_age_years", "employees",
    "revenue_growth_pct", "debt_ratio_pct", "rnd_intensity_pct", "export", "ai_adoption",
    "new_to_platform", "programmes",
]  # fmt: skip
SME_SIZES = ("소상공인", "소기업", "중기업")


@pytest.fixture(scope="module")
def announcements() -> pd.DataFrame:
    """One row per announcement, parsed here from the JSON shipped with the dataset."""
    records = json.loads((RAW / "bizinfo_support_programs_2021.json").read_text("utf-8"))
    return pd.DataFrame(
        {
            "programme_id": [r["pblancId"] for r in records["jsonArray"]],
            "field": [r["pldirSportRealmLclasCodeNm"].split("@")[0] for r in records["jsonArray"]],
            "areas": [set(r["areaNm"].split("@")) for r in records["jsonArray"]],
            "industries": [_sections(r["industNm"]) for r in records["jsonArray"]],
            "group": [r["trgetNm"] for r in records["jsonArray"]],
            "views": [int(r["inqireCo"]) for r in records["jsonArray"]],
            "created": [r["creatPnttm"][:10] for r in records["jsonArray"]],
        }
    ).set_index("programme_id")


def _sections(industries: str) -> set[str]:
    """Section names as sme_panel spells them: drop the '(70~73)' range, ', ' becomes '·'."""
    return {re.sub(r"\([^)]*\)$", "", name).replace(", ", "·") for name in industries.split("@")}


@pytest.fixture(scope="module")
def companies() -> pd.DataFrame:
    return pd.read_csv(RAW / "companies.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def interactions() -> pd.DataFrame:
    return pd.read_csv(RAW / "interactions.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def targets(companies: pd.DataFrame) -> pd.DataFrame:
    """One row per (company, target-period programme)."""
    pairs = companies.assign(programme_id=companies["programmes"].str.split(" "))
    return pairs.explode("programme_id")[["company_id", "programme_id"]]


def _groups(company: Mapping[str, str]) -> set[str]:
    """The target groups (trgetNm) a company belongs to; none of the status-based ones."""
    size, age = company["firm_size"], int(company["firm_age_years"])
    rules = {"중소기업": size in SME_SIZES, "소상공인": size == "소상공인", "창업벤처": age <= 7}
    return {group for group, member in rules.items() if member}


def _eligible(company: Mapping[str, str], announcement: Mapping[str, object]) -> bool:
    """Region, industry and target group, written out from the rules in GENERATOR.md."""
    return (
        company["region"] in announcement["areas"]  # type: ignore[operator]
        and company["industry"] in announcement["industries"]  # type: ignore[operator]
        and announcement["group"] in _groups(company)
    )


def _eligibility(companies: pd.DataFrame, candidates: pd.DataFrame) -> np.ndarray:
    """Company × candidate matrix of ``_eligible``, computed per distinct profile."""
    keys = ["region", "industry", "firm_size", "firm_age_years"]
    columns = candidates.to_dict("records")
    rows = {
        key: np.array([_eligible(dict(zip(keys, key, strict=True)), c) for c in columns])
        for key in companies[keys].drop_duplicates().itertuples(index=False, name=None)
    }
    return np.array([rows[key] for key in companies[keys].itertuples(index=False, name=None)])


def test_write_is_deterministic_and_matches_shipped_files(tmp_path: Path) -> None:
    write(tmp_path / "a")
    write(tmp_path / "b")
    for name in ("companies.csv", "interactions.csv"):
        first, second = (tmp_path / "a" / name).read_bytes(), (tmp_path / "b" / name).read_bytes()
        assert first == second, name
        assert b"\r" not in first
        assert first == (RAW / name).read_bytes(), (
            f"the shipped raw/{name} no longer matches the generator; if the model or numpy's"
            " random stream changed on purpose, regenerate it and update the checksums"
        )


def test_module_entry_point_writes_the_same_files(tmp_path: Path) -> None:
    module = "odx.datasets.generators.support_recommendation"
    subprocess.run([sys.executable, "-m", module, str(tmp_path)], check=True, cwd=tmp_path)
    for name in ("companies.csv", "interactions.csv"):
        assert (tmp_path / name).read_bytes() == (RAW / name).read_bytes(), name


def test_generate_different_seed_gives_different_data() -> None:
    first, _ = generate(4_000, seed=3)
    second, _ = generate(4_000, seed=4)
    assert not first.equals(second)


def test_shipped_json_is_the_bizinfo_file_byte_for_byte() -> None:
    assert (RAW / "bizinfo_support_programs_2021.json").read_bytes() == BIZINFO_JSON.read_bytes()


def test_columns_ids_and_sort_order(companies: pd.DataFrame, interactions: pd.DataFrame) -> None:
    assert list(companies.columns) == COMPANY_COLUMNS
    assert list(interactions.columns) == ["company_id", "programme_id", "applied_on"]
    expected_ids = [f"C{i:05d}" for i in range(1, len(companies) + 1)]
    assert companies["company_id"].tolist() == expected_ids
    order = ["company_id", "applied_on", "programme_id"]
    assert interactions.equals(interactions.sort_values(order).reset_index(drop=True))
    assert not interactions.duplicated(["company_id", "programme_id"]).any()
    assert set(interactions["company_id"]) <= set(companies["company_id"])
    for column in ("export", "ai_adoption", "new_to_platform"):
        assert set(companies[column]) == {"Y", "N"}, column


def test_every_company_has_sorted_unique_targets(companies: pd.DataFrame) -> None:
    lists = companies["programmes"].str.split(" ")
    assert (companies["programmes"] != "").all()
    assert all(items == sorted(set(items)) for items in lists)


def test_every_application_is_eligible(
    companies: pd.DataFrame,
    interactions: pd.DataFrame,
    targets: pd.DataFrame,
    announcements: pd.DataFrame,
) -> None:
    profiles = companies.set_index("company_id").to_dict("index")
    programmes = announcements.to_dict("index")
    pairs = pd.concat([targets, interactions[["company_id", "programme_id"]]])
    assert len(pairs) > 20_000
    bad = [
        (company, programme)
        for company, programme in pairs.itertuples(index=False)
        if not _eligible(profiles[company], programmes[programme])
    ]
    assert bad == []


def test_no_one_applies_to_groups_no_company_belongs_to(
    companies: pd.DataFrame,
    interactions: pd.DataFrame,
    targets: pd.DataFrame,
    announcements: pd.DataFrame,
) -> None:
    programmes = pd.concat([targets["programme_id"], interactions["programme_id"]])
    groups = set(announcements.loc[programmes.unique(), "group"])
    assert groups == {"중소기업", "소상공인", "창업벤처"}
    assert "중견기업" not in set(companies["firm_size"])  # not SMEs: left out


def test_periods_are_split_at_the_cutoff(
    interactions: pd.DataFrame, targets: pd.DataFrame, announcements: pd.DataFrame
) -> None:
    assert (announcements.loc[interactions["programme_id"], "created"] < CUTOFF).all()
    assert (announcements.loc[targets["programme_id"], "created"] >= CUTOFF).all()
    created = pd.to_datetime(announcements.loc[interactions["programme_id"], "created"].to_numpy())
    delay = (pd.to_datetime(interactions["applied_on"]).to_numpy() - created).days
    assert delay.min() == 0
    assert delay.max() == 20
    assert (interactions["applied_on"] < CUTOFF).all()  # the history is what the cutoff knew


def test_new_companies_have_no_history(companies: pd.DataFrame, interactions: pd.DataFrame) -> None:
    new = set(companies.loc[companies["new_to_platform"] == "Y", "company_id"])
    assert not new & set(interactions["company_id"])
    assert 0.12 <= len(new) / len(companies) <= 0.18


def test_sizes_are_as_documented(
    companies: pd.DataFrame, interactions: pd.DataFrame, targets: pd.DataFrame
) -> None:
    assert 9_000 <= len(companies) <= 11_000
    assert 3.5 <= len(targets) / len(companies) <= 4.5
    returning = (companies["new_to_platform"] == "N").sum()
    assert 5.4 <= len(interactions) / returning <= 6.6


def test_exporters_apply_to_export_programmes_more(
    companies: pd.DataFrame, targets: pd.DataFrame, announcements: pd.DataFrame
) -> None:
    fields = targets.assign(
        field=announcements.loc[targets["programme_id"], "field"].to_numpy(),
        export=targets["company_id"].map(companies.set_index("company_id")["export"]),
    )
    share = fields.groupby("export")["field"].agg(lambda f: (f == "수출").mean())
    assert share["Y"] > 2 * share["N"]


def test_young_firms_apply_to_startup_programmes_more(
    companies: pd.DataFrame, targets: pd.DataFrame, announcements: pd.DataFrame
) -> None:
    young = companies.set_index("company_id")["firm_age_years"].astype(int) <= 3
    fields = targets.assign(
        field=announcements.loc[targets["programme_id"], "field"].to_numpy(),
        young=targets["company_id"].map(young),
    )
    share = fields.groupby("young")["field"].agg(lambda f: (f == "창업").mean())
    assert share[True] > 2 * share[False]


def _average_precision_at_10(scores: np.ndarray, relevant: np.ndarray) -> float:
    top = relevant[np.argsort(-scores, kind="stable")[:10]]
    precision = np.cumsum(top) / np.arange(1, top.size + 1)
    return float((precision * top).sum() / min(relevant.sum(), 10))


def test_past_applications_beat_popularity(
    companies: pd.DataFrame,
    interactions: pd.DataFrame,
    announcements: pd.DataFrame,
) -> None:
    """The hidden field taste shows in the history: reweighting popularity by it helps."""
    candidates = announcements[announcements["created"] >= CUTOFF]
    popularity = np.log1p(candidates["views"].to_numpy())
    fields = sorted(set(announcements["field"]))
    field_of = candidates["field"].map(fields.index).to_numpy()
    past = interactions.assign(
        field=announcements.loc[interactions["programme_id"], "field"].values
    )
    counts = pd.crosstab(past["company_id"], past["field"]).reindex(columns=fields, fill_value=0)
    returning = companies[companies["company_id"].isin(counts.index)]
    eligibility = _eligibility(returning, candidates)
    scores: dict[str, list[float]] = {"popularity": [], "history": []}
    for eligible, company in zip(eligibility, returning.to_dict("records"), strict=True):
        relevant = candidates.index.isin(company["programmes"].split(" "))
        counts_row = counts.loc[company["company_id"]].to_numpy()
        share = (counts_row + 0.5) / (counts_row.sum() + 0.5 * len(fields))
        base = np.where(eligible, popularity, -np.inf)
        scores["popularity"].append(_average_precision_at_10(base, relevant))
        scores["history"].append(_average_precision_at_10(base + np.log(share)[field_of], relevant))
    by_popularity, by_history = np.mean(scores["popularity"]), np.mean(scores["history"])
    assert by_history > 1.15 * by_popularity > 0


def test_unknown_codes_in_the_json_are_rejected(tmp_path: Path) -> None:
    records = json.loads(BIZINFO_JSON.read_text("utf-8"))
    records["jsonArray"][0]["trgetNm"] = "대기업"
    path = tmp_path / "programmes.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValueError, match="대기업"):
        support_recommendation.load_programmes(path)


@pytest.mark.parametrize("rows", [0, 1, 400])
def test_generate_handles_small_panels(rows: int) -> None:
    companies, interactions = generate(rows, seed=1)
    assert list(companies.columns) == COMPANY_COLUMNS
    assert list(interactions.columns) == ["company_id", "programme_id", "applied_on"]
    assert (companies["programmes"] != "").all()
