"""An uploaded model: a zip holding an ``MLmodel`` at its root or in its single top folder.

The ``MLmodel`` file is YAML that MLflow wrote; it is read as text (``yaml.safe_load``) to
learn the model's flavors and signature. Nothing of the model is imported or unpickled here.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import yaml

from odx.submissions.archives import ArchiveError, extract_zip, single_root

MLMODEL = "MLmodel"
MAX_MLMODEL_BYTES = 1 << 20
PYFUNC_FLAVOR = "python_function"


class ModelArchiveError(ArchiveError):
    """An upload that is not an MLflow model odx can run."""

    code = "invalid_model"
    title = "The model cannot be used"


@dataclass(frozen=True)
class ModelPackage:
    """An unpacked MLflow model: its folder and what its ``MLmodel`` says."""

    root: Path
    flavors: dict[str, Any]
    signature: dict[str, Any] | None
    mlflow_version: str | None

    @property
    def loader(self) -> str:
        """The module MLflow loads the model with (e.g. ``mlflow.sklearn``)."""
        return str(self.flavors[PYFUNC_FLAVOR].get("loader_module", ""))


def unpack_model(archive: Path, dest: Path, *, max_bytes: int) -> ModelPackage:
    """Unpack an uploaded model zip into ``dest`` (new) and read its ``MLmodel``."""
    extract_zip(archive, dest, max_bytes=max_bytes)
    root = single_root(dest)
    package = read_model(root)
    _readable_by_all(dest)  # the sandbox runs the model as an unprivileged user
    return package


def read_model(root: Path) -> ModelPackage:
    """Read ``root/MLmodel``, refusing a folder that is not a callable MLflow model."""
    path = root / MLMODEL
    if not path.is_file():
        raise ModelArchiveError(
            "no MLmodel file at the zip's root or in its single top folder: save the model "
            "with mlflow.pyfunc.save_model (or mlflow.<flavor>.save_model) and zip that folder"
        )
    if path.stat().st_size > MAX_MLMODEL_BYTES:
        raise ModelArchiveError(f"MLmodel is larger than {MAX_MLMODEL_BYTES:,} bytes")
    try:
        meta = yaml.safe_load(path.read_text("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ModelArchiveError(f"MLmodel is not readable YAML ({exc})") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("flavors"), dict):
        raise ModelArchiveError("MLmodel names no flavors: it was not written by MLflow")
    flavors = meta["flavors"]
    if not isinstance(flavors.get(PYFUNC_FLAVOR), dict):
        raise ModelArchiveError(
            f"the model has no {PYFUNC_FLAVOR} flavor, so it cannot be called for predictions; "
            f"flavors found: {', '.join(map(str, flavors)) or 'none'}"
        )
    signature = meta.get("signature") if isinstance(meta.get("signature"), dict) else None
    version = meta.get("mlflow_version")
    return ModelPackage(root, flavors, signature, str(version) if version else None)


def zip_folder(folder: Path, out: BinaryIO) -> None:
    """Write ``folder``'s files into a zip at its root (how a saved model is uploaded);
    links are followed, since a zip member may not be one."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())


def _readable_by_all(folder: Path) -> None:
    """Folders 0755 and files 0644 (0755 when executable), links refused by the unpacker."""
    for directory, subdirs, files in os.walk(folder):
        os.chmod(directory, 0o755)
        for name in files:
            path = Path(directory, name)
            path.chmod(0o755 if path.stat().st_mode & 0o100 else 0o644)
        for name in subdirs:
            os.chmod(Path(directory, name), 0o755)
