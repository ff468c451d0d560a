"""The participant's and the organizer's flow end to end: real server, real catalogue database
(SQLite, or PostgreSQL with ``ODX_TEST_BACKEND``), real worker threads, real HTTP — from team
creation to the private reveal."""

from __future__ import annotations

import gzip
import io
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pandas as pd
import pytest

from live import create_users, odx, open_shipped_challenge, serving, wait_done
from odx.platform.challenges.catalog import SHIPPED_CHALLENGES
from odx.platform.settings import Settings

CHALLENGE = "market-store-count-2026"
pytestmark = pytest.mark.both_backends


@pytest.fixture(scope="module")
def platform(
    tmp_path_factory: pytest.TempPathFactory, database_url: str | None
) -> Iterator[dict[str, Any]]:
    """A running server with the market dataset published and its challenge open today."""
    root = tmp_path_factory.mktemp("flow")
    settings = Settings(home=root / "home", database_url=database_url, progress=False, workers=2)
    open_shipped_challenge(
        settings,
        CHALLENGE,
        "market-store-count",
        daily_submissions=4,
        daily_failed_submissions=5,
    )
    tokens = create_users(
        settings,
        {
            "org": "organizer",
            "judge": "judge",
            "kim": "participant",
            "lee": "participant",
            "park": "participant",
            "choi": "participant",
        },
    )
    with serving(settings) as url:
        yield {"url": url, "tokens": tokens, "settings": settings}


def client(platform: dict[str, Any], who: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {platform['tokens'][who]}"} if who else {}
    return httpx.Client(base_url=platform["url"], headers=headers, timeout=60)


def sample(platform: dict[str, Any]) -> pd.DataFrame:
    settings: Settings = platform["settings"]
    (folder,) = (settings.public_root / "market-store-count").iterdir()
    return pd.read_csv(folder / "sample_submission.csv", dtype={"market_id": str})


def upload(
    http: httpx.Client, content: bytes, name: str = "s.csv", message: str = ""
) -> httpx.Response:
    return http.post(
        f"/api/challenges/{CHALLENGE}/submissions",
        files={"file": (name, content)},
        data={"message": message},
    )


@pytest.fixture(scope="module")
def kim_team(platform: dict[str, Any]) -> str:
    with client(platform, "kim") as http:
        response = http.post(f"/api/challenges/{CHALLENGE}/teams", json={"name": "=시장분석"})
        assert response.status_code == 201
        invite = response.json()["invite_code"]
    with client(platform, "lee") as http:
        joined = http.post(
            f"/api/challenges/{CHALLENGE}/teams/join",
            json={"name": "=시장분석", "invite_code": invite},
        )
        assert joined.json()["members"] == ["kim", "lee"]
        # the hidden labels themselves: the team leads both boards whatever runs before
        perfect = upload(http, perfect_predictions(platform), message="perfect")
        assert wait_done(http, perfect.json()["id"])["status"] == "scored"
    return "=시장분석"


def perfect_predictions(platform: dict[str, Any]) -> bytes:
    settings: Settings = platform["settings"]
    (folder,) = (settings.hidden_root / "market-store-count").iterdir()
    labels = pd.read_csv(folder / "labels.csv", dtype={"market_id": str})
    return labels[["market_id", "store_count"]].to_csv(index=False).encode()


def test_valid_upload_is_acknowledged_at_once_and_scored(
    platform: dict[str, Any], kim_team: str
) -> None:
    frame = sample(platform).sample(frac=1.0, random_state=1)  # any row order
    frame["store_count"] = 90.0
    with client(platform, "kim") as http:
        response = upload(http, frame.to_csv(index=False).encode(), message="median-ish")
        assert response.status_code == 202
        assert response.json()["status"] in ("queued", "scoring", "scored")
        body = wait_done(http, response.json()["id"])
    assert body["status"] == "scored" and body["team"] == kim_team
    assert body["public_low"] <= body["public_score"] <= body["public_high"]
    assert "private_score" not in body  # participants never see private scores


def test_broken_upload_fails_precisely_and_spares_the_quota(
    platform: dict[str, Any], kim_team: str
) -> None:
    frame = sample(platform).astype({"store_count": object})
    frame.loc[3, "store_count"] = "many"
    frame = frame.drop(index=[5])
    with client(platform, "kim") as http:
        body = wait_done(http, upload(http, frame.to_csv(index=False).encode()).json()["id"])
        assert body["status"] == "failed"
        messages = " ".join(p["message"] for p in body["problems"])
        assert "not a number, e.g. 'many' (line 5)" in messages
        assert "1 test id has no row" in messages
        listing = http.get(f"/api/challenges/{CHALLENGE}/submissions").json()
    assert {s["status"] for s in listing} >= {"scored", "failed"}


def test_compressed_uploads_are_accepted_and_unsafe_zips_refused(
    platform: dict[str, Any], kim_team: str
) -> None:
    text = sample(platform).to_csv(index=False).encode()
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("../evil.csv", text)
    with client(platform, "lee") as http:
        ok = wait_done(http, upload(http, gzip.compress(text), "s.csv.gz").json()["id"])
        bad = wait_done(http, upload(http, packed.getvalue(), "s.zip").json()["id"])
    assert ok["status"] == "scored"
    assert bad["status"] == "failed" and "unsafe path" in bad["problems"][0]["message"]


def test_leaderboard_ranks_teams_and_exports_safe_csv(
    platform: dict[str, Any], kim_team: str
) -> None:
    with client(platform, None) as http:
        board = http.get(f"/api/challenges/{CHALLENGE}/leaderboard").json()
        first = http.get(f"/api/challenges/{CHALLENGE}/leaderboard")
        again = http.get(
            f"/api/challenges/{CHALLENGE}/leaderboard",
            headers={"If-None-Match": first.headers["etag"]},
        )
        assert again.status_code == 304 and not again.content
        exported = http.get(
            f"/api/challenges/{CHALLENGE}/leaderboard", params={"format": "csv"}
        ).text
    (row,) = [r for r in board["rows"] if r["team"] == kim_team]
    assert row["rank"] == 1 and row["low"] <= row["score"] <= row["high"]
    assert "'=시장분석" in exported and "\n=시장분석" not in exported


def test_private_board_stays_hidden_and_cannot_be_revealed_while_open(
    platform: dict[str, Any], kim_team: str
) -> None:
    with client(platform, "kim") as http:
        hidden = http.get(f"/api/challenges/{CHALLENGE}/leaderboard", params={"board": "private"})
        assert hidden.status_code == 404
        forbidden = http.post(f"/api/challenges/{CHALLENGE}/reveal")
        assert forbidden.status_code == 403 and forbidden.json()["code"] == "forbidden"
    with client(platform, "judge") as http:
        staff_view = http.get(f"/api/challenges/{CHALLENGE}/submissions").json()
        assert any(s["private_score"] is not None for s in staff_view)
    with client(platform, "org") as http:
        early = http.post(f"/api/challenges/{CHALLENGE}/reveal")
        assert early.status_code == 409 and "close it before" in early.json()["detail"]


def test_quota_stops_valid_uploads_and_invalid_cap_stops_probing(platform: dict[str, Any]) -> None:
    with client(platform, "park") as http:
        http.post(f"/api/challenges/{CHALLENGE}/teams", json={"name": "park-team"})
        for _ in range(5):  # the invalid-file cap is 5 a day
            wait_done(http, upload(http, b"market_id;store_count\nx;1\n").json()["id"])
        refused = upload(http, b"anything")
        assert refused.status_code == 429 and "invalid files today" in refused.json()["detail"]


def test_participant_cannot_see_another_teams_submission(
    platform: dict[str, Any], kim_team: str
) -> None:
    with client(platform, "kim") as http:
        mine = http.get(f"/api/challenges/{CHALLENGE}/submissions").json()[0]["id"]
    with client(platform, "park") as http:
        response = http.get(f"/api/submissions/{mine}")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("who", "method", "path", "status", "code"),
    [
        (None, "post", f"/api/challenges/{CHALLENGE}/submissions", 401, "unauthenticated"),
        ("kim", "get", "/api/challenges/nope/leaderboard", 404, "unknown_challenge"),
        ("kim", "post", "/api/challenges", 403, "forbidden"),
        ("kim", "post", f"/api/challenges/{CHALLENGE}/close", 403, "forbidden"),
    ],
)
def test_refusals_are_problem_bodies(
    platform: dict[str, Any], who: str | None, method: str, path: str, status: int, code: str
) -> None:
    with client(platform, who) as http:
        response = getattr(http, method)(path, **({"content": "x"} if method == "post" else {}))
    assert response.status_code == status and response.json()["code"] == code


def test_bad_token_is_refused(platform: dict[str, Any]) -> None:
    with httpx.Client(
        base_url=platform["url"], headers={"Authorization": "Bearer odx_forged"}
    ) as http:
        response = http.get("/api/me")
    assert response.status_code == 401 and "not valid" in response.json()["detail"]


def test_daily_quota_counts_only_valid_files(platform: dict[str, Any]) -> None:
    """A team of its own, so no other test's uploads count: invalid files spare the quota."""
    (token,) = create_users(platform["settings"], {"quota-kang": "participant"}).values()
    frame = sample(platform)
    frame["store_count"] = 80.0
    valid, invalid = frame.to_csv(index=False).encode(), b"market_id,store_count\nnope,1\n"
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=platform["url"], headers=headers, timeout=60) as http:
        team = http.post(f"/api/challenges/{CHALLENGE}/teams", json={"name": "quota-kang"})
        assert team.status_code == 201
        statuses = []
        for content in [invalid, invalid, valid, valid, valid, valid, valid]:
            response = upload(http, content)
            statuses.append(response.status_code)
            if response.status_code == 202:
                wait_done(http, response.json()["id"])
        refusal = upload(http, valid)
    # two invalid files (under the cap of 5) spared the daily quota of 4 valid ones
    assert statuses == [202, 202, 202, 202, 202, 202, 429]
    assert refusal.status_code == 429 and "quota resets at" in refusal.json()["detail"]


def test_daily_quota_holds_under_concurrent_uploads(platform: dict[str, Any]) -> None:
    """Twelve valid files posted at once by one team: exactly its daily quota of 4 is accepted
    (the check and the insert are one step under the team's lock and row lock)."""
    (token,) = create_users(platform["settings"], {"rush-yoon": "participant"}).values()
    frame = sample(platform)
    files = []
    for index in range(12):
        frame["store_count"] = 60.0 + index
        files.append(frame.to_csv(index=False).encode())
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=platform["url"], headers=headers, timeout=60) as http:
        team = http.post(f"/api/challenges/{CHALLENGE}/teams", json={"name": "rush-yoon"})
        assert team.status_code == 201
        with ThreadPoolExecutor(max_workers=12) as pool:
            codes = list(pool.map(lambda content: upload(http, content).status_code, files))
        mine = http.get(f"/api/challenges/{CHALLENGE}/submissions").json()
    assert sorted(codes) == [202] * 4 + [429] * 8
    assert len(mine) == 4


def test_the_invalid_file_cap_holds_under_concurrent_uploads(platform: dict[str, Any]) -> None:
    """A team one invalid file short of its cap of 5 posts twelve invalid files at once: one
    is accepted (a file still being checked holds its place under the cap), the rest are
    refused, and exactly 5 invalid files are on record."""
    (token,) = create_users(platform["settings"], {"probe-seo": "participant"}).values()
    invalid = b"market_id,store_count\nnope,1\n"
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=platform["url"], headers=headers, timeout=60) as http:
        assert http.post(
            f"/api/challenges/{CHALLENGE}/teams", json={"name": "probe-seo"}
        ).is_success
        for _ in range(4):
            wait_done(http, upload(http, invalid).json()["id"])
        with ThreadPoolExecutor(max_workers=12) as pool:
            answers = list(pool.map(lambda _: upload(http, invalid), range(12)))
        for answer in answers:
            if answer.status_code == 202:
                wait_done(http, answer.json()["id"])
        mine = http.get(f"/api/challenges/{CHALLENGE}/submissions").json()
    accepted = [a.json() for a in answers if a.status_code == 202]
    assert sorted(a.status_code for a in answers) == [202] + [429] * 11, (accepted, mine)
    assert {a.json()["code"] for a in answers if a.status_code == 429} == {"submission_limit"}
    assert [(s["status"], bool(s["problems"])) for s in mine] == [("failed", True)] * 5


def test_participant_cli_talks_to_the_server(platform: dict[str, Any], tmp_path: Path) -> None:
    created = odx(platform, "choi", "teams", "create", CHALLENGE, "choi-lab", cwd=tmp_path)
    assert created.returncode == 0 and "invite code" in created.stdout
    downloaded = odx(platform, "choi", "download", CHALLENGE, "-p", "data", cwd=tmp_path)
    assert downloaded.returncode == 0 and "sha256 ok" in downloaded.stdout
    assert not (tmp_path / "data" / "labels.csv").exists()
    frame = pd.read_csv(tmp_path / "data" / "sample_submission.csv", dtype={"market_id": str})
    frame["store_count"] = 70.0
    frame.to_csv(tmp_path / "preds.csv", index=False)
    submitted = odx(
        platform, "choi", "submit", CHALLENGE, "preds.csv", "-m", "cli", "--wait", cwd=tmp_path
    )
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    assert "scored: public" in submitted.stdout
    submission_id = submitted.stdout.split()[1]
    selected = odx(platform, "choi", "select", submission_id, cwd=tmp_path)
    assert selected.returncode == 0 and "final" in selected.stdout
    board = odx(platform, "choi", "leaderboard", CHALLENGE, "--download", "b.csv", cwd=tmp_path)
    assert board.returncode == 0 and "choi-lab" in (tmp_path / "b.csv").read_text("utf-8")
    broken = tmp_path / "broken.csv"
    broken.write_text("market_id,store_count\nnope,1\n", encoding="utf-8")
    failed = odx(platform, "choi", "submit", CHALLENGE, "broken.csv", "--wait", cwd=tmp_path)
    assert (
        failed.returncode == 1
        and "failed:" in failed.stdout
        and "Traceback" not in (failed.stdout + failed.stderr)
    )


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("teams", {"name": "nul\x00team"}),
        ("teams", {"name": "bell\x07team"}),
        ("teams", {"name": "\u202eevil"}),  # a right-to-left override disguises a name
        ("teams/join", {"name": "nul\x00team", "invite_code": "x"}),
        ("teams/join", {"name": "team", "invite_code": "nul\x00"}),
    ],
)
def test_control_characters_are_refused_in_names_on_every_database(
    platform: dict[str, Any], path: str, body: dict[str, str]
) -> None:
    """PostgreSQL rejects NUL in text and SQLite keeps it: one rule refuses both, with 422."""
    (token,) = create_users(
        platform["settings"], {f"nul-{uuid4().hex[:8]}": "participant"}
    ).values()
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=platform["url"], headers=headers, timeout=60) as http:
        response = http.post(f"/api/challenges/{CHALLENGE}/{path}", json=body)
    assert response.status_code == 422 and response.json()["code"] == "invalid_input"
    assert "control character" in response.json()["detail"]


def test_a_message_with_a_nul_is_refused_and_a_file_name_is_only_a_label(
    platform: dict[str, Any],
) -> None:
    (token,) = create_users(platform["settings"], {"label-jung": "participant"}).values()
    valid = sample(platform).to_csv(index=False).encode()
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=platform["url"], headers=headers, timeout=60) as http:
        assert http.post(f"/api/challenges/{CHALLENGE}/teams", json={"name": "label"}).is_success
        refused = upload(http, valid, message="hello\x00")
        odd_name = upload(http, valid, name="../../etc/passwd.csv")
    assert refused.status_code == 422 and "control character" in refused.json()["detail"]
    assert odd_name.status_code == 202 and odd_name.json()["file_name"] == "passwd.csv"


def test_stored_uploads_are_the_owners_alone(platform: dict[str, Any], kim_team: str) -> None:
    objects = platform["settings"].objects_root
    stored = [p for p in objects.rglob("*") if p.is_file()]
    assert stored and {oct(p.stat().st_mode & 0o777) for p in stored} == {"0o600"}
    assert oct(objects.stat().st_mode & 0o777) == "0o700"


def test_a_refused_challenge_definition_names_no_server_path(platform: dict[str, Any]) -> None:
    definition = (SHIPPED_CHALLENGES / f"{CHALLENGE}.yaml").read_text("utf-8")
    huge = definition.replace("version: 1", "version: 99999999999999999999999")
    with client(platform, "org") as http:
        answers = [
            http.post(
                "/api/challenges",
                content=text.encode(),
                headers={"Content-Type": "application/yaml"},
            )
            for text in (huge, "id: [unclosed", "dataset: {id: nope, version: 1}")
        ]
    for answer in answers:
        assert answer.status_code == 422, answer.text
        detail = answer.json()["detail"]
        assert "/tmp" not in detail and str(platform["settings"].resolved_home) not in detail
