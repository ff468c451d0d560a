"""The shipped catalogue: one folder per dataset (spec, GX suite, raw files).

Organizers add their own datasets as folders under ``$ODX_HOME/catalog`` (or pass a
folder path); an id found there overrides a shipped one of the same id.
"""

from __future__ import annotations

from pathlib import Path

from odx.datasets.errors import CoreLookupError
from odx.datasets.spec import SPEC_FILENAME

SHIPPED_DIR = Path(__file__).resolve().parent


class UnknownDatasetError(CoreLookupError):
    code = "unknown_dataset"
    title = "Unknown dataset"


def catalogue(search_dirs: list[Path]) -> dict[str, Path]:
    """Dataset id -> folder, later directories overriding earlier ones."""
    found: dict[str, Path] = {}
    for directory in search_dirs:
        if directory.is_dir():
            for spec in sorted(directory.glob(f"*/{SPEC_FILENAME}")):
                found[spec.parent.name] = spec.parent
    return found


def find_dataset(id_or_path: str, search_dirs: list[Path]) -> Path:
    """Resolve an id from the catalogue, or accept a folder holding a spec."""
    candidate = Path(id_or_path)
    if (candidate / SPEC_FILENAME).is_file():
        return candidate.resolve()
    known = catalogue(search_dirs)
    if id_or_path in known:
        return known[id_or_path]
    listing = ", ".join(sorted(known)) or "none"
    raise UnknownDatasetError(f"unknown dataset '{id_or_path}'; known datasets: {listing}")
