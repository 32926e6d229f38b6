"""Stand-ins for the alert tests: a real HTTP receiver on loopback (http.server in a thread) that can answer,
fail, be down or hang; a clock that only moves when told; both stores (a real SQLite file, DynamoDB in moto
in-process); and the example survey with `[alerts]` on."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alerts.stand_ins import ALERTS_TOML, RECEIVED, WEBHOOK_ENV, Clock, Receiver, answer
from store_engines import Engine

from wowcard.collector import alerts, answers
from wowcard.collector import survey as survey_model
from wowcard.collector.store import Record


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.release()
    found.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def alert_survey_file(survey_dir: Path) -> Path:
    path = survey_dir / "survey.toml"
    path.write_text(path.read_text(encoding="utf-8") + ALERTS_TOML, encoding="utf-8")
    return path


@pytest.fixture
def alert_survey(alert_survey_file: Path) -> survey_model.Survey:
    return survey_model.load(alert_survey_file)


@pytest.fixture
def alert_definition(alert_survey: survey_model.Survey) -> survey_model.Definition:
    return alert_survey.definition()


@pytest.fixture
def webhook_env(monkeypatch: pytest.MonkeyPatch, receiver: Receiver) -> str:
    monkeypatch.setenv(WEBHOOK_ENV, receiver.url)
    return receiver.url


@pytest.fixture
def store(engine: Engine, alert_definition: survey_model.Definition) -> Iterator[Any]:
    """Each engine in turn, with the alert-enabled definition published."""
    opened = engine.open(clock=lambda: Clock()())
    opened.publish(alert_definition.to_json())
    yield opened
    opened.close()


@pytest.fixture
def make_record(alert_definition: survey_model.Definition) -> Callable[..., Record]:
    """A record as the collector makes it, with the alert its answer qualifies for (no fairness key)."""

    def make(at: str = RECEIVED, **fields: Any) -> Record:
        body = json.dumps(answer(alert_definition, **fields)).encode()
        submission = answers.decode(body, "application/json")
        received = datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone(UTC)
        record = answers.record(submission, alert_definition, received, "192.0.2.1", "pytest")
        why = alerts.reasons(record.response, alert_definition.alerts)
        return dataclasses.replace(record, alert=why)

    return make
