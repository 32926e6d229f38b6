"""Alerts under `wowcard serve`: a background thread delivers an alert within seconds of the answer, and the
customer's answer never waits for it, even when the webhook hangs."""

from __future__ import annotations

import http.client
import json
import statistics
import time
from typing import Any

from alerts.stand_ins import Receiver, answer

from wowcard import serve as serving
from wowcard.collector.survey import Survey


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
