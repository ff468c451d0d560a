"""Personal-data scan and k-anonymity: what a published dataset must not reveal about people.

The scan is vectorised: a cheap superset pattern (run by pyarrow's RE2 when the column is
Arrow-backed) picks candidate cells, and only those meet the exact Python patterns, whose
look-arounds keep dates, money, decimals, coordinates and long codes from matching.
Examples are masked before they leave this module, so a report never repeats the data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

MAX_EXAMPLES = 3
EXAMPLE_ROWS = 200  # matching cells searched for distinct examples
NULL_TEXT = "<null>"

# Not glued to a longer number, code, decimal or date on either side.
_LEFT = r"(?<![0-9A-Za-z_.,\-/+])"
_RIGHT = r"(?![0-9]|[.,\-][0-9])"
_SEP = r"[-. ]?"
# The exchange part; a leading 0 (seen in real listings) only when a separator sets it apart.
_EXCHANGE = r"(?:[-. ][0-9]{3,4}|[1-9][0-9]{2,3})"

_PHONE = re.compile(
    _LEFT
    + r"(?:\+82[-. ]?(?:\(0\)|0)?(?:1[016789]|2|[3-6][1-5]|70)"
    + _EXCHANGE
    + _SEP
    + r"[0-9]{4}"
    + r"|\(?(?:01[016789]|02|0[3-6][1-5]|070|050[2-8])\)?"
    + _EXCHANGE
    + _SEP
    + r"[0-9]{4}"
    + r"|1(?:5(?:44|66|77|88|99)|6(?:00|44|61|66|68|70|88)|8(?:00|33|55|77|99))"
    + r"-(?!1[5-9][0-9][0-9]|20[0-9][0-9])[0-9]{4})"
    + _RIGHT
)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
    r"(?![A-Za-z0-9\-])"
)
# YYMMDD with a real month and day (29 Feb allowed), then the sex/century digit 1-8.
_RRN_DATE = r"[0-9]{2}(?!0230|0231|0431|0631|0931|1131)(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
_RRN_DASHED = re.compile(_LEFT + _RRN_DATE + r" ?- ?[1-8][0-9]{6}" + _RIGHT)
_RRN_BARE = re.compile(_LEFT + r"(" + _RRN_DATE + r"[1-8][0-9]{6})" + _RIGHT)
_BRN_DASHED = re.compile(_LEFT + r"[1-9][0-9]{2}-(?!00)[0-9]{2}-[0-9]{5}" + _RIGHT)
_BRN_BARE = re.compile(_LEFT + r"([1-9][0-9]{2}(?!00)[0-9]{7})" + _RIGHT)

# RE2-compatible supersets of the patterns above, used to skip cells that cannot match.
_PREFILTER = {
    "phone": r"\+82|0[0-9]{1,3}\)?[-. ]?[0-9]{3,4}[-. ]?[0-9]{4}|1[0-9]{3}-[0-9]{4}",
    "email": r"@",
    "resident_registration_number": r"[0-9]{6} ?-? ?[1-8][0-9]{6}",
    "business_registration_number": r"[0-9]{3}-[0-9]{2}-[0-9]{5}|[0-9]{10}",
}


# Raw headers that announce contact details or people: Korean words anywhere in the header,
# and the English words (or open-API abbreviations such as rceptInsttTelno) as whole words.
_HEADER_KINDS: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    "email": (("이메일", "메일", "전자우편"), frozenset({"email", "mail"})),
    "phone": (
        ("전화", "연락처", "휴대", "핸드폰", "팩스"),
        frozenset({"tel", "telno", "phone", "telephone", "fax", "mobile", "cellphone", "contact"}),
    ),
    "person": (
        ("담당", "성명", "대표자", "생년월일", "주민등록"),
        frozenset({"charger", "manager", "ceo", "birthday"}),
    ),
    "web": (("홈페이지", "웹사이트"), frozenset({"url", "homepage", "website", "link"})),
    "address": (("주소",), frozenset({"address", "addr", "adres", "adress"})),
}
_HEADER_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")


def contact_header_kind(header: str) -> str | None:
    """``email``, ``phone``, ``person``, ``web`` or ``address`` when a raw header announces it."""
    words = {w.lower() for w in _HEADER_WORD.findall(header)}
    for kind, (korean, english) in _HEADER_KINDS.items():
        if any(k in header for k in korean) or words & english:
            return kind
    return None


@dataclass(frozen=True)
class PersonalDataFinding:
    """Cells (``count``) of one column holding one kind of personal data; examples are masked."""

    column: str
    kind: str
    count: int
    examples: list[str]


@dataclass(frozen=True)
class KAnonymityResult:
    """How small the smallest group of rows sharing the quasi-identifiers is."""

    quasi_identifiers: list[str]
    k: int
    smallest_group: dict[str, str]
    groups: int
    rows_in_groups_below: int


def _digit_matrix(values: pd.Series, width: int) -> np.ndarray:
    """Digit strings of equal width as an int matrix, so check digits are computed at once."""
    raw = "".join(values.tolist()).encode("ascii")
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, width).astype(np.int64) - 48


def _rrn_check_ok(values: pd.Series) -> np.ndarray:
    """Bare 13 digits with a valid (pre-2020) check digit that are not EAN-13 barcodes."""
    d = _digit_matrix(values, 13)
    total = d[:, :12] @ np.array([2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5])
    ean = d[:, :12] @ np.array([1, 3] * 6)
    return ((11 - total % 11) % 10 == d[:, 12]) & ((10 - ean % 10) % 10 != d[:, 12])


def _brn_check_ok(values: pd.Series) -> np.ndarray:
    """Whether 10-digit business registration numbers carry a valid check digit."""
    d = _digit_matrix(values, 10)
    total = d[:, :9] @ np.array([1, 3, 7, 1, 3, 7, 1, 3, 5]) + d[:, 8] * 5 // 10
    return (10 - total % 10) % 10 == d[:, 9]


def _mask_phone(text: str) -> str:
    """Keep the area code and the last four digits: enough to recognise, too little to call."""
    digits = re.sub(r"[^0-9]", "", text)
    if len(digits) == 8 and not digits.startswith("0"):
        return f"{digits[:4]}-****"
    international = text.lstrip().startswith("+")
    if international:
        digits = "0" + digits[2:].removeprefix("0")
    head = 2 if digits.startswith("02") else 4 if digits.startswith("050") else 3
    area, middle, last = digits[:head], digits[head:-4], digits[-4:]
    if international:
        area = "+82-" + area[1:]
    return f"{area}-{'*' * len(middle)}-{last}"


def _mask_email(text: str) -> str:
    """Keep the first letter and the domain."""
    local, _, domain = text.partition("@")
    return f"{local[:1]}***@{domain}"


def _mask_rrn(text: str) -> str:
    """Keep the birth date; the seven digits after it identify the person."""
    return re.sub(r"[^0-9]", "", text)[:6] + "-*******"


def _mask_brn(text: str) -> str:
    """Keep the office and type codes; hide the serial and check digit."""
    digits = re.sub(r"[^0-9]", "", text)
    return f"{digits[:3]}-{digits[3:5]}-*****"


# kind -> (pattern found as written, pattern that also needs a valid check digit, check, mask)
_KINDS = {
    "phone": (_PHONE, None, None, _mask_phone),
    "email": (_EMAIL, None, None, _mask_email),
    "resident_registration_number": (_RRN_DASHED, _RRN_BARE, _rrn_check_ok, _mask_rrn),
    "business_registration_number": (_BRN_DASHED, _BRN_BARE, _brn_check_ok, _mask_brn),
}


def _text_values(column: pd.Series) -> pd.Series:
    """Non-null cells as a string series (Arrow-backed where pandas can, for RE2 speed)."""
    values = column.dropna()
    if not isinstance(values.dtype, pd.StringDtype):
        values = values.astype(str)
    return values


def _scan_kind(values: pd.Series, kind: str) -> tuple[int, list[str]]:
    """Count cells holding ``kind`` and mask the first few matches."""
    pattern, bare, check, mask = _KINDS[kind]
    prefilter = _PREFILTER[kind]
    hint = values.str.contains(prefilter, regex=prefilter != "@")
    candidates = values[hint.fillna(False).astype(bool)].astype(object)
    if candidates.empty:
        return 0, []
    hits = candidates.str.contains(pattern.pattern, regex=True).astype(bool)
    valid_bare = pd.Series(dtype=object)
    if bare is not None and check is not None:
        found = candidates.str.findall(bare.pattern).explode().dropna()
        valid_bare = found[check(found)] if len(found) else found
        hits |= candidates.index.isin(valid_bare.index)
    shown = candidates[hits].head(EXAMPLE_ROWS)
    bare_by_row: dict[int, list[str]] = {}
    for index, match in valid_bare[valid_bare.index.isin(shown.index)].items():
        bare_by_row.setdefault(index, []).append(match)
    examples: list[str] = []
    for index, text in shown.items():
        matches = [m.group(0) for m in pattern.finditer(text)] + bare_by_row.get(index, [])
        for match in matches:
            masked = mask(match)
            if masked not in examples:
                examples.append(masked)
        if len(examples) >= MAX_EXAMPLES:
            break
    return int(hits.sum()), examples[:MAX_EXAMPLES]


def _is_text_column(column: pd.Series) -> bool:
    """Columns that can hold free text: object, string or categorical."""
    dtype = column.dtype
    return (
        pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
    )


def scan_personal_data(
    frame: pd.DataFrame, columns: Iterable[str] | None = None
) -> list[PersonalDataFinding]:
    """Find phone numbers, e-mails and Korean registration numbers that must not be published."""
    names = (
        list(columns)
        if columns is not None
        else [str(name) for name in frame.columns if _is_text_column(frame[name])]
    )
    findings: list[PersonalDataFinding] = []
    for name in names:
        values = _text_values(frame[name])
        if values.empty:
            continue
        values = values.reset_index(drop=True)
        for kind in _KINDS:
            count, examples = _scan_kind(values, kind)
            if count:
                findings.append(PersonalDataFinding(name, kind, count, examples))
    return findings


def k_anonymity(
    frame: pd.DataFrame, quasi_identifiers: list[str], *, required_k: int
) -> KAnonymityResult:
    """Size of the smallest group of rows indistinguishable by the quasi-identifiers."""
    rows = len(frame)
    if not quasi_identifiers:
        below = rows if rows < required_k else 0
        return KAnonymityResult([], rows, {}, 1 if rows else 0, below)
    sizes = frame.groupby(list(quasi_identifiers), dropna=False, observed=True, sort=False).size()
    if sizes.empty:
        return KAnonymityResult(list(quasi_identifiers), 0, {}, 0, 0)
    smallest = sizes.index[int(np.argmin(sizes.to_numpy()))]
    key = smallest if isinstance(smallest, tuple) else (smallest,)
    group = {
        column: NULL_TEXT if pd.isna(value) else str(value)
        for column, value in zip(quasi_identifiers, key, strict=True)
    }
    return KAnonymityResult(
        quasi_identifiers=list(quasi_identifiers),
        k=int(sizes.min()),
        smallest_group=group,
        groups=len(sizes),
        rows_in_groups_below=int(sizes[sizes < required_k].sum()),
    )
