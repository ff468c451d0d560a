"""docs/dataset-spec.md is what the spec models generate, and documents every key."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel

from odx.datasets import spec as spec_module
from odx.datasets.spec import DatasetSpec, parse_spec
from odx.datasets.spec_reference import EXAMPLE_SPEC, main, render_reference

DOCS = Path(__file__).resolve().parents[2] / "docs" / "dataset-spec.md"


def _models() -> list[type[BaseModel]]:
    return [
        value
        for value in vars(spec_module).values()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and value.__module__ == spec_module.__name__
        and value.__name__ not in ("_Strict", "LoadedSpec")
    ]


def test_reference_in_docs_is_what_the_models_generate() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_reference(), (
        "docs/dataset-spec.md is out of date: run python -m odx.datasets.spec_reference --write"
    )


def test_every_key_has_a_description_and_an_example_in_the_reference() -> None:
    reference = render_reference()
    undocumented = [
        f"{model.__name__}.{name}"
        for model in _models()
        for name, field in model.model_fields.items()
        if not field.description or not field.examples
    ]
    assert undocumented == []
    for name in DatasetSpec.model_fields:
        assert f"| `{name}` |" in reference
    for key in ("quality.leakage.max_feature_auc", "target.positive", "raw[].delimiter"):
        assert f"| `{key}` |" in reference
    assert "## Binary targets" in reference and "## Quality keys" in reference


def test_reference_example_is_a_valid_spec() -> None:
    spec = parse_spec(yaml.safe_dump(EXAMPLE_SPEC, allow_unicode=True), source="example.yaml")
    assert spec.id == "market-store-count"


def test_check_fails_on_a_stale_file_and_write_fixes_it(tmp_path: Path) -> None:
    stale = tmp_path / "dataset-spec.md"
    stale.write_text("# old\n", encoding="utf-8")
    assert main(["--check", str(stale)]) == 1
    assert main(["--write", str(stale)]) == 0
    assert main(["--check", str(stale)]) == 0
    assert stale.read_text(encoding="utf-8") == render_reference()
