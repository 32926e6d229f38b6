"""Store fixtures for every collector test: a real SQLite file, DynamoDB in moto in-process, and DynamoDB in
moto_server over real HTTP on loopback. `store` is parametrized over all three, so a test that takes it is a
contract test of both engines. moto is slow and not thread-safe (DESIGN.md): DynamoDB tests stay serial and
small (≤ ~300 items)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from wowcard.collector import answers
from wowcard.collector.retry import Retry
from wowcard.collector.store import Record
from wowcard.collector.store_dynamodb import DynamoStore, create_table
from wowcard.collector.store_sqlite import SqliteStore
from wowcard.collector.survey import Definition

REGION = "eu-west-2"
# DynamoDB readers hide personal items past their TTL; the tests' answers are from 2024, so the stores'
# wall clock is pinned there (test_store_contract moves it on purpose).
NOW = datetime(2024, 6, 1, tzinfo=UTC).timestamp()
ENGINES = ("sqlite", "dynamodb-moto", "dynamodb-moto-server")


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
def sqlite_store(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(tmp_path / "data" / "responses.db", page_size=7)
    yield store
    store.close()


@pytest.fixture
def dynamodb_store(aws_credentials: None) -> Iterator[DynamoStore]:
    """DynamoDB in moto, in-process."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        create_table(client, "wowcard-test")
        yield DynamoStore("wowcard-test", region=REGION, clock=lambda: NOW, page_size=7)


@pytest.fixture
def moto_server_store(aws_credentials: None, moto_endpoint: str) -> Iterator[DynamoStore]:
    """DynamoDB in moto_server, over real HTTP; a fresh table per test, dropped after."""
    name = f"wowcard-{uuid.uuid4().hex[:12]}"
    client = boto3.client("dynamodb", region_name=REGION, endpoint_url=moto_endpoint)
    create_table(client, name)
    yield DynamoStore(name, region=REGION, endpoint_url=moto_endpoint, clock=lambda: NOW, page_size=7)
    client.delete_table(TableName=name)


@pytest.fixture(params=ENGINES)
def store(request: pytest.FixtureRequest) -> Any:
    """Each engine in turn: a test that takes `store` is part of the one contract suite."""
    fixture = {"sqlite": "sqlite_store", "dynamodb-moto": "dynamodb_store"}.get(
        request.param, "moto_server_store"
    )
    return request.getfixturevalue(fixture)


@pytest.fixture
def make_record(definition: Definition) -> Callable[..., Record]:
    """Build a record exactly as the collector does: a JSON body through answers.decode and answers.record."""

    def make(at: str, definition: Definition = definition, **fields: Any) -> Record:
        body = json.dumps({"v": definition.version, **fields}).encode()
        submission = answers.decode(body, "application/json")
        received = datetime.fromisoformat(at.replace("Z", "+00:00"))
        return answers.record(submission, definition, received, "192.0.2.1", "pytest")

    return make
