"""Faults at the store boundary, seen where a phone sees them: over HTTP through `wowcard serve` and the real
collector app. DynamoDB is moto_server behind a loopback gate that throttles, conflicts, loses a reply after
the write committed, or is cut; SQLite is a real file whose write lock another connection holds. Whatever
happens, an answer is stored once or not at all, and a refusal is 503 with Retry-After so the page keeps it.
(The stores' own retry policy, on a fake clock, is proven in tests/collector/test_store_faults.py.)"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from wowcard.collector.survey import Survey

from .conftest import (
    REGION,
    Fault,
    aws_error,
    contents,
    get,
    post,
    recount,
    serving_survey,
)

TRANSACT = "TransactWriteItems"


def answer(version: str, response_id: str, **fields: Any) -> str:
    what = "Kept my table while I took a call"
    body = {"v": version, "id": response_id, "location": "quay", "wow": "yes", "staff": "maya", "what": what}
    return json.dumps({**body, "people": 5, "promises": ["name"], **fields})


def responses_url(server: Any) -> str:
    return f"{server.url}/api/s/harbour/responses"


def test_a_throttled_table_is_retried_and_the_answer_stored_once(survey: Survey, dynamodb) -> None:
    throttled = aws_error("ThrottlingException", "Rate of requests exceeds the allowed throughput.")
    with dynamodb.served(survey) as server:
        version = survey.definition().version
        before = dynamodb.gate.count(TRANSACT)  # publishing the definition was one
        dynamodb.gate.inject(Fault(TRANSACT, "error", times=2, body=throttled))
        reply = post(responses_url(server), answer(version, "throttled-0001"))
        assert reply.status == 201, reply.body
        assert reply.json() == {"id": "throttled-0001", "status": "stored", "contact_dropped": False}
        assert dynamodb.gate.count(TRANSACT) - before == 3
    responses, tallied = contents(dynamodb.direct)
    assert [r["id"] for r in responses] == ["throttled-0001"]
    assert tallied == recount(responses) and tallied["staff:maya"] == 1


def test_a_transaction_conflict_is_retried_and_counted_once(survey: Survey, dynamodb) -> None:
    conflict = aws_error(
        "TransactionCanceledException",
        "Transaction cancelled, please refer cancellation reasons for specific reasons "
        "[None, None, TransactionConflict]",
        CancellationReasons=[
            {"Code": "None"},
            {"Code": "None"},
            {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"},
        ],
    )
    with dynamodb.served(survey) as server:
        version = survey.definition().version
        dynamodb.gate.inject(Fault(TRANSACT, "error", body=conflict))
        first = post(responses_url(server), answer(version, "conflict-0001"))
        again = post(responses_url(server), answer(version, "conflict-0001"))
    assert (first.status, again.status) == (201, 200)
    assert again.json()["status"] == "duplicate"
    responses, tallied = contents(dynamodb.direct)
    assert [r["id"] for r in responses] == ["conflict-0001"]
    assert tallied["n"] == 1 and tallied == recount(responses)


@pytest.mark.parametrize(
    ("kind", "seconds"), [("lose-reply", 0), ("late-reply", 3.5)], ids=["connection-reset", "read-timeout"]
)
def test_a_reply_lost_after_the_write_committed_is_retried_without_counting_twice(
    survey: Survey, dynamodb, kind: str, seconds: float
) -> None:
    with dynamodb.served(survey) as server:
        version = survey.definition().version
        before = dynamodb.gate.count(TRANSACT)
        dynamodb.gate.inject(Fault(TRANSACT, kind, seconds=seconds))  # past botocore's 3 s read timeout
        reply = post(responses_url(server), answer(version, "lost-reply-01"))
        # The retry meets the write it already made: either DynamoDB honours the request token (stored) or
        # the conditional put finds the id (duplicate). Both take the answer off the page's queue.
        assert reply.status in (200, 201), reply.body
        assert reply.json()["id"] == "lost-reply-01"
        assert dynamodb.gate.count(TRANSACT) - before == 2
        resent = post(responses_url(server), answer(version, "lost-reply-01"))
        assert (resent.status, resent.json()["status"]) == (200, "duplicate")
    responses, tallied = contents(dynamodb.direct)
    assert [r["id"] for r in responses] == ["lost-reply-01"]
    assert tallied["n"] == 1 and tallied["staff:maya"] == 1 and tallied == recount(responses)


def test_an_unreachable_table_is_503_with_retry_after_and_the_resend_is_stored_once(
    survey: Survey, dynamodb
) -> None:
    with dynamodb.served(survey) as server:
        version = survey.definition().version
        assert post(responses_url(server), answer(version, "before-outage")).status == 201
        dynamodb.gate.down = True
        script = post(responses_url(server), answer(version, "during-outage"))
        form = post(
            responses_url(server),
            f"v={version}&location=mill&wow=yes&staff=sam",
            "application/x-www-form-urlencoded",
        )
        health = get(f"{server.url}/api/healthz")
        page = get(f"{server.url}/harbour/quay/")
        dynamodb.gate.down = False
        later = post(responses_url(server), answer(version, "during-outage"))
    assert script.status == 503
    assert script.headers["Retry-After"] == "5"
    assert script.json() == {
        "error": "the collector cannot store answers just now; send it again later",
        "field": None,
    }
    # Without JavaScript nothing keeps the answer: the browser goes to the error page, which asks to resend.
    assert (form.status, form.headers["Location"]) == (303, "/harbour/error/en/#request")
    for refused in (script, form):
        assert dynamodb.table.encode() not in refused.body and b"127.0.0.1" not in refused.body
        assert refused.seconds < 15  # a bounded retry budget, well inside API Gateway's 29 s
    assert health.status == 200 and page.status == 200  # the pages and the health check stay up
    assert (later.status, later.json()["status"]) == (201, "stored")
    responses, tallied = contents(dynamodb.direct)
    assert sorted(r["id"] for r in responses) == ["before-outage", "during-outage"]
    assert tallied["n"] == 2 and tallied == recount(responses)


def test_a_table_that_throttles_past_every_retry_is_503_and_stores_nothing(survey: Survey, dynamodb) -> None:
    throttled = aws_error("ProvisionedThroughputExceededException", "The level of configured throughput ...")
    with dynamodb.served(survey) as server:
        version = survey.definition().version
        before = dynamodb.gate.count(TRANSACT)
        dynamodb.gate.inject(Fault(TRANSACT, "error", times=50, body=throttled))
        reply = post(responses_url(server), answer(version, "always-throttled"))
        attempts = dynamodb.gate.count(TRANSACT) - before
    assert (reply.status, reply.headers["Retry-After"]) == (503, "5")
    assert attempts >= 2 and reply.seconds < 15  # retried, within a bounded budget
    assert contents(dynamodb.direct) == ([], {})


def test_each_store_attempt_is_one_request_because_botocore_retries_are_off(survey: Survey, dynamodb) -> None:
    throttled = aws_error("ThrottlingException", "Rate of requests exceeds the allowed throughput.")
    with dynamodb.served(survey) as server:
        version = survey.definition().version
        before = dynamodb.gate.count(TRANSACT)
        dynamodb.gate.inject(Fault(TRANSACT, "error", times=50, body=throttled))
        reply = post(responses_url(server), answer(version, "always-throttled"))
        attempts = dynamodb.gate.count(TRANSACT) - before
    assert reply.status == 503
    assert attempts == 6  # the Retry policy's attempts, nothing more (DynamoStore: Retry(attempts=6))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_collector_whose_dynamodb_endpoint_is_a_closed_port_answers_503_with_retry_after(
    survey: Survey, aws_credentials
) -> None:
    from wowcard import serve as serving
    from wowcard.collector import config

    original = config.settings
    config.configure(
        store_url="dynamodb:wowcard-nowhere",
        aws_region=REGION,
        aws_endpoint_url=f"http://127.0.0.1:{_closed_port()}",
        redirect_base="",
    )
    server = serving.Server(survey, port=0).start()
    try:
        version = survey.definition().version
        reply = post(f"{server.url}/api/s/harbour/responses", answer(version, "nowhere-0001"))
        health = get(f"{server.url}/api/healthz")
    finally:
        server.stop()
        config.settings = original
    assert (reply.status, reply.headers["Retry-After"]) == (503, "5")
    assert reply.json()["field"] is None and b"Traceback" not in reply.body
    assert health.status == 200


def test_wowcard_serve_with_an_unreachable_store_says_so_and_exits_1(survey_dir: Path) -> None:
    toml = survey_dir / "survey.toml"
    toml.write_text(toml.read_text() + '\n[store]\nurl = "dynamodb:wowcard-nowhere"\n', encoding="utf-8")
    env = {
        "PATH": "/usr/bin:/bin",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "WOWCARD_AWS_REGION": REGION,
        "WOWCARD_AWS_ENDPOINT_URL": f"http://127.0.0.1:{_closed_port()}",
    }
    result = subprocess.run(
        [sys.executable, "-m", "wowcard", "serve", "-s", str(toml), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=survey_dir,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "cannot open the store dynamodb:wowcard-nowhere" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_sqlite_file_locked_by_another_writer_is_503_then_the_resend_is_stored_once(
    survey: Survey, write_lock
) -> None:
    with serving_survey(survey) as server:
        version = survey.definition().version
        lock = write_lock()
        lock.hold()
        refused = post(responses_url(server), answer(version, "locked-out-01"))
        lock.release()
        later = post(responses_url(server), answer(version, "locked-out-01"))
        from wowcard.collector import config

        responses, tallied = contents(config.get_store())
    assert (refused.status, refused.headers["Retry-After"]) == (503, "2")
    assert str(survey.folder).encode() not in refused.body  # no owner path in a public reply
    assert refused.seconds < 15
    assert (later.status, later.json()["status"]) == (201, "stored")
    assert [r["id"] for r in responses] == ["locked-out-01"]
    assert tallied["n"] == 1 and tallied == recount(responses)
