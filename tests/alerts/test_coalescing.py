"""Bursts of alerts are coalesced, on both stores: past ten messages a minute, one summary with the count and
the command that lists them, so an alert that arrives after a 200-alert burst is told within a minute
instead of behind 200 webhook calls. The clock is injected: sweeps run as `wowcard serve`'s worker runs them
(one a second), and time passes only when the test says."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alerts.stand_ins import Clock, Receiver
from click.testing import CliRunner

from wowcard.__main__ import cli
from wowcard.collector import alerts
from wowcard.collector.alerts import ALERTS_PER_MINUTE, SUMMARY_SECONDS, LiteralWebhook, Sender
from wowcard.collector.store import ALERT_HELD
from wowcard.collector.store_sqlite import SqliteStore

SURVEY = "harbour"


@pytest.fixture
def sqlite(tmp_path: Path, alert_definition: Any) -> Iterator[SqliteStore]:
    """The 200-alert bursts run on SQLite only: moto copies the table on every transaction (DESIGN.md)."""
    store = SqliteStore(tmp_path / "burst.db")
    store.publish(alert_definition.to_json())
    yield store
    store.close()


def make_sender(store: Any, receiver: Receiver, clock: Clock) -> Sender:
    def sleep(seconds: float) -> None:
        clock.advance(seconds)

    return Sender(store, SURVEY, LiteralWebhook(receiver.url), clock=clock, sleep=sleep)


def burst(store: Any, make_record: Any, count: int, start: int = 0) -> None:
    """Lowest ratings number `start` to `count` of a burst of 200 posted within 0.2 s from 12:00:00."""
    for i in range(start, count):
        store.put(make_record(f"2025-03-14T12:00:00.{i * 1000:06d}Z", id=f"resp-burst{i:04d}", people=1))


def seconds_until_told(receiver: Receiver, rid: str, sender: Sender, clock: Clock, limit: int) -> float:
    """Sweep once a second (as serve's worker does) until a message names `rid`; the seconds it took."""
    start = clock()
    for _ in range(limit):
        sender.sweep()
        for body in receiver.bodies:
            if rid in body.get("summary", {}).get("ids", []) or body.get("response", {}).get("id") == rid:
                return clock() - start
        clock.advance(1.0)
    raise AssertionError(f"{rid} was not told within {limit} s")


def test_a_burst_of_200_is_ten_alerts_and_one_summary_with_the_count_and_the_command(
    sqlite: SqliteStore, make_record: Any, receiver: Receiver, clock: Clock
) -> None:
    store = sqlite
    burst(store, make_record, 200)
    clock.advance(1)  # the worker's next sweep

    done = make_sender(store, receiver, clock).sweep()

    assert (done.sent, done.held, done.summaries) == (ALERTS_PER_MINUTE, 190, 1)
    assert len(receiver.bodies) == 11
    summary = receiver.bodies[-1]
    assert summary["summary"]["count"] == 190 and summary["summary"]["reasons"] == {"low_rating": 190}
    assert summary["text"] == (
        "190 more alerts in a burst (2025-03-14 12:00 Europe/London): 190 lowest ratings. Held back "
        "rather than sent one by one, to keep this channel readable. See them: wowcard alerts --held"
    )
    states = [a.state for a in store.alerts(SURVEY)]
    assert states == [ALERT_HELD] * 190  # the ten sent are gone; the rest are listed, not lost


def test_a_genuine_alert_after_a_200_alert_burst_is_told_within_a_minute(
    sqlite: SqliteStore, make_record: Any, receiver: Receiver, clock: Clock
) -> None:
    store, sender = sqlite, make_sender(sqlite, receiver, clock)
    burst(store, make_record, 100)
    clock.advance(0.1)
    sender.sweep()  # the worker's sweep caught the first half of the burst
    burst(store, make_record, 200, start=100)
    store.put(make_record("2025-03-14T12:00:00.300000Z", id="resp-genuine1", people=1, comment="Cold"))

    waited = seconds_until_told(receiver, "resp-genuine1", sender, clock, limit=120)

    assert waited <= SUMMARY_SECONDS + 1 <= 60  # the next summary (one sweep a second); goal: a minute
    messages = len(receiver.bodies)
    assert messages <= ALERTS_PER_MINUTE + 3  # not 201 webhook calls


def test_a_flood_larger_than_one_read_still_tells_an_alert_after_it_within_a_minute(
    sqlite: SqliteStore, make_record: Any, receiver: Receiver, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A summary reads 40 alerts at a time here: this flood of 200 is five reads, as 5,000 would be at 1,000.
    monkeypatch.setattr(alerts, "SUMMARY_MAX", 40)
    store, sender = sqlite, make_sender(sqlite, receiver, clock)
    burst(store, make_record, 200)
    store.put(make_record("2025-03-14T12:00:01Z", id="resp-genuine1", people=1, comment="Cold"))
    clock.advance(1)

    waited = seconds_until_told(receiver, "resp-genuine1", sender, clock, limit=120)

    assert waited <= SUMMARY_SECONDS + 1 <= 60  # was one summary per 40 alerts, 30 s apart: 150 s
    told = receiver.bodies[-1]["summary"]
    assert told["count"] == 191 and len(told["ids"]) == 40  # all counted; the latest 40 listed
    assert [a.state for a in store.alerts(SURVEY)] == [ALERT_HELD] * 191


def test_after_the_burst_alerts_go_one_by_one_again(
    store: Any, make_record: Any, receiver: Receiver, clock: Clock
) -> None:
    sender = make_sender(store, receiver, clock)
    burst(store, make_record, 12)
    clock.advance(1)
    assert sender.sweep().summaries == 1
    clock.advance(61)
    store.put(make_record("2025-03-14T12:01:01Z", id="resp-later001", process=1))

    done = sender.sweep()

    assert (done.sent, done.summaries) == (1, 0)
    assert receiver.bodies[-1]["response"]["id"] == "resp-later001"


def test_a_summary_that_fails_keeps_its_alerts_pending_for_another_try(
    store: Any, make_record: Any, receiver: Receiver, clock: Clock
) -> None:
    burst(store, make_record, 15)
    clock.advance(1)
    sender = make_sender(store, receiver, clock)
    sender.per_minute = 0  # everything goes to the summary
    receiver.mode = "fail"

    done = sender.sweep()

    assert (done.retrying, done.held) == (15, 0)
    assert {a.state for a in store.alerts(SURVEY)} == {"pending"}
    receiver.mode = "ok"
    clock.advance(31)
    assert sender.sweep().held == 15


def test_wowcard_alerts_held_shows_each_held_alert_as_its_message_reads(
    alert_survey_file: Path, alert_definition: Any, make_record: Any, receiver: Receiver, clock: Clock
) -> None:
    store = SqliteStore(alert_survey_file.parent / ".wowcard" / "responses.db")
    store.publish(alert_definition.to_json())
    burst(store, make_record, 11)
    clock.advance(1)
    make_sender(store, receiver, clock).sweep()
    store.close()

    runner = CliRunner()
    listed = runner.invoke(cli, ["alerts", "-s", str(alert_survey_file)])
    held = runner.invoke(cli, ["alerts", "--held", "-s", str(alert_survey_file)])

    assert listed.exit_code == 0, listed.output
    assert "resp-burst0010" in listed.output and "held: counted in a burst's summary" in listed.output
    assert held.exit_code == 0, held.output
    assert held.output.startswith("A customer gave a lowest rating at Quay Street (2025-03-14 12:00")
    assert held.output.count("A customer gave a lowest rating") == 1
