"""The data card: what a participant reads first, in Korean and English, as Markdown."""

from __future__ import annotations

from jinja2 import Environment, FileSystemLoader

from odx.datasets.prepare import PreparedData
from odx.datasets.quality.gate import GateReport
from odx.datasets.quality.report import TEMPLATES
from odx.datasets.release import TEST
from odx.datasets.spec import LoadedSpec


def render_card(
    loaded: LoadedSpec,
    prepared: PreparedData,
    report: GateReport,
    *,
    sizes: dict[str, int],
    public_rows: int,
) -> str:
    """Markdown card; depends only on its inputs (no dates), so releases stay reproducible."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), keep_trailing_newline=True, autoescape=False
    )
    return environment.get_template("DATACARD.md.j2").render(
        spec=loaded.spec,
        prepared=prepared,
        report=report,
        sizes=sizes,
        public_rows=public_rows,
        private_rows=sizes[TEST] - public_rows,
        fingerprint=report.fingerprint,
    )
