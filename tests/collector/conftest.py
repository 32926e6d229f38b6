"""Store fixtures for every collector test: a real SQLite file, DynamoDB in moto in-process, and DynamoDB in
moto_server over real HTTP on loopback. `store` is parametrized over all three, so a test that takes it is a
contract test of both engines. moto is slow and not thread-safe (DESIGN.md): DynamoDB tests stay serial and
small (≤ ~300 items)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from store_engines import CONTRACT_ENGINES, for_test, running

from wowcard.collector import answers
from wowcard.collector.retry import Retry
from wowcard.collector.store import Record
from wowcard.collector.store_dynamodb import DynamoStore
from wowcard.collector.store_sqlite import SqliteStore
from wowcard.collector.survey import Definition

# DynamoDB readers hide personal items past their TTL; the tests' answers are from 2024, so the stores'
# wall clock is pinned there (test_store_contract moves it on purpose).
NOW = datetime(2024, 6, 1, tzinfo=UTC).timestamp()


class FakeTime:
    """A clock and a sleep that only move when told: retries run without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.on_sleep: Callable[[float], None] | None = None

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep(seconds)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def fast_retry(fake_time: FakeTime) -> Retry:
    return Retry(attempts=5, base=0.05, cap=1.0, deadline=4.0, sleep=fake_time.sleep, clock=fake_time.clock)


@pytest.fixture
def sqlite_store(survey_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SqliteStore]:
    with running("sqlite", survey_dir, monkeypatch) as engine:
        store = engine.open(page_size=7)
        yield store
        store.close()


@pytest.fixture
def dynamodb_store(survey_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DynamoStore]:
    """DynamoDB in moto, in-process."""
    with running("dynamodb", survey_dir, monkeypatch) as engine:
        yield engine.open(clock=lambda: NOW, page_size=7)


@pytest.fixture(params=CONTRACT_ENGINES)
def store(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Each engine in turn: a test that takes `store` is part of the one contract suite."""
    with for_test(request) as engine:
        opened = engine.open(clock=lambda: NOW, page_size=7)
        yield opened
        opened.close()


@pytest.fixture
def make_record(definition: Definition) -> Callable[..., Record]:
    """Build a record exactly as the collector does: a JSON body through answers.decode and answers.record."""

    def make(at: str, definition: Definition = definition, **fields: Any) -> Record:
        body = json.dumps({"v": definition.version, **fields}).encode()
        submission = answers.decode(body, "application/json")
        received = datetime.fromisoformat(at.replace("Z", "+00:00"))
        return answers.record(submission, definition, received, "192.0.2.1", "pytest")

    return make
