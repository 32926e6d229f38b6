"""The listening side of `wowcard serve`: accepting connections so that no client can take the server from
the others (the request themselves: serve_requests.py).

A bounded number of connections (fitted to the process's file limit), at most a share of them for one client
address, and when every slot is taken a connection merely kept alive gives its place; when every one is busy
with a request, the newcomer is answered 503 by the accepting thread without reading its request. A
descriptor is kept in reserve to answer 503 when the process runs out of files. Idle connections are tracked
so that shutdown can close them without cutting a request in flight.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from chalice.local import LocalGateway

from .collector.collect import site_path
from .collector.survey import Survey
from .serve_limits import ClientConnections, Limits, RateLimiter, fitting_connections
from .serve_requests import OUT_OF_FILES, Handler, json_error

# Answered by the accepting thread itself, without reading the request, when every connection slot is taken.
_BUSY = json_error("the server is busy; try again in a second")
BUSY_REPLY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
    b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(_BUSY), _BUSY)
)


class _Connections:
    """Which connections sit idle between requests (oldest first), so that shutdown can close them without
    cutting a request, and a new client can take the place of one kept alive when every slot is taken."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: dict[BaseHTTPRequestHandler, None] = {}
        self.closing = False

    def idle(self, handler: BaseHTTPRequestHandler) -> bool:
        with self._lock:
            if self.closing:
                return False
            self._idle.pop(handler, None)
            self._idle[handler] = None
            return True

    def busy(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self._idle.pop(handler, None)

    gone = busy

    def idle_count(self) -> int:
        return len(self._idle)

    def close_oldest_idle(self, of: Callable[[str], bool] = lambda address: True) -> bool:
        """Close the connection idle the longest (of a client whose address `of` accepts), if there is one."""
        with self._lock:
            handler = next((h for h in self._idle if of(h.client_address[0])), None)
            if handler is None:
                return False
            del self._idle[handler]
        _hang_up(handler)
        return True

    def close_idle(self) -> None:
        with self._lock:
            self.closing = True
            idle, self._idle = list(self._idle), {}
        for handler in idle:
            _hang_up(handler)


def _hang_up(handler: BaseHTTPRequestHandler) -> None:
    """End a connection waiting for its next request: its thread reads the end and finishes."""
    try:
        handler.connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class HTTPServer(ThreadingHTTPServer):
    daemon_threads = False  # server_close() waits for requests in flight
    block_on_close = True
    request_queue_size = 128  # phones and browsers open several connections at once

    def __init__(
        self,
        address: tuple[str, int],
        site: Path,
        gateway: LocalGateway,
        survey: Survey,
        limits: Limits,
        rate_clock: Callable[[], float] = time.monotonic,
    ):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.site = site.resolve()
        self.gateway = gateway
        self.survey = survey
        self.prefix = site_path(survey.site_url)  # pages live under site_url's path, as they link
        self.connections = _Connections()
        self.limits = limits
        self.max_connections, self.file_limit = fitting_connections(limits.max_connections)
        self._slots = threading.BoundedSemaphore(self.max_connections)
        self.limiter = RateLimiter(limits.rate_per_minute, limits.max_clients, clock=rate_clock)
        share = limits.connections_per_client or max(1, self.max_connections // 4)
        self.per_client = ClientConnections(self.limiter, share)
        # One descriptor kept in reserve: when the process runs out, freeing it lets a waiting connection be
        # accepted and told 503, instead of staying in the queue and keeping serve_forever spinning on it.
        self._spare: int | None = os.open(os.devnull, os.O_RDONLY)
        super().__init__(address, Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._admit(client_address[0]):
            _turn_away(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._release(client_address)  # no thread was started (the machine has no more to give)
            raise

    @property
    def open_connections(self) -> int:
        return self.max_connections - self._slots._value

    def _admit(self, address: str) -> bool:
        """Count a new connection against its client's share and take a slot for it. When either is full, a
        connection merely kept alive (the client's own, or anyone's) gives its place: its thread ends at once.
        When every one is busy with a request, the newcomer is told to come back in a second."""
        if not self.per_client.open(address):
            mine = self.limiter.client_key(address)
            if not (
                self.connections.close_oldest_idle(lambda other: self.limiter.client_key(other) == mine)
                and self.per_client.open(address, wait=0.1)
            ):
                return False
        if self._slots.acquire(blocking=False):
            return True
        if self.connections.close_oldest_idle() and self._slots.acquire(timeout=0.1):
            return True
        self.per_client.close(address)
        return False

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._release(client_address)

    def _release(self, client_address: Any) -> None:
        self._slots.release()
        self.per_client.close(client_address[0])

    def get_request(self) -> tuple[socket.socket, Any]:
        try:
            return self.socket.accept()
        except OSError as exc:
            if exc.errno in OUT_OF_FILES:
                self._out_of_files()
            raise

    def _out_of_files(self) -> None:
        """No descriptor for a waiting connection: use the spare to accept it and answer 503, then take the
        spare back; when even that fails, pause briefly rather than spin on the still-readable listener."""
        if self._spare is not None:
            os.close(self._spare)
            self._spare = None
            try:
                request, _ = self.socket.accept()
            except OSError:
                pass
            else:
                _turn_away(request)
        try:
            self._spare = os.open(os.devnull, os.O_RDONLY)
        except OSError:
            time.sleep(0.1)

    def server_close(self) -> None:
        super().server_close()
        if self._spare is not None:
            os.close(self._spare)
            self._spare = None

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer is not the server's problem; anything else is worth a line.
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError | TimeoutError):
            return
        super().handle_error(request, client_address)


def _turn_away(request: socket.socket) -> None:
    """Answer 503 and close, from the accepting thread: never waits on the client."""
    try:
        request.setblocking(False)
        try:
            request.recv(65536)  # what already arrived, so that closing does not reset the connection
        except OSError:
            pass
        request.send(BUSY_REPLY)
    except OSError:
        pass
    finally:
        try:
            request.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        request.close()
