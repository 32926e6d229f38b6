"""No raw client address is kept anywhere: after answers with and without JavaScript, double taps and
recognitions (whose fairness key is made from the address when there is no device token), neither the
address, nor an X-Forwarded-For claim, nor the User-Agent appears in any byte of the SQLite files or in any
DynamoDB item."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from aws_stand_ins import REGION
from chalice.test import Client
from store_engines import running

from wowcard.collector import answers, config
from wowcard.collector.app import app
from wowcard.collector.survey import Definition

from .conftest import Served

FORWARDED = "198.51.100.77"
AGENT = "Mozilla/5.0 (UA-marker-7f3a9c; Phone)"
TRACES = (b"127.0.0.1", FORWARDED.encode(), b"UA-marker-7f3a9c")


def every_kind_of_answer(version: str) -> list[tuple[str, bytes | str]]:
    """(content type, body): script answers with and without a device token, recognitions, form posts."""
    script = [
        {"v": version, "id": "script-0001", "location": "quay", "wow": "yes", "staff": "maya",
         "device": "device-token-01"},
        {"v": version, "id": "script-0002", "location": "quay", "wow": "yes", "staff": "tom"},  # no token
        {"v": version, "id": "script-0003", "location": "mill", "wow": "no", "comment": "ok"},
    ]  # fmt: skip
    forms = [
        {"v": version, "location": "mill", "wow": "yes", "staff": "sam", "what": "Carried my tray"},
        {"v": version, "location": "quay", "wow": "no", "contact": "07700 900123", "consent": "yes"},
    ]
    sent: list[tuple[str, bytes | str]] = [("text/plain", json.dumps(a)) for a in script]
    for form in forms:
        sent += [(answers.FORM, urlencode(form))] * 2  # a double tap
    return sent


def test_no_address_or_user_agent_in_any_byte_of_the_sqlite_files(served: Served) -> None:
    for content_type, body in every_kind_of_answer(served.version):
        reply = served.request(
            "POST",
            "/api/s/harbour/responses",
            body,
            Content_Type=content_type,
            User_Agent=AGENT,
            X_Forwarded_For=FORWARDED,
        )
        assert reply.status in (201, 303)
    assert len(served.responses()) == 5 and served.tallies()["n"] == 5
    files = b"".join(p.read_bytes() for p in sorted((Path(served.survey.folder) / ".wowcard").glob("*")))
    assert files, "no store files"
    assert [trace for trace in TRACES if trace in files] == []


@pytest.fixture
def dynamodb_collector(definition: Definition, survey_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    original = config.settings
    with running("dynamodb", survey_dir, monkeypatch, table="wowcard-privacy") as engine:
        engine.configure()
        try:
            config.get_store().publish(definition.to_json())
            with Client(app) as chalice:
                yield chalice, boto3.client("dynamodb", region_name=REGION)
        finally:
            config.close()
            config.settings = original


def test_no_address_or_user_agent_in_any_dynamodb_item(
    dynamodb_collector: Any, definition: Definition
) -> None:
    chalice, client = dynamodb_collector
    for content_type, body in every_kind_of_answer(definition.version):
        reply = chalice.http.post(
            "/s/harbour/responses",
            headers={"Content-Type": content_type, "User-Agent": AGENT, "X-Forwarded-For": FORWARDED},
            body=body.encode() if isinstance(body, str) else body,
        )
        assert reply.status_code in (201, 303), reply.body
    items = client.scan(TableName="wowcard-privacy")["Items"]
    assert sum(1 for item in items if item["sk"]["S"] == "RESP") == 5
    dumped = json.dumps(items, default=lambda value: value.hex()).encode()  # the salt item is binary
    assert [trace for trace in TRACES if trace in dumped] == []


def test_the_server_made_id_of_a_form_answer_does_not_give_the_address_away(served: Served) -> None:
    body = urlencode({"v": served.version, "location": "mill", "wow": "yes", "staff": "sam"})
    assert served.post("harbour", body, User_Agent=AGENT).status == 303
    [stored] = served.responses()
    received = datetime.fromisoformat(stored["received_at"].replace("Z", "+00:00"))
    recovered = [
        address
        for address in (f"127.0.0.{n}" for n in range(256))  # an attacker tries the whole IPv4 space
        if stored["id"] in answers.double_tap_ids("harbour", body.encode(), address, AGENT, received)
    ]
    assert recovered == []
