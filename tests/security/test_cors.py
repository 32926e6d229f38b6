"""CORS through `wowcard serve`: the collector lets the owner's own site (site_url's origin) read its
replies, and no one else — never `*`, never with credentials, for answers, refusals and preflights alike.
With the pages on the collector's own origin no CORS header is sent at all."""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import SITE, Served

NEAR_MISSES = [
    SITE,
    SITE.upper(),
    "https://SURVEY.harbour.example",
    SITE + "/",
    SITE + ":443",
    SITE + ":8443",
    "http://survey.harbour.example",
    "https://survey.harbour.example.evil.example",
    "https://evil.survey.harbour.example",
    "https://survey.harbour.exampl",
    "https://survey-harbour.example",
    "null",
    "*",
    "file://",
    SITE + "\t",
]
ORIGINS = st.one_of(
    st.sampled_from(NEAR_MISSES),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=40),
)
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def allowed(origin: str) -> bool:
    return origin.strip().lower() == SITE


def assert_cors(reply, origin: str) -> None:
    allow = reply.header("Access-Control-Allow-Origin")
    assert allow != "*"
    assert reply.header("Access-Control-Allow-Credentials") is None
    if allowed(origin):
        assert allow == SITE and "Origin" in (reply.header("Vary") or "")
    else:
        assert allow is None, (origin, reply.headers)


@SETTINGS
@given(origin=ORIGINS, honest=st.booleans())
def test_only_the_site_url_origin_may_read_the_collector_replies(
    hosted: Served, origin: str, honest: bool
) -> None:
    answer = {"v": hosted.version, "id": uuid.uuid4().hex, "location": "quay", "wow": "yes", "staff": "maya"}
    if not honest:
        answer["people"] = 9  # a refusal is answered with the same CORS rule
    reply = hosted.post("harbour", answer, Origin=origin)
    assert reply.status == (201 if honest else 400)
    assert_cors(reply, origin)
    preflight = hosted.request(
        "OPTIONS",
        "/api/s/harbour/responses",
        Origin=origin,
        Access_Control_Request_Method="POST",
        Access_Control_Request_Headers="content-type",
    )
    assert preflight.status == 204
    assert_cors(preflight, origin)
    if allowed(origin):
        assert "POST" in preflight.header("Access-Control-Allow-Methods")
        assert preflight.header("Access-Control-Allow-Headers") == "Content-Type"


def test_a_survey_that_does_not_exist_gets_no_cors_headers(hosted: Served) -> None:
    for method in ("POST", "OPTIONS"):
        body, kind = ("{}", "text/plain") if method == "POST" else (None, None)
        headers = {"Content_Type": kind} if kind else {}
        reply = hosted.request(method, "/api/s/lighthouse/responses", body, Origin=SITE, **headers)
        assert reply.status == 404
        assert not any(k.lower().startswith("access-control-") for k in reply.headers)


@SETTINGS
@given(origin=ORIGINS)
def test_pages_on_the_collector_origin_need_and_get_no_cors_header(served: Served, origin: str) -> None:
    answer = {"v": served.version, "id": uuid.uuid4().hex, "location": "mill", "wow": "no"}
    for reply in (
        served.post("harbour", answer, Origin=origin),
        served.request(
            "OPTIONS", "/api/s/harbour/responses", Origin=origin, Access_Control_Request_Method="POST"
        ),
        served.request("GET", "/harbour/quay/", Origin=origin),
    ):
        assert not any(k.lower().startswith("access-control-") for k in reply.headers), reply.headers
