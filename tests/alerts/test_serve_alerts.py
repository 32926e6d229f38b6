"""Alerts under `wowcard serve`: a background thread delivers an alert within seconds of the answer, and the
customer's answer never waits for it, even when the webhook hangs."""

from __future__ import annotations

import http.client
import json
import statistics
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
        status, _ = post(server, answer(alert_survey.definition(), people=1, comment="Cold coffee"))
        answered = time.monotonic()
        assert status == 201
        assert receiver.wait_for(1, timeout=5.0)
        delay = time.monotonic() - answered
        status, _ = post(server, answer(alert_survey.definition(), id="resp-happy001"))
        time.sleep(1.5)  # more than a sweep: a good answer sends nothing

    assert delay < 5.0
    assert receiver.ids() == ["resp-0001abcd"]
    assert "Comment: Cold coffee" in receiver.bodies[0]["text"]


def test_the_customers_answer_is_as_fast_while_the_webhook_hangs(
    alert_survey: Survey, webhook_env: str, receiver: Receiver
) -> None:
    definition = alert_survey.definition()
    with serving.running(alert_survey, build=False) as server:
        before = [post(server, answer(definition, id=f"resp-warm{i:04d}"))[1] for i in range(15)]
        receiver.mode = "hang"
        assert post(server, answer(definition, id="resp-hang0001", people=1))[0] == 201
        assert receiver.arrived.wait(5.0)  # the sender thread is now stuck in the webhook's request
        during = []
        for i in range(15):
            status, waited = post(server, answer(definition, id=f"resp-busy{i:04d}", process=1))
            assert status == 201
            during.append(waited)
        receiver.release()

    assert max(during) < 1.0
    assert statistics.median(during) < statistics.median(before) * 3 + 0.05


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
