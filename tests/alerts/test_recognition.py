"""Shout-outs: with "recognition" in `[alerts] on`, an answer that recognises a staff member is shouted out to
the team's chat (the person, the location, the story) through the alert outbox: written in the answer's
transaction, exactly once, after the customer was answered, and never for a recognition that fair
recognition flagged (a self-vote from one phone past the day's limit). On both stores."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alerts.stand_ins import Receiver, answer
from store_engines import Engine

from wowcard.collector import collect, config
from wowcard.collector.alerts import LiteralWebhook, Sender
from wowcard.collector.survey import Definition, Survey

SURVEY = "harbour"
# Now, not a fixed day: DynamoDB's readers hide a story past its retention by the wall clock.
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def shout_outs(alert_survey: Survey) -> Definition:
    on = ("followup", "low_rating", "recognition")
    return dataclasses.replace(
        alert_survey, alerts=dataclasses.replace(alert_survey.alerts, on=on)
    ).definition()


@pytest.fixture
def collector(engine: Engine, shout_outs: Definition) -> Iterator[Any]:
    """The collector's own steps (what the route calls) on each store, with the survey's definition."""
    original = config.settings
    try:
        engine.configure(clock=lambda: NOW)
        config.get_store().publish(shout_outs.to_json())
        yield config.get_store()
    finally:
        config.close()
        config.settings = original


def post(definition: Definition, **fields: Any) -> int:
    body = json.dumps(answer(definition, **fields)).encode()
    incoming = collect.Incoming(SURVEY, body, "text/plain", str(len(body)), None, "198.51.100.4", "Phone")
    return collect.submit(incoming, NOW).status


def sweep(store: Any, receiver: Receiver) -> Any:
    return Sender(store, SURVEY, LiteralWebhook(receiver.url), clock=lambda: NOW.timestamp() + 5).sweep()


def test_a_recognition_is_shouted_out_once_naming_the_person_the_place_and_the_story(
    collector: Any, shout_outs: Definition, receiver: Receiver
) -> None:
    assert post(shout_outs, device="phone-token-0001") == 201
    assert post(shout_outs, device="phone-token-0001") == 200  # the page sends it again: a duplicate

    assert sweep(collector, receiver).sent == 1
    assert sweep(collector, receiver).sent == 0

    (body,) = receiver.bodies
    local = NOW.astimezone(ZoneInfo("Europe/London")).strftime("%Y-%m-%d %H:%M")
    assert body["text"] == (
        'Shout-out: Maya at Quay Street was recognised by a customer: "Remembered my usual order" '
        f"({local} Europe/London)"
    )
    assert body["response"]["reasons"] == ["recognition"]


def test_unnamed_and_wow_no_answers_are_no_shout_out(
    collector: Any, shout_outs: Definition, receiver: Receiver
) -> None:
    post(shout_outs, id="resp-unnamed01", staff="_")
    post(shout_outs, id="resp-nowow001", wow="no", staff=None, what=None)

    assert collector.alerts(SURVEY) == []


def test_a_flagged_self_vote_is_stored_but_never_shouted_out(
    collector: Any, shout_outs: Definition, receiver: Receiver
) -> None:
    for i in range(4):  # the default limit is two recognitions of one person from one phone a day
        assert post(shout_outs, id=f"resp-selfvote{i}", device="maya-own-phone") == 201

    sweep(collector, receiver)

    flagged = [collector.get(SURVEY, f"resp-selfvote{i}")["flagged"] for i in range(4)]
    assert flagged == [False, False, True, True]
    assert sorted(body["response"]["id"] for body in receiver.bodies) == ["resp-selfvote0", "resp-selfvote1"]


def test_a_flagged_recognition_that_also_alerts_keeps_the_alert_without_the_shout_out(
    collector: Any, shout_outs: Definition, receiver: Receiver
) -> None:
    for i in range(3):
        post(
            shout_outs,
            id=f"resp-flagcall{i}",
            device="maya-own-phone",
            contact="a@example.com",
            consent="yes",
        )

    sweep(collector, receiver)

    last = next(b for b in receiver.bodies if b["response"]["id"] == "resp-flagcall2")
    assert last["response"]["reasons"] == ["followup"]
    assert "Shout-out" not in last["text"] and last["text"].startswith("A customer asked to be contacted")
    first = next(b for b in receiver.bodies if b["response"]["id"] == "resp-flagcall0")
    assert first["text"].splitlines()[-1].startswith("Shout-out: Maya at Quay Street")


def test_a_shout_out_never_slows_the_answer_it_is_only_an_outbox_row(
    collector: Any, shout_outs: Definition, receiver: Receiver
) -> None:
    receiver.stop()  # the chat is down: the answer is stored all the same, the shout-out waits
    assert post(shout_outs, device="phone-token-0002") == 201
    (waiting,) = collector.alerts(SURVEY)
    assert (waiting.reasons, waiting.state) == (("recognition",), "pending")
