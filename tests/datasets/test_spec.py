"""Spec errors read like a compiler's: file, key, what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from factories import DatasetFactory
from odx.datasets.spec import SpecError, load_spec, parse_spec, placeholders


def test_load_spec_reads_shipped_specs() -> None:
    from odx.datasets.catalog import SHIPPED_DIR

    ids = [
        load_spec(folder).spec.id
        for folder in sorted(SHIPPED_DIR.iterdir())
        if (folder / "dataset.yaml").is_file()
    ]
    assert ids == [
        "bizinfo-support-field",
        "market-store-count",
        "sme-growth-risk",
        "sme-growth-risk-finals",
        "sme-growth-risk-model",
        "sme-growth-risk-sample",
        "support-programme-recommendation",
        "support-programme-recommendation-model",
    ]


def test_spec_error_names_file_and_key_for_unknown_key(make_dataset: DatasetFactory) -> None:
    folder = make_dataset(spec={"splitt": {}})
    with pytest.raises(SpecError) as error:
        load_spec(folder)
    assert f"{folder / 'dataset.yaml'}: splitt: unknown key" in error.value.detail


def test_spec_error_names_nested_key_and_index(make_dataset: DatasetFactory) -> None:
    folder = make_dataset()
    text = (
        (folder / "dataset.yaml").read_text(encoding="utf-8").replace("type: float", "type: money")
    )
    (folder / "dataset.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as error:
        load_spec(folder)
    assert "columns[2].type: Input should be" in error.value.detail
    assert "'float'" in error.value.detail


def test_spec_error_reports_yaml_syntax_with_line() -> None:
    with pytest.raises(SpecError, match=r"^x\.yaml:3:\d+: not valid YAML"):
        parse_spec("id: a\ntitle: {ko: 가\nsplit: [", source="x.yaml")


def test_spec_error_for_target_not_among_columns(make_dataset: DatasetFactory) -> None:
    folder = make_dataset(spec={"target": {"column": "category"}})
    with pytest.raises(SpecError, match="target 'category' is not among 'columns'"):
        load_spec(folder)


def test_spec_error_for_missing_required_key(make_dataset: DatasetFactory) -> None:
    folder = make_dataset()
    text = (folder / "dataset.yaml").read_text(encoding="utf-8")
    head, _, _ = text.partition("split:")
    (folder / "dataset.yaml").write_text(head, encoding="utf-8")
    with pytest.raises(SpecError, match=r"split: required key is missing"):
        load_spec(folder)


def test_spec_error_when_folder_has_no_spec(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="no dataset spec here"):
        load_spec(tmp_path)


def test_spec_error_for_split_column_with_random_method(make_dataset: DatasetFactory) -> None:
    folder = make_dataset(
        spec={
            "split": {
                "method": "random",
                "column": "city",
                "test_fraction": 0.3,
                "public_fraction": 0.5,
                "seed": 1,
            }
        }
    )
    with pytest.raises(SpecError, match="split: split method 'random' takes no 'column'"):
        load_spec(folder)


def test_placeholders_in_free_text_load_and_are_listed(make_dataset: DatasetFactory) -> None:
    folder = make_dataset(
        spec={
            "title": {"ko": "TODO: 제목", "en": "Tiny shops"},
            "source": {
                "agency": {"ko": "시험 기관", "en": "Test agency"},
                "reference": "TODO: where the file came from",
                "licence": {"name": "TODO: licence"},
            },
        }
    )
    assert placeholders(load_spec(folder).spec) == [
        "title.ko",
        "source.reference",
        "source.licence.name",
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"task": "TODO: binary or regression"}, "task: fill in the task: binary, multiclass"),
        ({"target": {"column": "TODO: the target"}}, "target.column: fill in the target"),
        ({"id_column": {"column": "TODO: the id"}}, "id_column.column: fill in the id column"),
        (
            {"split": {"method": "TODO", "test_fraction": 0.3, "public_fraction": 0.5, "seed": 1}},
            "split.method: fill in the split method",
        ),
    ],
)
def test_placeholders_the_data_depends_on_are_refused_with_what_to_fill_in(
    make_dataset: DatasetFactory, spec: dict[str, object], message: str
) -> None:
    with pytest.raises(SpecError, match=message):
        load_spec(make_dataset(spec=spec))


def test_positive_value_is_for_binary_tasks_only(make_dataset: DatasetFactory) -> None:
    folder = make_dataset(spec={"target": {"column": "kind", "positive": "식당"}})
    with pytest.raises(SpecError, match=r"target\.positive is read for a binary task only"):
        load_spec(folder)


def test_positive_value_written_as_yaml_boolean_or_number_is_read_as_text(
    make_dataset: DatasetFactory,
) -> None:
    for written, read in (("yes", "true"), ("1", "1"), ("Y", "Y")):
        folder = make_dataset(spec={"task": "binary"})
        path = folder / "dataset.yaml"
        text = path.read_text(encoding="utf-8").replace(
            "column: kind\n", f"column: kind\n  positive: {written}\n", 1
        )
        path.write_text(text, encoding="utf-8")
        assert load_spec(folder).spec.target.positive == read


def test_delimiter_is_for_csv_files_only(make_dataset: DatasetFactory) -> None:
    folder = make_dataset(spec={"raw": [{"path": "raw/shops.json", "delimiter": ";"}]})
    with pytest.raises(
        SpecError, match="raw\\[0\\]: 'delimiter' applies to CSV files, not to json"
    ):
        load_spec(folder)
