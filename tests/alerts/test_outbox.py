"""The alert outbox on both stores: written in the response's transaction (exactly one pending alert per
qualifying answer, none for a duplicate or an answer that does not qualify), claimed with a lease so two
senders never both hold it, retried with backoff for 48 hours, then failed until `--retry`."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from wowcard.collector import alerts
from wowcard.collector.store import ALERT_FAILED, ALERT_HELD, ALERT_PENDING, Alert

SURVEY = "harbour"


def test_a_follow_up_request_leaves_exactly_one_pending_alert(store: Any, make_record: Any) -> None:
    record = make_record(contact="ann@example.com", consent="yes")
    assert record.alert == ("followup",)

    assert store.put(record) is True
    assert store.put(record) is False  # the page sends it again: nothing new

    (alert,) = store.alerts(SURVEY)
    assert (alert.response_id, alert.reasons, alert.state, alert.attempts) == (
        "resp-0001abcd",
        ("followup",),
        ALERT_PENDING,
        0,
    )
    assert alert.received_at == record.response["received_at"]
    assert alert.due == pytest.approx(record.received_epoch)


def test_a_lowest_rating_alerts_and_a_good_answer_does_not(store: Any, make_record: Any) -> None:
    store.put(make_record(id="resp-good0001"))
    store.put(make_record(id="resp-poor0001", process=1))
    store.put(make_record(id="resp-both0001", product=1, contact="0161 496 0000", consent="yes"))
    store.put(make_record(id="resp-nocon001", contact="no consent given"))  # contact dropped: no follow-up

    found = {a.response_id: a.reasons for a in store.alerts(SURVEY)}
    assert found == {"resp-poor0001": ("low_rating",), "resp-both0001": ("followup", "low_rating")}


def test_only_the_kinds_in_alerts_on_qualify(make_record: Any) -> None:
    response = make_record(contact="ann@example.com", consent="yes", people=1).response
    assert alerts.reasons(response, ("followup", "low_rating")) == ("followup", "low_rating")
    assert alerts.reasons(response, ("low_rating",)) == ("low_rating",)
    assert alerts.reasons(response, ()) == ()


def test_due_alerts_are_those_due_and_unclaimed(store: Any, make_record: Any, clock: Any) -> None:
    store.put(make_record(id="resp-first001", people=1))
    store.put(make_record("2025-03-14T12:05:00Z", id="resp-later001", people=1))

    assert [a.response_id for a in store.due_alerts(SURVEY, clock(), 10)] == ["resp-first001"]
    clock.advance(600)
    due = store.due_alerts(SURVEY, clock(), 10)
    assert [a.response_id for a in due] == ["resp-first001", "resp-later001"]
    assert store.claim_alert(due[0], clock(), 120) is not None
    assert [a.response_id for a in store.due_alerts(SURVEY, clock(), 10)] == ["resp-later001"]
    assert [a.response_id for a in store.due_alerts(SURVEY, clock(), 1)] == ["resp-later001"]


def test_a_claimed_alert_cannot_be_claimed_again_until_its_lease_runs_out(
    store: Any, make_record: Any, clock: Any
) -> None:
    store.put(make_record(people=1))
    (alert,) = store.due_alerts(SURVEY, clock(), 10)

    first = store.claim_alert(alert, clock(), 120)
    assert first is not None and first.lease
    assert store.claim_alert(alert, clock(), 120) is None  # the second sender loses
    clock.advance(121)
    second = store.claim_alert(alert, clock(), 120)  # the first sender died: its lease ran out
    assert second is not None and second.lease != first.lease
    assert store.alert_sent(first) is False  # a stale lease settles nothing
    assert store.alert_sent(second) is True
    assert store.alerts(SURVEY) == []
    assert store.claim_alert(alert, clock(), 120) is None  # sent: gone


def test_a_failed_attempt_waits_and_releases_its_lease(store: Any, make_record: Any, clock: Any) -> None:
    store.put(make_record(people=1))
    (alert,) = store.due_alerts(SURVEY, clock(), 10)
    claimed = store.claim_alert(alert, clock(), 120)

    assert store.alert_failed(claimed, "the webhook answered 500 Internal Server Error", clock() + 30)

    (waiting,) = store.alerts(SURVEY)
    assert (waiting.state, waiting.attempts, waiting.lease) == (ALERT_PENDING, 1, None)
    assert waiting.last_error == "the webhook answered 500 Internal Server Error"
    assert store.due_alerts(SURVEY, clock() + 29, 10) == []
    assert [a.response_id for a in store.due_alerts(SURVEY, clock() + 30, 10)] == ["resp-0001abcd"]


def test_a_failed_alert_stays_until_retry_queues_it_again(store: Any, make_record: Any, clock: Any) -> None:
    store.put(make_record(people=1))
    (alert,) = store.due_alerts(SURVEY, clock(), 10)
    claimed = store.claim_alert(alert, clock(), 120)
    store.alert_failed(claimed, "the webhook answered 404 Not Found", None)

    (failed,) = store.alerts(SURVEY)
    assert failed.state == ALERT_FAILED
    clock.advance(86400 * 30)
    assert store.due_alerts(SURVEY, clock(), 10) == []

    assert store.retry_alerts(SURVEY, clock()) == 1
    assert store.retry_alerts(SURVEY, clock()) == 0
    (again,) = store.due_alerts(SURVEY, clock(), 10)
    assert (again.state, again.attempts, again.since) == (ALERT_PENDING, 0, pytest.approx(clock()))


def test_deleting_a_response_removes_its_pending_alert(store: Any, make_record: Any) -> None:
    store.put(make_record(people=1))
    assert store.delete(SURVEY, "resp-0001abcd") is True
    assert store.alerts(SURVEY) == []


def test_the_retry_schedule_doubles_from_30_seconds_to_an_hour_and_gives_up_after_48_hours() -> None:
    assert [alerts.retry_delay(n) for n in range(1, 10)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    start = 1_000_000.0
    attempts, now, tries = 0, start, []
    while True:
        pending = Alert(SURVEY, "r", 0, ("followup",), "x", since=start, attempts=attempts)
        when = alerts.next_attempt(pending, now)
        if when is None:
            break
        tries.append(when - start)
        attempts, now = attempts + 1, when
    assert tries[-1] <= 48 * 3600 and now - start >= 47 * 3600  # it keeps trying for at least a day
    assert len(tries) == 53


def test_a_held_alert_is_listed_for_a_week_and_never_due_again(
    store: Any, make_record: Any, clock: Any
) -> None:
    store.put(make_record(people=1))
    (alert,) = store.due_alerts(SURVEY, clock(), 10)
    claimed = store.claim_alert(alert, clock(), 120)

    assert store.alert_held(claimed, clock()) is True
    assert store.alert_held(claimed, clock()) is False  # its lease was released: settled once

    (held,) = store.alerts(SURVEY)
    assert (held.state, held.lease) == (ALERT_HELD, None)
    assert store.due_alerts(SURVEY, clock() + 86400, 10) == []
    assert store.retry_alerts(SURVEY, clock()) == 0  # only failed alerts are queued again


def test_a_shout_out_rides_in_the_answers_transaction_and_a_flagged_one_is_dropped(
    store: Any, make_record: Any
) -> None:
    record = dataclasses.replace(make_record(id="resp-shout001"), alert=("recognition",))
    flagged = dataclasses.replace(
        make_record(id="resp-shout002"), alert=("followup", "recognition")
    ).flagged()

    assert flagged.alert == ("followup",)
    store.put(record)
    store.put(record)
    store.put(flagged)

    assert {a.response_id: a.reasons for a in store.alerts(SURVEY)} == {
        "resp-shout001": ("recognition",),
        "resp-shout002": ("followup",),
    }
