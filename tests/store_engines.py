"""The store engines every store-backed test runs on, defined once: their names (the test ids) and how to
open an empty store on each — a real SQLite file (the survey's own `[store]`), DynamoDB in moto in-process,
and, for the store contract, DynamoDB in moto_server over real HTTP on loopback. DynamoDB engines get fake
credentials first, so nothing here can reach a real AWS account. moto mocks do not nest: a test opens one
DynamoDB engine at a time."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_stand_ins import REGION, fake_aws_credentials

from wowcard.collector import config
from wowcard.collector.store_dynamodb import DynamoStore, create_table
from wowcard.collector.store_sqlite import SqliteStore
from wowcard.collector.survey import DEFAULT_STORE

ENGINES = ("sqlite", "dynamodb")
# The store contract also runs DynamoDB over real HTTP (what the Lambda's boto3 does).
CONTRACT_ENGINES = (*ENGINES, "dynamodb-server")


@dataclass(frozen=True)
class Engine:
    """One engine's empty store: the URL `[store]` / `--store` names, relative to `folder` for SQLite."""

    name: str
    url: str
    folder: Path
    endpoint_url: str | None = None

    @property
    def options(self) -> list[str]:
        """The `wowcard` options that point a command at this store: none for SQLite (the survey's own)."""
        if self.name == "sqlite":
            return []
        endpoint = ["--endpoint-url", self.endpoint_url] if self.endpoint_url else []
        return ["--store", self.url, "--region", REGION, *endpoint]

    def open(self, **tuning: Any) -> Any:
        """A store object on this engine; `tuning` as the engine's class takes it (a `clock` is DynamoDB's
        only: SQLite readers do not hide expired items)."""
        kind, _, where = self.url.partition(":")
        if kind == "sqlite":
            tuning.pop("clock", None)
            return SqliteStore(self.folder / where, **tuning)
        return DynamoStore(where, region=REGION, endpoint_url=self.endpoint_url, **tuning)

    def configure(self, **settings: Any) -> None:
        """Point the collector's settings (collector/config.py) at this store."""
        config.configure(
            store_url=self.url,
            store_folder=str(self.folder),
            aws_region=REGION,
            aws_endpoint_url=self.endpoint_url,
            **settings,
        )


@contextmanager
def running(
    name: str,
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    table: str = "wowcard-test",
    moto_endpoint: str | None = None,
) -> Iterator[Engine]:
    """An empty store on engine `name` for the block; SQLite's is the survey's default file in `folder`,
    DynamoDB's a fresh table (moto_server's dropped after: the server lives for the session)."""
    if name == "sqlite":
        yield Engine(name, DEFAULT_STORE, folder)
        return
    fake_aws_credentials(monkeypatch)
    if name == "dynamodb":
        from moto import mock_aws

        with mock_aws():
            create_table(boto3.client("dynamodb", region_name=REGION), table)
            yield Engine(name, f"dynamodb:{table}", folder)
        return
    if name != "dynamodb-server" or moto_endpoint is None:
        raise ValueError(f"no engine {name!r} (or no moto_server for it)")
    unique = f"{table}-{uuid.uuid4().hex[:12]}"
    client = boto3.client("dynamodb", region_name=REGION, endpoint_url=moto_endpoint)
    create_table(client, unique)
    try:
        yield Engine(name, f"dynamodb:{unique}", folder, moto_endpoint)
    finally:
        client.delete_table(TableName=unique)


@contextmanager
def for_test(request: pytest.FixtureRequest, table: str = "wowcard-test") -> Iterator[Engine]:
    """The engine a parametrized fixture's `request.param` names, beside the test's survey folder."""
    endpoint = request.getfixturevalue("moto_endpoint") if request.param == "dynamodb-server" else None
    with running(
        request.param,
        request.getfixturevalue("survey_dir"),
        request.getfixturevalue("monkeypatch"),
        table,
        endpoint,
    ) as engine:
        yield engine
