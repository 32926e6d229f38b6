"""What the stores do when the database pushes back (DESIGN.md invariant 5): throttling, transaction
conflicts, lost answers, a busy SQLite file, an unreachable endpoint. DynamoDB faults are injected by a
client that wraps a real moto client; SQLite faults by a second real connection holding the write lock.
No real sleeps: the retry policy runs on a fake clock."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aws_stand_ins import REGION
from botocore.exceptions import ClientError, ReadTimeoutError

from wowcard.collector.retry import Retry
from wowcard.collector.store import Record, StoreError, StoreUnavailable
from wowcard.collector.store_dynamodb import DynamoStore
from wowcard.collector.store_sqlite import SqliteStore
from wowcard.collector.survey import Definition

from .conftest import FakeTime

SURVEY = "harbour"
MakeRecord = Callable[..., Record]
Fault = Callable[[Callable[[], Any]], Any]  # given the real call, raise or return


def aws_error(code: str, status: int = 400, reasons: list[str] | None = None) -> ClientError:
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": f"injected {code}"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    if reasons is not None:
        response["CancellationReasons"] = [{"Code": r} for r in reasons]
        response["Error"]["Message"] = (
            f"Transaction cancelled, please refer cancellation reasons [{', '.join(reasons)}]"
        )
    return ClientError(response, "TransactWriteItems")


def fails_with(error: Exception) -> Fault:
    def fault(real: Callable[[], Any]) -> Any:
        raise error

    return fault


def answer_lost_after_commit(real: Callable[[], Any]) -> Any:
    real()  # DynamoDB did write it...
    raise ReadTimeoutError(endpoint_url="https://dynamodb.eu-west-2.amazonaws.com")  # ...the reply never came


class FaultyClient:
    """A real (moto) DynamoDB client whose next calls of a method meet the queued faults first."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.faults: dict[str, list[Fault]] = {}
        self.calls: dict[str, int] = {}
        self.params: dict[str, list[dict[str, Any]]] = {}

    def inject(self, method: str, *faults: Fault) -> None:
        self.faults.setdefault(method, []).extend(faults)

    def __getattr__(self, method: str) -> Any:
        real_method = getattr(self.real, method)

        def call(**params: Any) -> Any:
            self.calls[method] = self.calls.get(method, 0) + 1
            self.params.setdefault(method, []).append(params)
            queued = self.faults.get(method)
            if queued:
                return queued.pop(0)(lambda: real_method(**params))
            return real_method(**params)

        return call


@pytest.fixture
def faulty(
    dynamodb_store: DynamoStore, fast_retry: Retry, definition: Definition
) -> tuple[DynamoStore, FaultyClient]:
    dynamodb_store.publish(definition.to_json())
    client = FaultyClient(dynamodb_store.client)
    dynamodb_store._client = client
    dynamodb_store.retry = fast_retry
    return dynamodb_store, client


@pytest.fixture
def answer(make_record: MakeRecord) -> Record:
    return make_record("2024-03-29T08:05:00Z", id="fault-0001", location="quay", wow="yes", staff="maya",
                       what="Waited for me", contact="x@example.com", consent="yes")  # fmt: skip


def totals(store: Any) -> dict[tuple[str, str], dict[str, int]]:
    return {(r.day, r.location): r.counts for r in store.tallies(SURVEY, "2024-01-01", "2024-12-31")}


# --- both engines -------------------------------------------------------------------------------------------


def test_a_put_that_fails_half_way_leaves_nothing_behind(store: Any, answer: Record):
    broken = Record(answer.response, {**answer.increments, "stories": [1]})  # the tally write is refused
    with pytest.raises(StoreError):
        store.put(broken)
    assert store.get(SURVEY, "fault-0001") is None and totals(store) == {}
    assert store.put(answer) is True  # and the same answer, whole, is stored afterwards
    assert totals(store) == {("2024-03-29", "quay"): answer.increments}


# --- DynamoDB -----------------------------------------------------------------------------------------------


def test_a_throttled_put_is_retried_and_stored_once(faulty, answer: Record, fake_time: FakeTime):
    store, client = faulty
    throttled = fails_with(aws_error("ThrottlingException"))
    client.inject(
        "transact_write_items", throttled, fails_with(aws_error("ProvisionedThroughputExceededException"))
    )
    assert store.put(answer) is True
    assert client.calls["transact_write_items"] == 3
    assert len(fake_time.sleeps) == 2 and all(0 <= s <= 1.0 for s in fake_time.sleeps)
    assert store.get(SURVEY, "fault-0001")["what"] == "Waited for me"
    assert totals(store) == {("2024-03-29", "quay"): answer.increments}


def test_a_transaction_conflict_is_retried(faulty, answer: Record):
    store, client = faulty
    conflict = aws_error("TransactionCanceledException", reasons=["None", "TransactionConflict", "None"])
    client.inject("transact_write_items", fails_with(conflict))
    assert store.put(answer) is True
    assert client.calls["transact_write_items"] == 2
    assert totals(store)[("2024-03-29", "quay")]["n"] == 1


def test_a_store_that_keeps_failing_answers_unavailable_with_retry_after_and_writes_nothing(
    faulty, answer: Record, fake_time: FakeTime
):
    store, client = faulty
    client.inject("transact_write_items", *[fails_with(aws_error("ThrottlingException"))] * 50)
    with pytest.raises(StoreUnavailable) as raised:
        store.put(answer)
    assert raised.value.retry_after == store.retry.retry_after == 5
    assert "ThrottlingException" in str(raised.value)
    assert client.calls["transact_write_items"] == store.retry.attempts
    assert sum(fake_time.sleeps) <= store.retry.deadline
    assert store.get(SURVEY, "fault-0001") is None and totals(store) == {}


def test_an_answer_lost_after_commit_is_retried_and_counted_once(faulty, answer: Record):
    store, client = faulty
    client.inject("transact_write_items", answer_lost_after_commit)
    store.put(answer)  # the retry meets its own committed write: a duplicate, so nothing is added
    assert client.calls["transact_write_items"] == 2
    assert store.put(answer) is False
    assert totals(store) == {("2024-03-29", "quay"): answer.increments}
    assert [r["id"] for r in store.responses(SURVEY, "2024-03-29", "2024-03-29")] == ["fault-0001"]


def test_the_retry_after_a_lost_answer_reuses_its_request_token(faulty, answer: Record):
    store, client = faulty
    client.inject(
        "transact_write_items", answer_lost_after_commit, fails_with(aws_error("ThrottlingException"))
    )
    store.put(answer)
    tokens = [params["ClientRequestToken"] for params in client.params["transact_write_items"]]
    # DynamoDB answers success to a token it already carried out, so a lost answer is retried with the same
    # token; a throttled request was not carried out, so the next one is a new request with a new token.
    assert len(tokens) == 3 and tokens[0] == tokens[1] != tokens[2]


def test_a_conflicting_close_and_delete_are_retried_too(faulty, answer: Record):
    store, client = faulty
    store.put(answer)
    conflict = aws_error("TransactionCanceledException", reasons=["TransactionConflict", "None", "None"])
    client.inject("transact_write_items", fails_with(conflict))
    assert store.close_followup(SURVEY, "fault-0001", "2024-04-01T00:00:00Z", "called") is True
    client.inject("transact_write_items", fails_with(aws_error("InternalServerError", 500)))
    assert store.delete(SURVEY, "fault-0001") is True
    assert totals(store) == {}


def test_unprocessed_keys_of_a_batch_read_are_fetched_again(faulty, answer: Record):
    store, client = faulty
    store.put(answer)

    def leave_everything_unprocessed(real: Callable[[], Any]) -> Any:
        page = real()
        keys = [{"pk": item["pk"], "sk": item["sk"]} for item in page["Responses"][store.table]]
        return {"Responses": {store.table: []}, "UnprocessedKeys": {store.table: {"Keys": keys}}}

    client.inject("batch_get_item", leave_everything_unprocessed)
    assert [s["id"] for s in store.stories(SURVEY, "maya", 3)] == ["fault-0001"]
    assert client.calls["batch_get_item"] == 2


def test_a_request_the_table_rejects_is_an_error_at_once_not_a_retry(faulty, answer: Record, fake_time):
    store, client = faulty
    client.inject("transact_write_items", fails_with(aws_error("ValidationException")))
    with pytest.raises(StoreError) as raised:
        store.put(answer)
    assert not isinstance(raised.value, StoreUnavailable) and fake_time.sleeps == []
    assert "ValidationException" in str(raised.value)


def test_a_missing_table_is_named(aws_credentials, moto_endpoint: str, fast_retry: Retry, answer: Record):
    store = DynamoStore("no-such-table", region=REGION, endpoint_url=moto_endpoint, retry=fast_retry)
    with pytest.raises(StoreError, match="DynamoDB table no-such-table does not exist"):
        store.put(answer)


def test_an_unreachable_endpoint_is_retried_then_unavailable(
    aws_credentials, fast_retry: Retry, fake_time: FakeTime, answer: Record
):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = DynamoStore("wowcard", region=REGION, endpoint_url=f"http://127.0.0.1:{port}", retry=fast_retry)
    with pytest.raises(StoreUnavailable, match="unreachable"):
        store.put(answer)
    assert len(fake_time.sleeps) == fast_retry.attempts - 1


def test_no_region_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, aws_credentials):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    with pytest.raises(StoreError, match="--region"):
        DynamoStore("wowcard").definition(SURVEY)


def test_an_unknown_aws_profile_is_a_clear_error(aws_credentials):
    with pytest.raises(StoreError, match="no-such-profile"):
        DynamoStore("wowcard", region=REGION, profile="no-such-profile").definition(SURVEY)


# --- SQLite -------------------------------------------------------------------------------------------------


@pytest.fixture
def busy_sqlite(tmp_path: Path, fast_retry: Retry, definition: Definition):
    store = SqliteStore(tmp_path / "r.db", busy_timeout_ms=20, retry=fast_retry)
    store.publish(definition.to_json())
    other = sqlite3.connect(tmp_path / "r.db", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    yield store, other
    if other.in_transaction:
        other.execute("ROLLBACK")
    other.close()
    store.close()


def test_a_busy_sqlite_file_is_retried_and_the_answer_stored(
    busy_sqlite, answer: Record, fake_time: FakeTime
):
    store, other = busy_sqlite
    fake_time.on_sleep = lambda _: other.in_transaction and other.execute("ROLLBACK")  # it lets go
    assert store.put(answer) is True
    assert len(fake_time.sleeps) == 1
    assert totals(store) == {("2024-03-29", "quay"): answer.increments}


def test_a_sqlite_file_that_stays_busy_answers_unavailable_and_writes_nothing(
    busy_sqlite, answer: Record, fake_time: FakeTime
):
    store, other = busy_sqlite
    with pytest.raises(StoreUnavailable, match="busy") as raised:
        store.put(answer)
    assert raised.value.retry_after == 5 and len(fake_time.sleeps) == store.retry.attempts - 1
    other.execute("ROLLBACK")
    assert store.get(SURVEY, "fault-0001") is None and totals(store) == {}


def test_a_sqlite_path_that_cannot_be_created_is_a_clear_error(tmp_path: Path):
    (tmp_path / "a-file").write_text("not a folder")
    store = SqliteStore(tmp_path / "a-file" / "data" / "responses.db")
    with pytest.raises(
        StoreError, match=r"cannot create the folder of the SQLite store .*a-file/data/responses\.db"
    ):
        store.definition(SURVEY)


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path):
    (tmp_path / "responses.db").write_bytes(b"this is not SQLite" * 100)
    store = SqliteStore(tmp_path / "responses.db")
    with pytest.raises(StoreError, match="responses.db"):
        store.definition(SURVEY)


# --- the retry policy itself --------------------------------------------------------------------------------


def test_waits_are_full_jitter_under_an_exponential_ceiling(fake_time: FakeTime):
    retry = Retry(attempts=6, base=0.1, cap=0.5, deadline=100, sleep=fake_time.sleep, clock=fake_time.clock,
                  random=lambda: 1.0)  # fmt: skip
    with pytest.raises(StoreUnavailable):
        retry.run(lambda: (_ for _ in ()).throw(TimeoutError("slow")), lambda e: True, "the store")
    assert fake_time.sleeps == [0.1, 0.2, 0.4, 0.5, 0.5]
    low = Retry(sleep=fake_time.sleep, clock=fake_time.clock, random=lambda: 0.25)
    assert [low.delay(n) for n in range(3)] == [0.0125, 0.025, 0.05]


def test_retrying_stops_at_the_deadline(fake_time: FakeTime):
    retry = Retry(attempts=100, base=1, cap=1, deadline=3.5, sleep=fake_time.sleep, clock=fake_time.clock,
                  random=lambda: 1.0)  # fmt: skip
    calls = []

    def flaky() -> None:
        calls.append(1)
        raise TimeoutError

    with pytest.raises(StoreUnavailable):
        retry.run(flaky, lambda e: True, "the store")
    assert len(calls) == 4 and sum(fake_time.sleeps) == 3


def test_an_error_that_is_not_transient_is_raised_at_once(fake_time: FakeTime):
    retry = Retry(sleep=fake_time.sleep, clock=fake_time.clock)
    with pytest.raises(KeyError):
        retry.run(lambda: {}["x"], lambda e: isinstance(e, TimeoutError), "the store")
    assert fake_time.sleeps == []


def test_a_call_that_succeeds_after_a_transient_error_returns_its_value(fake_time: FakeTime):
    retry = Retry(sleep=fake_time.sleep, clock=fake_time.clock)
    outcomes = iter([TimeoutError(), "stored"])

    def once_flaky() -> str:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert retry.run(once_flaky, lambda e: isinstance(e, TimeoutError), "the store") == "stored"
