"""Published survey definitions, read from the store and cached in bounded memory.

A version is content-addressed (a hash of the definition), so once read it never changes and is kept (the
`MAX_VERSIONS` most recently used). "The latest" of a survey is trusted for `ttl` seconds, so an owner's
`wowcard publish` changes the survey's rules in a warm Lambda within that time without a redeploy.

A version the cache has not seen is looked up in the store at once: pages built from a definition published
a second ago (`wowcard build` or `wowcard publish` while `wowcard serve` runs) are accepted at once, even
right after a 409 for the same version. So that a flood of made-up versions cannot turn into a flood of store
reads, the reads of unseen versions of one survey are rate-limited: a burst of `MISS_BURST`, then one per
`MISS_INTERVAL_SECONDS`; past that an unseen version is answered "not published" (409: the page keeps the
answer queued and sends it again).

Memory is bounded whatever is asked: at most `MAX_VERSIONS` definitions, `MAX_SURVEYS` surveys' latest
definitions, `MAX_SURVEYS` "no such survey" entries and `MAX_SURVEYS` read budgets, each dropped least
recently used first. Surveys nobody published are remembered for `NEGATIVE_SECONDS` only: 60,000 posts to
made-up survey ids leave at most `MAX_SURVEYS` small entries behind (bench/unknown_surveys.py).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from .store import Store
from .survey import Definition

MAX_VERSIONS = 256
MAX_SURVEYS = 1024
NEGATIVE_SECONDS = 5.0
MISS_BURST = 3
MISS_INTERVAL_SECONDS = 1.0

K = TypeVar("K")
V = TypeVar("V")


class Bounded(Generic[K, V]):
    """A mapping of at most `size` entries that forgets the least recently used first (not thread-safe:
    `Definitions` holds its lock around it)."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def pop(self, key: K) -> None:
        self._items.pop(key, None)

    def __len__(self) -> int:
        return len(self._items)


class Definitions:
    def __init__(
        self,
        store: Callable[[], Store],
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._store = store
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        # survey → (read at, its latest definition); a survey never published: (read at, None), kept briefly
        self._latest: Bounded[str, tuple[float, Definition]] = Bounded(MAX_SURVEYS)
        self._unpublished: Bounded[str, float] = Bounded(MAX_SURVEYS)
        self._versions: Bounded[tuple[str, str], Definition] = Bounded(MAX_VERSIONS)
        # survey → (reads of unseen versions it may still make, when that was counted)
        self._reads: Bounded[str, tuple[float, float]] = Bounded(MAX_SURVEYS)

    def latest(self, survey: str) -> Definition | None:
        """The survey's latest published definition, or None when the survey was never published."""
        now = self._clock()
        with self._lock:
            cached = self._latest.get(survey)
            unpublished_since = self._unpublished.get(survey)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        if unpublished_since is not None and now - unpublished_since < min(self._ttl, NEGATIVE_SECONDS):
            return None
        definition = _parse(self._store().definition(survey))
        with self._lock:
            if definition is None:
                self._latest.pop(survey)
                self._unpublished.put(survey, now)
            else:
                self._unpublished.pop(survey)
                self._latest.put(survey, (now, definition))
                self._versions.put((survey, definition.version), definition)
        return definition

    def version(self, survey: str, version: str) -> Definition | None:
        """That published version of the survey, or None when it is not published (yet)."""
        key = (survey, version)
        now = self._clock()
        with self._lock:
            found = self._versions.get(key)
            if found is not None:
                return found
            if not self._may_read(survey, now):
                return None
        definition = _parse(self._store().definition(survey, version))
        if definition is None or definition.version != version or definition.survey != survey:
            return None
        with self._lock:
            self._versions.put(key, definition)
            # A version new to this process: the latest (the survey's rules) may have changed with it.
            self._latest.pop(survey)
        return definition

    def _may_read(self, survey: str, now: float) -> bool:
        """Whether a version this process has not seen may be looked up in the store now: a bucket of
        `MISS_BURST` reads per survey, refilled by one every `MISS_INTERVAL_SECONDS` (under the lock)."""
        tokens, since = self._reads.get(survey) or (float(MISS_BURST), now)
        tokens = min(float(MISS_BURST), tokens + (now - since) / MISS_INTERVAL_SECONDS)
        allowed = tokens >= 1
        self._reads.put(survey, (tokens - 1 if allowed else tokens, now))
        return allowed


def _parse(data: dict | None) -> Definition | None:
    return None if data is None else Definition.from_json(data)
