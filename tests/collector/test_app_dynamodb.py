"""The collector app as the Lambda runs it: settings from the environment, the store opened on first use,
DynamoDB underneath (moto, in-process; serially and on small data, as DESIGN.md says moto allows)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
from aws_stand_ins import REGION
from chalice.test import Client
from store_engines import running

from wowcard.collector import config
from wowcard.collector.app import app
from wowcard.collector.survey import Definition


@pytest.fixture
def lambda_client(
    definition: Definition, survey_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Client]:
    original = config.settings
    with running("dynamodb", survey_dir, monkeypatch) as engine:
        environ = {"WOWCARD_STORE": engine.url, "WOWCARD_AWS_REGION": REGION, "WOWCARD_REDIRECT_BASE": ""}
        config.close()
        config.settings = config.Settings.from_environ(environ)
        config.configure(clock=lambda: datetime(2025, 3, 14, 12, 0, tzinfo=UTC))
        try:
            config.get_store().publish(definition.to_json())
            with Client(app) as client:
                yield client
        finally:
            config.close()
            config.settings = original


def test_answers_are_stored_once_in_dynamodb_with_their_tallies(
    lambda_client, definition: Definition
) -> None:
    answer = {
        "v": definition.version,
        "id": "dynamo-answer-1",
        "location": "quay",
        "wow": "yes",
        "staff": "tom",
    }
    headers = {"Content-Type": "text/plain;charset=UTF-8"}
    first = lambda_client.http.post("/s/harbour/responses", headers=headers, body=json.dumps(answer))
    again = lambda_client.http.post("/s/harbour/responses", headers=headers, body=json.dumps(answer))
    form = urlencode({"v": definition.version, "location": "mill", "wow": "no", "what": ""})
    posted = lambda_client.http.post(
        "/s/harbour/responses", headers={"Content-Type": "application/x-www-form-urlencoded"}, body=form
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert json.loads(again.body)["status"] == "duplicate"
    assert (posted.status_code, posted.headers["Location"]) == (303, "/harbour/thanks/en/")
    store = config.get_store()
    assert store.get("harbour", "dynamo-answer-1")["staff"] == "tom"
    [row_mill, row_quay] = store.tallies("harbour", "2025-03-14", "2025-03-14")
    assert (row_quay.location, row_quay.counts["n"], row_quay.counts["staff:tom"]) == ("quay", 1, 1)
    assert (row_mill.location, row_mill.counts["n"], row_mill.counts["wow_no"]) == ("mill", 1, 1)
