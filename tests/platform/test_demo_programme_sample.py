"""The programme's public sample release: the recipe its GENERATOR.md gives, run on the shipped
panel, makes its raw file byte for byte, and that file is as small and as k-anonymous as the
card says."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from collections.abc import Callable

import yaml

from odx.datasets.catalog import SHIPPED_DIR

SAMPLE = SHIPPED_DIR / "sme-growth-risk-sample"
PANEL = SHIPPED_DIR / "sme-growth-risk-model" / "raw" / "sme_panel.csv"


def _documented_recipe() -> Callable[[bytes], bytes]:
    """The ``derive`` function exactly as GENERATOR.md prints it."""
    text = (SAMPLE / "GENERATOR.md").read_text(encoding="utf-8")
    (code,) = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    scope: dict[str, object] = {}
    exec(compile(code, str(SAMPLE / "GENERATOR.md"), "exec"), scope)  # the doc is ours
    return scope["derive"]  # type: ignore[return-value]


def test_the_documented_recipe_makes_the_shipped_raw_file() -> None:
    derived = _documented_recipe()(PANEL.read_bytes())
    shipped = (SAMPLE / "raw" / "sme_panel_sample.csv").read_bytes()
    assert derived == shipped
    spec = yaml.safe_load((SAMPLE / "dataset.yaml").read_text(encoding="utf-8"))
    assert spec["raw"][0]["sha256"] == hashlib.sha256(shipped).hexdigest()


def test_the_sample_is_small_whole_firms_and_k_anonymous() -> None:
    rows = list(csv.DictReader(io.StringIO(PANEL.read_text(encoding="utf-8"))))
    sample = list(
        csv.DictReader(io.StringIO((SAMPLE / "raw" / "sme_panel_sample.csv").read_text("utf-8")))
    )
    assert len(sample) == 489 and len({r["firm_id"] for r in sample}) == 131
    firms = {r["firm_id"] for r in sample}
    assert Counter(r["firm_id"] for r in rows if r["firm_id"] in firms) == Counter(
        r["firm_id"] for r in sample
    )  # every year of a chosen firm, nothing else
    groups = Counter((r["region"], r["industry"]) for r in sample)
    assert min(groups.values()) >= 10
    assert {r["year"] for r in sample} == {"2021", "2022", "2023", "2024"}
