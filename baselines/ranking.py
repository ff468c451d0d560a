"""Two baselines of the support-programme recommendation track, from its public files alone.

Both rank only the announcements a company is eligible for (region, industry and target
group, as the data card states the rules) among the candidates: announcements posted on or
after the earliest one any training company applied to in the target period.

- ``popularity``: the candidates most applied to by training companies.
- ``content``: popularity plus how much an announcement's text resembles what the company
  applied to before (TF-IDF of title, summary and fields against the mean of its past
  applications); the weight of the resemblance is chosen on the training companies.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from odx.datasets.release import TEST, TRAIN, ReleaseManifest

INTERACTIONS_FILE = "interactions.csv"
CONTENT_WEIGHTS = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0)  # tried on the training companies
SME_SIZES = ("소상공인", "소기업", "중기업")  # 중견기업 is not an SME
STARTUP_AGE = 7  # years, the usual limit of 창업기업 support


@dataclass(frozen=True)
class Tables:
    """The public tables of a ranking release, read once."""

    train: pd.DataFrame
    test: pd.DataFrame
    items: pd.DataFrame
    interactions: pd.DataFrame
    query_id: str
    item_id: str
    target: str
    k: int

    @classmethod
    def read(cls, public_dir: Path, rows_file: str = TEST) -> Tables:
        """The tables of a release; ``rows_file`` holds the companies to rank (``test.csv``,
        or ``test_sample.csv`` where the test features are hidden)."""
        manifest = ReleaseManifest.read(public_dir)
        if manifest.ranking is None:
            raise ValueError(f"{manifest.dataset_id} is not a ranking release")
        query, item = manifest.id_column, manifest.ranking.item_id_column
        text = {query: str, item: str, manifest.target_column: str}
        return cls(
            train=pd.read_csv(public_dir / TRAIN, dtype=text, keep_default_na=False),
            test=pd.read_csv(public_dir / rows_file, dtype=text),
            items=pd.read_csv(public_dir / manifest.ranking.items_file, dtype=text),
            interactions=pd.read_csv(public_dir / INTERACTIONS_FILE, dtype=text),
            query_id=query,
            item_id=item,
            target=manifest.target_column,
            k=manifest.ranking.k,
        )


def _section(industry: str) -> str:
    """An industry name as both tables can agree on it: no code range, '·' read as ', '."""
    return re.sub(r"\(.*?\)", "", industry).replace("·", ", ").strip()


def eligibility(companies: pd.DataFrame, items: pd.DataFrame) -> np.ndarray:
    """companies × items: whether the company may apply (region, industry, target group)."""
    regions = items["regions"].fillna("").str.split("@")
    industries = items["industries"].fillna("").map(lambda v: {_section(s) for s in v.split("@")})
    group = items["target_group"].fillna("").to_numpy()
    region_ok = np.array([[r in rs for rs in regions] for r in companies["region"]])
    industry_ok = np.array(
        [[_section(i) in s for s in industries] for i in companies["industry"].astype(str)]
    )
    size = companies["firm_size"].to_numpy()[:, None]
    young = (companies["firm_age_years"].to_numpy() <= STARTUP_AGE)[:, None]
    group_ok = (
        ((group == "중소기업") & np.isin(size, SME_SIZES))
        | ((group == "소상공인") & (size == "소상공인"))
        | ((group == "창업벤처") & young)
    )
    return region_ok & industry_ok & group_ok


def candidates(tables: Tables) -> pd.DataFrame:
    """Announcements from the earliest one a training company applied to in the target period."""
    applied = set(tables.train[tables.target].str.split().explode().dropna())
    posted = tables.items.set_index(tables.item_id)["created_at"]
    start = posted[posted.index.isin(applied)].min()
    return tables.items[tables.items["created_at"] >= start].reset_index(drop=True)


def popularity(tables: Tables, items: pd.DataFrame) -> np.ndarray:
    """log(1 + applications by training companies) per item; views break ties."""
    counts = tables.train[tables.target].str.split().explode().value_counts()
    applied = items[tables.item_id].map(counts).fillna(0).to_numpy(dtype=float)
    views = pd.to_numeric(items["view_count"], errors="coerce").fillna(0).to_numpy()
    return np.log1p(applied) + 1e-6 * np.log1p(views)


def _item_text(items: pd.DataFrame) -> pd.Series:
    """Title and fields: what a company's past applications say about its needs (the summary
    adds more noise than signal here)."""
    fields = items["support_fields"].fillna("") + "@" + items["support_subfields"].fillna("")
    return items["title"].fillna("") + " " + fields.str.replace("@", " ")


def resemblance(tables: Tables, companies: pd.DataFrame, items: pd.DataFrame) -> np.ndarray:
    """companies × items: cosine of each item's text with the company's past applications."""
    every = tables.items
    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 3), min_df=2, sublinear_tf=True
    )
    vectors = vectorizer.fit_transform(_item_text(every))
    row_of = {item: i for i, item in enumerate(every[tables.item_id])}
    history = tables.interactions.groupby(tables.query_id)[tables.item_id].agg(list)
    profiles = np.zeros((len(companies), vectors.shape[1]))
    for i, company in enumerate(companies[tables.query_id]):
        rows = [row_of[item] for item in history.get(company, []) if item in row_of]
        if rows:
            profiles[i] = np.asarray(vectors[rows].mean(axis=0)).ravel()
    candidates_vectors = vectors[[row_of[item] for item in items[tables.item_id]]]
    return normalize(profiles) @ normalize(candidates_vectors).T.toarray()


def _top_k(scores: np.ndarray, allowed: np.ndarray, ids: np.ndarray, k: int) -> list[str]:
    """Each row's k best allowed items, best first (ties by id), space-separated."""
    lists = []
    for row, ok in zip(scores, allowed, strict=True):
        chosen = np.flatnonzero(ok)
        order = np.lexsort((ids[chosen], -row[chosen]))[:k]
        lists.append(" ".join(ids[chosen][order]))
    return lists


def _submission(tables: Tables, companies: pd.DataFrame, lists: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {tables.query_id: companies[tables.query_id].to_numpy(), tables.target: lists}
    )


def popularity_ranker(tables: Tables) -> Callable[[pd.DataFrame], list[str]]:
    """The popularity baseline as a function of company profiles alone: what a model upload
    runs on hidden test features (everything it needs from the tables is inside it)."""
    items = candidates(tables)
    scores = popularity(tables, items)
    ids = items[tables.item_id].to_numpy()
    rules = items[["regions", "industries", "target_group"]]
    k = tables.k

    def rank(companies: pd.DataFrame) -> list[str]:
        allowed = eligibility(companies, rules)
        return _top_k(np.broadcast_to(scores, allowed.shape), allowed, ids, k)

    return rank


def rank_by_popularity(tables: Tables) -> pd.DataFrame:
    return _submission(tables, tables.test, popularity_ranker(tables)(tables.test))


def _map_at_k(lists: list[str], relevant: list[set[str]], k: int) -> float:
    """MAP@k of space-separated lists, as a team checks itself on its own training rows."""
    total = 0.0
    for ranked, truth in zip(lists, relevant, strict=True):
        hits = np.isin(ranked.split()[:k], list(truth))
        precision = np.cumsum(hits) / np.arange(1, hits.size + 1)
        total += float((precision * hits).sum()) / min(len(truth), k) if truth else 0.0
    return total / max(len(lists), 1)


def _content_weight(tables: Tables, items: pd.DataFrame, pop: np.ndarray) -> float:
    """The resemblance weight that ranks the training companies' targets best (MAP@k)."""
    train = tables.train
    allowed = eligibility(train, items)
    similar = resemblance(tables, train, items)
    ids = items[tables.item_id].to_numpy()
    relevant = train[tables.target].str.split().map(set).tolist()

    def score(weight: float) -> float:
        return _map_at_k(_top_k(pop + weight * similar, allowed, ids, tables.k), relevant, tables.k)

    return max(CONTENT_WEIGHTS, key=score)


def rank_by_content(tables: Tables) -> pd.DataFrame:
    items = candidates(tables)
    pop = popularity(tables, items)
    weight = _content_weight(tables, items, pop)
    scores = pop + weight * resemblance(tables, tables.test, items)
    allowed = eligibility(tables.test, items)
    ids = items[tables.item_id].to_numpy()
    return _submission(tables, tables.test, _top_k(scores, allowed, ids, tables.k))


RANKERS: dict[str, tuple[str, Callable[[Tables], pd.DataFrame]]] = {
    "popularity": (
        "popularity within eligibility: the later announcements training companies applied to "
        "most, among those the company may apply to",
        rank_by_popularity,
    ),
    "content": (
        "content match: popularity plus the TF-IDF resemblance of an announcement's title and "
        "fields to the company's earlier applications, weighted as fits the training companies",
        rank_by_content,
    ),
}
