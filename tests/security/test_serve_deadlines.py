"""Slow clients against `wowcard serve`, with raw sockets and a short deadline: a request dripped a header
line at a time, or its body a byte at a time, is cut at its total deadline (408, nothing stored) however
often a byte arrives; an idle connection is closed after the idle time; each request on a kept-alive
connection has a deadline of its own."""

from __future__ import annotations

import threading
import time
from typing import Any

from rawhttp import CLOSING, connect, parse_replies, read_reply, read_until_closed, request

from wowcard.serve_limits import Limits

from .conftest import served_with


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
) -> tuple[list[Any], float, list[dict[str, Any]]]:
    """Send `first`, then a piece every `every` seconds; the replies, how long until the server hung up, and
    what the store holds then (read while this server's store is still the one configured)."""
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
        return parse_replies(data), elapsed, served.responses()


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
    replies, elapsed, stored = cut_after(survey, head, [b" "] * 399, every=0.1)
    assert [r.status for r in replies] == [408]
    assert 0.9 < elapsed < 3, elapsed
    assert stored == []


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
