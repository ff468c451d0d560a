"""Uploads are refused before they are read: a real server, a raw socket that sends the body
in small paced pieces and counts what it had sent when the answer came. That count bounds
what the server read, whatever the time it took."""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from live import CHALLENGE, create_users, open_shipped_challenge, serving, wait_done
from odx.platform.settings import Settings

MB = 1 << 20
PIECE = 32 * 1024
BOUNDARY = "odxboundary"
SUBMIT = f"/api/challenges/{CHALLENGE}/submissions"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("refusals") / "home"
    settings = Settings(
        home=home,
        progress=False,
        workers=1,
        max_upload_bytes=2 * MB,
        upload_idle_seconds=1.0,
        max_concurrent_bodies=4,
        request_head_seconds=1.0,
    )
    open_shipped_challenge(
        settings, CHALLENGE, "market-store-count", daily_submissions=1, daily_failed_submissions=1
    )
    names = ["fresh", "full", "prober", "loner", "stall"]
    tokens = create_users(settings, {n: "participant" for n in names} | {"org": "organizer"})
    with serving(settings) as url:
        sample = next(settings.public_root.glob("market-store-count/*/sample_submission.csv"))
        for name in ("fresh", "full", "prober", "stall"):
            with client(url, tokens[name]) as http:
                created = http.post(f"/api/challenges/{CHALLENGE}/teams", json={"name": name})
                assert created.status_code == 201
        with client(url, tokens["full"]) as http:  # the daily quota of 1 is used
            wait_done(http, upload(http, sample.read_bytes()).json()["id"])
        with client(url, tokens["prober"]) as http:  # the invalid-file cap of 1 is reached
            wait_done(http, upload(http, b"market_id,store_count\nnope,1\n").json()["id"])
        yield {"url": url, "tokens": tokens, "settings": settings}


def client(url: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def upload(http: httpx.Client, content: bytes) -> httpx.Response:
    return http.post(SUBMIT, files={"file": ("s.csv", content, "text/csv")})


def form_head() -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()


def send_until_answered(
    url: str, path: str, headers: dict[str, str], *, declared: int | None, most: int = 8 * MB
) -> tuple[int, int]:
    """(status, bytes of the body sent before the answer arrived), sending ``PIECE`` bytes at
    a time and looking for an answer between pieces; ``declared=None`` sends it chunked."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, PIECE)
    framing = (
        {"Transfer-Encoding": "chunked"} if declared is None else {"Content-Length": str(declared)}
    )
    head = {"Host": parts.netloc, **framing, **headers}
    request = f"POST {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in head.items())
    sock.sendall(request.encode() + b"\r\n")
    sent, first = 0, form_head()
    try:
        while sent < most:
            if select.select([sock], [], [], 0.02)[0]:
                break  # the answer is there
            piece = first + b"0" * (PIECE - len(first))
            first = b""
            wire = f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if declared is None else piece
            try:
                sock.sendall(wire)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
        sock.settimeout(30)
        status_line = sock.recv(4096).split(b"\r\n", 1)[0]
        return int(status_line.split()[1]), sent
    finally:
        sock.close()


def multipart(token: str | None = None) -> dict[str, str]:
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    return {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", **auth}


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 401),  # no token
        ("odx_forged", 401),  # a token nobody holds
        ("loner", 409),  # signed in, but in no team of this challenge
        ("full", 429),  # the team's daily quota is used
        ("prober", 429),  # the team reached its cap on invalid files
        ("fresh", 413),  # all is well, but the declared size is over the limit
    ],
)
def test_a_refused_upload_is_answered_before_its_body_is_read(
    site: dict[str, Any], who: str | None, status: int
) -> None:
    token = site["tokens"].get(who, who) if who else None
    answer, sent = send_until_answered(site["url"], SUBMIT, multipart(token), declared=300_000_000)
    assert (answer, sent < MB) == (status, True), sent


def test_a_chunked_upload_is_cut_off_at_the_limit(site: dict[str, Any]) -> None:
    answer, sent = send_until_answered(
        site["url"], SUBMIT, multipart(site["tokens"]["fresh"]), declared=None
    )
    limit = site["settings"].max_upload_bytes
    assert answer == 413 and limit <= sent < limit + MB, sent
    assert not any((site["settings"].objects_root / "staging").iterdir())


@pytest.mark.parametrize(
    ("path", "who", "status"),
    [
        ("/api/challenges", "fresh", 413),  # a challenge's YAML, over the 1 MB of any body
        ("/api/challenges", None, 413),
        ("/api/dataset-jobs/upload", "fresh", 403),  # organizers only
        (f"/challenges/{CHALLENGE}/submit", None, 401),  # the page: sign in first
    ],
)
def test_other_bodies_are_refused_before_they_are_read(
    site: dict[str, Any], path: str, who: str | None, status: int
) -> None:
    token = site["tokens"][who] if who else None
    answer, sent = send_until_answered(site["url"], path, multipart(token), declared=50_000_000)
    assert (answer, sent < MB) == (status, True), sent


def test_a_chunked_json_body_is_cut_off_at_a_megabyte(site: dict[str, Any]) -> None:
    headers = {"Content-Type": "application/json", "Authorization": "Bearer x"}
    answer, sent = send_until_answered(site["url"], "/api/challenges", headers, declared=None)
    assert answer in (401, 413) and sent < 2 * MB, sent


def test_stalled_uploads_are_dropped_and_few_are_held_at_once(site: dict[str, Any]) -> None:
    """Twenty clients send the start of an upload and stop. At most four bodies are received
    at once (the others get 503 at once); those four are dropped after a second of silence
    (408), and the server closes every connection."""
    parts = urlsplit(site["url"])
    head = "".join(f"{k}: {v}\r\n" for k, v in multipart(site["tokens"]["stall"]).items())
    request = (
        f"POST {SUBMIT} HTTP/1.1\r\nHost: {parts.netloc}\r\n{head}Content-Length: {MB}\r\n\r\n"
    ).encode() + form_head()
    sockets = []
    for _ in range(20):
        sock = socket.create_connection((parts.hostname, parts.port))
        sock.sendall(request)
        sockets.append(sock)
    statuses = []
    for sock in sockets:
        sock.settimeout(10)  # far beyond the second of silence the server allows
        answer = b""
        while chunk := sock.recv(4096):  # until the server closes the connection
            answer += chunk
        statuses.append(int(answer.split()[1]))
        sock.close()
    assert sorted(statuses) == [408] * 4 + [503] * 16  # and the server closed each one


@pytest.mark.parametrize(
    "sent",
    [
        b"",  # a connection that says nothing
        b"POST /api/challenges HTTP/1.1\r\nHost: x\r\nX-Slow: ",  # a head that stops
    ],
)
def test_a_request_head_that_never_ends_loses_its_connection(
    site: dict[str, Any], sent: bytes
) -> None:
    parts = urlsplit(site["url"])
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        sock.sendall(sent)
        sock.settimeout(10)  # far beyond the second the server allows
        assert sock.recv(4096) == b""  # closed by the server, with no answer


def test_a_head_dripping_a_byte_at_a_time_is_cut_off(site: dict[str, Any]) -> None:
    """Progress does not extend the deadline: the head as a whole is late."""
    parts = urlsplit(site["url"])
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        sock.settimeout(0.2)
        closed = False
        for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Drip: " + b"a" * 200:
            try:
                sock.sendall(bytes([byte]))
                closed = sock.recv(4096) == b""
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed = True
            if closed:
                break
        assert closed


def test_a_kept_alive_connection_gets_the_same_deadline_for_its_next_head(
    site: dict[str, Any],
) -> None:
    parts = urlsplit(site["url"])
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(10)
        answer = b""
        while not answer.endswith(b'{"status":"ok"}'):
            answer += sock.recv(4096)
        assert b"200 OK" in answer
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        assert sock.recv(4096) == b""
