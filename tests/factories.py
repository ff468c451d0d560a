"""Test data builders: a small dataset folder that tests break in many ways."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

TINY_SPEC: dict[str, Any] = {
    "id": "tiny-shops",
    "title": {"ko": "작은 상점", "en": "Tiny shops"},
    "description": {"ko": "시험용 데이터", "en": "A dataset for tests"},
    "task": "multiclass",
    "source": {
        "agency": {"ko": "시험 기관", "en": "Test agency"},
        "reference": "made by the test suite",
        "licence": {"name": "CC0"},
    },
    "raw": [{"path": "raw/shops.csv"}],
    "id_column": {"column": "shop_id"},
    "target": {"column": "kind"},
    "columns": [
        {"name": "shop_id", "type": "string", "description": {"ko": "ID", "en": "Id"}},
        {"name": "city", "type": "category", "description": {"ko": "도시", "en": "City"}},
        {"name": "size", "type": "float", "description": {"ko": "면적", "en": "Area"}},
        {"name": "memo", "type": "text", "description": {"ko": "메모", "en": "Memo"}},
        {"name": "kind", "type": "category", "description": {"ko": "업종", "en": "Kind"}},
    ],
    "drop": [{"column": "owner_phone", "reason": "contact phone number"}],
    "split": {"method": "stratified", "test_fraction": 0.3, "public_fraction": 0.5, "seed": 7},
}

TINY_SUITE: dict[str, Any] = {
    "name": "tiny-shops",
    "expectations": [
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "shop_id"}},
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "size", "min_value": 0, "max_value": 1000},
        },
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "kind", "value_set": ["식당", "카페", "서점"]},
        },
    ],
}

CITIES = ["서울", "부산", "대구", "광주"]
KINDS = ["식당", "카페", "서점"]


def tiny_rows(count: int = 120) -> list[dict[str, Any]]:
    """Deterministic rows whose kind is learnable from size but not given away by any column."""
    rows = []
    for i in range(count):
        kind = KINDS[i % 3]
        rows.append(
            {
                "shop_id": f"S{i:04d}",
                "city": CITIES[(i * 7) % 4],
                "size": round(20 + (i % 3) * 15 + ((i * 37) % 101) / 10, 1),
                "memo": f"{CITIES[i % 4]} 상가 {(i // 3) % 5}층, 영업 중",
                "kind": kind,
                "owner_phone": f"010-{1000 + i:04d}-{5000 + i:04d}",
            }
        )
    return rows


DatasetFactory = Callable[..., Path]


def write_dataset(
    root: Path,
    *,
    spec: dict[str, Any] | None = None,
    rows: list[dict[str, Any]] | None = None,
    raw_bytes: bytes | None = None,
    suite: dict[str, Any] | None = None,
    encoding: str = "utf-8",
    name: str = "tiny-shops",
) -> Path:
    """Write a dataset folder under ``root``; arguments replace spec keys, rows or raw bytes."""
    import pandas as pd

    folder = root / name
    (folder / "raw").mkdir(parents=True, exist_ok=True)
    full = copy.deepcopy(TINY_SPEC) | {"id": name}
    full.update(spec or {})
    (folder / "dataset.yaml").write_text(
        yaml.safe_dump(full, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    (folder / "expectations.json").write_text(json.dumps(suite or TINY_SUITE), encoding="utf-8")
    if raw_bytes is None:
        text = pd.DataFrame(rows if rows is not None else tiny_rows()).to_csv(index=False)
        raw_bytes = text.encode(encoding)
    (folder / "raw" / "shops.csv").write_bytes(raw_bytes)
    return folder
