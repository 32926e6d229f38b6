"""Attacks on the HTTP framing of `wowcard serve`, with raw sockets: a POST smuggled in the body of a page
request on a kept-alive connection is never taken for a request (nothing is stored), two Content-Lengths or a
Content-Length with Transfer-Encoding are refused with 400 and the connection closed, a request dripped a
line at a time is cut at its total deadline, and a path no file system can hold is a 404, never an empty
reply."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from rawhttp import (
    CLOSING,
    connect,
    converse,
    parse_replies,
    post_answer,
    read_reply,
    read_until_closed,
    request,
)

from wowcard.serve_limits import Limits

from .conftest import Served, served_with


def an_answer(served: Served, response_id: str) -> dict[str, Any]:
    return {"v": served.version, "id": response_id, "location": "quay", "wow": "yes", "staff": "maya"}


# --- smuggling ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/harbour/quay/", 200), ("HEAD", "/harbour/quay/", 200), ("POST", "/harbour/quay/", 405),
     ("OPTIONS", "/harbour/thanks/en/", 405), ("GET", "/harbour/nowhere/", 404)],
)  # fmt: skip
def test_a_post_hidden_in_a_page_requests_body_is_never_stored(
    served: Served, method: str, path: str, status: int
) -> None:
    smuggled = post_answer(an_answer(served, "smuggled-0001"))
    carrier = request(method, path, f"Content-Length: {len(smuggled)}", body=smuggled)
    replies = converse(served.server.port, carrier + CLOSING, heads=(0,) if method == "HEAD" else ())
    assert [r.status for r in replies] == [status, 200]  # the page, then the closing request: nothing between
    assert served.responses() == []
    # The very same bytes sent as a request of their own are a valid answer: the test could have failed.
    assert [r.status for r in converse(served.server.port, smuggled + CLOSING)] == [201, 200]
    assert [r["id"] for r in served.responses()] == ["smuggled-0001"]


def test_a_page_request_with_a_body_too_large_to_read_closes_the_connection(served: Served) -> None:
    smuggled = post_answer(an_answer(served, "smuggled-0002"))
    carrier = request("GET", "/harbour/quay/", f"Content-Length: {10 * 1024 * 1024}", body=smuggled)
    replies = converse(served.server.port, carrier)
    assert [(r.status, r.headers["connection"]) for r in replies] == [(200, "close")]
    assert served.responses() == []


@pytest.mark.parametrize(
    "framing",
    [
        ["Content-Length: 5", "Content-Length: 5"],
        ["Content-Length: 5", "Content-Length: 180"],
        ["Content-Length: 5, 180"],
        ["Transfer-Encoding: chunked", "Content-Length: 5"],
        ["Content-Length: 5", "Transfer-Encoding: identity"],
        ["Content-Length: \xb2"],  # a digit to str.isdigit(), not to an HTTP reader
        ["Content-Length: -5"],
        ["Content-Length : 5"],  # skipped by Python's parser, honoured by others
        [" Content-Length: 5"],  # a continuation of nothing
        ["Content-Length: 5", " 180"],  # folded onto two lines
    ],
    ids=[
        "same-twice",
        "two-lengths",
        "a-list",
        "te-and-cl",
        "cl-and-te",
        "superscript-two",
        "negative",
        "space-before-colon",
        "continuation-first",
        "folded",
    ],  # fmt: skip
)
@pytest.mark.parametrize("path", ["/harbour/quay/", "/api/s/harbour/responses"], ids=["page", "api"])
def test_ambiguous_framing_is_400_and_the_connection_is_closed(
    served: Served, framing: list[str], path: str
) -> None:
    smuggled = post_answer(an_answer(served, "smuggled-0003"))
    method = "GET" if path.endswith("/") else "POST"
    replies = converse(served.server.port, request(method, path, *framing, body=smuggled) + CLOSING)
    assert [(r.status, r.headers["connection"]) for r in replies] == [(400, "close")]
    assert replies[0].json()["field"] is None and replies[0].json()["error"]
    assert served.responses() == []


def test_a_chunked_body_is_411_and_the_connection_is_closed(served: Served) -> None:
    smuggled = post_answer(an_answer(served, "smuggled-0004"))
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(smuggled), smuggled)
    replies = converse(
        served.server.port, request("GET", "/harbour/quay/", "Transfer-Encoding: chunked") + chunked
    )
    assert [r.status for r in replies] == [411]
    assert served.responses() == []


# --- deadlines ---------------------------------------------------------------------------------------------


def drip(sock: Any, pieces: list[bytes], every: float, stop: threading.Event) -> None:
    for piece in pieces:
        if stop.wait(every):
            return
        try:
            sock.sendall(piece)
        except OSError:
            return


def cut_after(
    survey: Any, first: bytes, pieces: list[bytes], every: float
) -> tuple[list[Any], float, Served]:
    """Send `first`, then a piece every `every` seconds; the replies and how long until the server hung up."""
    with served_with(survey, limits=Limits(request_seconds=1.0)) as served:
        with connect(served.server.port) as sock:
            stop = threading.Event()
            started = time.monotonic()
            sock.sendall(first)
            dripper = threading.Thread(target=drip, args=(sock, pieces, every, stop))
            dripper.start()
            try:
                data = read_until_closed(sock)
            finally:
                elapsed = time.monotonic() - started
                stop.set()
                dripper.join()
        return parse_replies(data), elapsed, served


def test_headers_dripped_a_line_at_a_time_are_cut_at_the_requests_deadline(survey) -> None:
    # Each line arrives well within any per-read timeout; only a deadline for the whole request stops it.
    lines = [f"X-Drip-{n}: a\r\n".encode() for n in range(50)]
    replies, elapsed, _ = cut_after(survey, b"GET /harbour/quay/ HTTP/1.1\r\n", lines, every=0.2)
    assert [r.status for r in replies] == [408]
    assert 0.9 < elapsed < 3, elapsed


def test_a_body_dripped_byte_by_byte_is_cut_at_the_deadline_and_nothing_is_stored(survey) -> None:
    head = (
        b"POST /api/s/harbour/responses HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 400\r\n\r\n{"
    )
    replies, elapsed, served = cut_after(survey, head, [b" "] * 399, every=0.1)
    assert [r.status for r in replies] == [408]
    assert 0.9 < elapsed < 3, elapsed
    assert served.responses() == []


def test_an_idle_connection_is_closed_after_the_idle_time_without_a_reply(survey) -> None:
    with served_with(survey, limits=Limits(idle_seconds=0.3)) as served:
        with connect(served.server.port) as sock:
            started = time.monotonic()
            assert read_until_closed(sock) == b""
            assert 0.25 < time.monotonic() - started < 3


def test_each_request_on_a_kept_alive_connection_gets_its_own_deadline(survey) -> None:
    with served_with(survey, limits=Limits(request_seconds=1.0, idle_seconds=5)) as served:
        with connect(served.server.port) as sock:
            for _ in range(3):
                sock.sendall(request("GET", "/api/healthz"))
                assert read_reply(sock).status == 200
                time.sleep(0.4)  # 1.2 s in all on one connection: longer than one request's deadline
            sock.sendall(CLOSING)
            assert parse_replies(read_until_closed(sock))[0].status == 200


# --- paths no file system holds --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/harbour/" + "a" * 256 + "/", "/harbour/quay/" + "%C3%A9" * 200, "/" + "b" * 300, "/" + "c/" * 3000,
     "/harbour/" + "d" * 5000 + "/index.html"],
    ids=["long-segment", "long-in-utf8", "long-at-the-root", "deep", "very-long"],
)  # fmt: skip
def test_a_path_longer_than_the_file_system_allows_is_404_never_an_empty_reply(
    served: Served, path: str
) -> None:
    replies = converse(served.server.port, request("GET", path) + CLOSING)
    assert [r.status for r in replies] == [404, 200]
    assert b"There is no page here" in replies[0].body


def test_a_request_line_longer_than_64_kib_is_414_in_json(served: Served) -> None:
    replies = converse(served.server.port, request("GET", "/" + "e" * 70_000))
    assert [r.status for r in replies] == [414]
    assert replies[0].json() == {"error": "the address is too long", "field": None}


def test_an_api_path_with_a_long_segment_is_answered_in_json(served: Served) -> None:
    replies = converse(served.server.port, post_answer(an_answer(served, "long-0001"), close=True).replace(
        b"/s/harbour/", b"/s/" + b"f" * 300 + b"/"))  # fmt: skip
    assert len(replies) == 1 and 400 <= replies[0].status < 500
    assert "error" in replies[0].json()
