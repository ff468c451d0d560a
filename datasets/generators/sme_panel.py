"""Seeded synthetic SME growth/risk panel: one row per firm and year, 2021–2024.

**Every row is synthetic.** No record describes a real firm and the file holds no personal
data; firms are called ``F000001`` … and nothing else identifies them. Firm-level
microdata of this kind is not public, so the generator draws it from a small, explicit
model whose headline figures follow published statistics:

* **AI adoption** (대한상의 2024, quoted in the 중기부 press release of 2025-11-24,
  "중소기업 AI 활용·확산 지원방안"): 대기업 48.8% vs 중소기업 28.7%; 수도권 40.4% vs
  비수도권 17.9%. The panel has no 대기업, so 중견기업 rows stand in for the larger firms.
  One rate per cell of (SME or 중견기업) × (수도권 or not) is fitted, on the drawn rows, as
  size effect + region effect so that the four margins over *all rows of the panel* come
  out at the published figures; within a cell the rows with the highest adoption score
  adopt (score: industry, size, a hidden firm "capability", plus a year trend, so
  adoption rises from 2021 to 2024 and a firm that adopts never reverts).
* **Region mix** roughly follows the number of businesses per 시도 (통계청
  전국사업체조사, rounded, approximate): 경기 and 서울 largest, about half in 수도권 —
  which is also the share at which the four adoption figures are consistent with each
  other (the region margins are then off by well under one percentage point).
* Everything else (size mix of the sample, industry mix per size, revenue and employee
  scales, growth, debt ratios, R&D, export, smart factories, support programmes, the
  distress model) is **assumed**: plausible, loosely in line with public summaries, and
  marked as such in the constants block below.

The target ``distress_next_year`` (0/1) means "in the following year the firm reports an
operating loss with a debt ratio above 200%, falls into capital impairment or closes".
It is drawn from a logistic model of the row's features plus hidden firm traits, with
the intercept solved for a base rate of 10%. High debt, falling revenue, small size,
youth and exposed industries (숙박·음식, 건설) raise the risk; AI adoption, R&D, export and
revenue growth lower it. The outcome does not feed back into later years' features, so
no row reveals another row's label; rows of one firm share hidden traits, so splits
should be grouped by ``firm_id`` or by ``year``.

Panel design (assumed): most firms are observed in all four years; a few join late
(refreshment samples of existing firms, not start-ups) or drop out (survey attrition,
unrelated to the target). The last firm's spell is cut so that exactly ``rows`` rows
come back. ``revenue_growth_pct`` is the growth over the previous year; for a firm's first
observed year the previous revenue exists in the model but is not shown.

Dirt that a quality gate should tolerate: about 1% of ``rnd_intensity_pct`` and 0.3% of
``debt_ratio_pct`` are missing (completely at random, after the target was drawn).

The frame has ``str`` ids, ``int64`` counts, years and target, ``float64`` amounts, and
``category`` columns for region, industry, size (ordered) and the ``Y``/``N`` flags.

>>> frame = generate(10, seed=1)
>>> len(frame), frame["record_id"].is_unique, frame["record_id"].iloc[0]
(10, True, 'F000001-2021')
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

DEFAULT_SEED: Final = 20251124
YEARS: Final = (2021, 2022, 2023, 2024)

# --------------------------------------------------------------------------------------
# Constants: every number the model uses, with its source or "assumed".
# --------------------------------------------------------------------------------------

# 대한상의 2024 AI 활용률 (중기부 보도자료 2025-11-24).
AI_RATE_SME: Final = 0.287  # 중소기업
AI_RATE_LARGER: Final = 0.488  # 대기업; applied to 중견기업 rows as the proxy
AI_RATE_CAPITAL: Final = 0.404  # 수도권
AI_RATE_NON_CAPITAL: Final = 0.179  # 비수도권

# Share of firms per 시도, % — approximate, rounded, roughly following business counts in
# 통계청 전국사업체조사 (2022); about 50% in 수도권.
REGION_SHARES: Final = {
    "서울": 19.3, "부산": 6.6, "대구": 4.7, "인천": 5.5, "광주": 2.9, "대전": 2.8,
    "울산": 1.9, "세종": 0.6, "경기": 25.1, "강원": 3.4, "충북": 3.2, "충남": 4.1,
    "전북": 3.5, "전남": 3.6, "경북": 5.2, "경남": 6.2, "제주": 1.4,
}  # fmt: skip
CAPITAL_REGIONS: Final = ("서울", "인천", "경기")  # 수도권, by definition

# Size classes and their share of the *sample* — assumed (a stratified panel that
# oversamples larger firms; in the population well over 90% of firms are 소상공인).
FIRM_SIZES: Final = ("소상공인", "소기업", "중기업", "중견기업")
SIZE_SHARES: Final = (0.52, 0.30, 0.15, 0.03)  # assumed
LARGER_SIZE: Final = "중견기업"  # not an SME; the proxy for "larger firms"

# KSIC sections used, and their mix per size class (rows follow FIRM_SIZES) — assumed,
# loosely following 중소기업 기본통계: trade and food service dominate among 소상공인,
# manufacturing's share rises with size.
INDUSTRIES: Final = (
    "제조업", "도매 및 소매업", "숙박 및 음식점업", "건설업",
    "정보통신업", "전문·과학 및 기술 서비스업", "운수 및 창고업", "교육 서비스업",
)  # fmt: skip
INDUSTRY_MIX_BY_SIZE: Final = (
    (0.10, 0.30, 0.20, 0.07, 0.04, 0.06, 0.15, 0.08),
    (0.25, 0.25, 0.08, 0.12, 0.08, 0.10, 0.07, 0.05),
    (0.42, 0.15, 0.04, 0.12, 0.10, 0.09, 0.05, 0.03),
    (0.48, 0.14, 0.03, 0.10, 0.11, 0.08, 0.04, 0.02),
)  # assumed

# Panel design — assumed.
START_YEAR_PROBS: Final = (0.91, 0.04, 0.03, 0.02)  # first observed year 2021…2024
ANNUAL_ATTRITION: Final = 0.02  # chance a firm leaves the panel after a given year

# Firm scale per size class (rows follow FIRM_SIZES) — assumed.
AGE_MEDIAN_YEARS: Final = (7.0, 10.0, 14.0, 24.0)  # firm age in 2021
AGE_LOG_SD: Final = 0.75
AGE_MAX_YEARS: Final = 70
EMPLOYEE_RANGE: Final = ((1, 9), (3, 49), (20, 299), (100, 1500))  # roughly the size bands
REVENUE_MEDIAN_KRW_MILLION: Final = (200.0, 2_000.0, 20_000.0, 150_000.0)  # in 2020
REVENUE_LOG_SD: Final = 0.8
EMPLOYEE_SCALE_LINK: Final = 1.2  # where in its band a firm sits follows its revenue scale…
EMPLOYEE_SCALE_NOISE: Final = 0.5  # …loosely
EMPLOYEE_REVENUE_ELASTICITY: Final = 0.3  # employees follow revenue, damped

# Revenue growth (log points) — assumed: a 2021 rebound, a 2023 slowdown.
MACRO_GROWTH_BY_YEAR: Final = (0.08, 0.06, 0.01, 0.02)
GROWTH_SHOCK_SD_BY_SIZE: Final = (0.26, 0.20, 0.15, 0.10)
GROWTH_SHOCK_DOF: Final = 5  # Student-t shocks: fat tails
GROWTH_LOG_LIMIT: Final = 1.5  # growth clipped to ±1.5 log points (−78% … +348%)
GROWTH_TRAIT_SD: Final = 0.04  # persistent firm-specific growth
GROWTH_CAPABILITY: Final = 0.04  # growth per s.d. of hidden capability

# Debt ratio (부채비율 = liabilities / equity, %) — assumed, in line with SME averages of
# roughly 150–170% in 한국은행 기업경영분석.
DEBT_MEDIAN_PCT: Final = 130.0
DEBT_FIRM_LOG_SD: Final = 0.7
DEBT_YEAR_LOG_SD: Final = 0.2
DEBT_CAPABILITY: Final = -0.25  # log debt per s.d. of capability
DEBT_ON_GROWTH: Final = -0.6  # falling revenue raises leverage
DEBT_MAX_PCT: Final = 1_500.0

# Log-odds effects (rows of per-size tuples follow FIRM_SIZES; per-industry follow
# INDUSTRIES) — all assumed.
AI_SIZE_EFFECT: Final = (-0.6, 0.0, 0.4, 0.0)  # within the SME cell; 중견기업 is its own cell
AI_INDUSTRY_EFFECT: Final = (0.2, 0.0, -0.5, -0.4, 1.2, 0.6, -0.3, 0.1)
AI_CAPABILITY: Final = 0.8
AI_YEAR_TREND: Final = 0.35  # per year; adoption rises and never reverts

RND_SIZE_EFFECT: Final = (-1.5, 0.0, 0.7, 1.2)  # any R&D at all
RND_INDUSTRY_EFFECT: Final = (-0.5, -2.5, -3.0, -2.0, 0.3, 0.0, -2.5, -2.0)
RND_CAPABILITY: Final = 0.5
RND_MEDIAN_PCT: Final = 2.5  # R&D / revenue among firms doing R&D
RND_ICT_BOOST: Final = 0.6  # log multiplier for 정보통신업
RND_FIRM_LOG_SD: Final = 0.7
RND_YEAR_LOG_SD: Final = 0.2
RND_MAX_PCT: Final = 30.0

EXPORT_SIZE_EFFECT: Final = (-3.5, -2.3, -1.2, -0.3)
EXPORT_INDUSTRY_EFFECT: Final = (1.0, 0.3, -1.5, -1.5, 0.3, 0.0, -1.0, -1.5)
EXPORT_CAPABILITY: Final = 0.4

SMART_FACTORY_SIZE_EFFECT: Final = (-2.8, -1.5, -0.6, 0.0)  # manufacturers only
SMART_FACTORY_CAPABILITY: Final = 0.5
SMART_FACTORY_YEAR_TREND: Final = 0.35
SMART_FACTORY_AI: Final = 0.8

# Support programmes used per year: Poisson with log-mean below — assumed (중견기업 are
# outside most SME programmes).
SUPPORT_BASE: Final = -0.9
SUPPORT_SIZE_EFFECT: Final = (-0.3, 0.1, 0.2, -0.6)
SUPPORT_MANUFACTURING: Final = 0.4
SUPPORT_RND: Final = 0.4
SUPPORT_EXPORT: Final = 0.3
SUPPORT_AI: Final = 0.2
SUPPORT_FIRM_SD: Final = 0.3

# Distress next year: logistic model — assumed; intercept solved for the base rate.
DISTRESS_BASE_RATE: Final = 0.10
DISTRESS_LOG_DEBT: Final = 1.0  # per log point of debt ratio over DEBT_MEDIAN_PCT
DISTRESS_GROWTH: Final = -2.0  # per log point of revenue growth, clipped to ±GROWTH_CLIP
DISTRESS_DECLINE: Final = 2.0  # extra per log point of revenue decline
DISTRESS_GROWTH_CLIP: Final = 0.5
DISTRESS_AI: Final = -0.5
DISTRESS_EXPORT: Final = -0.4
DISTRESS_LOG1P_RND: Final = -0.3
DISTRESS_YOUNG: Final = 0.5  # firm younger than YOUNG_FIRM_YEARS
YOUNG_FIRM_YEARS: Final = 3
DISTRESS_SIZE_EFFECT: Final = (0.5, 0.2, 0.0, -0.4)
DISTRESS_INDUSTRY_EFFECT: Final = (0.0, 0.1, 0.4, 0.3, 0.0, -0.1, 0.1, 0.0)
DISTRESS_YEAR_EFFECT: Final = (-0.2, 0.0, 0.2, 0.2)  # rising rates from 2022 on
DISTRESS_CAPABILITY: Final = -0.4
DISTRESS_FIRM_SD: Final = 0.5  # hidden firm-specific risk

# Dirt — assumed.
MISSING_RND_RATE: Final = 0.01
MISSING_DEBT_RATE: Final = 0.003

COLUMNS: Final = (
    "record_id", "firm_id", "year", "region", "capital_region", "industry", "firm_size",
    "firm_age_years", "employees", "revenue_krw_million", "revenue_growth_pct",
    "debt_ratio_pct", "rnd_intensity_pct", "export", "ai_adoption", "smart_factory",
    "support_programs_used", "distress_next_year",
)  # fmt: skip


def generate(rows: int, *, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Draw ``rows`` firm-year rows of the synthetic SME panel; same arguments, same frame."""
    if rows < 0:
        raise ValueError(f"rows must be zero or more, got {rows}")
    rng = np.random.default_rng(seed)
    n_years = len(YEARS)
    firm, year = _panel_layout(rng, rows)  # per row: firm index, index into YEARS
    n_firms = int(firm[-1]) + 1 if rows else 0

    # Firm traits, fixed over the panel.
    region_p = np.array(list(REGION_SHARES.values()))
    region = rng.choice(region_p.size, size=n_firms, p=region_p / region_p.sum())
    capital = np.isin(np.array(list(REGION_SHARES))[region], CAPITAL_REGIONS)
    size = rng.choice(len(FIRM_SIZES), size=n_firms, p=SIZE_SHARES)
    industry = _choice_by_row(rng, np.asarray(INDUSTRY_MIX_BY_SIZE)[size])
    manufacturing = industry == INDUSTRIES.index("제조업")
    capability = rng.standard_normal(n_firms)  # hidden

    log_age = np.log(np.take(AGE_MEDIAN_YEARS, size)) + AGE_LOG_SD * rng.standard_normal(n_firms)
    age_2021 = np.clip(np.floor(np.exp(log_age)), 1, AGE_MAX_YEARS).astype(np.int64)

    # Revenue path (log), firm × year; growth of year t is over year t - 1.
    scale = rng.standard_normal(n_firms)
    log_rev_2020 = np.log(np.take(REVENUE_MEDIAN_KRW_MILLION, size)) + REVENUE_LOG_SD * scale
    trait = GROWTH_CAPABILITY * capability + GROWTH_TRAIT_SD * rng.standard_normal(n_firms)
    t_sd = np.sqrt(GROWTH_SHOCK_DOF / (GROWTH_SHOCK_DOF - 2))  # so shocks have unit s.d.
    shock_sd = np.take(GROWTH_SHOCK_SD_BY_SIZE, size)[:, None] / t_sd
    growth = np.clip(
        np.asarray(MACRO_GROWTH_BY_YEAR)[None, :]
        + trait[:, None]
        + shock_sd * rng.standard_t(GROWTH_SHOCK_DOF, size=(n_firms, n_years)),
        -GROWTH_LOG_LIMIT,
        GROWTH_LOG_LIMIT,
    )
    log_rev = log_rev_2020[:, None] + np.cumsum(growth, axis=1)

    low, high = np.asarray(EMPLOYEE_RANGE, dtype=float)[size].T
    position = _sigmoid(
        EMPLOYEE_SCALE_LINK * scale + EMPLOYEE_SCALE_NOISE * rng.standard_normal(n_firms)
    )
    base_employees = np.exp(np.log(low) + (np.log(high) - np.log(low)) * position)
    employees = base_employees[:, None] * np.exp(
        EMPLOYEE_REVENUE_ELASTICITY * (log_rev - log_rev_2020[:, None])
    )
    employees = np.clip(np.rint(employees), 1, 1.5 * high[:, None]).astype(np.int64)

    log_debt = (
        np.log(DEBT_MEDIAN_PCT)
        + DEBT_FIRM_LOG_SD * rng.standard_normal(n_firms)[:, None]
        + DEBT_CAPABILITY * capability[:, None]
        + DEBT_YEAR_LOG_SD * rng.standard_normal((n_firms, n_years))
        + DEBT_ON_GROWTH * growth
    )
    debt = np.minimum(np.exp(log_debt), DEBT_MAX_PCT)

    does_rnd = rng.random(n_firms) < _sigmoid(
        np.take(RND_SIZE_EFFECT, size)
        + np.take(RND_INDUSTRY_EFFECT, industry)
        + RND_CAPABILITY * capability
    )
    ict = industry == INDUSTRIES.index("정보통신업")
    log_rnd = (
        np.log(RND_MEDIAN_PCT)
        + RND_ICT_BOOST * ict[:, None]
        + RND_FIRM_LOG_SD * rng.standard_normal(n_firms)[:, None]
        + RND_YEAR_LOG_SD * rng.standard_normal((n_firms, n_years))
    )
    rnd = np.where(does_rnd[:, None], np.minimum(np.exp(log_rnd), RND_MAX_PCT), 0.0)

    exports = rng.random(n_firms) < _sigmoid(
        np.take(EXPORT_SIZE_EFFECT, size)
        + np.take(EXPORT_INDUSTRY_EFFECT, industry)
        + EXPORT_CAPABILITY * capability
    )

    # AI adoption: published margins per (SME or not) × (capital or not) cell, the top
    # scores within a cell adopt; the score rises with the year, so adoption never reverts.
    larger = size == FIRM_SIZES.index(LARGER_SIZE)
    ai_score = (
        np.take(AI_SIZE_EFFECT, size)
        + np.take(AI_INDUSTRY_EFFECT, industry)
        + AI_CAPABILITY * capability
        + rng.logistic(size=n_firms)
    )
    ai_row = _adopt_by_cell(
        ai_score[firm] + AI_YEAR_TREND * year, cell=2 * larger[firm] + capital[firm]
    )
    ai = np.zeros((n_firms, n_years), dtype=bool)
    ai[firm, year] = ai_row

    smart_factory = manufacturing[:, None] & (
        rng.random(n_firms)[:, None]
        < _sigmoid(
            np.take(SMART_FACTORY_SIZE_EFFECT, size)[:, None]
            + SMART_FACTORY_CAPABILITY * capability[:, None]
            + SMART_FACTORY_YEAR_TREND * (np.arange(n_years) - 1.5)[None, :]
            + SMART_FACTORY_AI * ai
        )
    )

    support_log_mean = (
        SUPPORT_BASE
        + np.take(SUPPORT_SIZE_EFFECT, size)[:, None]
        + SUPPORT_MANUFACTURING * manufacturing[:, None]
        + SUPPORT_RND * does_rnd[:, None]
        + SUPPORT_EXPORT * exports[:, None]
        + SUPPORT_AI * ai
        + SUPPORT_FIRM_SD * rng.standard_normal(n_firms)[:, None]
    )
    support = rng.poisson(np.exp(support_log_mean))

    # Distress next year, per row.
    g = np.clip(growth[firm, year], -DISTRESS_GROWTH_CLIP, DISTRESS_GROWTH_CLIP)
    age = age_2021[firm] + year
    hidden_risk = DISTRESS_CAPABILITY * capability + DISTRESS_FIRM_SD * rng.standard_normal(n_firms)
    eta = (
        DISTRESS_LOG_DEBT * (np.log(debt[firm, year]) - np.log(DEBT_MEDIAN_PCT))
        + DISTRESS_GROWTH * g
        + DISTRESS_DECLINE * np.maximum(-g, 0.0)
        + DISTRESS_AI * ai_row
        + DISTRESS_EXPORT * exports[firm]
        + DISTRESS_LOG1P_RND * np.log1p(rnd[firm, year])
        + DISTRESS_YOUNG * (age < YOUNG_FIRM_YEARS)
        + np.take(DISTRESS_SIZE_EFFECT, size[firm])
        + np.take(DISTRESS_INDUSTRY_EFFECT, industry[firm])
        + np.take(DISTRESS_YEAR_EFFECT, year)
        + hidden_risk[firm]
    )
    eta += _intercept_for_rate(eta, DISTRESS_BASE_RATE)
    distress = (rng.random(rows) < _sigmoid(eta)).astype(np.int64)

    # Dirt, drawn after the target so it cannot carry label information.
    rnd_row = np.round(rnd[firm, year], 2)
    rnd_row[rng.random(rows) < MISSING_RND_RATE] = np.nan
    debt_row = np.round(debt[firm, year], 1)
    debt_row[rng.random(rows) < MISSING_DEBT_RATE] = np.nan

    firm_ids = _firm_ids(n_firms)
    year_names = np.asarray([str(y) for y in YEARS])[year]
    columns = {
        "record_id": np.strings.add(np.strings.add(firm_ids, "-")[firm], year_names),
        "firm_id": firm_ids[firm],
        "year": np.asarray(YEARS, dtype=np.int64)[year],
        "region": _categorical(region[firm], list(REGION_SHARES)),
        "capital_region": _yes_no(capital[firm]),
        "industry": _categorical(industry[firm], INDUSTRIES),
        "firm_size": _categorical(size[firm], FIRM_SIZES, ordered=True),
        "firm_age_years": age.astype(np.int64),
        "employees": employees[firm, year],
        "revenue_krw_million": np.round(np.exp(log_rev[firm, year]), 1),
        "revenue_growth_pct": np.round(np.expm1(growth[firm, year]) * 100, 1),
        "debt_ratio_pct": debt_row,
        "rnd_intensity_pct": rnd_row,
        "export": _yes_no(exports[firm]),
        "ai_adoption": _yes_no(ai_row),
        "smart_factory": _yes_no(smart_factory[firm, year]),
        "support_programs_used": support[firm, year].astype(np.int64),
        "distress_next_year": distress,
    }
    return pd.DataFrame(columns, columns=list(COLUMNS))


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write ``frame`` as UTF-8 CSV, ``\\n`` line endings, no index: same frame, same bytes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        frame.to_csv(handle, index=False, lineterminator="\n")


def _panel_layout(rng: np.random.Generator, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Firm index and year index of each row: consecutive years per firm, ``rows`` in all."""
    n_years = len(YEARS)
    start = rng.choice(n_years, size=max(rows, 1), p=START_YEAR_PROBS)
    length = np.minimum(n_years - start, rng.geometric(ANNUAL_ATTRITION, size=start.size))
    ends = np.cumsum(length)
    n_firms = int(np.searchsorted(ends, rows)) + 1 if rows else 0
    start, length = start[:n_firms], length[:n_firms].copy()
    if n_firms:
        length[-1] -= ends[n_firms - 1] - rows  # cut the last spell to hit ``rows`` exactly
    firm = np.repeat(np.arange(n_firms), length)
    first_row = np.cumsum(length) - length
    return firm, start[firm] + np.arange(rows) - np.repeat(first_row, length)


def _firm_ids(n_firms: int) -> np.ndarray:
    """``F000001``, ``F000002``, …: meaningless, zero-padded to at least six digits."""
    width = max(6, len(str(n_firms)))
    return np.array([f"F{i:0{width}d}" for i in range(1, n_firms + 1)], dtype=f"U{width + 1}")


def _categorical(
    codes: np.ndarray, categories: Sequence[str], *, ordered: bool = False
) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, categories=list(categories), ordered=ordered)


def _yes_no(flags: np.ndarray) -> pd.Categorical:
    return _categorical(flags.astype(np.int8), ("N", "Y"))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _choice_by_row(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One category index per row of ``probabilities`` (rows sum to 1), vectorised."""
    cumulative = np.cumsum(probabilities, axis=1)
    u = rng.random(len(probabilities))[:, None] * cumulative[:, -1:]
    return (u >= cumulative).sum(axis=1)


def _adopt_by_cell(score: np.ndarray, *, cell: np.ndarray) -> np.ndarray:
    """Adopt the top scores in each cell (0 SME non-capital, 1 SME capital, 2/3 larger).

    Cell rates come from a two-way additive model (size effect + region effect) backfitted
    to the four published margins on the cell sizes at hand, so the realised margins of
    any sample hit the published ones as closely as they can be hit together.
    """
    counts = np.bincount(cell, minlength=4).reshape(2, 2).astype(float)  # [larger, capital]
    size_target = np.array([AI_RATE_SME, AI_RATE_LARGER])
    region_target = np.array([AI_RATE_NON_CAPITAL, AI_RATE_CAPITAL])
    by_size, by_region = size_target.copy(), np.zeros(2)
    row_n, col_n = np.maximum(counts.sum(1), 1), np.maximum(counts.sum(0), 1)
    for _ in range(50):
        by_region = region_target - (counts * by_size[:, None]).sum(0) / col_n
        by_size = size_target - (counts * by_region[None, :]).sum(1) / row_n
    rates = np.clip(by_size[:, None] + by_region[None, :], 0.01, 0.99).ravel()

    adopted = np.zeros(score.size, dtype=bool)
    for index, rate in enumerate(rates):
        members = np.flatnonzero(cell == index)
        k = round(rate * members.size)
        top = np.argsort(-score[members], kind="stable")[:k]
        adopted[members[top]] = True
    return adopted


def _intercept_for_rate(eta: np.ndarray, rate: float) -> float:
    """The shift ``b`` for which ``mean(sigmoid(eta + b)) == rate`` (Newton's method)."""
    if eta.size == 0:
        return 0.0
    shift = float(np.log(rate / (1 - rate)) - np.median(eta))
    for _ in range(20):
        p = _sigmoid(eta + shift)
        step = (p.mean() - rate) / max(float((p * (1 - p)).mean()), 1e-12)
        shift -= step
        if abs(step) < 1e-10:
            break
    return shift
