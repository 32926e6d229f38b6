"""Request size limits hold before anything is parsed. Through `wowcard serve` a 10 MB body is refused
within a fraction of a second whatever its Content-Length says (declared: 413 unread; absent or lying: only
the declared bytes are the request, the rest is never read as an answer; chunked: 411), and the server keeps
serving. In the Lambda, where API Gateway hands over the whole body, the collector refuses it by its real
size (413) before decoding — even a body that would decode to a valid answer."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
from chalice.test import Client

from wowcard.collector import answers, config
from wowcard.collector.app import app
from wowcard.collector.survey import Definition

from .conftest import Served

TEN_MB = 10 * 1024 * 1024


def send_large(port: int, head: bytes, body: bytes, before: int) -> bytes:
    """Send the head and the first `before` bytes of the body (what the server may read), read the reply's
    status line and headers before any more is sent (a server that waited for the body would never answer:
    the socket times out), then send the rest anyway: it must never be read as an answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head + body[:before])
        reply = b""
        while b"\r\n\r\n" not in reply:
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
        try:
            sock.sendall(body[before:])
        except OSError:
            pass  # refused and closed: the rest of the body is never read
    return reply


def valid_padded(version: str, size: int) -> bytes:
    """A valid answer padded with whitespace to `size` bytes: accepted if anyone parsed it."""
    answer = json.dumps({"v": version, "id": "padded-0001", "location": "quay", "wow": "yes"}).encode()
    return answer[:-1] + b" " * (size - len(answer)) + b"}"


@pytest.mark.parametrize(
    ("length_header", "before", "expected"),
    [
        (f"Content-Length: {TEN_MB}\r\n", 0, 413),
        ("Content-Length: 99999999999999999999\r\n", 0, 413),
        ("", 0, 400),  # no length: the request has no body; the 10 MB that follow are never an answer
        ("Content-Length: 2\r\n", 2, 400),  # a lying length: the request is those 2 bytes
        ("Transfer-Encoding: chunked\r\n", 0, 411),
    ],
    ids=["declared", "declared-absurd", "absent", "lying", "chunked"],
)
def test_a_10_mb_body_is_refused_before_it_is_sent_and_nothing_is_stored(
    served: Served, length_header: str, before: int, expected: int
) -> None:
    head = (
        "POST /api/s/harbour/responses HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
        f"{length_header}\r\n"
    ).encode()
    reply = send_large(served.server.port, head, valid_padded(served.version, TEN_MB), before)
    assert reply.startswith(f"HTTP/1.1 {expected} ".encode()), reply[:200]
    assert served.responses() == []
    assert served.request("GET", "/api/healthz").status == 200  # still serving


@pytest.fixture
def lambda_collector(tmp_path, definition: Definition) -> Any:
    original = config.settings
    config.configure(store_url=f"sqlite:{tmp_path / 'responses.db'}", store_folder=str(tmp_path))
    try:
        config.get_store().publish(definition.to_json())
        with Client(app) as client:
            yield client
    finally:
        config.close()
        config.settings = original


@pytest.mark.parametrize("declared", [None, "120", str(TEN_MB)], ids=["absent", "lying", "honest"])
def test_in_the_lambda_a_10_mb_body_is_413_by_its_real_size_before_decoding(
    lambda_collector: Any, definition: Definition, declared: str | None
) -> None:
    body = valid_padded(definition.version, TEN_MB)
    headers = {"Content-Type": "text/plain"}
    if declared is not None:
        headers["Content-Length"] = declared
    reply = lambda_collector.http.post("/s/harbour/responses", headers=headers, body=body)
    # Not UTF-8 at all: decoding first would have answered 400 naming the encoding.
    undecodable = lambda_collector.http.post("/s/harbour/responses", headers=headers, body=b"\xff" * TEN_MB)
    too_large = {"error": f"the body is larger than {answers.MAX_BODY_BYTES} bytes", "field": None}
    assert (reply.status_code, reply.json_body) == (413, too_large)
    assert (undecodable.status_code, undecodable.json_body) == (413, too_large)
    assert list(config.get_store().responses("harbour", "2000-01-01", "2100-12-31")) == []


def test_the_largest_answer_an_honest_page_can_send_fits_the_limit(
    lambda_collector: Any, definition: Definition
) -> None:
    """Every text field filled to the page's maxlength (UTF-16 units, as browsers count) with the costliest
    characters, every other field at its longest: as the script's JSON (JSON.stringify escapes control
    characters as \\uXXXX) and as the no-JavaScript form (percent-encoded UTF-8, 9 bytes per CJK
    character). The collector takes both in, so no customer ever meets a 413."""
    from urllib.parse import urlencode

    statuses = {}
    for n, costly in enumerate(("\u4e2d", "\U0001f600", "\x01", "\n", '"', "%")):
        units = len(costly.encode("utf-16-le")) // 2
        texts = {name: costly * (limit // units) for name, limit in answers.TEXT_LIMITS.items()}
        answer = {
            "v": definition.version, "id": "abcdef"[n] * 64, "device": "d" * 64, "lang": "en",
            "src": "receipt",
            "location": "quay", "wow": "yes", "staff": "priya", "people": 5, "process": 5, "product": 5,
            "promises": ["fresh", "name", "quick"], "consent": "yes", "website": "", **texts,
        }  # fmt: skip
        script = json.dumps(answer, ensure_ascii=False).encode()
        form = [(k, v) for k, v in answer.items() if k not in ("id", "device", "src", "promises")]
        form += [("promises", p) for p in answer["promises"]]
        for kind, body, content_type in (
            ("json", script, "text/plain"),
            ("form", urlencode(form).encode(), "application/x-www-form-urlencoded"),
        ):
            reply = lambda_collector.http.post(
                "/s/harbour/responses", headers={"Content-Type": content_type}, body=body
            )
            statuses[f"{kind} {costly!r} ({len(body)} bytes)"] = reply.status_code
    assert set(statuses.values()) == {201, 303}, statuses  # every one stored: the script's and the form's
