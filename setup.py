"""Map the repository's top-level folders onto the ``odx`` import namespace.

The folders ``platform/``, ``datasets/``, ``scoring/``, ``baselines/`` and
``submissions/`` have no ``__init__.py``: a package named ``platform`` would shadow the
standard library. Each becomes ``odx.<folder>``; every subpackage below it is listed
explicitly so that a built wheel holds the same modules as an editable install.
"""

from pathlib import Path

from setuptools import find_namespace_packages, setup

ROOT = Path(__file__).parent
FOLDERS = ("platform", "datasets", "scoring", "baselines", "submissions")
DATA_PATTERNS = [
    "*.yaml",
    "*.json",
    "*.csv",
    "*.md",
    "*.j2",
    "*.ini",
    "*.mako",
    "*.html",
    "*.css",
    "*.js",
    "*.svg",
    "*/*.*",
    "*/raw/*",
]


def _packages() -> tuple[list[str], dict[str, str], dict[str, list[str]]]:
    packages: list[str] = []
    package_dir: dict[str, str] = {}
    package_data: dict[str, list[str]] = {}
    for folder in FOLDERS:
        top = f"odx.{folder}"
        packages.append(top)
        package_dir[top] = folder
        package_data[top] = DATA_PATTERNS
        for sub in find_namespace_packages(str(ROOT / folder), exclude=["*__pycache__*"]):
            name = f"{top}.{sub}"
            packages.append(name)
            package_dir[name] = f"{folder}/{sub.replace('.', '/')}"
            package_data[name] = DATA_PATTERNS
    return packages, package_dir, package_data


packages, package_dir, package_data = _packages()
setup(packages=packages, package_dir=package_dir, package_data=package_data)
