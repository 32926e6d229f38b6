"""Attacks on the HTTP framing of `wowcard serve`, with raw sockets: a POST smuggled in the body of a page
request on a kept-alive connection is never taken for a request (nothing is stored), two Content-Lengths or a
Content-Length with Transfer-Encoding are refused with 400 and the connection closed, and a path no file
system can hold is a 404, never an empty reply. (Deadlines: test_serve_deadlines.py.)"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import LOGO_SVG, SURVEY_TOML
from rawhttp import (
    CLOSING,
    converse,
    post_answer,
    request,
)

from wowcard.collector.survey import load

from .conftest import Served, served_with


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One server for the attacks that need no limits of their own (each on its own connection, each smuggling
    an answer with an id of its own)."""
    folder = tmp_path_factory.mktemp("hostile") / "harbour"
    folder.mkdir()
    (folder / "survey.toml").write_text(SURVEY_TOML, encoding="utf-8")
    (folder / "logo.svg").write_text(LOGO_SVG, encoding="utf-8")
    with served_with(load(folder / "survey.toml")) as served:
        yield served


def an_answer(served: Served, response_id: str) -> dict[str, Any]:
    return {"v": served.version, "id": response_id, "location": "quay", "wow": "yes", "staff": "maya"}


def stored_ids(served: Served) -> list[str]:
    return [r["id"] for r in served.responses()]


# --- smuggling ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/harbour/quay/", 200), ("HEAD", "/harbour/quay/", 200), ("POST", "/harbour/quay/", 405),
     ("OPTIONS", "/harbour/thanks/en/", 405), ("GET", "/harbour/nowhere/", 404)],
)  # fmt: skip
def test_a_post_hidden_in_a_page_requests_body_is_never_stored(
    live: Served, method: str, path: str, status: int
) -> None:
    response_id = f"smuggled-in-{method}-{status}"
    smuggled = post_answer(an_answer(live, response_id))
    carrier = request(method, path, f"Content-Length: {len(smuggled)}", body=smuggled)
    replies = converse(live.server.port, carrier + CLOSING, heads=(0,) if method == "HEAD" else ())
    assert [r.status for r in replies] == [status, 200]  # the page, then the closing request: nothing between
    assert response_id not in stored_ids(live)
    # The very same bytes sent as a request of their own are a valid answer: the test could have failed.
    assert [r.status for r in converse(live.server.port, smuggled + CLOSING)] == [201, 200]
    assert response_id in stored_ids(live)


def test_a_page_request_with_a_body_too_large_to_read_closes_the_connection(live: Served) -> None:
    smuggled = post_answer(an_answer(live, "smuggled-in-a-large-body"))
    carrier = request("GET", "/harbour/quay/", f"Content-Length: {10 * 1024 * 1024}", body=smuggled)
    replies = converse(live.server.port, carrier)
    assert [(r.status, r.headers["connection"]) for r in replies] == [(200, "close")]
    assert "smuggled-in-a-large-body" not in stored_ids(live)


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
    live: Served, framing: list[str], path: str
) -> None:
    response_id = f"smuggled-{zlib.crc32(repr((framing, path)).encode()):08x}"
    smuggled = post_answer(an_answer(live, response_id))
    method = "GET" if path.endswith("/") else "POST"
    replies = converse(live.server.port, request(method, path, *framing, body=smuggled) + CLOSING)
    assert [(r.status, r.headers["connection"]) for r in replies] == [(400, "close")]
    assert replies[0].json()["field"] is None and replies[0].json()["error"]
    assert response_id not in stored_ids(live)


def test_a_chunked_body_is_411_and_the_connection_is_closed(live: Served) -> None:
    smuggled = post_answer(an_answer(live, "smuggled-in-chunks"))
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(smuggled), smuggled)
    replies = converse(
        live.server.port, request("GET", "/harbour/quay/", "Transfer-Encoding: chunked") + chunked
    )
    assert [r.status for r in replies] == [411]
    assert "smuggled-in-chunks" not in stored_ids(live)


# --- paths no file system holds --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/harbour/" + "a" * 256 + "/", "/harbour/quay/" + "%C3%A9" * 200, "/" + "b" * 300, "/" + "c/" * 3000,
     "/harbour/" + "d" * 5000 + "/index.html"],
    ids=["long-segment", "long-in-utf8", "long-at-the-root", "deep", "very-long"],
)  # fmt: skip
def test_a_path_longer_than_the_file_system_allows_is_404_never_an_empty_reply(
    live: Served, path: str
) -> None:
    replies = converse(live.server.port, request("GET", path) + CLOSING)
    assert [r.status for r in replies] == [404, 200]
    assert b"There is no page here" in replies[0].body


def test_a_request_line_longer_than_64_kib_is_414_in_json(live: Served) -> None:
    replies = converse(live.server.port, request("GET", "/" + "e" * 70_000))
    assert [r.status for r in replies] == [414]
    assert replies[0].json() == {"error": "the address is too long", "field": None}


def test_an_api_path_with_a_long_segment_is_answered_in_json(live: Served) -> None:
    replies = converse(live.server.port, post_answer(an_answer(live, "long-0001"), close=True).replace(
        b"/s/harbour/", b"/s/" + b"f" * 300 + b"/"))  # fmt: skip
    assert len(replies) == 1 and 400 <= replies[0].status < 500
    assert "error" in replies[0].json()
