"""Least privilege, checked against what really happens: the collector's IAM policy grants exactly the
DynamoDB actions that collecting answers calls (every kind of answer a page can send), on its table, and
nothing more."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client
from store_engines import running

from wowcard.aws_templates import COLLECTOR_TABLE_ACTIONS
from wowcard.collector import config
from wowcard.collector.app import app
from wowcard.collector.survey import Definition

TABLE = "wowcard-harbour"
TRANSACTION_PARTS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


class Calls:
    """Every DynamoDB call the collector's client makes, as the IAM actions (and resources) it needs."""

    def __init__(self) -> None:
        self.table: set[str] = set()
        self.index: set[str] = set()
        self.tables: set[str] = set()

    def record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in ("TransactWriteItems", "TransactGetItems"):
            for item in params["TransactItems"]:
                for part, body in item.items():
                    self.table.add(f"dynamodb:{TRANSACTION_PARTS[part]}")
                    self.tables.add(body["TableName"])
            return
        self.tables.add(params.get("TableName", "?"))
        (self.index if params.get("IndexName") else self.table).add(f"dynamodb:{model.name}")


@pytest.fixture
def collector(
    definition: Definition, survey_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Any, Calls]]:
    with running("dynamodb", survey_dir, monkeypatch, table=TABLE) as engine:
        original = config.settings
        # what the Lambda's environment says (aws_templates.collector_function)
        engine.configure(redirect_base="")
        try:
            store = config.get_store()
            store.publish(definition.to_json())  # the owner's deploy does this, with the owner's rights
            calls = Calls()
            store.client.meta.events.register("provide-client-params.dynamodb", calls.record)
            with Client(app) as client:
                yield client, calls
        finally:
            config.close()
            config.settings = original


def post(client: Any, body: str, content_type: str) -> Any:
    headers = {"Content-Type": content_type, "Content-Length": str(len(body.encode()))}
    return client.http.post("/s/harbour/responses", headers=headers, body=body.encode())


def test_the_policy_grants_exactly_what_collecting_answers_calls(
    collector: tuple[Any, Calls], definition: Definition
) -> None:
    client, calls = collector
    answer = {
        "v": definition.version,
        "id": "resp-policy-01",
        "lang": "en",
        "location": "quay",
        "wow": "yes",
        "staff": "maya",
        "what": "Found my lost scarf",
        "people": 5,
        "promises": ["fresh"],
        "comment": "Lovely",
        "contact": "ann@example.com",
        "consent": "yes",
    }
    assert post(client, json.dumps(answer), "text/plain").status_code == 201
    assert post(client, json.dumps(answer), "text/plain").status_code == 200  # the same id again
    form = urlencode(
        {
            "v": definition.version,
            "location": "mill",
            "wow": "no",
            "comment": "",
            "what": "",
            "contact": "",
            "website": "",
        }
    )
    assert post(client, form, "application/x-www-form-urlencoded").status_code == 303  # no JavaScript
    assert (
        post(
            client, json.dumps({**answer, "id": "resp-policy-02", "v": "0123456789ab"}), "text/plain"
        ).status_code
        == 409
    )  # a version never published
    assert client.http.get("/healthz").status_code == 200

    assert calls.tables == {TABLE}
    assert calls.table == set(COLLECTOR_TABLE_ACTIONS)
    assert calls.index == set()  # no index is read while collecting, so the policy grants none
