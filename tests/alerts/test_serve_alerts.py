"""Alerts under `wowcard serve`: a background thread delivers an alert within seconds of the answer, and the
customer's answer never waits for it, even when the webhook hangs."""

from __future__ import annotations

import http.client
import json
import time
from pathlib import Path
from typing import Any

from alerts.stand_ins import Clock, Receiver, answer

from wowcard import serve as serving
from wowcard.collector.store_sqlite import SqliteStore
from wowcard.collector.survey import Survey, load
from wowcard.serve_alerts import AlertWorker


def post(server: serving.Server, body: dict[str, Any]) -> tuple[int, float]:
    """POST an answer as the page's script does; the status and how long the customer waited."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        started = time.perf_counter()
        conn.request(
            "POST", "/api/s/harbour/responses", json.dumps(body), {"Content-Type": "text/plain;charset=UTF-8"}
        )
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    finally:
        conn.close()


def test_an_alert_reaches_the_webhook_within_five_seconds_of_the_answer(
    alert_survey: Survey, webhook_env: str, receiver: Receiver
) -> None:
    with serving.running(alert_survey, build=False) as server:
        status, _ = post(server, answer(alert_survey.definition(), id="resp-happy001"))
        assert status == 201
        status, _ = post(server, answer(alert_survey.definition(), people=1, comment="Cold coffee"))
        answered = time.monotonic()
        assert status == 201
        assert receiver.wait_for(1, timeout=5.0)
        delay = time.monotonic() - answered
    # Stopping let the sweep in progress finish: an alert of the good answer, posted first, would have been
    # sent by now or still be waiting in the outbox.
    outbox = SqliteStore(alert_survey.folder / ".wowcard" / "responses.db")
    waiting = outbox.due_alerts(alert_survey.id, time.time() + 86400, 50)
    outbox.close()

    assert delay < 5.0
    assert receiver.ids() == ["resp-0001abcd"]
    assert waiting == []
    assert "Comment: Cold coffee" in receiver.bodies[0]["text"]


def test_the_customers_answer_never_waits_for_a_hanging_webhook(
    alert_survey: Survey, webhook_env: str, receiver: Receiver
) -> None:
    definition = alert_survey.definition()
    receiver.mode = "hang"
    with serving.running(alert_survey, build=False) as server:
        assert post(server, answer(definition, id="resp-hang0001", people=1))[0] == 201
        assert receiver.arrived.wait(5.0)  # the sender thread is now stuck in the webhook's request
        during = [post(server, answer(definition, id=f"resp-busy{i:04d}", process=1))[0] for i in range(15)]
        # Had an answer waited for the webhook, it could only have finished after the webhook answered.
        still_hanging = receiver.paths == []
        receiver.release()

    assert during == [201] * 15
    assert still_hanging


def test_serves_worker_sends_last_weeks_digest_on_monday_at_eight(
    alert_survey_file: Path, make_record: Any, webhook_env: str, receiver: Receiver
) -> None:
    text = alert_survey_file.read_text(encoding="utf-8")
    alert_survey_file.write_text(text.replace('"low_rating"]', '"low_rating", "digest"]'), encoding="utf-8")
    survey = load(alert_survey_file)
    store = SqliteStore(alert_survey_file.parent / ".wowcard" / "responses.db")
    store.publish(survey.definition().to_json())
    store.put(make_record("2025-03-12T09:00:00Z", id="resp-lastweek1"))
    store.close()
    monday_eight = Clock("2025-03-17T08:00:00Z")
    worker = AlertWorker(survey, clock=monday_eight)

    with serving.running(survey, build=False, alerts=worker):
        assert receiver.wait_for(1, timeout=5.0)

    (body,) = receiver.bodies
    assert body["digest"]["week"] == "2025-W11"
    assert '- Maya (Quay Street), 1: "Remembered my usual order"' in body["text"]
