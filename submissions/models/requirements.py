"""A model's declared packages checked against the platform's runtime before it runs.

The model runs in the platform's own Python: nothing is installed at scoring time. MLflow
writes ``requirements.txt`` and ``python_env.yaml`` beside ``MLmodel``; every line is checked
here and every mismatch is reported at once. An exact pin (``pkg==1.9.2``) is met by the same
``major.minor`` release line: MLflow pins the patch version the participant happened to have,
and patch releases keep a saved model loadable, while minor releases may not.
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

REQUIREMENTS = "requirements.txt"
PYTHON_ENV = "python_env.yaml"


def check_runtime(model_root: Path, *, python: tuple[int, int] | None = None) -> list[str]:
    """Every way the model's declared environment differs from this runtime (empty: none)."""
    python = python or (sys.version_info.major, sys.version_info.minor)
    problems = _python_problems(model_root / PYTHON_ENV, python)
    path = model_root / REQUIREMENTS
    if path.is_file():
        for number, line in enumerate(path.read_text("utf-8", errors="replace").splitlines(), 1):
            problem = _requirement_problem(line.split("#", 1)[0].strip())
            if problem:
                problems.append(f"{REQUIREMENTS} line {number}: {problem}")
    return problems


def runtime_versions(names: list[str]) -> dict[str, str | None]:
    """The installed version of each distribution (None: not installed)."""
    found: dict[str, str | None] = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def _python_problems(path: Path, python: tuple[int, int]) -> list[str]:
    if not path.is_file():
        return []
    try:
        declared = yaml.safe_load(path.read_text("utf-8", errors="replace"))
    except yaml.YAMLError:
        return [f"{PYTHON_ENV} is not readable YAML"]
    wanted = str(declared.get("python", "")) if isinstance(declared, dict) else ""
    if not wanted:
        return []
    try:
        release = Version(wanted).release
    except InvalidVersion:
        return [f"{PYTHON_ENV}: python '{wanted}' is not a version"]
    if tuple(release[:2]) != python:
        runtime = ".".join(map(str, python))
        return [f"{PYTHON_ENV}: the model needs Python {wanted}; the platform runs {runtime}"]
    return []


def _requirement_problem(line: str) -> str | None:
    if not line:
        return None
    if line.startswith("-"):
        return f"'{line}': options are not supported; list packages only"
    try:
        requirement = Requirement(line)
    except InvalidRequirement:
        return f"'{line}' is not a package requirement"
    if requirement.url:
        return f"'{requirement.name}' from a URL: nothing is installed at scoring time"
    if requirement.marker is not None and not requirement.marker.evaluate():
        return None
    try:
        installed = metadata.version(requirement.name)
    except metadata.PackageNotFoundError:
        return f"'{requirement.name}' is not installed on the platform"
    if _satisfied(requirement.specifier, installed):
        return None
    return f"'{requirement.name}{requirement.specifier}' needed; the platform has {installed}"


def _satisfied(specifier: SpecifierSet, installed: str) -> bool:
    if specifier.contains(installed, prereleases=True):
        return True
    pins = [s for s in specifier if s.operator == "=="]
    if len(pins) != 1 or len(specifier) != 1 or "*" in pins[0].version:
        return False
    try:
        have, want = Version(installed).release, Version(pins[0].version).release
    except InvalidVersion:
        return False
    return have[:2] == want[:2]
