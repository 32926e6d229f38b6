"""`wowcard serve` in this process for the security tests (pages and collector on one loopback origin, SQLite
underneath), plain HTTP requests to it, and what the store holds."""

from __future__ import annotations

import dataclasses
import http.client
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from wowcard import serve as serving
from wowcard.collector import config, tally
from wowcard.collector.survey import Survey

ALL_DAYS = ("2000-01-01", "2100-12-31")
SITE = "https://survey.harbour.example"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


@dataclass
class Served:
    server: serving.Server
    survey: Survey

    @property
    def version(self) -> str:
        return self.survey.definition().version

    def request(self, method: str, path: str, body: bytes | str | None = None, **headers: str) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        try:
            sent = {k.replace("_", "-"): v for k, v in headers.items()}
            conn.request(method, path, body=body.encode() if isinstance(body, str) else body, headers=sent)
            response = conn.getresponse()
            return Reply(response.status, dict(response.getheaders()), response.read())
        finally:
            conn.close()

    def post(self, survey: str, body: dict[str, Any] | str, **headers: str) -> Reply:
        if isinstance(body, dict):
            content_type = headers.pop("Content_Type", "text/plain;charset=UTF-8")
            path = f"/api/s/{survey}/responses"
            return self.request("POST", path, json.dumps(body), Content_Type=content_type, **headers)
        return self.request(
            "POST",
            f"/api/s/{survey}/responses",
            body,
            Content_Type="application/x-www-form-urlencoded",
            **headers,
        )

    def responses(self, survey: str = "harbour") -> list[dict[str, Any]]:
        return list(config.get_store().responses(survey, *ALL_DAYS))

    def tallies(self, survey: str = "harbour") -> dict[str, int]:
        return tally.sum_counts(row.counts for row in config.get_store().tallies(survey, *ALL_DAYS))

    def database_bytes(self) -> bytes:
        folder = Path(self.survey.folder) / ".wowcard"
        return b"".join(p.read_bytes() for p in sorted(folder.glob("responses.db*")))


def serve(survey: Survey, **options: Any) -> Iterator[Served]:
    """Serve in this process for the block; `options` go to `serve.running` (limits, rate_clock)."""
    original = config.settings
    try:
        with serving.running(survey, port=0, **options) as server:
            yield Served(server, survey)
    finally:
        config.close()
        config.settings = original


# For a test that sets its own limits: `with served_with(survey, limits=Limits(…)) as served:`.
served_with = contextmanager(serve)


@pytest.fixture
def served(survey: Survey) -> Iterator[Served]:
    """The example survey served with its pages on the same origin (no site_url)."""
    yield from serve(survey)


@pytest.fixture
def hosted(survey: Survey) -> Iterator[Served]:
    """The example survey whose pages live on the owner's own site, apart from the collector."""
    yield from serve(dataclasses.replace(survey, site_url=SITE))
