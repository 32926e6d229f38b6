"""Published survey definitions, read from the store and cached for a short time.

A version is content-addressed (a hash of the definition), so once read it never changes and is kept in
memory; "the latest" and "not published (yet)" are trusted for `ttl` seconds only, so an owner's
`wowcard publish` reaches a warm Lambda within that time without a redeploy.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from .store import Store
from .survey import Definition

MAX_VERSIONS = 256


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
        self._latest: dict[str, tuple[float, Definition | None]] = {}
        self._versions: OrderedDict[tuple[str, str], Definition] = OrderedDict()
        self._missing: dict[tuple[str, str], float] = {}

    def latest(self, survey: str) -> Definition | None:
        """The survey's latest published definition, or None when the survey was never published."""
        now = self._clock()
        with self._lock:
            cached = self._latest.get(survey)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        definition = _parse(self._store().definition(survey))
        with self._lock:
            self._latest[survey] = (now, definition)
            if definition is not None:
                self._remember(definition)
        return definition

    def version(self, survey: str, version: str) -> Definition | None:
        """That published version of the survey, or None when it was never published."""
        key = (survey, version)
        now = self._clock()
        with self._lock:
            if key in self._versions:
                self._versions.move_to_end(key)
                return self._versions[key]
            missing_since = self._missing.get(key)
        if missing_since is not None and now - missing_since < self._ttl:
            return None
        definition = _parse(self._store().definition(survey, version))
        with self._lock:
            if definition is None or definition.version != version or definition.survey != survey:
                if len(self._missing) >= MAX_VERSIONS:
                    self._missing.clear()
                self._missing[key] = now
                return None
            self._missing.pop(key, None)
            self._remember(definition)
        return definition

    def _remember(self, definition: Definition) -> None:
        self._versions[(definition.survey, definition.version)] = definition
        self._versions.move_to_end((definition.survey, definition.version))
        while len(self._versions) > MAX_VERSIONS:
            self._versions.popitem(last=False)


def _parse(data: dict | None) -> Definition | None:
    return None if data is None else Definition.from_json(data)
