"""`wowcard alerts`: what is waiting to be delivered (pending, with when it is tried next, and failed), and
`--retry`, which queues the failed ones again. It never shows the webhook's URL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alerts.stand_ins import SECRET, Clock, Receiver
from click.testing import CliRunner, Result

from wowcard.__main__ import cli
from wowcard.collector.alerts import LiteralWebhook, Sender
from wowcard.collector.store import open_store
from wowcard.collector.survey import Survey

SURVEY = "harbour"


@pytest.fixture
def own_store(alert_survey: Survey) -> Iterator[Any]:
    """The survey's own [store] (SQLite beside survey.toml), so the command needs no --store."""
    store = open_store(alert_survey.store, alert_survey.folder)
    store.publish(alert_survey.definition().to_json())
    yield store
    store.close()


def run(survey_file: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["alerts", "-s", str(survey_file), *args])


def test_nothing_waiting_says_so(alert_survey_file: Path, own_store: Any) -> None:
    result = run(alert_survey_file)
    assert (result.exit_code, result.stdout) == (0, "No alerts waiting: every alert was delivered.\n")


def test_pending_and_failed_alerts_are_listed_and_retry_queues_the_failed_again(
    alert_survey_file: Path, own_store: Any, make_record: Any, receiver: Receiver, clock: Clock
) -> None:
    own_store.put(make_record(id="resp-fail0001", people=1))
    asked = make_record("2025-03-14T12:10:00Z", id="resp-wait0001", contact="ann@example.com", consent="yes")
    own_store.put(asked)
    receiver.mode = "fail"
    sender = Sender(own_store, SURVEY, LiteralWebhook(receiver.url), clock=clock)
    (first,) = own_store.due_alerts(SURVEY, clock(), 10)
    own_store.alert_failed(own_store.claim_alert(first, clock(), 60), "the webhook answered 410 Gone", None)
    clock.advance(600)
    sender.sweep()

    listed = run(alert_survey_file)

    assert listed.exit_code == 1  # a failed alert is a problem a cron job should see
    assert listed.stdout.splitlines() == [
        "2 alerts not yet delivered:",
        "  resp-fail0001  answered 2025-03-14 12:00  lowest rating  (failed after 1 attempt)",
        "      last: the webhook answered 410 Gone",
        "  resp-wait0001  answered 2025-03-14 12:10  follow-up  (pending, 1 attempt, next 2025-03-14 12:10)",
        "      last: the webhook answered 500 Internal Server Error",
    ]
    assert "1 alert failed for good" in listed.stderr
    as_json = json.loads(run(alert_survey_file, "--format", "json").stdout)
    assert [(a["response_id"], a["state"], a["reasons"]) for a in as_json] == [
        ("resp-fail0001", "failed", ["low_rating"]),
        ("resp-wait0001", "pending", ["followup"]),
    ]
    assert as_json[1]["next_attempt"] == "2025-03-14T12:10:30.000000Z"

    retried = run(alert_survey_file, "--retry")

    assert retried.exit_code == 0, retried.output
    assert retried.stdout.startswith("Queued 1 failed alert again")
    assert [a.state for a in own_store.alerts(SURVEY)] == ["pending", "pending"]
    for text in (listed.output, retried.output, json.dumps(as_json)):
        assert SECRET not in text
