"""Time-based behaviour on a controllable clock, for any moment and any gap (no sleeps): a no-JavaScript
double tap is one answer exactly when the second tap comes at most 10 s after the first, and
the store's retry policy never waits past its deadline, never calls more often than its attempts, and gives
up only when one of the two is spent."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from chalice.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wowcard.collector import answers, config
from wowcard.collector.app import app
from wowcard.collector.retry import Retry
from wowcard.collector.store import StoreUnavailable
from wowcard.collector.survey import Definition

WINDOW = answers.DOUBLE_TAP_WINDOW_SECONDS


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def collector(tmp_path: Path, definition: Definition) -> Iterator[tuple[Client, Clock]]:
    original = config.settings
    clock = Clock(datetime(2025, 6, 1, tzinfo=UTC))
    config.configure(store_url=f"sqlite:{tmp_path / 'responses.db'}", store_folder=str(tmp_path), clock=clock)
    try:
        config.get_store().publish(definition.to_json())
        with Client(app) as client:
            yield client, clock
    finally:
        config.close()
        config.settings = original


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    first=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2025, 12, 31), timezones=st.just(UTC)
    ),
    gap=st.floats(min_value=0, max_value=4 * WINDOW, allow_nan=False),
)
def test_a_double_tap_within_ten_seconds_is_one_answer(
    collector: tuple[Client, Clock], definition: Definition, first: datetime, gap: float
) -> None:
    client, clock = collector
    marker = uuid.uuid4().hex  # this example's own answer, so examples never meet
    form = urlencode(
        {"v": definition.version, "location": "mill", "wow": "yes", "staff": "sam", "what": marker}
    )
    second = first + timedelta(seconds=gap)
    for moment in (first, second):
        clock.now = moment
        reply = client.http.post(
            "/s/harbour/responses",
            headers={"Content-Type": answers.FORM, "User-Agent": "Phone/1.0"},
            body=form.encode(),
        )
        assert (reply.status_code, reply.headers["Location"]) == (303, "/harbour/thanks/en/")
    store = config.get_store()
    stored = [r for r in store.responses("harbour", "2024-12-31", "2026-01-01") if r["what"] == marker]
    within = second - first <= timedelta(seconds=WINDOW)
    assert len(stored) == (1 if within else 2), (first, second)


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@given(
    attempts=st.integers(1, 10),
    base=st.floats(0.001, 2),
    cap=st.floats(0.001, 5),
    deadline=st.floats(0, 20),
    failures=st.integers(0, 12),
    call_seconds=st.floats(0, 3),
    jitter=st.floats(0, 1),
)
def test_the_retry_policy_stays_inside_its_attempts_and_deadline(
    attempts: int, base: float, cap: float, deadline: float, failures: int, call_seconds: float, jitter: float
) -> None:
    time = FakeTime()
    retry = Retry(attempts=attempts, base=base, cap=cap, deadline=deadline, retry_after=3,
                  sleep=time.sleep, clock=time.clock, random=lambda: jitter)  # fmt: skip
    calls = []

    def flaky() -> str:
        calls.append(time.now)
        time.now += call_seconds  # each call takes a while (a busy database, a timeout)
        if len(calls) <= failures:
            raise TimeoutError("busy")
        return "stored"

    try:
        outcome = retry.run(flaky, lambda exc: isinstance(exc, TimeoutError), "the store")
    except StoreUnavailable as exc:
        outcome = exc
    assert len(calls) <= attempts
    assert all(0 <= s <= cap for s in time.sleeps)
    assert sum(time.sleeps) <= deadline + 1e-9
    assert all(start <= deadline + 1e-9 for start in calls[1:])  # no call starts past the deadline
    if isinstance(outcome, StoreUnavailable):
        assert len(calls) <= failures and outcome.retry_after == 3
        next_wait = jitter * min(cap, base * 2 ** (len(calls) - 1))
        assert len(calls) == attempts or time.now + next_wait > deadline  # the next wait would pass it
    else:
        assert outcome == "stored" and len(calls) == failures + 1
