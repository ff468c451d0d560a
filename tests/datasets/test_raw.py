"""Raw files are read in UTF-8, UTF-8 with BOM or CP949, and wrong encodings fail clearly."""

from __future__ import annotations

import pytest

from factories import DatasetFactory
from odx.datasets.raw import RawDataError, decode_text, read_raw
from odx.datasets.spec import load_spec


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949", "euc-kr"])
def test_read_raw_detects_korean_encodings(make_dataset: DatasetFactory, encoding: str) -> None:
    loaded = load_spec(make_dataset(encoding=encoding))
    frame, info = read_raw(loaded)
    assert next(iter(frame.columns)) == "shop_id"  # no BOM glued to the first header
    assert frame.loc[0, "city"] == "서울"
    assert info["raw/shops.csv"]["encoding"] in ("utf-8-sig", "cp949")


def test_declared_encoding_that_does_not_decode_is_refused(make_dataset: DatasetFactory) -> None:
    folder = make_dataset(
        encoding="cp949", spec={"raw": [{"path": "raw/shops.csv", "encoding": "utf-8"}]}
    )
    with pytest.raises(RawDataError, match="cannot be decoded as declared encoding 'utf-8'"):
        read_raw(load_spec(folder))


def test_undeclared_undecodable_bytes_are_refused() -> None:
    with pytest.raises(RawDataError, match="not UTF-8, UTF-8 with BOM, CP949 or EUC-KR"):
        decode_text(b"\x81\x20\xff\xfe\x00", declared=None, source="raw.csv")


def test_unknown_declared_encoding_is_refused() -> None:
    with pytest.raises(RawDataError, match="unknown encoding 'klingon'"):
        decode_text(b"a,b\n", declared="klingon", source="raw.csv")


def test_missing_raw_file_is_refused(make_dataset: DatasetFactory) -> None:
    folder = make_dataset()
    (folder / "raw" / "shops.csv").unlink()
    with pytest.raises(RawDataError, match="raw file not found"):
        read_raw(load_spec(folder))


def test_changed_raw_file_against_declared_checksum_is_refused(
    make_dataset: DatasetFactory,
) -> None:
    folder = make_dataset(spec={"raw": [{"path": "raw/shops.csv", "sha256": "0" * 64}]})
    with pytest.raises(RawDataError, match="the raw file changed"):
        read_raw(load_spec(folder))


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet"])
def test_excel_and_parquet_raw_files_are_read_as_text(
    make_dataset: DatasetFactory, suffix: str
) -> None:
    import pandas as pd

    from factories import tiny_rows

    folder = make_dataset(spec={"raw": [{"path": f"raw/shops{suffix}"}]})
    frame = pd.DataFrame(tiny_rows())
    path = folder / "raw" / f"shops{suffix}"
    if suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    read, _ = read_raw(load_spec(folder))
    assert read.shape == frame.shape
    assert read.loc[3, "city"] == frame.loc[3, "city"]
    assert float(read.loc[3, "size"]) == frame.loc[3, "size"]
