"""The collector's cache of published definitions, on a real SQLite store and a clock that moves only when
told: a version published a moment ago is accepted at once, made-up versions cannot hammer the store, and
memory stays bounded whatever survey ids and versions are asked about."""

from __future__ import annotations

import dataclasses
import secrets
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wowcard.collector import definitions
from wowcard.collector.definitions import Definitions
from wowcard.collector.store import open_store
from wowcard.collector.survey import Definition, Staff

SURVEY = "harbour"


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class CountingStore:
    """The real store, counting the definition reads that reach it."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.reads: list[tuple[str, str | None]] = []

    def definition(self, survey: str, version: str | None = None) -> dict[str, Any] | None:
        self.reads.append((survey, version))
        return self.store.definition(survey, version)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CountingStore]:
    real = open_store(f"sqlite:{tmp_path / 'responses.db'}", str(tmp_path))
    yield CountingStore(real)
    real.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cache(store: CountingStore, clock: Clock) -> Definitions:
    return Definitions(lambda: store, ttl=60, clock=clock)  # type: ignore[arg-type,return-value]


def with_ana(survey) -> Definition:
    return dataclasses.replace(survey, staff=(*survey.staff, Staff("ana", "Ana", ("quay",)))).definition()


def test_a_version_published_a_moment_ago_is_found_at_once(
    cache: Definitions, store: CountingStore, survey, definition: Definition, clock: Clock
) -> None:
    store.store.publish(definition.to_json())
    assert cache.latest(SURVEY).version == definition.version
    newer = with_ana(survey)
    assert cache.version(SURVEY, newer.version) is None  # not published yet: 409, the page keeps it queued
    store.store.publish(newer.to_json())  # `wowcard build` or `wowcard publish`, while serve runs

    assert cache.version(SURVEY, newer.version).staff_ids_at("quay") >= {"ana"}
    assert cache.latest(SURVEY).version == newer.version  # the survey's rules follow at once too


def test_made_up_versions_reach_the_store_at_most_once_a_second(
    cache: Definitions, store: CountingStore, definition: Definition, clock: Clock
) -> None:
    store.store.publish(definition.to_json())
    cache.latest(SURVEY)
    before = len(store.reads)
    for second in range(5):
        for _ in range(200):
            assert cache.version(SURVEY, secrets.token_hex(6)) is None
        clock.t += 0.25 if second % 2 else 0.8
    # 1,000 made-up versions over 2.9 s: the first burst, then one read a second
    assert len(store.reads) - before == definitions.MISS_BURST + 2
    # and a published version, once seen, is never read again
    assert cache.version(SURVEY, definition.version).version == definition.version
    reads = len(store.reads)
    for _ in range(50):
        cache.version(SURVEY, definition.version)
    assert len(store.reads) == reads


def test_a_survey_never_published_is_remembered_briefly_then_asked_again(
    cache: Definitions, store: CountingStore, definition: Definition, clock: Clock
) -> None:
    assert cache.latest(SURVEY) is None
    store.store.publish(definition.to_json())
    assert cache.latest(SURVEY) is None
    assert len(store.reads) == 1
    clock.t += definitions.NEGATIVE_SECONDS
    assert cache.latest(SURVEY).version == definition.version


def test_the_latest_definition_is_trusted_for_the_cache_time(
    cache: Definitions, store: CountingStore, survey, definition: Definition, clock: Clock
) -> None:
    store.store.publish(definition.to_json())
    assert cache.latest(SURVEY).version == definition.version
    newer = dataclasses.replace(survey, title="Did we wow you today?").definition()
    store.store.publish(newer.to_json())
    assert cache.latest(SURVEY).version == definition.version
    clock.t += 61
    assert cache.latest(SURVEY).version == newer.version


def test_memory_stays_bounded_after_10000_unknown_survey_ids(cache: Definitions, clock: Clock) -> None:
    def ask(n: int) -> None:
        for _ in range(n):
            assert cache.latest("x" + secrets.token_hex(8)) is None
            assert cache.version("x" + secrets.token_hex(8), secrets.token_hex(6)) is None
            clock.t += 0.001

    tracemalloc.start()
    try:
        ask(2 * definitions.MAX_SURVEYS)  # the cache full, of entries tracemalloc sees made and freed
        start = tracemalloc.take_snapshot()
        ask(10000)
        grown = tracemalloc.take_snapshot().compare_to(start, "filename")
    finally:
        tracemalloc.stop()
    held = sum(stat.size_diff for stat in grown if stat.traceback[0].filename == definitions.__file__)
    assert held < 64 * 1024, f"the cache grew by {held} bytes"
