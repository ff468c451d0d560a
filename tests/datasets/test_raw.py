"""Raw files are read in UTF-8, UTF-8 with BOM or CP949, and wrong encodings fail clearly."""

from __future__ import annotations

import pytest

from factories import DatasetFactory
from odx.datasets.raw import (
    RawDataError,
    decode_text,
    detect_delimiter,
    find_records_path,
    read_raw,
)
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


@pytest.mark.parametrize("separator", [",", "\t", ";", "|"])
def test_delimiter_is_detected(make_dataset: DatasetFactory, separator: str) -> None:
    import pandas as pd

    from factories import tiny_rows

    text = pd.DataFrame(tiny_rows()).to_csv(index=False, sep=separator)
    frame, _ = read_raw(load_spec(make_dataset(raw_bytes=text.encode())))
    assert list(frame.columns) == list(tiny_rows()[0])
    assert frame.loc[4, "memo"] == tiny_rows()[4]["memo"]


def test_commas_inside_quoted_fields_do_not_fool_detection() -> None:
    text = 'a;b;c\n"1,5";"x, y";3\n"2,5";"z";4\n'
    assert detect_delimiter(text) == ";"
    assert detect_delimiter('name,memo\n"Kim","a; b; c"\n"Lee","d; e; f"\n') == ","


def test_single_column_falls_back_to_comma() -> None:
    assert detect_delimiter("only\n1\n2\n") == ","


def test_declared_delimiter_is_used(make_dataset: DatasetFactory) -> None:
    import pandas as pd

    from factories import tiny_rows

    text = pd.DataFrame(tiny_rows()).to_csv(index=False, sep="|")
    folder = make_dataset(
        raw_bytes=text.encode(), spec={"raw": [{"path": "raw/shops.csv", "delimiter": "|"}]}
    )
    frame, _ = read_raw(load_spec(folder))
    assert frame.shape == (120, 6)


def test_records_path_is_found_in_nested_json() -> None:
    data = {"response": {"header": {"code": "00"}, "body": {"items": [{"a": 1}, {"a": 2}]}}}
    assert find_records_path(data, source="x.json") == "response.body.items"
    assert find_records_path([{"a": 1}], source="x.json") is None
    with pytest.raises(RawDataError, match=r"x\.json: no list of records"):
        find_records_path({"a": [1, 2]}, source="x.json")
