"""Seeded synthetic applications of simulated SMEs to real 기업마당 support programmes.

**The companies and their applications are synthetic; the announcements are real.** The
1,113 announcements are the 기업마당 (bizinfo.go.kr) 지원사업 공고 of 2020–2021 shipped with
the ``bizinfo-support-field`` dataset. The companies are the 2021 rows of the synthetic SME
panel (:mod:`odx.datasets.generators.sme_panel`); which announcements they apply to is drawn
from the small, explicit model below. Real application logs (the de-identified logs of the
통합플랫폼) are not public, so this stands in for them in a ranking challenge: given a
company's profile and its earlier applications, rank the later announcements it applies to.

The model, every number of which sits in the constants block (all **assumed**):

* **Periods.** Announcements created before ``CUTOFF`` form the history period, those
  created on or after it the target period (the candidates to rank).
* **Eligibility.** A company applies only where it is eligible: its region is in the
  announcement's ``areaNm``, its industry's KSIC section in ``industNm``, and it belongs to
  the target group ``trgetNm`` (``TARGET_GROUP_RULES``): 중소기업 means firm size 소상공인,
  소기업 or 중기업 (a 중견기업 is not an SME); 소상공인 means size 소상공인; 창업벤처 means
  a firm at most ``STARTUP_MAX_AGE_YEARS`` old. No simulated company is a 사회적기업,
  마을기업, 장애인기업, 여성기업 or 협동조합, so nobody applies to those announcements.
* **Propensity.** For an eligible pair the chance to apply is
  ``sigmoid(intercept[period] + need + popularity + recency + activity + taste)``:

  - *need*: the fit between the company and the announcement's main support field
    (the first of ``pldirSportRealmLclasCodeNm``), a sum of ``NEED_RULES`` — 금융 for
    distressed firms, 수출 for exporters, 기술 for R&D firms and AI adopters, 창업 for
    young firms, 인력 for firms with many employees, 내수 for trade and food-service firms
    and 소상공인, 동반성장 for manufacturing 중기업;
  - *popularity*: ``POPULARITY_EFFECT`` per standard deviation of ``log(1 + views)``;
  - *recency*: within each period newer announcements draw a little more interest
    (``RECENCY_EFFECT`` from the oldest to the newest, by date rank). Views were counted
    on one day after both periods, so newer announcements show fewer views; recency
    partly offsets that;
  - *activity*: a hidden normal trait per company (not published);
  - *taste*: each company likes one or two fields (uniformly drawn, not published) by
    ``TASTE_EFFECT``. It can only be learnt from the company's earlier applications,
    which is what lets a model of past applications beat popularity.

* **Calibration.** One intercept per period, found by bisection on expected values, so
  that the companies kept (see below) apply on average to about
  ``TARGET_MEAN_APPLICATIONS`` target-period announcements, and those kept that are not
  new to the platform to about ``HISTORY_MEAN_APPLICATIONS`` history-period ones.
* **Dates.** A company applies ``0…MAX_APPLICATION_DELAY_DAYS`` days (uniform) after the
  announcement was created. The history is what was known on the cutoff: applications
  made before it. An application made on or after the cutoff to an earlier announcement is
  in neither the history nor the targets (the targets are later announcements only).
* **New companies.** About ``NEW_COMPANY_SHARE`` of companies joined the platform on the
  cutoff (``new_to_platform = Y``) and have no history-period applications.
* **Queries.** Only companies with at least one target-period application are kept; they
  are renumbered ``C00001`` … in panel order (meaningless ids).

``generate`` returns two frames: ``companies`` (profile plus the target ``programmes``,
the space-separated, sorted ``pblancId`` values applied to in the target period) and
``interactions`` (every history-period application of the kept companies).

>>> companies, interactions = generate(400, seed=1)
>>> list(companies.columns) == list(COMPANY_COLUMNS), companies["company_id"].iloc[0]
(True, 'C00001')
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from odx.datasets.generators import sme_panel

DEFAULT_SEED: Final = 20251124
DEFAULT_ROWS: Final = 50_000  # sme_panel firm-years; about 10,000 companies are kept
PROGRAMMES_FILE: Final = "bizinfo_support_programs_2021.json"
DEFAULT_PROGRAMMES_PATH: Final = (
    Path(__file__).resolve().parents[1]
    / "catalog"
    / "support-programme-recommendation"
    / "raw"
    / PROGRAMMES_FILE
)
COMPANIES_FILE: Final = "companies.csv"
INTERACTIONS_FILE: Final = "interactions.csv"
PROFILE_YEAR: Final = 2021  # the sme_panel year used as the company profile
RANDOM_STREAM: Final = 1  # own draws use default_rng((seed, RANDOM_STREAM)), apart from sme_panel

# --------------------------------------------------------------------------------------
# Constants: every number the model uses. Source: the bizinfo field values; the rest is
# assumed.
# --------------------------------------------------------------------------------------

CUTOFF: Final = "2021-09-01"  # history period before it, target period on or after it

# Main support fields of bizinfo (pldirSportRealmLclasCodeNm), in the order used below.
FIELDS: Final = ("금융", "경영", "기술", "수출", "인력", "제도", "내수", "창업", "동반성장")

# sme_panel industry → bizinfo industNm (KSIC section with its division range).
INDUSTRY_TO_KSIC: Final = {
    "제조업": "제조업(10~34)",
    "도매 및 소매업": "도매 및 소매업(45~47)",
    "숙박 및 음식점업": "숙박 및 음식점업(55~56)",
    "건설업": "건설업(41~42)",
    "정보통신업": "정보통신업(58~63)",
    "전문·과학 및 기술 서비스업": "전문, 과학 및 기술 서비스업(70~73)",
    "운수 및 창고업": "운수 및 창고업(49~52)",
    "교육 서비스업": "교육 서비스업(85)",
}

# Target group (trgetNm) → firm sizes eligible; None means "by age" (창업벤처); an empty
# tuple means no simulated company carries the status, so nobody applies.
TARGET_GROUP_RULES: Final[dict[str, tuple[str, ...] | None]] = {
    "중소기업": ("소상공인", "소기업", "중기업"),
    "소상공인": ("소상공인",),
    "창업벤처": None,
    "사회적기업": (),
    "마을기업": (),
    "장애인기업": (),
    "여성기업": (),
    "협동조합": (),
}
STARTUP_MAX_AGE_YEARS: Final = 7  # 창업벤처: 업력 7년 이내, the usual 창업기업 threshold

# Need fit: (main field, condition, log-odds) — assumed. Conditions are named in _needs.
DISTRESS_DEBT_RATIO_PCT: Final = 200.0  # 금융 need: debt ratio above this…
DISTRESS_GROWTH_PCT: Final = -10.0  # …or revenue falling faster than this
RND_FIRM_MIN_PCT: Final = 2.0  # 기술 need: R&D intensity at least this
YOUNG_FIRM_MAX_AGE_YEARS: Final = 3  # 창업 need
HIRING_MIN_EMPLOYEES: Final = 20  # 인력 need
NEED_RULES: Final = (
    ("금융", "distressed", 1.0),
    ("수출", "exporter", 1.5),
    ("기술", "rnd_firm", 1.0),
    ("기술", "ai_adopter", 0.5),
    ("창업", "young", 1.5),
    ("인력", "many_employees", 0.8),
    ("내수", "trade_or_food_service", 0.8),
    ("내수", "micro", 0.5),
    ("동반성장", "medium_manufacturer", 1.0),
)

POPULARITY_EFFECT: Final = 0.6  # per s.d. of log(1 + views), over all announcements
RECENCY_EFFECT: Final = 0.6  # oldest → newest announcement within a period
ACTIVITY_SD: Final = 0.8  # hidden per-company propensity
TASTE_EFFECT: Final = 1.5  # per liked field
TWO_TASTES_SHARE: Final = 0.4  # share of companies that like two fields rather than one

TARGET_MEAN_APPLICATIONS: Final = 4.0  # per kept company, target period
HISTORY_MEAN_APPLICATIONS: Final = 6.0  # per kept company not new to the platform
NEW_COMPANY_SHARE: Final = 0.15  # joined on the cutoff: no history
MAX_APPLICATION_DELAY_DAYS: Final = 20
CALIBRATION_STEPS: Final = 60  # bisection halvings of the intercept bracket [-30, 30]

COMPANY_COLUMNS: Final = (
    "company_id", "region", "industry", "firm_size", "firm_age_years", "employees",
    "revenue_growth_pct", "debt_ratio_pct", "rnd_intensity_pct", "export", "ai_adoption",
    "new_to_platform", "programmes",
)  # fmt: skip
INTERACTION_COLUMNS: Final = ("company_id", "programme_id", "applied_on")
INTERACTION_ORDER: Final = ["company_id", "applied_on", "programme_id"]  # rows sorted by these


@dataclass(frozen=True)
class Programmes:
    """The announcements as aligned arrays, one entry per announcement."""

    ids: np.ndarray  # pblancId
    field: np.ndarray  # index into FIELDS of the main support field
    regions: np.ndarray  # bool, announcement × sme_panel.REGION_SHARES
    industries: np.ndarray  # bool, announcement × INDUSTRY_TO_KSIC
    target_group: np.ndarray  # index into TARGET_GROUP_RULES
    views: np.ndarray  # inqireCo
    created: np.ndarray  # datetime64[D]

    @property
    def in_target_period(self) -> np.ndarray:
        return self.created >= np.datetime64(CUTOFF)


def generate(
    rows: int = DEFAULT_ROWS,
    *,
    seed: int = DEFAULT_SEED,
    programmes_path: str | Path = DEFAULT_PROGRAMMES_PATH,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Companies (with the target ``programmes``) and their history-period applications.

    ``rows`` firm-years are drawn from ``sme_panel`` with the same ``seed``; same arguments,
    same frames.
    """
    programmes = load_programmes(programmes_path)
    profiles = _profiles(sme_panel.generate(rows, seed=seed))
    rng = np.random.default_rng((seed, RANDOM_STREAM))
    n = len(profiles)
    activity = ACTIVITY_SD * rng.standard_normal(n)
    taste = _tastes(rng, n)
    new = rng.random(n) < NEW_COMPANY_SHARE
    draws = rng.random((n, programmes.ids.size))
    delays = rng.integers(0, MAX_APPLICATION_DELAY_DAYS + 1, size=(n, programmes.ids.size))

    eligible = _eligible(profiles, programmes)
    eta = _propensity(profiles, programmes, activity, taste)
    target = programmes.in_target_period
    p_target = _calibrated(
        eta[:, target], eligible[:, target], np.ones(n), TARGET_MEAN_APPLICATIONS, given_any=True
    )
    kept_chance = -np.expm1(np.log1p(-p_target).sum(axis=1))
    p_history = _calibrated(
        eta[:, ~target],
        eligible[:, ~target] & ~new[:, None],
        kept_chance * ~new,
        HISTORY_MEAN_APPLICATIONS,
        given_any=False,
    )

    applied = np.zeros_like(eligible)
    applied[:, target] = draws[:, target] < p_target
    applied[:, ~target] = draws[:, ~target] < p_history
    kept = applied[:, target].any(axis=1)
    return _frames(profiles, programmes, applied, delays, new, kept)


def write(
    folder: str | Path,
    rows: int = DEFAULT_ROWS,
    *,
    seed: int = DEFAULT_SEED,
    programmes_path: str | Path = DEFAULT_PROGRAMMES_PATH,
) -> None:
    """Write ``companies.csv`` and ``interactions.csv`` into ``folder``: same bytes each time."""
    companies, interactions = generate(rows, seed=seed, programmes_path=programmes_path)
    sme_panel.write_csv(companies, Path(folder) / COMPANIES_FILE)
    sme_panel.write_csv(interactions, Path(folder) / INTERACTIONS_FILE)


def load_programmes(path: str | Path = DEFAULT_PROGRAMMES_PATH) -> Programmes:
    """Parse the bizinfo JSON (``jsonArray``) into arrays; unknown codes are an error."""
    records = json.loads(Path(path).read_text(encoding="utf-8"))["jsonArray"]
    regions = list(sme_panel.REGION_SHARES)
    sections = list(INDUSTRY_TO_KSIC.values())
    groups = list(TARGET_GROUP_RULES)
    field, region_sets, industry_sets, group = [], [], [], []
    for record in records:
        field.append(_index(FIELDS, record["pldirSportRealmLclasCodeNm"].split("@")[0]))
        areas = record["areaNm"].split("@")
        for area in areas:
            _index(regions, area)
        region_sets.append([name in areas for name in regions])
        industries = record["industNm"].split("@")
        industry_sets.append([name in industries for name in sections])
        group.append(_index(groups, record["trgetNm"]))
    return Programmes(
        ids=np.array([record["pblancId"] for record in records]),
        field=np.array(field, dtype=np.int64),
        regions=np.array(region_sets, dtype=bool).reshape(-1, len(regions)),
        industries=np.array(industry_sets, dtype=bool).reshape(-1, len(sections)),
        target_group=np.array(group, dtype=np.int64),
        views=np.array([int(record["inqireCo"]) for record in records], dtype=np.int64),
        created=np.array([record["creatPnttm"][:10] for record in records], dtype="datetime64[D]"),
    )


def _index(names: list[str] | tuple[str, ...], name: str) -> int:
    """Position of ``name``; a value the model has no rule for must not pass silently."""
    if name not in names:
        raise ValueError(f"unknown bizinfo code {name!r}; add a rule for it")
    return names.index(name)


def _profiles(panel: pd.DataFrame) -> pd.DataFrame:
    """One row per SME: its PROFILE_YEAR row (firms not observed then are skipped, and so are
    중견기업, which are not SMEs: the track recommends SME programmes)."""
    in_year = (panel["year"] == PROFILE_YEAR) & (panel["firm_size"] != sme_panel.LARGER_SIZE)
    profiles = panel.loc[in_year].reset_index(drop=True)
    return profiles.astype({"region": str, "industry": str, "firm_size": str})


def _tastes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Company × field 0/1 matrix: one liked field, a second for TWO_TASTES_SHARE of them."""
    order = np.argsort(rng.random((n, len(FIELDS))), axis=1)
    two = rng.random(n) < TWO_TASTES_SHARE
    taste = np.zeros((n, len(FIELDS)))
    taste[np.arange(n), order[:, 0]] = 1.0
    taste[np.flatnonzero(two), order[two, 1]] = 1.0
    return taste


def _eligible(profiles: pd.DataFrame, programmes: Programmes) -> np.ndarray:
    """Company × announcement: region, industry and target group all admit the company."""
    region = profiles["region"].map(list(sme_panel.REGION_SHARES).index).to_numpy(np.int64)
    industry = profiles["industry"].map(list(INDUSTRY_TO_KSIC).index).to_numpy(np.int64)
    by_group = np.column_stack(
        [_in_group(profiles, sizes) for sizes in TARGET_GROUP_RULES.values()]
    )
    return (
        programmes.regions.T[region]
        & programmes.industries.T[industry]
        & by_group[:, programmes.target_group]
    )


def _in_group(profiles: pd.DataFrame, sizes: tuple[str, ...] | None) -> np.ndarray:
    """Whether each company belongs to a target group (``None``: 창업벤처, by age)."""
    if sizes is None:
        return (profiles["firm_age_years"] <= STARTUP_MAX_AGE_YEARS).to_numpy()
    return profiles["firm_size"].isin(sizes).to_numpy()


def _needs(profiles: pd.DataFrame) -> np.ndarray:
    """Company × field need in log-odds, the sum of the NEED_RULES that apply."""
    size, industry = profiles["firm_size"], profiles["industry"]
    conditions = {
        "distressed": (profiles["debt_ratio_pct"] > DISTRESS_DEBT_RATIO_PCT)
        | (profiles["revenue_growth_pct"] < DISTRESS_GROWTH_PCT),
        "exporter": profiles["export"] == "Y",
        "rnd_firm": profiles["rnd_intensity_pct"] >= RND_FIRM_MIN_PCT,
        "ai_adopter": profiles["ai_adoption"] == "Y",
        "young": profiles["firm_age_years"] <= YOUNG_FIRM_MAX_AGE_YEARS,
        "many_employees": profiles["employees"] >= HIRING_MIN_EMPLOYEES,
        "trade_or_food_service": industry.isin(("도매 및 소매업", "숙박 및 음식점업")),
        "micro": size == "소상공인",
        "medium_manufacturer": (industry == "제조업") & (size == "중기업"),
    }
    need = np.zeros((len(profiles), len(FIELDS)))
    for field, condition, effect in NEED_RULES:
        need[:, FIELDS.index(field)] += effect * conditions[condition].to_numpy(dtype=float)
    return need


def _propensity(
    profiles: pd.DataFrame, programmes: Programmes, activity: np.ndarray, taste: np.ndarray
) -> np.ndarray:
    """Company × announcement log-odds without the period intercept."""
    log_views = np.log1p(programmes.views)
    popularity = POPULARITY_EFFECT * (log_views - log_views.mean()) / log_views.std()
    recency = RECENCY_EFFECT * _recency(programmes)
    by_field = _needs(profiles) + TASTE_EFFECT * taste
    return by_field[:, programmes.field] + (popularity + recency)[None, :] + activity[:, None]


def _recency(programmes: Programmes) -> np.ndarray:
    """Date rank within the announcement's period, scaled to -0.5 (oldest) … 0.5 (newest)."""
    recency = np.zeros(programmes.created.size)
    for period in (programmes.in_target_period, ~programmes.in_target_period):
        dates = np.sort(programmes.created[period])
        low = np.searchsorted(dates, programmes.created[period], side="left")
        high = np.searchsorted(dates, programmes.created[period], side="right")
        recency[period] = (low + high - 1) / 2 / max(dates.size - 1, 1) - 0.5
    return recency


def _calibrated(
    eta: np.ndarray, possible: np.ndarray, weights: np.ndarray, mean: float, *, given_any: bool
) -> np.ndarray:
    """Probabilities with the period intercept that gives kept companies ``mean`` applications.

    Companies count with ``weights`` (e.g. their chance to be kept). With ``given_any`` only
    those applying at least once count, and the expected mean is ``sum E[N] / sum P(N >= 1)``
    (the target period: a company is kept because it applies); otherwise it is
    ``sum w E[N] / sum w``. The intercept is found by bisection on that; pairs that are not
    ``possible`` stay at zero.
    """
    company = np.nonzero(possible)[0]
    logits = eta[possible]
    n = len(possible)
    low, high = -30.0, 30.0
    for _ in range(CALIBRATION_STEPS):
        shift = (low + high) / 2
        q = _sigmoid(logits + shift)
        expected = np.bincount(company, weights=q, minlength=n)
        some = -np.expm1(np.bincount(company, weights=np.log1p(-q), minlength=n))
        counted = weights * some if given_any else weights
        achieved = (weights * expected).sum() / max(counted.sum(), 1e-300)
        low, high = (shift, high) if achieved < mean else (low, shift)
    p = np.zeros(eta.shape)
    p[possible] = _sigmoid(logits + (low + high) / 2)
    return p


def _frames(
    profiles: pd.DataFrame,
    programmes: Programmes,
    applied: np.ndarray,
    delays: np.ndarray,
    new: np.ndarray,
    kept: np.ndarray,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The published frames: kept companies renumbered, targets joined, history listed."""
    rows = np.flatnonzero(kept)
    width = max(5, len(str(rows.size)))
    ids = np.array([f"C{i:0{width}d}" for i in range(1, rows.size + 1)], dtype=object)
    target = programmes.in_target_period
    companies = profiles.loc[rows, list(COMPANY_COLUMNS[1:-2])].reset_index(drop=True)
    companies.insert(0, "company_id", ids)
    companies["new_to_platform"] = np.where(new[rows], "Y", "N")
    companies["programmes"] = [
        " ".join(sorted(programmes.ids[target & applied[row]])) for row in rows
    ]
    companies = companies.astype({"export": str, "ai_adoption": str})

    history = applied[rows] & ~target[None, :]
    company, programme = np.nonzero(history)
    applied_on = programmes.created[programme] + delays[rows][company, programme]
    known = applied_on < np.datetime64(CUTOFF)  # the history is what the cutoff knew
    company, programme, applied_on = company[known], programme[known], applied_on[known]
    interactions = pd.DataFrame(
        {
            "company_id": ids[company],
            "programme_id": programmes.ids[programme],
            "applied_on": np.datetime_as_string(applied_on, unit="D"),
        },
        columns=list(INTERACTION_COLUMNS),
    )
    interactions = interactions.sort_values(INTERACTION_ORDER, kind="stable")
    return companies, interactions.reset_index(drop=True)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m odx.datasets.generators.support_recommendation <folder>")
    write(sys.argv[1])
