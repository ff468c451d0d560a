"""Response shapes of the public catalogue; rows of the database are never returned as is."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class FilePublic(BaseModel):
    name: str
    rows: int | None = None
    bytes: int
    sha256: str
    url: str


class DatasetSummary(BaseModel):
    id: str
    version: int
    title_ko: str
    title_en: str
    task: str
    published_at: datetime
    train_rows: int
    test_rows: int
    quality_passed: bool
    url: str


class DatasetsPublic(BaseModel):
    data: list[DatasetSummary]
    count: int


class DatasetVersionPublic(DatasetSummary):
    fingerprint: str
    versions: list[int]
    files: list[FilePublic]
    manifest: dict[str, Any]
    card_markdown: str
    quality: dict[str, Any]
