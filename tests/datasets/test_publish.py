"""Publishing: the gate refuses bad data, releases are immutable, reproducible and atomic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from factories import DatasetFactory, tiny_rows
from odx.datasets import publish as publish_module
from odx.datasets import release
from odx.datasets.catalog import UnknownDatasetError
from odx.platform.db.engine import session_scope
from odx.platform.db.models import DatasetVersion, QualityRun
from odx.platform.services import datasets as service
from odx.platform.services.datasets import QualityGateFailed
from odx.platform.settings import Settings


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _versions(settings: Settings) -> list[DatasetVersion]:
    with session_scope(settings.resolved_database_url) as session:
        return list(session.scalars(select(DatasetVersion)))


def test_publish_writes_public_files_and_hides_labels(
    settings: Settings, make_dataset: DatasetFactory
) -> None:
    outcome = service.publish(settings, str(make_dataset()))
    assert outcome.created and outcome.version == 1
    public = sorted(p.name for p in outcome.public_dir.iterdir())
    assert public == sorted(release.public_files(release.TestFeatures.PUBLIC))
    test_header = (outcome.public_dir / "test.csv").read_text(encoding="utf-8").splitlines()[0]
    assert test_header == "shop_id,city,size,memo"  # no target, and the phone column is gone
    labels = settings.hidden_root / "tiny-shops" / outcome.fingerprint[:16] / "labels.csv"
    lines = labels.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "shop_id,kind,Usage" and len(lines) == 37
    assert {line.rsplit(",", 1)[1] for line in lines[1:]} == {"Public", "Private"}
    assert not any(settings.public_root.rglob("labels.csv"))
    manifest = json.loads((outcome.public_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["files"]["train.csv"]["rows"] == 84
    assert manifest["split"]["public_rows"] == 18


def test_a_release_can_hide_its_test_features_beside_the_labels(
    settings: Settings, make_dataset: DatasetFactory
) -> None:
    spec = {"release": {"test_features": "hidden", "test_sample_rows": 5}}
    outcome = service.publish(settings, str(make_dataset(spec=spec)))
    public = sorted(p.name for p in outcome.public_dir.iterdir())
    assert public == sorted(release.public_files(release.TestFeatures.HIDDEN))
    assert "test.csv" not in public and "test_sample.csv" in public
    hidden = settings.hidden_root / "tiny-shops" / outcome.fingerprint[:16]
    assert sorted(p.name for p in hidden.iterdir()) == ["labels.csv", "test_features.csv"]
    features = (hidden / "test_features.csv").read_text(encoding="utf-8").splitlines()
    assert features[0] == "shop_id,city,size,memo" and len(features) == 37
    sample = (outcome.public_dir / "test_sample.csv").read_text(encoding="utf-8").splitlines()
    assert sample[0] == features[0] and len(sample) == 6 and set(sample[1:]) <= set(features)
    manifest = release.ReleaseManifest.read(outcome.public_dir)
    assert manifest.hides_test_features and manifest.rows("test_sample.csv") == 5
    assert manifest.rows("sample_submission.csv") == 36  # every test id, for the format
    card = (outcome.public_dir / "DATACARD.md").read_text(encoding="utf-8")
    assert "test_sample.csv" in card and "not published" in card


def test_a_raw_path_outside_the_dataset_folder_is_refused(make_dataset: DatasetFactory) -> None:
    folder = make_dataset(spec={"raw": [{"path": "../other/hidden/labels.csv"}]})
    with pytest.raises(Exception, match="leaves the dataset folder"):
        service.publish(Settings(home=folder.parent / "home"), str(folder))


def test_publish_is_byte_identical_across_homes(
    tmp_path: Path, make_dataset: DatasetFactory
) -> None:
    folder = str(make_dataset())
    first = service.publish(Settings(home=tmp_path / "a"), folder)
    second = service.publish(Settings(home=tmp_path / "b"), folder)
    assert first.fingerprint == second.fingerprint
    assert _tree(first.public_dir) == _tree(second.public_dir)


def test_publish_unchanged_inputs_writes_nothing(
    settings: Settings, make_dataset: DatasetFactory
) -> None:
    folder = str(make_dataset())
    first = service.publish(settings, folder)
    before = _tree(settings.resolved_home / "public")
    again = service.publish(settings, folder)
    assert not again.created and again.version == first.version == 1
    assert _tree(settings.resolved_home / "public") == before
    assert len(_versions(settings)) == 1


def test_changed_input_gives_new_version_and_keeps_the_old(
    settings: Settings, make_dataset: DatasetFactory
) -> None:
    first = service.publish(settings, str(make_dataset()))
    old = _tree(first.public_dir)
    rows = tiny_rows(150)
    second = service.publish(settings, str(make_dataset(rows=rows)))
    assert second.created and second.version == 2 and second.fingerprint != first.fingerprint
    assert _tree(first.public_dir) == old
    assert [v.version for v in _versions(settings)] == [1, 2]


def test_crash_while_writing_leaves_no_visible_version(
    settings: Settings, make_dataset: DatasetFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(frame, path):  # type: ignore[no-untyped-def]
        if path.name == "test.csv":
            raise OSError("disk full")
        frame.to_csv(path, index=False, lineterminator="\n")

    monkeypatch.setattr(publish_module, "_write_csv", crash)
    with pytest.raises(OSError, match="disk full"):
        service.publish(settings, str(make_dataset()))
    assert _versions(settings) == []
    leftovers = [
        p
        for root in (settings.public_root, settings.hidden_root)
        for p in (root / "tiny-shops").iterdir()
    ]
    assert leftovers == []  # no staging folder, no half-written release
    monkeypatch.undo()
    assert service.publish(settings, str(make_dataset())).created


def test_personal_data_in_a_published_column_refuses_to_publish(
    settings: Settings, make_dataset: DatasetFactory
) -> None:
    rows = tiny_rows()
    rows[4]["memo"] = "담당 김민수 010-2345-6789, minsu@example.com"
    with pytest.raises(QualityGateFailed, match=r"personal_data: .*memo \(phone, 1 rows\)"):
        service.publish(settings, str(make_dataset(rows=rows)))
    assert _versions(settings) == []
    assert not (settings.public_root / "tiny-shops").exists() or not any(
        (settings.public_root / "tiny-shops").iterdir()
    )
    with session_scope(settings.resolved_database_url) as session:
        runs = list(session.scalars(select(QualityRun)))
    assert [r.success for r in runs] == [False]


def test_personal_data_allowed_by_spec_publishes(
    settings: Settings, make_dataset: DatasetFactory
) -> None:
    rows = tiny_rows()
    rows[4]["memo"] = "대표번호 1588-1234"
    quality = {"privacy": {"allow": {"memo": "public switchboard numbers of shops"}}}
    assert service.publish(
        settings, str(make_dataset(rows=rows, spec={"quality": quality}))
    ).created


def test_failing_expectations_refuse_to_publish_and_keep_a_report(
    settings: Settings, make_dataset: DatasetFactory
) -> None:
    rows = tiny_rows()
    rows[9]["size"] = 5000
    with pytest.raises(QualityGateFailed, match=r"expect_column_values_to_be_between\(size\)"):
        service.publish(settings, str(make_dataset(rows=rows)))
    reports = list(settings.reports_root.rglob("report.json"))
    assert len(reports) == 1
    report = json.loads(reports[0].read_text(encoding="utf-8"))
    failed = [o for o in report["expectations"]["outcomes"] if not o["success"]]
    assert failed[0]["column"] == "size" and failed[0]["examples"] == [5000.0]
    assert reports[0].with_suffix(".html").read_text(encoding="utf-8").count("FAIL") >= 2


def test_a_feature_that_gives_the_target_away_refuses_to_publish(
    settings: Settings, make_dataset: DatasetFactory
) -> None:
    rows = [r | {"memo": f"분류 코드 {r['kind']}-{i % 2}"} for i, r in enumerate(tiny_rows())]
    with pytest.raises(QualityGateFailed, match=r"target_leakage: features that give the target"):
        service.publish(settings, str(make_dataset(rows=rows)))


def test_k_anonymity_below_spec_refuses_to_publish(
    settings: Settings, make_dataset: DatasetFactory
) -> None:
    quality = {"privacy": {"quasi_identifiers": ["city", "size"], "k_anonymity": 3}}
    with pytest.raises(QualityGateFailed, match=r"k_anonymity: smallest group over city, size"):
        service.publish(settings, str(make_dataset(spec={"quality": quality})))


def test_unknown_dataset_id_is_refused(settings: Settings) -> None:
    with pytest.raises(UnknownDatasetError, match=r"unknown dataset .no-such.*market-store-count"):
        service.publish(settings, "no-such")


def test_concurrent_publishes_of_the_same_inputs_make_one_version(
    settings: Settings, make_dataset: DatasetFactory
) -> None:
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    folder = str(make_dataset())
    start = Barrier(4)

    def publish() -> service.PublishOutcome:
        start.wait()
        return service.publish(settings, folder)

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(lambda _: publish(), range(4)))
    assert sum(o.created for o in outcomes) == 1
    assert {(o.version, o.fingerprint) for o in outcomes} == {(1, outcomes[0].fingerprint)}
    assert len(_versions(settings)) == 1
    assert sorted(p.name for p in outcomes[0].public_dir.iterdir()) == sorted(
        release.public_files(release.TestFeatures.PUBLIC)
    )
