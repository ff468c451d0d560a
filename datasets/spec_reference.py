"""The dataset spec reference (``docs/dataset-spec.md``), generated from the models in spec.py.

Every key's type, default, constraints, description and example come from the pydantic
fields, so the reference cannot drift from what the loader accepts; a test compares the file
with what this module generates. Prose that no field holds (binary targets, quality keys,
placeholders) is written here.

    python -m odx.datasets.spec_reference            # print the reference
    python -m odx.datasets.spec_reference --write    # write docs/dataset-spec.md
    python -m odx.datasets.spec_reference --check    # exit 1 when the file is out of date
"""

from __future__ import annotations

import argparse
import sys
import types
import typing
from enum import Enum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from odx.datasets.binary import NEGATIVE_SPELLINGS, POSITIVE_SPELLINGS
from odx.datasets.spec import (
    COLUMN_TYPE_MEANINGS,
    PLACEHOLDER,
    SPEC_FILENAME,
    TASK_MEANINGS,
    TRANSFORM_MEANINGS,
    DatasetSpec,
    SplitFirst,
    Text,
    Transform,
)

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "docs" / "dataset-spec.md"
COMMAND = "python -m odx.datasets.spec_reference --write"

EXAMPLE_SPEC: dict[str, Any] = {
    "id": "market-store-count",
    "title": {"ko": "전국 전통시장 점포수 예측", "en": "Number of stores in traditional markets"},
    "description": {
        "ko": "전국 전통시장 1,388곳의 유형, 위치, 편의시설로 점포수를 예측합니다.",
        "en": "Predict how many stores each of 1,388 traditional markets has.",
    },
    "task": "regression",
    "source": {
        "agency": {"ko": "소상공인시장진흥공단", "en": "Small Enterprise and Market Service"},
        "url": "https://www.data.go.kr/data/15012894/standard.do",
        "reference": "공공데이터포털 전국전통시장표준데이터 (dataset 15012894), 2024-11-04",
        "licence": {"name": "공공데이터포털 이용허락범위", "url": "https://www.data.go.kr"},
    },
    "raw": [{"path": "raw/markets.csv", "encoding": "cp949", "delimiter": ","}],
    "id_column": {"column": "market_id", "generate": True, "prefix": "MKT-"},
    "target": {"column": "store_count", "drop_missing": True},
    "columns": [
        {
            "name": "market_name",
            "source": "시장명",
            "type": "string",
            "description": {"ko": "시장명", "en": "Market name"},
        },
        {
            "name": "has_parking",
            "source": "주차장보유여부",
            "type": "category",
            "description": {"ko": "주차장 보유 여부 (Y/N)", "en": "Has a car park (Y/N)"},
        },
        {
            "name": "store_count",
            "source": "점포수",
            "type": "integer",
            "description": {"ko": "점포수 — 예측 대상", "en": "Number of stores — the target"},
        },
    ],
    "drop": [{"column": "전화번호", "reason": "phone number of the market office"}],
    "split": {
        "method": "group",
        "column": "market_name",
        "test_fraction": 0.3,
        "public_fraction": 0.5,
        "seed": 20251124,
        "reason": "markets of one name stay on one side",
    },
    "quality": {
        "suite": "expectations.json",
        "leakage": {"max_adversarial_auc": 0.7},
    },
}


# --- rendering types, defaults and examples ---------------------------------------------------


def _sections() -> list[tuple[str, type[BaseModel]]]:
    """Every model below the top level, with the key path it is found under, in order."""
    found: list[tuple[str, type[BaseModel]]] = []

    def walk(model: type[BaseModel], path: str) -> None:
        for name, field in model.model_fields.items():
            for inner, suffix in _models_in(field.annotation):
                if inner is Text or any(m is inner for _, m in found):
                    continue
                key = f"{path}.{name}" if path else name
                found.append((f"{key}{suffix}", inner))
                walk(inner, f"{key}{suffix}")

    walk(DatasetSpec, "")
    return found


def _models_in(annotation: Any) -> list[tuple[type[BaseModel], str]]:
    """Models inside an annotation, with "[]" when they are list items."""
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [(annotation, "")]
    if origin is list:
        return [(m, "[]") for m, _ in _models_in(typing.get_args(annotation)[0])]
    if origin in (typing.Union, types.UnionType):
        return [pair for arg in typing.get_args(annotation) for pair in _models_in(arg)]
    return []


def _anchor(model: type[BaseModel]) -> str:
    if model is Text:
        return "#text-ko-en"
    if model is SplitFirst:
        return "#transforms"
    path = next(p for p, m in _sections() if m is model)
    return "#" + path.replace(".", "").replace("[]", "").lower()


def _type(annotation: Any) -> str:
    """A field's type in words, with links to the sections of nested mappings."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type(args[0])
    if origin in (typing.Union, types.UnionType):
        if annotation == Transform:
            return "[transform](#transforms)"
        return " or ".join(_type(a) for a in args if a is not type(None))
    if origin is Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if origin is list:
        return f"list of {_type(args[0])}"
    if origin is dict:
        return f"mapping of {_type(args[0])} to {_type(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "one of " + ", ".join(f"`{m.value}`" for m in annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        name = "text (ko, en)" if annotation is Text else "mapping"
        return f"[{name}]({_anchor(annotation)})"
    return {str: "text", int: "integer", float: "number", bool: "true or false"}.get(
        annotation, str(annotation)
    )


def _yaml_inline(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value if value else '""'
    if isinstance(value, int | float):
        return str(value)
    text = yaml.safe_dump(
        value, default_flow_style=True, allow_unicode=True, sort_keys=False, width=10_000
    )
    return text.strip()


def _code(value: Any) -> str:
    return f"`{_yaml_inline(value).replace('|', '&#124;')}`"


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "**required**"
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
        if isinstance(value, BaseModel):
            return "see below"
        return _code(value)
    if field.default is None:
        return "—"
    return _code(field.default.value if isinstance(field.default, Enum) else field.default)


_CONSTRAINT_WORDS = (
    ("gt", "more than {}"),
    ("ge", "at least {}"),
    ("lt", "less than {}"),
    ("le", "at most {}"),
    ("max_length", "at most {} long"),
    ("pattern", "matches `{}`"),
)


def _constraints(field: FieldInfo) -> str:
    """Bounds, lengths and patterns from the field's metadata (pydantic keeps one per item)."""
    words = []
    for item in field.metadata:
        for attribute, text in _CONSTRAINT_WORDS:
            value = getattr(item, attribute, None)
            if value is not None:
                words.append(text.format(value))
        minimum = getattr(item, "min_length", None)
        if minimum is not None and minimum > 1:
            words.append(f"at least {minimum} long")
    return f" ({'; '.join(words)})" if words else ""


def _table(model: type[BaseModel], path: str) -> list[str]:
    rows = [
        "| key | type | default | description | example |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, field in model.model_fields.items():
        key = f"{path}.{name}" if path else name
        description = (field.description or "").replace("|", "&#124;") + _constraints(field)
        example = _code(field.examples[0]) if field.examples else ""
        rows.append(
            f"| `{key}` | {_type(field.annotation)} | {_default(field)} | {description} | "
            f"{example} |"
        )
    return rows


# --- the document -------------------------------------------------------------------------------


def _intro() -> list[str]:
    example = yaml.safe_dump(EXAMPLE_SPEC, allow_unicode=True, sort_keys=False, width=100)
    return [
        "# Dataset spec reference (`dataset.yaml`)",
        "",
        "<!-- Generated from datasets/spec.py by `python -m odx.datasets.spec_reference`; "
        f"edit the models, then run `{COMMAND}`. -->",
        "",
        "A dataset is a folder named by its id, holding `dataset.yaml` (this spec), a Great "
        "Expectations suite (`expectations.json`) and the raw files under `raw/`. "
        "`odx datasets init FOLDER --raw FILE` drafts all three from one raw file. The spec "
        "says what the data is and where it came from, how each raw column is read, which raw "
        "columns are left out and why, the id, the target, the split and the quality thresholds.",
        "",
        "Mistakes are reported like a compiler's, with the file and the key: "
        "`datasets/catalog/x/dataset.yaml: split.method: Input should be 'random', ...`. "
        "Unknown keys are refused (check the spelling).",
        "",
        "A complete example:",
        "",
        "```yaml",
        example.rstrip(),
        "```",
        "",
    ]


def _placeholders() -> list[str]:
    return [
        f"## Placeholders (`{PLACEHOLDER}: ...`)",
        "",
        f'A drafted spec writes "{PLACEHOLDER}: ..." where only a person can answer: the title, '
        "the description, the source agency and reference, the licence, the column descriptions "
        "in the language the raw header is not in, and why the split fits (`split.reason`). The "
        "loader accepts these in free text, so the draft can be validated while it is written, "
        "and the quality gate fails its `open_decisions` check, naming every such key, until "
        "each is replaced. Where the data depends on the answer (`task`, `target.column`, "
        "`target.positive`, `id_column.column`, `split.method`) the loader refuses the "
        "placeholder and says what to fill in.",
        "",
    ]


def _tasks_types_transforms() -> list[str]:
    lines = ["## Tasks", "", "| task | predicts |", "| --- | --- |"]
    lines += [f"| `{task.value}` | {meaning} |" for task, meaning in TASK_MEANINGS.items()]
    lines += ["", "## Column types", "", "| type | values |", "| --- | --- |"]
    lines += [f"| `{kind.value}` | {meaning} |" for kind, meaning in COLUMN_TYPE_MEANINGS.items()]
    lines += [
        "",
        "An empty raw value is a missing value in every type. A value that does not read as "
        "its declared type is an error listing examples, never silently missing.",
        "",
        "## Transforms",
        "",
        "Applied in the listed order to a raw column's text before it is typed "
        "(`columns[].transforms`).",
        "",
        "| transform | does |",
        "| --- | --- |",
    ]
    lines += [f"| `{name}` | {meaning} |" for name, meaning in TRANSFORM_MEANINGS.items()]
    return [*lines, ""]


def _binary_targets() -> list[str]:
    positive = ", ".join(f"`{s}`" for s in sorted(POSITIVE_SPELLINGS))
    negative = ", ".join(f"`{s}`" for s in sorted(NEGATIVE_SPELLINGS))
    return [
        "## Binary targets",
        "",
        "With `task: binary` the target is read as 0 and 1, and the release holds 0 and 1 "
        "(train labels, hidden labels, the sample submission's base rate):",
        "",
        f"- Without `target.positive`, the two values must be the usual spellings of yes and "
        f"no, in any case and with spaces around them ignored: {positive} mean 1; {negative} "
        "mean 0. `Y`/`N`, `yes`/`No`, `TRUE`/`false` and `1`/`0` all work.",
        "- With `target.positive`, that value means 1 and the other value means 0, whatever "
        "they are (`positive: 부실` for `부실`/`정상`). It is compared as text, ignoring case; "
        "YAML's `yes`, `true` and `1` are read as the text `true` and `1`, which match their "
        "usual spellings (`positive: true` with `Y`/`N` means `Y`).",
        "- The data must hold exactly two values once empty targets are left out "
        "(`target.drop_missing`); one value, three, or a declared `positive` that is not among "
        "them is a spec error before the quality gate runs.",
        "- The expectation suite sees the target as 0 and 1: `value_set: [0, 1]`. A value set "
        "with the raw spellings (`[Y, N]`) is refused before the gate runs.",
        "",
    ]


def _tables_and_ranking() -> list[str]:
    return [
        "## Tables",
        "",
        "`tables` publishes further tables beside train and test, each as `<name>.csv`: the "
        "items of a ranking task, an interactions log. Each has its own raw file, columns and "
        "dropped columns, read, cleaned and typed exactly like the main table's, and every raw "
        "column must be published or dropped with a reason. An `id_column` must be unique and "
        "never empty. Their text columns are scanned for personal data too; a finding is named "
        "`table.column`. Their raw files count towards the release's fingerprint.",
        "",
        "## Ranking",
        "",
        "With `task: ranking` each row of the main table is a query (a company), and its target "
        "holds the ids of the relevant items (`ranking.items`, a table), separated by spaces. "
        "The target's type is `string`; every id must be in the items table, at most once per "
        "row. The release's `manifest.json` names the items file, its id column and `k`. The "
        "sample submission lists, for every test query, the `k` items most often relevant in "
        "train. Participants submit one row per query: the id, then up to `k` space-separated "
        "item ids, best first; a longer list is refused, not cut, and an empty list scores 0. "
        "The quality gate replaces the single-feature target check by `ranking_leakage`: no "
        "public table holding both the query id and the item id may record a test query's "
        "relevant item, and no feature of a test query may name one.",
        "",
    ]


def _quality_keys() -> list[str]:
    rows = [
        "## Quality keys",
        "",
        "The quality gate runs on the prepared dataset (published names and types, a binary "
        "target as 0/1) and its split; a dataset that fails any check is not published, and "
        "the report names what failed. Every key under `quality`:",
        "",
        "| key | default | what it decides |",
        "| --- | --- | --- |",
    ]
    quality = DatasetSpec.model_fields["quality"].default_factory()  # type: ignore[call-arg,misc]
    for name, field in type(quality).model_fields.items():
        nested = getattr(quality, name)
        if isinstance(nested, BaseModel):
            for inner, inner_field in type(nested).model_fields.items():
                rows.append(
                    f"| `quality.{name}.{inner}` | {_default(inner_field)} | "
                    f"{(inner_field.description or '').replace('|', '&#124;')} |"
                )
        else:
            rows.append(f"| `quality.{name}` | {_default(field)} | {field.description} |")
    rows += [
        "",
        "The checks: `expectations` (the suite), `personal_data` (phone numbers, e-mail "
        "addresses, resident and business registration numbers in text columns, unless "
        "allowed), `k_anonymity`, `target_leakage` (each feature alone against the target: AUC "
        "for binary targets, an out-of-fold lookup otherwise), `id_like_columns`, "
        "`train_test_duplicates`, `adversarial_validation`; and `open_decisions` while a "
        "placeholder is left.",
        "",
        "Before any of them runs, the suite is checked against GX and the spec: an unknown "
        "expectation type or argument, a column that is not in the dataset, and a binary "
        "target's value set other than 0 and 1 are spec errors naming "
        "`expectations.json: expectations[i]...`, with a suggestion when one is close.",
        "",
    ]
    return rows


def _keys() -> list[str]:
    lines = ["## Top-level keys", "", *_table(DatasetSpec, ""), ""]
    lines += ["## Text (ko, en)", "", "A text in Korean and English; both are required.", ""]
    lines += [*_table(Text, ""), ""]
    for path, model in _sections():
        if model is SplitFirst:
            continue
        doc = (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else ""
        lines += [f"## `{path}`", ""]
        if doc and not doc.startswith("!!!") and "Usage docs" not in doc:
            lines += [doc, ""]
        lines += [*_table(model, path), ""]
    return lines


def render_reference() -> str:
    """The whole reference as Markdown."""
    lines = [
        *_intro(),
        *_keys(),
        *_tasks_types_transforms(),
        *_binary_targets(),
        *_tables_and_ranking(),
        *_quality_keys(),
        *_placeholders(),
    ]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m odx.datasets.spec_reference",
        description=f"Print the {SPEC_FILENAME} reference generated from the spec models.",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", nargs="?", const=DEFAULT_PATH, type=Path, metavar="PATH")
    group.add_argument("--check", nargs="?", const=DEFAULT_PATH, type=Path, metavar="PATH")
    args = parser.parse_args(argv)
    text = render_reference()
    if args.write:
        args.write.write_text(text, encoding="utf-8")
        return 0
    if args.check:
        current = args.check.read_text(encoding="utf-8") if args.check.is_file() else ""
        if current != text:
            print(f"{args.check} is out of date; run {COMMAND}", file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
