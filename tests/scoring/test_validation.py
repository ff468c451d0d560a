"""Submission checks: every format mistake is found, reported together, with lines and examples."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from odx.datasets.errors import CoreError
from odx.platform.errors import reported
from odx.platform.services import datasets as service
from odx.platform.settings import Settings
from odx.scoring import validation
from odx.scoring.validation import (
    FormatError,
    Problem,
    SubmissionFormat,
    SubmissionInvalid,
    check_submission,
)
from odx.submissions.files import read_upload

IDS = ("A1", "A2", "A3", "A4")
PROBABILITY = SubmissionFormat("id", "target", IDS, "probability")
NUMBER = SubmissionFormat("id", "target", IDS, "number")
LABEL = SubmissionFormat("id", "target", IDS, "label", ("금융", "기술", "수출"))
SHAPE = "the header must be: id,target"

Submit = Callable[..., pd.DataFrame]


@pytest.fixture
def submit(tmp_path: Path) -> Submit:
    """Check CSV text as an upload would be: written to a file, read, then checked."""

    def run(text: str, fmt: SubmissionFormat = PROBABILITY) -> pd.DataFrame:
        path = tmp_path / "submission.csv"
        path.write_text(text, encoding="utf-8")
        return check_submission(read_upload(path).frame, fmt)

    return run


def check_problems(submit: Submit, text: str, fmt: SubmissionFormat = PROBABILITY) -> list[Problem]:
    with pytest.raises(SubmissionInvalid) as caught:
        submit(text, fmt)
    return caught.value.problems


def problems(submit: Submit, text: str, fmt: SubmissionFormat = PROBABILITY) -> dict[str, Problem]:
    """The problems by code (empty values in both columns would share one; tests avoid that)."""
    return {p.code: p for p in check_problems(submit, text, fmt)}


def csv(*rows: str, header: str = "id,target") -> str:
    return "\n".join([header, *rows]) + "\n"


def test_a_valid_submission_comes_back_typed_and_in_test_order(submit: Submit) -> None:
    result = submit(csv("A3,0.3", "A1,0.1", "A4,1", "A2,0"))
    assert list(result.index) == list(IDS) and result.index.name == "id"
    assert list(result.columns) == ["target"] and result["target"].dtype == "float64"
    assert result["target"].tolist() == [0.1, 0.0, 0.3, 1.0]


def test_the_sample_order_and_any_other_order_give_the_same_result(submit: Submit) -> None:
    rows = ["A1,0.1", "A2,0.2", "A3,0.3", "A4,0.4"]
    in_order = submit(csv(*rows))
    for shift in range(1, 4):
        pd.testing.assert_frame_equal(submit(csv(*rows[shift:], *rows[:shift])), in_order)


def test_labels_come_back_as_text(submit: Submit) -> None:
    result = submit(csv("A2,기술", "A1,금융", "A3,수출", "A4,금융"), LABEL)
    assert result["target"].dtype == "str"
    assert result["target"].tolist() == ["금융", "기술", "수출", "금융"]


def test_whitespace_around_names_ids_and_values_is_ignored(submit: Submit) -> None:
    text = csv(" A2 , 0.2", "A1,0.1 ", "\tA3,0.3", "A4, 1e-1", header=" id , target ")
    assert submit(text)["target"].tolist() == [0.1, 0.2, 0.3, 0.1]


def test_a_bom_left_in_a_header_name_is_ignored() -> None:
    table = pd.DataFrame({"\ufeffid": ["A1", "A2", "A3", "A4"], "target": ["1", "2", "3", "4"]})
    assert check_submission(table, NUMBER)["target"].sum() == 10


def test_a_frame_of_numbers_is_checked_like_text() -> None:
    table = pd.DataFrame({"id": list(IDS), "target": [0.5, 0.25, 1, 0]})
    assert check_submission(table, PROBABILITY)["target"].tolist() == [0.5, 0.25, 1.0, 0.0]


def test_a_missing_and_an_unexpected_column_are_named(submit: Submit) -> None:
    found = problems(submit, csv("A1,0.1", header="id,prediction"))
    assert found["missing_columns"].message == f"missing column 'target'; {SHAPE}"
    assert found["extra_columns"].message == f"unexpected column 'prediction'; {SHAPE}"
    assert found["missing_ids"].count == 3  # the id column is still checked


def test_a_column_named_in_another_case_gets_a_hint(submit: Submit) -> None:
    found = problems(submit, csv("A1,0.1", header="ID,target"))
    assert found["missing_columns"].message == (
        f"missing column 'id' (found 'ID': names are case-sensitive); {SHAPE}"
    )


def test_an_extra_column_is_refused_even_when_both_columns_are_there(submit: Submit) -> None:
    found = problems(
        submit, csv("A1,0.1,x", "A2,0.2,x", "A3,0.3,x", "A4,0.4,x", header="id,target,note")
    )
    assert set(found) == {"extra_columns"}
    assert found["extra_columns"].examples == ["note"]


def test_columns_in_the_wrong_order_are_refused(submit: Submit) -> None:
    found = problems(submit, csv("0.1,A1", "0.2,A2", "0.3,A3", "0.4,A4", header="target,id"))
    assert set(found) == {"column_order"}
    assert found["column_order"].message == (
        f"columns are in the wrong order: found target,id; {SHAPE}"
    )


def test_a_repeated_column_is_refused(submit: Submit) -> None:
    rows = ("A1,0.1,0.1", "A2,0.2,0.2", "A3,0.3,0.3", "A4,0.4,0.4")
    found = problems(submit, csv(*rows, header="id,target,target"))
    assert set(found) == {"duplicate_columns"}
    assert found["duplicate_columns"].message == "column 'target' appears 2 times in the header"


def test_duplicated_ids_are_reported_with_their_lines(submit: Submit) -> None:
    found = problems(submit, csv("A1,0.1", "A2,0.2", "A1,0.3", "A3,0.3", "A4,0.4", "A2,0.5"))
    duplicate = found["duplicate_ids"]
    assert duplicate.message == "2 ids appear more than once, e.g. 'A1', 'A2' (lines 2, 3, 4, 7)"
    assert (duplicate.count, duplicate.examples, duplicate.lines) == (2, ["A1", "A2"], [2, 3, 4, 7])
    assert set(found) == {"duplicate_ids"}


def test_missing_ids_are_counted_with_five_examples(submit: Submit) -> None:
    fmt = SubmissionFormat("id", "target", tuple(f"B{i:02d}" for i in range(10)), "number")
    missing = problems(submit, csv("B03,1", "B07,2"), fmt)["missing_ids"]
    assert missing.message == (
        "8 test ids have no row, e.g. 'B00', 'B01', 'B02', 'B04', 'B05', …; "
        "submit one row for every id of test.csv"
    )
    assert missing.count == 8 and missing.examples == ["B00", "B01", "B02", "B04", "B05"]


def test_ids_not_in_the_test_set_are_reported(submit: Submit) -> None:
    text = csv("A1,0.1", "A2,0.2", "A3,0.3", "A4,0.4", "Z1,0.5", "a1,0.6")
    unknown = problems(submit, text)["unknown_ids"]
    assert unknown.message == "2 ids are not in the test set, e.g. 'Z1', 'a1' (lines 6, 7)"
    assert (unknown.count, unknown.lines) == (2, [6, 7])


def test_empty_values_are_reported_per_column(submit: Submit) -> None:
    found = check_problems(submit, csv("A1,0.1", "A2,", ",0.3", "A3,0.3", "A4,0.4"))
    assert [(p.code, p.column, p.message) for p in found] == [
        ("empty_values", "id", "1 row has an empty 'id' (line 4)"),
        ("empty_values", "target", "1 row has an empty 'target' (line 3)"),
    ]


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "Infinity", "-Infinity", "1e999"])
def test_non_finite_values_are_refused(submit: Submit, value: str) -> None:
    found = problems(submit, csv("A1,0.1", f"A2,{value}", "A3,0.3", "A4,0.4"), NUMBER)
    assert found["not_finite"].message == (
        f"1 value in 'target' is NaN or infinite, e.g. '{value}' (line 3); "
        "every prediction must be a finite number"
    )
    assert set(found) == {"not_finite"}


@pytest.mark.parametrize("kind", [NUMBER, PROBABILITY])
def test_text_in_a_numeric_column_is_refused_with_lines(
    submit: Submit, kind: SubmissionFormat
) -> None:
    found = problems(submit, csv("A1,abc", "A2,0.2", 'A3,"0,3"', "A4,NA"), kind)
    assert found["not_a_number"].message == (
        "3 values in 'target' are not numbers, e.g. 'abc', '0,3', 'NA' (lines 2, 4, 5)"
    )
    assert set(found) == {"not_a_number"}


def test_numbers_and_words_are_told_apart_when_both_are_wrong(submit: Submit) -> None:
    found = problems(submit, csv("A1,abc", "A2,nan", "A3,.5", "A4,1."), NUMBER)
    assert (found["not_a_number"].lines, found["not_finite"].lines) == ([2], [3])


def test_probabilities_outside_zero_one_are_refused(submit: Submit) -> None:
    found = problems(submit, csv("A1,-0.1", "A2,0", "A3,1", "A4,1.5"))
    assert found["out_of_range"].message == (
        "2 probabilities in 'target' are outside [0, 1], e.g. '-0.1', '1.5' (lines 2, 5)"
    )
    assert submit(csv("A1,-0.1", "A2,0", "A3,1", "A4,1.5"), NUMBER)["target"].max() == 1.5


def test_a_minimum_refuses_negative_numbers(submit: Submit) -> None:
    fmt = SubmissionFormat("id", "target", IDS, "number", minimum=0.0)
    found = problems(submit, csv("A1,-3", "A2,0", "A3,2", "A4,-0.5"), fmt)
    assert found["below_minimum"].message == (
        "2 values in 'target' are below 0, e.g. '-3', '-0.5' (lines 2, 5)"
    )


def test_unknown_labels_are_refused_showing_the_allowed_set(submit: Submit) -> None:
    found = problems(submit, csv("A1,금융", "A2,경영", "A3,finance", "A4,경영"), LABEL)
    assert found["unknown_labels"].message == (
        "3 values in 'target' are not allowed labels, e.g. '경영', 'finance' (lines 3, 4, 5); "
        "allowed: '금융', '기술', '수출'"
    )
    assert found["unknown_labels"].examples == ["경영", "finance"]


def test_at_most_five_lines_are_listed(submit: Submit) -> None:
    fmt = SubmissionFormat("id", "target", tuple(f"C{i}" for i in range(8)), "number")
    found = problems(submit, csv(*(f"C{i},x" for i in range(8))), fmt)
    problem = found["not_a_number"]
    assert problem.count == 8 and problem.lines == [2, 3, 4, 5, 6] and problem.examples == ["x"]
    assert (
        problem.message == "8 values in 'target' are not numbers, e.g. 'x' (lines 2, 3, 4, 5, 6, …)"
    )


def test_every_problem_is_reported_at_once(submit: Submit) -> None:
    text = csv("A1,0.5", "A1,abc", "Z9,inf", "A3,1.5", ",0.2", "A4,")
    with pytest.raises(SubmissionInvalid) as caught:
        submit(text)
    error = caught.value
    assert [p.code for p in error.problems] == [
        "empty_values",
        "duplicate_ids",
        "unknown_ids",
        "missing_ids",
        "empty_values",
        "not_a_number",
        "not_finite",
        "out_of_range",
    ]
    assert error.detail.splitlines()[0] == "the submission has 8 problems:"
    assert error.detail.splitlines()[2] == "- 1 id appears more than once, e.g. 'A1' (lines 2, 3)"
    body = reported(error).to_problem()
    assert body["code"] == "invalid_submission" and body["status"] == 422
    assert body["problems"][3] == {
        "code": "missing_ids",
        "message": "1 test id has no row, e.g. 'A2'; submit one row for every id of test.csv",
        "column": "id",
        "count": 1,
        "examples": ["A2"],
        "lines": [],
    }
    assert isinstance(error, CoreError) and error.code == "invalid_submission"


def test_a_format_refuses_duplicate_test_ids_and_unknown_kinds() -> None:
    with pytest.raises(ValueError, match="not unique"):
        check_submission(
            pd.DataFrame({"id": ["A"], "target": ["1"]}),
            SubmissionFormat("id", "target", ("A", "A"), "number"),
        )
    with pytest.raises(ValueError, match="needs the allowed labels"):
        SubmissionFormat("id", "target", IDS, "label")
    with pytest.raises(ValueError, match="unknown submission kind"):
        SubmissionFormat("id", "target", IDS, "rank")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs the public items and k"):
        SubmissionFormat("id", "target", IDS, "ranking", items=("P1",))


def test_a_large_shuffled_submission_comes_back_in_test_order() -> None:
    """200,000 shuffled rows (speed is measured in benchmarks/bench_scoring.py, not here)."""
    rng = np.random.default_rng(0)
    ids = np.array([f"R{i:07d}" for i in range(200_000)], dtype=object)
    fmt = SubmissionFormat("id", "target", tuple(ids), "probability")
    values = np.char.mod("%.6f", rng.random(len(ids)))
    order = rng.permutation(len(ids))
    table = pd.DataFrame({"id": ids[order], "target": values[order]}, dtype="str")
    result = check_submission(table, fmt)
    assert result.index[0] == "R0000000"
    assert result["target"].iloc[0] == float(values[0])


# --- formats read from real releases -------------------------------------------------------


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    settings = Settings(home=tmp_path_factory.mktemp("validation") / "home", progress=False)
    return {
        name: service.publish(settings, name).public_dir
        for name in ("market-store-count", "bizinfo-support-field")
    }


def read_public(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


def test_a_regression_format_comes_from_the_public_files(releases: dict[str, Path]) -> None:
    folder = releases["market-store-count"]
    fmt = SubmissionFormat.from_release(folder, task="regression", metric="rmsle")
    assert (fmt.id_column, fmt.target_column, fmt.kind) == ("market_id", "store_count", "number")
    assert fmt.ids.to_pylist() == read_public(folder, "test.csv")["market_id"].tolist()
    assert fmt.minimum == 0 and fmt.labels == ()
    rmse = SubmissionFormat.from_release(folder, task="regression", metric="rmse")
    assert rmse.minimum is None


def test_a_label_set_comes_from_train_csv(releases: dict[str, Path]) -> None:
    folder = releases["bizinfo-support-field"]
    fmt = SubmissionFormat.from_release(folder, task="multiclass", metric="f1_macro")
    assert fmt.kind == "label" and (fmt.id_column, fmt.target_column) == (
        "announcement_id",
        "support_field",
    )
    train = read_public(folder, "train.csv")["support_field"]
    assert fmt.labels == tuple(sorted(set(train))) and "금융" in fmt.labels
    assert len(fmt.ids) == len(read_public(folder, "test.csv"))


def test_from_release_reads_only_public_files(
    releases: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = tmp_path / "public"
    shutil.copytree(releases["bizinfo-support-field"], folder)
    read: list[str] = []
    original = validation.pacsv.read_csv

    def spy(path: Any, *args: Any, **kwargs: Any) -> Any:
        read.append(Path(path).name)
        return original(path, *args, **kwargs)

    monkeypatch.setattr(validation.pacsv, "read_csv", spy)
    SubmissionFormat.from_release(folder, task="multiclass", metric="accuracy")
    assert set(read) == {"sample_submission.csv", "train.csv"}
    assert "labels.csv" not in Path(validation.__file__).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "task", "metric"),
    [
        ("market-store-count", "regression", "rmsle"),
        ("bizinfo-support-field", "multiclass", "accuracy"),
    ],
)
def test_a_release_sample_submission_passes(
    releases: dict[str, Path], name: str, task: str, metric: str
) -> None:
    fmt = SubmissionFormat.from_release(releases[name], task=task, metric=metric)
    result = check_submission(read_upload(releases[name] / "sample_submission.csv").frame, fmt)
    assert list(result.index) == fmt.ids.to_pylist()


def test_from_release_refuses_a_metric_that_does_not_fit(releases: dict[str, Path]) -> None:
    folder = releases["market-store-count"]
    with pytest.raises(FormatError, match="unknown metric 'r2'"):
        SubmissionFormat.from_release(folder, task="regression", metric="r2")
    with pytest.raises(FormatError, match="does not score regression"):
        SubmissionFormat.from_release(folder, task="regression", metric="roc_auc")


# --- ranked lists (recommendation challenges) ------------------------------------------------

RANKING = SubmissionFormat(
    "company_id", "programmes", ("C1", "C2", "C3"), "ranking", items=("P1", "P2", "P3", "P4"), k=3
)


def ranked(text: str) -> pd.DataFrame:
    rows = [line.split(",", 1) for line in text.strip().splitlines()]
    return pd.DataFrame(rows, columns=["company_id", "programmes"], dtype="str")


def test_a_ranked_list_per_query_comes_back_in_query_order() -> None:
    result = check_submission(ranked("C3,P4 P1\nC1,P1 P2 P3\nC2,"), RANKING)
    assert result["programmes"].tolist() == [["P1", "P2", "P3"], [], ["P4", "P1"]]
    assert list(result.index) == ["C1", "C2", "C3"]


def test_a_hostile_ranking_file_gets_every_problem_with_lines() -> None:
    table = ranked("C1,P1 P9 P2\nC2,P2 P2\nC3,P1 P2 P3 P4\nC9,P1\nC1,P3")
    with pytest.raises(SubmissionInvalid) as caught:
        check_submission(table, RANKING)
    found = {p.code: p for p in caught.value.problems}
    assert set(found) == {
        "duplicate_ids",
        "unknown_ids",
        "unknown_items",
        "repeated_items",
        "too_many_items",
    }
    assert found["unknown_items"].examples == ["P9"] and found["unknown_items"].lines == [2]
    assert found["repeated_items"].examples == ["P2"] and found["repeated_items"].lines == [3]
    assert found["too_many_items"].lines == [4]
    assert "more than 3 items" in found["too_many_items"].message
    assert "not in items.csv" in found["unknown_items"].message


def test_spaces_of_any_kind_separate_items_and_case_matters() -> None:
    result = check_submission(ranked("C1, P1\tP2  P3 \nC2,P4\nC3,P2"), RANKING)
    assert result["programmes"].iloc[0] == ["P1", "P2", "P3"]
    with pytest.raises(SubmissionInvalid) as caught:
        check_submission(ranked("C1,p1\nC2,P4\nC3,P2"), RANKING)
    assert caught.value.problems[0].code == "unknown_items"
