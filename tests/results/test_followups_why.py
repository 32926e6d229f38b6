"""`wowcard followups` says why a customer asked to be called back (their wow answer, the three ratings, the
promises they would repeat, their comment, language, location, when, status) before the owner calls; and
closing one is a library rule (`followups.close`) the command only calls and prints."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from wowcard import followups
from wowcard.collector import answers
from wowcard.collector.survey import load as load_survey

RECEIVED = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)  # recent: inside retention


@pytest.fixture
def asked(backend):
    definition = load_survey(backend.survey_file).definition()
    body = {
        "id": "call-0001",
        "v": definition.version,
        "location": "mill",
        "lang": "en",
        "wow": "no",
        "people": 1,
        "process": 3,
        "promises": ["fresh", "quick"],
        "comment": "The oat milk ran out & nobody said",
        "contact": "ann@example.com",
        "consent": "yes",
    }
    submission = answers.decode(json.dumps(body).encode(), "application/json")
    assert backend.store.put(answers.record(submission, definition, RECEIVED, "", ""))
    return backend


def test_followups_say_why_the_customer_asked(asked):
    result = asked.run("followups")
    assert result.exit_code == 0, result.output
    assert "Old Mill" in result.stdout and "open" in result.stdout
    assert "    answer: wow no · People 1 · Process 3 · English" in result.stdout
    assert "    would repeat: Coffee roasted this week; Served in under three minutes" in result.stdout
    assert "    said: The oat milk ran out & nobody said" in result.stdout
    (item,) = json.loads(asked.run("followups", "--format", "json").stdout)
    assert {k: item[k] for k in ("wow", "people", "process", "product", "lang", "language", "status")} == {
        "wow": "no",
        "people": 1,
        "process": 3,
        "product": None,
        "lang": "en",
        "language": "English",
        "status": "open",
    }
    assert item["promises"] == ["Coffee roasted this week", "Served in under three minutes"]
    assert (item["location"], item["location_name"]) == ("mill", "Old Mill")
    assert item["comment"] == "The oat milk ran out & nobody said"
    assert item["received_at"].startswith(RECEIVED.strftime("%Y-%m-%dT%H:%M:%S"))


def test_closing_is_timed_from_the_answer_with_an_injected_clock(asked):
    store = asked.store
    later = RECEIVED + timedelta(hours=5, minutes=30)
    closed = followups.close(store, "harbour", "call-0001", "  Called,\n refunded  ", later, goal_hours=24)
    assert (closed.hours, closed.within_goal) == (5.5, True)
    assert closed.message() == (
        "Closed the follow-up of response call-0001: 5.5 h after the answer (within the 24 h goal)."
    )
    assert store.get("harbour", "call-0001")["note"] == "Called, refunded"
    with pytest.raises(followups.FollowupError, match="already closed") as again:
        followups.close(store, "harbour", "call-0001", None, later, goal_hours=24)
    assert again.value.fixable is False
    (item,) = json.loads(asked.run("followups", "--all", "--format", "json").stdout)
    assert item["status"] == "done"


def test_a_note_too_long_is_refused_before_anything_changes(asked):
    with pytest.raises(followups.FollowupError, match="at most 500") as refused:
        followups.close(asked.store, "harbour", "call-0001", "x" * 501, RECEIVED, goal_hours=24)
    assert refused.value.fixable is True
    assert asked.store.get("harbour", "call-0001")["done_at"] is None
    result = asked.run("followups", "done", "call-0001", "--note", "x" * 501)
    assert result.exit_code == 2
    assert "--note is 501 characters" in result.output
