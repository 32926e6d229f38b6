"""Schemathesis against the collector's own OpenAPI document (collector/openapi.json), on a live `wowcard
serve`: every generated request gets a documented status (never a 5xx), a documented content type and
headers, and a body matching the documented schema; and nothing is stored from a refusal.

Two runs: the document as published (most generated survey ids name no survey: 404), and the same document
with the request side narrowed to the survey being served — its id, its definition version and locations —
so that generated answers reach validation and the store. Response schemas are never narrowed."""

from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path
from typing import Any

import schemathesis
from conftest import SURVEY_TOML
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from wowcard.collector import collect
from wowcard.collector.survey import parse

from .conftest import Live

DOCUMENT = json.loads((Path(collect.__file__).parent / "openapi.json").read_text(encoding="utf-8"))
SERVED_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}  # what `wowcard serve` answers
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def served_version() -> str:
    data = tomllib.loads(SURVEY_TOML)
    del data["brand"]["logo"]  # the version hashes the public definition, which holds no brand
    return parse(data).definition().version


def narrowed(document: dict[str, Any], version: str) -> dict[str, Any]:
    """The request side pointed at the served survey: generated answers then pass the survey and version
    checks and meet validation (a wrong survey, version and location stay possible)."""
    doc = copy.deepcopy(document)
    [survey] = doc["paths"]["/s/{survey}/responses"]["parameters"]
    survey["schema"] = {"type": "string", "enum": ["harbour", "lighthouse"]}
    for name in ("Answer", "FormAnswer"):
        properties = doc["components"]["schemas"][name]["properties"]
        properties["v"] = {"type": "string", "enum": [version, "0123456789ab"]}
        properties["location"] = {"type": "string", "enum": ["quay", "mill", "moon"]}
        properties["staff"] = {"type": "string", "enum": ["maya", "tom", "priya", "sam", "li", "_", ""]}
        properties["promises"] = {
            "type": "array",
            "items": {"type": "string", "enum": ["fresh", "name", "quick"]},
        }
    return doc


def check(case: Any, live: Live) -> None:
    assert live.version() == served_version()
    before = live.counts()
    response = case.call(base_url=f"{live.url}/api", timeout=30)
    if case.method.upper() not in SERVED_METHODS:
        # Schemathesis also tries methods no route has (TRACE): http.server answers those 501 Not
        # Implemented, as RFC 9110 asks for a method the server does not implement.
        assert response.status_code == 501 and b"Traceback" not in response.content
        assert live.counts() == before
        return
    case.validate_response(response, checks=CHECKS)
    after = live.counts()
    stored = response.status_code in (200, 201) or (
        response.status_code == 303 and "/thanks/" in response.headers.get("location", [""])[0]
    )
    if case.method.upper() == "POST" and stored:
        assert after[0] - before[0] in (0, 1) and after[1] - after[0] == before[1] - before[0]
    else:
        assert after == before, (response.status_code, case.body)


# Loaded at import (schemathesis's lazy `from_fixture` does not run under pytest 9); the served survey's
# version is a hash of its definition, so it is known before the server starts.
published_schema = schemathesis.openapi.from_dict(copy.deepcopy(DOCUMENT))
served_schema = schemathesis.openapi.from_dict(narrowed(DOCUMENT, served_version()))


@published_schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_published_document_holds_for_any_request(case: Any, live: Live) -> None:
    check(case, live)


@served_schema.parametrize()
@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_document_holds_for_answers_to_the_served_survey(case: Any, live: Live) -> None:
    check(case, live)
