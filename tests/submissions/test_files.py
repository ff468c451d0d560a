"""Uploads: plain, gzip and zip CSV read as text; unreadable or unsafe files refused clearly."""

from __future__ import annotations

import gzip
import io
import struct
import zipfile
from pathlib import Path

import pytest

from odx.datasets.errors import CoreError
from odx.platform.errors import reported
from odx.submissions import files
from odx.submissions.files import SubmissionFileError, read_upload

GOOD = "id,target\nA1,0.25\nA2,0.75\n"


def write(tmp_path: Path, content: str | bytes, name: str = "sub.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def refused(path: Path, **options: int) -> str:
    with pytest.raises(SubmissionFileError) as caught:
        read_upload(path, **options)
    return caught.value.detail


def zipped(tmp_path: Path, members: dict[str, bytes], name: str = "sub.zip") -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            if member.endswith("/"):
                archive.writestr(zipfile.ZipInfo(member), b"")
            else:
                archive.writestr(member, data)
    return write(tmp_path, buffer.getvalue(), name)


def test_the_error_is_a_core_error_the_platform_reports_as_422() -> None:
    error = SubmissionFileError("x")
    assert isinstance(error, CoreError) and error.code == "invalid_submission_file"
    assert reported(error).status == 422
    assert reported(error).to_problem()["code"] == "invalid_submission_file"


def test_a_plain_utf8_csv_is_read_as_text(tmp_path: Path) -> None:
    table = read_upload(write(tmp_path, "id,target\nA1,0.250\nA2,NA\nA3,\n"))
    assert table.header == ["id", "target"]
    assert table.frame.to_dict("list") == {"id": ["A1", "A2", "A3"], "target": ["0.250", "NA", ""]}
    assert all(dtype == "str" for dtype in table.frame.dtypes)
    assert (table.encoding, table.compression, table.inner_name) == ("utf-8", "none", None)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("id,target\n가1,금융\n".encode(), "utf-8"),
        ("id,target\n가1,금융\n".encode("utf-8-sig"), "utf-8-sig"),
        ("id,target\n가1,금융\n".encode("cp949"), "cp949"),
        ("id,target\r\n가1,금융\r\n".encode("cp949"), "cp949"),
        ("id,target\r\n가1,금융\r\n".encode(), "utf-8"),
    ],
)
def test_utf8_bom_cp949_and_crlf_are_accepted(tmp_path: Path, data: bytes, encoding: str) -> None:
    table = read_upload(write(tmp_path, data))
    assert table.encoding == encoding
    assert table.header == ["id", "target"]
    assert table.frame.values.tolist() == [["가1", "금융"]]


def test_undecodable_bytes_are_refused(tmp_path: Path) -> None:
    message = refused(write(tmp_path, b"id,target\nA1,\xff\xff\n"))
    assert message == "the file is not text in UTF-8 or CP949 (EUC-KR); save it as UTF-8"


def test_utf16_is_refused_for_its_nul_bytes(tmp_path: Path) -> None:
    message = refused(write(tmp_path, GOOD.encode("utf-16")))
    assert message.startswith("the file contains NUL bytes")


@pytest.mark.parametrize("data", [b"", b"\n\n", b"  \r\n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_refused(tmp_path: Path, data: bytes) -> None:
    assert refused(write(tmp_path, data)) == "the file is empty"


@pytest.mark.parametrize("text", ["id,target", "id,target\n", "id,target\r\n\r\n"])
def test_a_header_without_rows_is_refused(tmp_path: Path, text: str) -> None:
    assert refused(write(tmp_path, text)) == "the file has a header but no rows"


@pytest.mark.parametrize(
    ("text", "seen"),
    [
        ("id;target\nA1;0,5\n", "';'"),
        ("id\ttarget\nA1\t0.5\n", "tabs"),
        ("id|target\nA1|0.5\n", "'|'"),
    ],
)
def test_a_wrong_delimiter_is_named(tmp_path: Path, text: str, seen: str) -> None:
    message = refused(write(tmp_path, text))
    assert message == f"columns must be separated by commas; the header looks separated by {seen}"


def test_a_blank_first_line_is_refused(tmp_path: Path) -> None:
    message = refused(write(tmp_path, "\nid,target\nA1,0.5\n"))
    assert message == "line 1 is blank; the header must be the first line"


def test_a_row_with_too_many_fields_gives_its_line(tmp_path: Path) -> None:
    message = refused(write(tmp_path, "id,target\nA1,0.5\nA2,0,5\n"))
    assert message == "line 3 has 3 fields but the header has 2; check its commas"


def test_a_first_row_with_one_field_too_many_is_not_taken_as_an_index(tmp_path: Path) -> None:
    message = refused(write(tmp_path, "id,target\nA1,0,5\nA2,0.5\n"))
    assert message == "line 2 has 3 fields but the header has 2; check its commas"


def test_an_unclosed_quote_gives_its_line(tmp_path: Path) -> None:
    message = refused(write(tmp_path, 'id,target\nA1,0.5\n"A2,0.5\nA3,0.1\n'))
    assert message == 'a quoted value starting on line 3 is never closed; check its quotes (")'


def test_short_rows_and_blank_lines_keep_line_numbers(tmp_path: Path) -> None:
    table = read_upload(write(tmp_path, "id,target\nA1\n\nA3,0.5\n\n\n"))
    assert table.frame.values.tolist() == [["A1", ""], ["", ""], ["A3", "0.5"]]


def test_repeated_header_names_are_kept_as_written(tmp_path: Path) -> None:
    table = read_upload(write(tmp_path, "id,target,target\nA1,0.5,0.5\n"))
    assert table.header == ["id", "target", "target"]
    assert list(table.frame.columns) == ["id", "target", "target"]


def test_a_file_above_the_limit_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "id,target\n" + "A1,0.5\n" * 200)
    assert refused(path, max_bytes=1024) == "the file is larger than the 1 KB limit"
    assert len(read_upload(path, max_bytes=2048).frame) == 200


def test_gzip_is_detected_by_its_bytes_not_its_name(tmp_path: Path) -> None:
    for name in ("sub.csv.gz", "sub.csv"):
        table = read_upload(write(tmp_path, gzip.compress(GOOD.encode()), name))
        assert table.compression == "gzip" and table.inner_name is None
        assert table.frame["target"].tolist() == ["0.25", "0.75"]


def test_a_gz_name_on_a_file_that_is_not_gzip_is_refused(tmp_path: Path) -> None:
    message = refused(write(tmp_path, GOOD, "sub.csv.gz"))
    assert message == "not a gzip file; upload a .csv, a .csv.gz or a .zip"


def test_a_truncated_gzip_is_refused(tmp_path: Path) -> None:
    data = gzip.compress((GOOD * 100).encode())
    assert refused(write(tmp_path, data[: len(data) // 2], "x.gz")).startswith(
        "the gzip file is damaged"
    )


def test_a_gzip_that_expands_past_the_limit_is_refused(tmp_path: Path) -> None:
    bomb = gzip.compress(b"id,target\n" + b"0," * 5_000_000)  # 10 MB of commas in ~10 KB
    path = write(tmp_path, bomb, "bomb.csv.gz")
    assert path.stat().st_size < 64 * 1024
    message = refused(path, max_bytes=1024**2)
    assert message == "the decompressed file is larger than the 1 MB limit"


def test_a_zip_with_one_csv_is_read_ignoring_folders_and_mac_metadata(tmp_path: Path) -> None:
    path = zipped(
        tmp_path,
        {
            "out/": b"",
            "out/submission.csv": GOOD.encode(),
            "__MACOSX/out/._submission.csv": b"\x00\x05\x16\x07",
            "README.txt": b"my model",
        },
    )
    table = read_upload(path)
    assert (table.compression, table.inner_name) == ("zip", "out/submission.csv")
    assert table.frame["id"].tolist() == ["A1", "A2"]


def test_a_zip_with_two_csv_files_is_refused(tmp_path: Path) -> None:
    path = zipped(tmp_path, {"a.csv": GOOD.encode(), "b.csv": GOOD.encode()})
    message = refused(path)
    assert message == "the zip holds 2 .csv files ('a.csv', 'b.csv'); put exactly one in it"


def test_a_zip_without_csv_is_refused_naming_what_it_holds(tmp_path: Path) -> None:
    message = refused(zipped(tmp_path, {"notes.txt": b"x", "sub.xlsx": b"y"}))
    assert message == (
        "the zip holds no .csv file (found 'notes.txt', 'sub.xlsx'); "
        "put exactly one .csv file in it"
    )
    assert refused(zipped(tmp_path, {}, "empty.zip")) == (
        "the zip is empty; put exactly one .csv file in it"
    )


def test_an_excel_workbook_is_recognised(tmp_path: Path) -> None:
    path = zipped(tmp_path, {"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<x/>"}, "a.xlsx")
    assert "Excel workbook" in refused(path)


@pytest.mark.parametrize("member", ["../evil.csv", "out/../../evil.csv", "/etc/evil.csv"])
def test_a_zip_with_an_unsafe_path_is_refused(tmp_path: Path, member: str) -> None:
    path = zipped(tmp_path, {member: GOOD.encode()})
    assert refused(path) == f"unsafe path in zip: '{member}'"


def test_a_zip_name_on_a_file_that_is_not_zip_is_refused(tmp_path: Path) -> None:
    assert refused(write(tmp_path, GOOD, "sub.zip")).startswith("not a zip file")


def test_a_zip_bomb_is_refused(tmp_path: Path) -> None:
    path = zipped(tmp_path, {"bomb.csv": b"id,target\n" + b"0" * 10_000_000})
    assert path.stat().st_size < 64 * 1024
    message = refused(path, max_bytes=1024**2)
    assert message == "the decompressed file is larger than the 1 MB limit"


def test_a_zip_that_lies_about_its_size_is_refused(tmp_path: Path) -> None:
    """The declared size is patched to 10 bytes; the stream, not the header, decides."""
    data = bytearray(zipped(tmp_path, {"bomb.csv": b"0" * 10_000_000}).read_bytes())
    data[22:26] = struct.pack("<I", 10)  # uncompressed size in the local header
    central = data.index(b"PK\x01\x02")
    data[central + 24 : central + 28] = struct.pack("<I", 10)  # and in the central directory
    message = refused(write(tmp_path, bytes(data), "liar.zip"), max_bytes=1024**2)
    assert message == "the zip file is damaged or unsupported (Bad CRC-32 for file 'bomb.csv')"


def test_a_file_with_far_more_lines_than_test_ids_is_refused_before_parsing(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "id,target\n" + "0\n" * 1000)  # short rows pandas would pad
    assert refused(path, max_rows=10) == (
        "the file has 1,001 lines, far more than one row for each of the 10 test ids and a header"
    )
    assert len(read_upload(path, max_rows=500).frame) == 1000  # twice the rows still parse


@pytest.mark.parametrize(
    "text",
    [
        "id,target\nA1,0.5\nA2\n\nA4,0.1\n",  # a short row and a blank line: pandas reads it
        "id,target\nA1,0.5\nA2,0.7\n\n\n",  # trailing blank lines are not rows
        'id,target\n"A1",0.5\n"A,2","0.7"\n',  # quotes
        "\ufeffid,target\r\nA1,0.5\r\n",  # a BOM and CRLF
    ],
)
def test_the_fast_and_the_careful_reader_agree(tmp_path: Path, text: str) -> None:
    """Clean files go through Arrow, the rest through pandas; both give the same table."""
    path = write(tmp_path, text)
    encoding, _ = files._encoding(path)
    header = files._header(path, encoding)
    careful = files._parse_careful(path, header, encoding)[1]
    fast = files._parse_fast(path, header, encoding)
    assert fast is None or fast.values.tolist() == careful.values.tolist()
    assert read_upload(path).frame.values.tolist() == careful.values.tolist()
