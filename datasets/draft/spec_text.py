"""The drafted ``dataset.yaml`` as text: the spec's keys in their usual order, with comments.

Comments say what the draft saw (a profile above every column) and what to do next; YAML is
emitted by PyYAML, so any header or value is quoted correctly.
"""

from __future__ import annotations

from typing import Any

import yaml

from odx.datasets.spec import PLACEHOLDER

HEADER = f"""\
# Draft written from the raw file by `odx datasets init`. Before publishing:
#   1. replace every "{PLACEHOLDER}: ..." (publishing is refused while one is left);
#   2. review the proposals: the id, the target, each column's type, the columns under 'drop'
#      (personal data and contact details are proposed for 'drop'), and the split;
#   3. run `odx datasets validate` and read the quality report.
# The keys are described in docs/dataset-spec.md.
"""

SPLIT_COMMENT = """\
# How rows are divided into train and test, and why. random: rows at random; stratified: at
# random, keeping each class's share; group (with column): rows sharing a value (a firm, a
# market) stay on one side; time (with column): the latest values go to test.
"""


class _Dumper(yaml.SafeDumper):
    """Indents list items under their key, as the shipped specs are written."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _dump(data: Any, *, flow_leaves: bool = False) -> str:
    """YAML in block style; ``flow_leaves`` writes innermost mappings on one line."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=None if flow_leaves else False,
        width=100,
    )


def _commented_list(
    key: str, items: list[dict[str, Any]], comments: list[str], *, flow_leaves: bool
) -> str:
    if not items:
        return f"{key}: []\n"
    parts = [f"{key}:\n"]
    for item, comment in zip(items, comments, strict=True):
        parts.append(f"  # {comment}\n")
        lines = _dump([item], flow_leaves=flow_leaves).splitlines()
        parts.extend(f"  {line}\n" for line in lines)
    return "".join(parts)


def spec_text(spec: dict[str, Any], *, column_comments: list[str], drop_comments: list[str]) -> str:
    """``spec`` as YAML: a comment above each column and dropped column, and a guide on top."""
    blocks = [HEADER]
    for key, value in spec.items():
        if key == "columns":
            blocks.append(_commented_list(key, value, column_comments, flow_leaves=True))
        elif key == "drop":
            blocks.append(_commented_list(key, value, drop_comments, flow_leaves=False))
        elif key == "split":
            blocks.append(SPLIT_COMMENT + _dump({key: value}))
        else:
            blocks.append(_dump({key: value}))
    return "".join(blocks)
