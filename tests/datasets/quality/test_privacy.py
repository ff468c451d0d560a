"""Personal-data scan and k-anonymity on small frames built in the test."""

from __future__ import annotations

import json
from dataclasses import asdict

import pandas as pd
import pytest

from odx.datasets.quality.privacy import (
    KAnonymityResult,
    PersonalDataFinding,
    contact_header_kind,
    k_anonymity,
    scan_personal_data,
)


def _by_kind(findings: list[PersonalDataFinding]) -> dict[str, PersonalDataFinding]:
    return {f.kind: f for f in findings}


def test_scan_finds_mobile_numbers_and_masks_them() -> None:
    frame = pd.DataFrame(
        {"memo": ["연락처 010-1234-5678", "01098765432", "010.2222.3333", "없음", None]}
    )
    [finding] = scan_personal_data(frame)
    assert (finding.column, finding.kind, finding.count) == ("memo", "phone", 3)
    assert finding.examples == ["010-****-5678", "010-****-5432", "010-****-3333"]
    assert not any("1234" in example for example in finding.examples)


def test_scan_finds_phone_and_email_in_korean_contact_text() -> None:
    frame = pd.DataFrame({"contact": ["문의: 02-123-4567, 담당자 hong@mss.go.kr", "담당부서 없음"]})
    found = _by_kind(scan_personal_data(frame))
    assert found["phone"].count == 1
    assert found["phone"].examples == ["02-***-4567"]
    assert found["email"].count == 1
    assert found["email"].examples == ["h***@mss.go.kr"]


def test_scan_finds_area_code_representative_and_international_numbers() -> None:
    frame = pd.DataFrame(
        {
            "tel": [
                "031-123-4567",
                "(02)1234-5678",
                "051 234 5678",
                "고객센터 1588-1234",
                "+82-10-1234-5678",
                "+82 2 123 4567",
            ]
        }
    )
    [finding] = scan_personal_data(frame)
    assert finding.count == 6
    assert finding.examples == ["031-***-4567", "02-****-5678", "051-***-5678"]
    more = scan_personal_data(frame.iloc[3:])[0].examples
    assert more == ["1588-****", "+82-10-****-5678", "+82-2-***-4567"]


def test_scan_ignores_dates_and_coordinates() -> None:
    frame = pd.DataFrame(
        {
            "value": [
                "2021-12-21",
                "2021.12.21",
                "20211221",
                "37.75401611",
                "127.0312345678",
                "1,234,567원",
                "12,010,000",
                "3.14159265",
                "2024",
                "PBLN_000000000071292",
                "1800-1900",
                "0.0101234567",
                "1234567890123456",
            ]
        }
    )
    assert scan_personal_data(frame) == []


def test_scan_finds_resident_numbers_with_valid_dates_only() -> None:
    frame = pd.DataFrame(
        {
            "note": [
                "주민번호 900101-1234567",
                "900101 - 2234567",
                "901301-1234567",  # month 13
                "900230-1234567",  # 30 February
                "19900101-1234567",  # part of a longer number
                "900101-9234567",  # 9 is not a sex/century digit
            ]
        }
    )
    [finding] = scan_personal_data(frame)
    assert (finding.kind, finding.count) == ("resident_registration_number", 2)
    assert finding.examples == ["900101-*******"]


def test_bare_resident_number_needs_a_valid_check_digit() -> None:
    frame = pd.DataFrame({"code": ["9001011234568", "9001011234567"]})
    [finding] = scan_personal_data(frame)
    assert (finding.kind, finding.count) == ("resident_registration_number", 1)


def test_scan_finds_business_number_with_dashes() -> None:
    frame = pd.DataFrame({"company": ["사업자등록번호 123-45-67890", "(주)오디엑스"]})
    [finding] = scan_personal_data(frame)
    assert (finding.kind, finding.count) == ("business_registration_number", 1)
    assert finding.examples == ["123-45-*****"]


def test_bare_business_number_needs_a_valid_check_digit() -> None:
    frame = pd.DataFrame({"code": ["1248100998", "1248100999", "5000000000"]})
    [finding] = scan_personal_data(frame)
    assert (finding.kind, finding.count) == ("business_registration_number", 1)
    assert finding.examples == ["124-81-*****"]


def test_scan_keeps_at_most_three_examples_and_counts_every_cell() -> None:
    frame = pd.DataFrame({"mail": [f"user{i}@example.com" for i in range(10)]})
    [finding] = scan_personal_data(frame)
    assert finding.count == 10
    assert finding.examples == ["u***@example.com"]
    phones = pd.DataFrame({"tel": [f"010-1234-{i:04d}" for i in range(10)]})
    assert len(scan_personal_data(phones)[0].examples) == 3


def test_scan_only_reads_text_columns_unless_told() -> None:
    frame = pd.DataFrame({"number": [1012345678, 1012345679], "text": ["a", "b"]})
    assert scan_personal_data(frame) == []
    frame["code"] = pd.Series(["010-1234-5678", "x"], dtype="category")
    assert [f.column for f in scan_personal_data(frame)] == ["code"]
    assert scan_personal_data(frame, columns=["text"]) == []


def test_findings_are_json_serialisable() -> None:
    frame = pd.DataFrame({"t": ["hong@mss.go.kr", "010-1234-5678"]})
    text = json.dumps([asdict(f) for f in scan_personal_data(frame)], ensure_ascii=False)
    assert "hong@" not in text


def test_k_anonymity_reports_smallest_group_with_nulls_as_a_value() -> None:
    frame = pd.DataFrame(
        {
            "sido": ["서울"] * 5 + ["부산"] * 3 + [None],
            "age": [30] * 5 + [40] * 3 + [50],
        }
    )
    result = k_anonymity(frame, ["sido", "age"], required_k=4)
    assert result == KAnonymityResult(
        quasi_identifiers=["sido", "age"],
        k=1,
        smallest_group={"sido": "<null>", "age": "50"},
        groups=3,
        rows_in_groups_below=4,
    )
    json.dumps(asdict(result))


def test_k_anonymity_without_quasi_identifiers_is_the_row_count() -> None:
    frame = pd.DataFrame({"a": range(7)})
    result = k_anonymity(frame, [], required_k=3)
    assert (result.k, result.groups, result.rows_in_groups_below) == (7, 1, 0)


def test_scan_accepts_exchange_with_leading_zero_only_when_separated() -> None:
    frame = pd.DataFrame({"tel": ["031-032-4111", "0310324111"]})
    [finding] = scan_personal_data(frame)
    assert (finding.count, finding.examples) == (1, ["031-***-4111"])


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ("전화번호", "phone"),
        ("담당자 연락처", "phone"),
        ("rceptInsttTelno", "phone"),
        ("owner_phone", "phone"),
        ("rceptInsttEmailAdres", "email"),
        ("담당자", "person"),
        ("rceptInsttChargerDeptNm", "person"),
        ("홈페이지주소", "web"),
        ("pblancUrl", "web"),
        ("소재지도로명주소", "address"),
        ("hotel_name", None),
        ("intelligence_score", None),
        ("시장명", None),
        ("firm_id", None),
    ],
)
def test_headers_that_announce_contact_details(header: str, kind: str | None) -> None:
    assert contact_header_kind(header) == kind
