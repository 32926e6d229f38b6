"""Delivering alerts to a real webhook on loopback, on both stores: exactly one alert per qualifying answer, a
message a person can read, retries while the receiver is down or failing, each alert once however sweeps
overlap, and the webhook's URL in no log line, error or listing."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from alerts.stand_ins import SECRET, WEBHOOK_ENV, Clock, Receiver

from wowcard.collector import alerts
from wowcard.collector.alerts import EnvironmentWebhook, LiteralWebhook, Sender
from wowcard.collector.store import ALERT_FAILED

SURVEY = "harbour"


def sender(store: Any, receiver: Receiver, clock: Clock, **kwargs: Any) -> Sender:
    return Sender(store, SURVEY, LiteralWebhook(receiver.url), clock=clock, **kwargs)


def test_exactly_one_alert_per_qualifying_answer_and_none_for_the_others(
    store: Any, make_record: Any, receiver: Receiver, clock: Clock
) -> None:
    qualifying = {
        "resp-call0001": {"contact": "ann@example.com", "consent": "yes"},
        "resp-poor0001": {"people": 1},
        "resp-both0001": {"product": 1, "contact": "07700 900123", "consent": "yes"},
    }
    for rid, fields in qualifying.items():
        assert store.put(make_record(id=rid, **fields))
    for i in range(4):
        store.put(make_record(id=f"resp-fine{i:04d}", people=4))
    store.put(make_record(id="resp-call0001", contact="ann@example.com", consent="yes"))  # sent again

    done = sender(store, receiver, clock).sweep()
    again = sender(store, receiver, clock).sweep()

    assert sorted(receiver.ids()) == sorted(qualifying)
    assert (done.sent, again.sent) == (3, 0)
    assert store.alerts(SURVEY) == []


def test_the_message_names_the_place_the_person_the_ratings_and_how_to_reach_the_customer(
    store: Any, make_record: Any, receiver: Receiver, clock: Clock
) -> None:
    store.put(
        make_record(
            people=1,
            process=3,
            comment="Waited 20 minutes and nobody came",
            contact="ann@example.com",
            consent="yes",
        )
    )
    sender(store, receiver, clock).sweep()

    (body,) = receiver.bodies
    text = body["text"]
    assert text.splitlines()[0] == (
        "A customer gave a lowest rating and asked to be contacted at Quay Street "
        "(2025-03-14 12:00 Europe/London)"
    )
    for line in (
        "Staff: Maya",
        "Ratings: People 1, Process 3, Product 5",
        "Comment: Waited 20 minutes and nobody came",
        "Contact: ann@example.com",
        "When done: wowcard followups done resp-0001abcd",
    ):
        assert line in text.splitlines()
    response = body["response"]
    assert response["contact"] == "ann@example.com"
    assert response["ratings"] == {"people": 1, "process": 3, "product": 5}
    assert (response["location_name"], response["staff_name"]) == ("Quay Street", "Maya")
    assert response["received_at"] == "2025-03-14T12:00:00.000000Z"
    assert response["reasons"] == ["followup", "low_rating"]
    assert receiver.paths == [f"/services/{SECRET}"]


def test_what_a_customer_wrote_cannot_ping_the_channel_or_make_a_link(
    store: Any, make_record: Any, receiver: Receiver, clock: Clock
) -> None:
    nasty = "<!channel> @here @everyone look <https://evil.example|here>\n\nContact: fake"
    store.put(make_record(people=1, comment=nasty))
    sender(store, receiver, clock).sweep()

    (body,) = receiver.bodies
    assert body["response"]["comment"] == nasty.strip()  # programs get the exact words
    comment_line = next(line for line in body["text"].splitlines() if line.startswith("Comment:"))
    assert "<" not in comment_line and ">" not in comment_line
    assert "@here" not in comment_line and "@everyone" not in comment_line
    assert [line for line in body["text"].splitlines() if line.startswith("Contact:")] == []


def test_a_receiver_that_is_down_gets_the_alert_once_it_is_back(
    store: Any, make_record: Any, receiver: Receiver, clock: Clock
) -> None:
    store.put(make_record(people=1))
    receiver.stop()

    first = sender(store, receiver, clock).sweep()
    assert (first.sent, first.retrying) == (0, 1)
    (waiting,) = store.alerts(SURVEY)
    assert waiting.last_error == "the webhook could not be reached (Connection refused)"
    assert sender(store, receiver, clock).sweep().sent == 0  # not due yet: 30 s back-off

    clock.advance(30)
    second = sender(store, receiver, clock).sweep()  # still down
    clock.advance(60)
    receiver.start()
    third = sender(store, receiver, clock).sweep()

    assert (second.retrying, third.sent) == (1, 1)
    assert receiver.ids() == ["resp-0001abcd"]
    assert store.alerts(SURVEY) == []


def test_a_failing_receiver_is_tried_for_48_hours_then_the_alert_waits_for_retry(
    store: Any, make_record: Any, receiver: Receiver, clock: Clock
) -> None:
    store.put(make_record(people=1))
    receiver.mode = "fail"
    start, attempts = clock(), 0
    while store.alerts(SURVEY)[0].state != ALERT_FAILED:
        assert sender(store, receiver, clock).sweep().sent == 0
        attempts += 1
        (alert,) = store.alerts(SURVEY)
        clock.now = max(clock(), alert.due)

    (failed,) = store.alerts(SURVEY)
    assert failed.last_error == "the webhook answered 500 Internal Server Error"
    assert len(receiver.paths) == attempts == 54
    assert 47 * 3600 <= clock() - start <= 48 * 3600

    receiver.mode = "ok"
    assert store.retry_alerts(SURVEY, clock()) == 1
    assert sender(store, receiver, clock).sweep().sent == 1
    assert receiver.ids() == ["resp-0001abcd"]


def test_a_receiver_that_hangs_is_given_up_on_after_the_timeout_and_tried_again(
    store: Any, make_record: Any, receiver: Receiver, clock: Clock
) -> None:
    store.put(make_record(people=1))
    receiver.mode = "hang"

    done = sender(store, receiver, clock, timeout=0.3).sweep()

    assert done.retrying == 1
    assert store.alerts(SURVEY)[0].last_error == "the webhook could not be reached (no answer within 0.3 s)"


def test_two_overlapping_sweeps_send_each_alert_once(
    store: Any, make_record: Any, receiver: Receiver, clock: Clock
) -> None:
    for i in range(4):
        store.put(make_record(id=f"resp-over{i:04d}", people=1))
    late = sender(store, receiver, clock)
    listed_by_late = store.due_alerts(SURVEY, clock(), 50)  # read before the other sweep ran
    interrupted: list[Any] = []

    def send_then_let_the_other_sweep_run(url: str, body: Any, timeout: float) -> None:
        # The first sweep is between claiming and settling its first alert when the second one runs in full.
        if not interrupted:
            interrupted.append(sender(store, receiver, clock).sweep())
        alerts.post_json(url, body, timeout)

    first = sender(store, receiver, clock, send=send_then_let_the_other_sweep_run).sweep()
    outcomes = [late.deliver(alert) for alert in listed_by_late]

    assert sorted(receiver.ids()) == [f"resp-over{i:04d}" for i in range(4)]
    assert (first.sent + interrupted[0].sent, interrupted[0].taken) == (4, 0)
    assert outcomes == ["taken"] * 4
    assert store.alerts(SURVEY) == []


def test_an_alert_whose_sender_died_is_sent_by_the_next_sweep_after_its_lease(
    store: Any, make_record: Any, receiver: Receiver, clock: Clock
) -> None:
    store.put(make_record(people=1))
    (alert,) = store.due_alerts(SURVEY, clock(), 10)
    dead = store.claim_alert(alert, clock(), alerts.LEASE_SECONDS)  # claimed, then the Lambda timed out

    assert sender(store, receiver, clock).sweep().sent == 0
    clock.advance(alerts.LEASE_SECONDS + 1)
    assert sender(store, receiver, clock).sweep().sent == 1
    assert store.alert_sent(dead) is False
    assert receiver.ids() == ["resp-0001abcd"]


def test_an_alert_for_a_deleted_answer_is_dropped(store: Any, make_record: Any, receiver: Receiver) -> None:
    store.put(make_record(people=1))
    (alert,) = store.due_alerts(SURVEY, Clock()(), 10)
    store.delete(SURVEY, "resp-0001abcd")
    assert sender(store, receiver, Clock()).deliver(alert) == "taken"
    assert receiver.bodies == []


def test_without_the_webhook_variable_alerts_wait_and_the_error_names_the_variable(
    store: Any, make_record: Any, clock: Clock
) -> None:
    store.put(make_record(people=1))
    webhook = EnvironmentWebhook(WEBHOOK_ENV, {})

    Sender(store, SURVEY, webhook, clock=clock).sweep()

    (waiting,) = store.alerts(SURVEY)
    assert waiting.last_error == f"the webhook is not set: the environment variable {WEBHOOK_ENV} is empty"


@pytest.mark.parametrize("mode", ["fail", "down", "hang"])
def test_the_webhook_url_is_in_no_log_line_and_no_error(
    mode: str,
    store: Any,
    make_record: Any,
    receiver: Receiver,
    clock: Clock,
    caplog: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    # Chalice's app stops "wowcard" logs from reaching the root logger once imported: listen to ours directly.
    monkeypatch.setattr(alerts.log, "handlers", [caplog.handler])
    store.put(make_record(people=1))
    if mode == "down":
        receiver.stop()
    receiver.mode = mode

    sender(store, receiver, clock, timeout=0.2).sweep()

    (waiting,) = store.alerts(SURVEY)
    assert waiting.last_error and waiting.last_error.startswith("the webhook ")
    # Only wowcard's own lines: botocore's debug lines (DynamoDB requests, signatures) never see the webhook,
    # and a port's digits can turn up by chance in a hex signature.
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("wowcard"))
    for text in (ours, waiting.last_error):
        assert SECRET not in text and f":{receiver.port}" not in text and "127.0.0.1" not in text
    assert "attempt 1 failed" in ours


def test_a_webhook_that_is_not_https_is_refused_without_repeating_it() -> None:
    with pytest.raises(alerts.DeliveryError) as refused:
        alerts.post_json(f"http://hooks.example.com/{SECRET}", {"text": "x"})
    assert str(refused.value) == "the webhook is not an https:// URL (http:// only on localhost)"


def test_a_rush_of_alerts_is_paced_to_about_one_a_second_after_a_burst_of_ten(
    store: Any, make_record: Any, receiver: Receiver, clock: Clock
) -> None:
    for i in range(14):
        store.put(make_record(id=f"resp-rush{i:04d}", people=1))
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(seconds)

    done = sender(store, receiver, clock, sleep=sleep, per_minute=100).sweep()  # no summary: pacing only

    assert done.sent == 14 and len(receiver.ids()) == 14
    assert waits == [pytest.approx(1.0)] * 4


def test_a_sweep_stops_when_the_lambda_has_no_time_left_for_another_send(
    store: Any, make_record: Any, receiver: Receiver, clock: Clock
) -> None:
    for i in range(3):
        store.put(make_record(id=f"resp-late{i:04d}", people=1))
    left = iter([60.0, 60.0, 6.0])

    done = sender(store, receiver, clock).sweep(time_left=lambda: next(left))

    assert done.sent == 2
    assert [a.response_id for a in store.alerts(SURVEY)] == ["resp-late0002"]  # the next run sends it
