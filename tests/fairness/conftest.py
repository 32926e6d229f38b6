"""The collector's request handling (`collect.submit`, what the Chalice route calls) on each store engine,
with a clock that moves only when told and the client address and User-Agent of each request chosen by the
test (a shop's Wi-Fi is one address for many phones)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from alerts.stand_ins import answer
from store_engines import Engine, running

from wowcard import report
from wowcard.collector import collect, config, tally
from wowcard.collector import survey as survey_model

SURVEY = "harbour"
ALL_DAYS = ("2000-01-01", "2100-12-31")
SHOP_WIFI = "203.0.113.7"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2025, 3, 14, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Collector:
    """Answers in through the collector's steps; what was stored out."""

    definition: survey_model.Definition
    clock: Clock
    engine: str

    @property
    def store(self) -> Any:
        return config.get_store()

    def post(self, client: str = SHOP_WIFI, user_agent: str = IPHONE, **fields: Any) -> collect.Reply:
        """The page's script: JSON with an id and (unless device=None) a device token."""
        body = json.dumps(answer(self.definition, **fields)).encode()
        incoming = collect.Incoming(SURVEY, body, "text/plain", str(len(body)), None, client, user_agent)
        return collect.submit(incoming, self.clock())

    def post_form(self, client: str = SHOP_WIFI, user_agent: str = IPHONE, **fields: Any) -> collect.Reply:
        """The no-JavaScript form: no id, no device token."""
        pairs = answer(self.definition, **fields)
        pairs.pop("id", None)
        body = urlencode(pairs).encode()
        incoming = collect.Incoming(
            SURVEY, body, "application/x-www-form-urlencoded", str(len(body)), None, client, user_agent
        )
        return collect.submit(incoming, self.clock())

    def responses(self) -> list[dict[str, Any]]:
        return list(self.store.responses(SURVEY, *ALL_DAYS))

    def totals(self) -> dict[str, int]:
        return tally.sum_counts(row.counts for row in self.store.tallies(SURVEY, *ALL_DAYS))

    def drift(self) -> list[Any]:
        """What `wowcard verify` would report: tallies against a recount of the raw responses."""
        recounted = report.by_day_and_location(report.recount(self.responses()))
        return report.differences(self.store.tallies(SURVEY, *ALL_DAYS), recounted)


@contextmanager
def open_collector(engine: Engine, definition: survey_model.Definition) -> Iterator[Collector]:
    original = config.settings
    clock = Clock()
    try:
        engine.configure(clock=clock)
        config.get_store().publish(definition.to_json())
        yield Collector(definition, clock, engine.name)
    finally:
        config.close()
        config.settings = original


@pytest.fixture
def collector(engine: Engine, definition: survey_model.Definition) -> Iterator[Collector]:
    """The example survey's collector on each engine (the default limit: 2 a day per device and staff)."""
    with open_collector(engine, definition) as opened:
        yield opened


@contextmanager
def sqlite_collector_of(
    definition: survey_model.Definition, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Collector]:
    """The collector on a SQLite file in `folder`, for tests of one engine's files or of a survey variant."""
    with running("sqlite", folder, monkeypatch) as engine, open_collector(engine, definition) as opened:
        yield opened


@pytest.fixture
def sqlite_collector(
    definition: survey_model.Definition, survey_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Collector]:
    with sqlite_collector_of(definition, survey_dir, monkeypatch) as opened:
        yield opened
