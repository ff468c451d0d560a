"""The shipped challenges, one YAML file each, on the shipped datasets."""

from pathlib import Path

SHIPPED_CHALLENGES = Path(__file__).resolve().parent
