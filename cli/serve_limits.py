"""The bounds `wowcard serve` puts on its clients, so that one phone, script or attacker cannot take it from
the rest: how many connections at once, how long one request may take to arrive, how many requests one
client address may make per minute.

The rate limit is a token bucket per client, keyed by an HMAC of the address with a key made at start-up (the
raw address is never kept), a whole IPv6 /64 counting as one client (a phone picks new addresses inside its
/64 at will). At most `max_clients` buckets are kept: memory stays bounded whatever the number of addresses.
Requests from this machine itself (127.0.0.1, ::1: the owner, a reverse proxy in front) are never limited.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import ipaddress
import math
import os
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

# Enough for a busy shop whose phones all share one Wi-Fi address: 300 requests a minute is 75 customers a
# minute each opening a page, sending and seeing the thank-you page.
RATE_PER_MINUTE = 300
MAX_CONNECTIONS = 256
THIS_MACHINE = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})


@dataclass(frozen=True, slots=True)
class Limits:
    max_connections: int = MAX_CONNECTIONS  # connections served at once; beyond: 503 and closed at once
    connections_per_client: int | None = None  # so that one address cannot hold them all (None: a quarter)
    rate_per_minute: int = RATE_PER_MINUTE  # requests per client address per minute (and as a burst); 0: off
    request_seconds: float = 30.0  # from a request's first byte to its last (headers and body together)
    idle_seconds: float = 15.0  # how long a kept-alive connection waits for its next request
    max_clients: int = 10_000  # rate-limit buckets kept in memory (about 260 bytes each, measured)


def fitting_connections(wanted: int) -> tuple[int, int | None]:
    """How many connections fit this process's open-file limit (each needs a socket, and a file while a page
    is read), and that limit when it is what holds the number down."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):
        return wanted, None
    if soft == resource.RLIM_INFINITY:
        return wanted, None
    try:
        in_use = len(os.listdir("/proc/self/fd"))
    except OSError:
        in_use = 64
    fits = max(1, (soft - in_use - 64) // 2)  # 64: the store's files, the alert sender, the spare
    return (fits, soft) if fits < wanted else (wanted, None)


# --- the rate limit --------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Token buckets per client: `per_minute` requests a minute, up to `per_minute` at once after a quiet
    spell. `check(address)` answers 0 when the request may go ahead, else the whole seconds to wait."""

    def __init__(
        self, per_minute: int, max_clients: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.capacity = float(per_minute)
        self.per_second = per_minute / 60.0
        self.max_clients = max_clients
        self.clock = clock
        self._key = os.urandom(32)
        self._buckets: OrderedDict[bytes, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, address: str) -> int:
        key = self.client_key(address)
        if self.per_second <= 0 or key is None:
            return 0
        now = self.clock()
        with self._lock:
            bucket = self._buckets.pop(key, None) or _Bucket(self.capacity, now)
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.at) * self.per_second)
            bucket.at = now
            self._buckets[key] = bucket  # the most recently seen client last
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)  # forgetting a client only ever gives it a full bucket
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0
            return max(1, math.ceil((1 - bucket.tokens) / self.per_second))

    def clients(self) -> int:
        return len(self._buckets)

    def client_key(self, address: str) -> bytes | None:
        """Who the client is, as the limits count it (never its raw address); None for this machine."""
        if address in THIS_MACHINE:
            return None
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            raw = address.encode("utf-8", "replace")
        else:
            if ip.version == 6 and ip.ipv4_mapped is not None:
                ip = ip.ipv4_mapped
            raw = ip.packed[:8] if ip.version == 6 else ip.packed
        return hmac.new(self._key, raw, hashlib.sha256).digest()[:16]


class ClientConnections:
    """How many connections each client address holds, so that one address cannot take every slot (a client
    dripping requests never finishes one, so the rate limit alone would never see it)."""

    def __init__(self, limiter: RateLimiter, per_client: int) -> None:
        self.limiter, self.per_client = limiter, per_client
        self._held: dict[bytes, int] = {}
        self._freed = threading.Condition()

    def open(self, address: str, wait: float = 0.0) -> bool:
        """Count a new connection of this client, waiting up to `wait` seconds for one of its own to end."""
        key = self.limiter.client_key(address)
        if key is None:
            return True
        with self._freed:
            if not self._freed.wait_for(lambda: self._held.get(key, 0) < self.per_client, timeout=wait):
                return False
            self._held[key] = self._held.get(key, 0) + 1
            return True

    def close(self, address: str) -> None:
        key = self.limiter.client_key(address)
        if key is None:
            return
        with self._freed:
            left = self._held.get(key, 0) - 1
            if left > 0:
                self._held[key] = left
            else:
                self._held.pop(key, None)  # memory follows the connections open, nothing more
            self._freed.notify_all()


# --- the request deadline --------------------------------------------------------------------------------


class Deadline:
    """When the request being read must be complete. A kept-alive connection first waits up to `idle` seconds
    for a request to start; from its first byte, the whole request (line, headers, body) has `total` seconds,
    however slowly the client drips it."""

    def __init__(self, idle: float, total: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.idle, self.total, self.clock = idle, total, clock
        self.at = clock() + idle
        self.started = False

    def next_request(self) -> None:
        self.at = self.clock() + self.idle
        self.started = False

    def arrived(self) -> None:
        if not self.started:
            self.started = True
            self.at = self.clock() + self.total

    def left(self) -> float:
        return self.at - self.clock()


class DeadlineReader(io.RawIOBase):
    """A socket's receiving side whose every read waits only for the time the deadline leaves."""

    def __init__(self, sock: socket.socket, deadline: Deadline) -> None:
        super().__init__()
        self.sock, self.deadline = sock, deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        left = self.deadline.left()
        if left <= 0:
            raise TimeoutError("the request took longer than its deadline")
        self.sock.settimeout(left)
        count = self.sock.recv_into(buffer)
        if count:
            self.deadline.arrived()
        return count
