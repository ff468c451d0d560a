"""An uploaded model is read as text first: its MLmodel, and its declared packages checked
against the platform's runtime, each mismatch listed, before anything runs."""

from __future__ import annotations

import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from model_builders import sklearn_model
from odx.submissions.archives import ArchiveError
from odx.submissions.models.archive import ModelArchiveError, unpack_model
from odx.submissions.models.requirements import check_runtime


def zip_folder(folder: Path, archive: Path, *, prefix: str = "") -> Path:
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                out.write(path, prefix + path.relative_to(folder).as_posix())
    return archive


def test_a_model_zipped_in_one_top_folder_is_found_and_readable(tmp_path: Path) -> None:
    archive = zip_folder(sklearn_model(tmp_path), tmp_path / "m.zip", prefix="my_model/")
    package = unpack_model(archive, tmp_path / "unpacked", max_bytes=10**8)
    assert package.root == tmp_path / "unpacked" / "my_model"
    assert package.loader == "mlflow.sklearn" and "sklearn" in package.flavors
    assert all(p.stat().st_mode & 0o004 for p in package.root.rglob("*"))
    assert check_runtime(package.root) == []  # saved here, so it matches the runtime


def test_a_zip_without_mlmodel_is_refused_with_how_to_save_one(tmp_path: Path) -> None:
    folder = tmp_path / "not-a-model"
    folder.mkdir()
    (folder / "model.pkl").write_bytes(b"\x80\x04N.")
    archive = zip_folder(folder, tmp_path / "m.zip")
    with pytest.raises(ModelArchiveError, match=r"no MLmodel .* mlflow.pyfunc.save_model"):
        unpack_model(archive, tmp_path / "unpacked", max_bytes=10**8)


def test_a_model_mlflow_cannot_call_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "MLmodel").write_text(yaml.safe_dump({"flavors": {"keras": {}}}))
    with pytest.raises(ModelArchiveError, match=r"no python_function flavor.*keras"):
        unpack_model(zip_folder(folder, tmp_path / "m.zip"), tmp_path / "u", max_bytes=10**8)


def test_an_unsafe_zip_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("../../escape/MLmodel", "flavors: {}")
    with pytest.raises(ArchiveError, match="unsafe path"):
        unpack_model(archive, tmp_path / "u", max_bytes=10**8)
    assert not (tmp_path / "u").exists()


def test_every_missing_or_incompatible_package_is_listed(tmp_path: Path) -> None:
    sklearn = metadata.version("scikit-learn")
    major, minor, *_ = sklearn.split(".")
    (tmp_path / "requirements.txt").write_text(
        "# written by MLflow\n"
        f"scikit-learn=={major}.{minor}.999\n"  # same release line: accepted
        "pandas<1.0\n"
        "surely-not-installed-odx-package==1.0\n"
        "numpy>=1.0; python_version < '3.0'\n"  # not for this Python: ignored
        "-e git+https://example.invalid/x.git\n"
    )
    wanted = f"{sys.version_info.major}.{sys.version_info.minor + 1}.0"
    (tmp_path / "python_env.yaml").write_text(f"python: {wanted}\n")
    problems = check_runtime(tmp_path)
    assert problems == [
        f"python_env.yaml: the model needs Python {wanted}; the platform runs "
        f"{sys.version_info.major}.{sys.version_info.minor}",
        "requirements.txt line 3: 'pandas<1.0' needed; the platform has "
        f"{metadata.version('pandas')}",
        "requirements.txt line 4: 'surely-not-installed-odx-package' is not installed on the "
        "platform",
        "requirements.txt line 6: '-e git+https://example.invalid/x.git': options are not "
        "supported; list packages only",
    ]
