"""`wowcard serve` under a crowd or a flood: beyond its connection cap a client is answered 503 at once (and
served again when a slot frees up), and one client address past its rate limit is answered 429 with
Retry-After in JSON, while other clients and this machine are served, and is served again once the wait is
over. The limiter's memory stays bounded whatever the number of addresses."""

from __future__ import annotations

import select
import time
from collections.abc import Callable
from contextlib import ExitStack

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

from wowcard.serve_limits import Limits, RateLimiter

from .conftest import Served, served_with


class Clock:
    """The rate limiter's time, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- the connection cap ----------------------------------------------------------------------------------


def wait_until(condition: Callable[[], object], seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the server never got there"
        time.sleep(0.01)


def busy(served: Served) -> int:
    """Connections the server holds that are in the middle of a request."""
    httpd = served.server.httpd
    return httpd.open_connections - httpd.connections.idle_count()


def test_beyond_the_connection_cap_a_client_is_answered_503_at_once_and_served_when_a_slot_frees(
    survey,
) -> None:
    with served_with(survey, limits=Limits(max_connections=3)) as served, ExitStack() as held:
        port = served.server.port
        holders = [held.enter_context(connect(port)) for _ in range(3)]
        for sock in holders:  # each slot is busy with a request whose headers are still coming
            sock.sendall(b"GET /harbour/quay/ HTTP/1.1\r\nX-Slow: 1\r\n")
        wait_until(lambda: busy(served) == 3)
        # Answered while all three slots are still held (only the test frees one): it waited for none.
        replies = converse(port, request("GET", "/harbour/quay/"))
        assert [(r.status, r.headers["retry-after"], r.headers["connection"]) for r in replies] == [
            (503, "1", "close")
        ]
        assert replies[0].json() == {"error": "the server is busy; try again in a second", "field": None}
        holders[0].sendall(b"Connection: close\r\n\r\n")  # one request completes: its slot is free again
        assert parse_replies(read_until_closed(holders[0]))[0].status == 200
        deadline = time.monotonic() + 5
        while (status := converse(port, request("GET", "/harbour/quay/", close=True))[0].status) == 503:
            assert time.monotonic() < deadline, "the freed slot was never given back"
            time.sleep(0.02)
        assert status == 200


def test_when_every_slot_is_taken_a_connection_merely_kept_alive_gives_its_place(survey) -> None:
    with served_with(survey, limits=Limits(max_connections=2)) as served, ExitStack() as held:
        port = served.server.port
        idle = [held.enter_context(connect(port)) for _ in range(2)]
        for sock in idle:  # a request each, then kept alive with nothing to do
            sock.sendall(request("GET", "/api/healthz"))
            assert read_reply(sock).status == 200
        wait_until(lambda: served.server.httpd.connections.idle_count() == 2)
        assert [r.status for r in converse(port, request("GET", "/harbour/quay/", close=True))] == [200]
        closed, _, _ = select.select(idle, [], [], 5)  # one idle connection was closed for the newcomer
        assert [read_until_closed(sock) for sock in closed] == [b""]


def test_one_client_address_cannot_hold_more_than_its_share_of_the_connections(survey) -> None:
    limits = Limits(max_connections=10, connections_per_client=2)
    with served_with(survey, limits=limits) as served, ExitStack() as held:
        port = served.server.port
        dripping = [held.enter_context(connect(port, "127.0.0.2")) for _ in range(2)]
        for sock in dripping:  # requests whose headers never end: the rate limit never sees them
            sock.sendall(b"GET /harbour/quay/ HTTP/1.1\r\nX-Slow: 1\r\n")
        wait_until(lambda: busy(served) == 2)
        assert [r.status for r in converse(port, request("GET", "/harbour/quay/"), "127.0.0.2")] == [503]
        assert [
            r.status for r in converse(port, request("GET", "/harbour/quay/", close=True), "127.0.0.3")
        ] == [200]
        assert [r.status for r in converse(port, request("GET", "/harbour/quay/", close=True))] == [200]


def test_a_clients_own_idle_connection_gives_its_place_to_its_new_one(survey) -> None:
    limits = Limits(max_connections=10, connections_per_client=2)
    with served_with(survey, limits=limits) as served, ExitStack() as held:
        port = served.server.port
        idle = [held.enter_context(connect(port, "127.0.0.2")) for _ in range(2)]
        for sock in idle:
            sock.sendall(request("GET", "/api/healthz"))
            assert read_reply(sock).status == 200
        wait_until(lambda: served.server.httpd.connections.idle_count() == 2)
        phone = request("GET", "/harbour/quay/", close=True)
        assert [r.status for r in converse(port, phone, "127.0.0.2")] == [200]


# --- the rate limit ----------------------------------------------------------------------------------------


def statuses(port: int, source: str, count: int) -> list[int]:
    return [
        converse(port, request("GET", "/harbour/quay/", close=True), source)[0].status for _ in range(count)
    ]


def test_a_client_past_its_rate_limit_is_429_with_retry_after_and_is_served_again_after_the_wait(
    survey,
) -> None:
    clock = Clock()
    with served_with(survey, limits=Limits(rate_per_minute=6), rate_clock=clock) as served:
        port = served.server.port
        assert statuses(port, "127.0.0.2", 6) == [200] * 6  # a burst of a minute's worth
        limited = converse(
            port, post_answer({"v": served.version, "id": "over-the-limit"}, close=True), "127.0.0.2"
        )
        assert [(r.status, r.headers["retry-after"]) for r in limited] == [(429, "10")]
        assert limited[0].json() == {
            "error": "too many requests from your address; try again in 10 s",
            "field": None,
        }
        assert served.responses() == []  # a refused answer is not stored (the page's queue sends it again)
        assert statuses(port, "127.0.0.3", 3) == [200] * 3  # another phone is served
        assert statuses(port, "127.0.0.1", 20) == [200] * 20  # this machine is never limited
        clock.now += 9
        assert statuses(port, "127.0.0.2", 1) == [429]
        clock.now += 1
        assert statuses(port, "127.0.0.2", 1) == [200]  # one request's worth came back in 10 s


def test_a_limited_request_on_a_kept_alive_connection_does_not_smuggle_its_body(survey) -> None:
    clock = Clock()
    with served_with(survey, limits=Limits(rate_per_minute=1), rate_clock=clock) as served:
        port = served.server.port
        smuggled = post_answer({"v": served.version, "id": "smuggled", "location": "quay", "wow": "yes"})
        carrier = request("GET", "/harbour/quay/", f"Content-Length: {len(smuggled)}", body=smuggled)
        replies = converse(port, carrier + carrier + CLOSING, "127.0.0.2")
        assert [r.status for r in replies] == [200, 429, 429]
        assert served.responses() == []


def test_a_rate_limit_of_0_turns_it_off(survey) -> None:
    with served_with(survey, limits=Limits(rate_per_minute=0)) as served:
        assert set(statuses(served.server.port, "127.0.0.2", 30)) == {200}


def test_the_limiter_keeps_at_most_max_clients_buckets_and_no_raw_address() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=2, max_clients=100, clock=clock)
    for n in range(5000):
        assert limiter.check(f"10.{n // 65536}.{n // 256 % 256}.{n % 256}") == 0
    assert limiter.clients() == 100
    assert all(b"10." not in key and len(key) == 16 for key in limiter._buckets)


def test_addresses_of_one_ipv6_slash_64_are_one_client() -> None:
    limiter = RateLimiter(per_minute=2, clock=Clock())
    assert [limiter.check(f"2001:db8:1:2::{n:x}") for n in range(3)] == [0, 0, 30]
    assert limiter.check("2001:db8:1:3::1") == 0  # the next /64 is another client
    assert limiter.check("::ffff:192.0.2.1") == limiter.check("192.0.2.1") == 0  # the same, mapped or not
    assert limiter.check("192.0.2.1") == 30
