"""Jittered exponential backoff for store writes that meet a busy database, a throttled table or a
transaction conflict (DESIGN.md invariant 5: retried with jittered backoff; still failing → 503 with
Retry-After, and the page keeps the answer queued).

"Full jitter": the n-th wait is uniform in [0, min(cap, base x 2^n)], so many writers that collided once do
not collide again in lockstep. The whole budget is bounded by `attempts` and by `deadline` seconds, because a
customer is waiting behind the collector's request. Sleep, clock and randomness are injectable so tests can
drive every path without real sleeps.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from .store import StoreUnavailable

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Retry:
    attempts: int = 6  # calls in all, the first included
    base: float = 0.05  # seconds: the ceiling of the first wait
    cap: float = 1.0  # seconds: no single wait is longer
    deadline: float = 4.0  # seconds: never start a wait that would end past this, counted from the first call
    retry_after: int = 5  # seconds the client is told to wait once we give up
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    random: Callable[[], float] = field(default=random.random, repr=False)

    def delay(self, attempt: int) -> float:
        """The wait after failed call number `attempt` (0 = the first call)."""
        return self.random() * min(self.cap, self.base * 2**attempt)

    def run(self, operation: Callable[[], T], transient: Callable[[BaseException], bool], what: str) -> T:
        """Call `operation` until it returns; retry only errors `transient` accepts; raise StoreUnavailable
        (chained to the last error) when attempts or time run out. Other errors propagate at once."""
        start = self.clock()
        attempt = 0
        while True:
            try:
                return operation()
            except Exception as exc:
                if not transient(exc):
                    raise
                wait = self.delay(attempt)
                attempt += 1
                if attempt >= self.attempts or self.clock() - start + wait > self.deadline:
                    raise StoreUnavailable(
                        f"{what} is busy or unreachable after {attempt} attempts ({describe(exc)})",
                        retry_after=self.retry_after,
                    ) from exc
                self.sleep(wait)


def describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
