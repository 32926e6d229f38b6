"""`wowcard serve`: the survey pages and the very same Chalice collector, from one origin on this machine.

`/api/…` goes to the collector's Chalice `app` through `chalice.local.LocalGateway` (the `/api` prefix is
stripped, as API Gateway's stage `api` does behind CloudFront); every other path is a file of the built site.
The store is the survey's `[store]` (SQLite beside survey.toml by default). Before serving, the current
definition is published and the pages are rebuilt when they are missing or older than their sources.

With `[alerts]` in survey.toml a background thread sends the alerts the collector queued (one outbox entry per
qualifying answer, written with the response): it sweeps the outbox every second, so an alert reaches the
webhook within a few seconds of the answer, and never while the customer waits for theirs. The webhook URL
is read from the owner's environment ("env:NAME") when an alert is sent.

No client can take the server from the others (cli/serve_limits.py, docs/serve.md): a bounded number of
connections (idle ones give way first, one address holds at most a quarter), a deadline for each request
however slowly it drips, a rate limit per client address (429 with Retry-After), every body read or the
connection closed and ambiguous framing refused (no request smuggling), and a descriptor kept in reserve to
answer 503 when the process runs out. Pages are gzip-compressed for browsers that take it, as CloudFront does.

Shutting down (Ctrl-C, SIGTERM) stops accepting, lets every request in flight finish (a response is stored
in one transaction or not at all), closes idle connections, lets an alert being sent finish, and then closes
the store: nothing is lost (an alert not yet sent stays in the outbox for the next start).
"""

from __future__ import annotations

import base64
import errno
import functools
import gzip
import io
import json
import logging
import mimetypes
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from chalice.config import Config
from chalice.local import (
    LambdaEventConverter,
    LocalChalice,
    LocalGateway,
    LocalGatewayException,
    RouteMatcher,
)

from .collector import config
from .collector.answers import MAX_BODY_BYTES
from .collector.collect import site_path
from .collector.survey import Survey
from .serve_limits import (
    ClientConnections,
    Deadline,
    DeadlineReader,
    Limits,
    RateLimiter,
    fitting_connections,
)

try:  # compressed pages in brotli too when the package happens to be installed (it is not a dependency)
    import brotli  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on the machine
    brotli = None

API_PREFIX = "/api"
# Writing a reply may not stall longer than this; it also bounds how long shutdown waits for a slow client.
SOCKET_TIMEOUT_SECONDS = 30
TEXT_TYPES = ("text/", "application/json", "application/javascript", "image/svg+xml")
# As CloudFront does: compress text files from 1,000 bytes, when the browser says it takes the encoding.
COMPRESS_FROM_BYTES = 1000
COMPRESS_UP_TO_BYTES = 10_000_000
CACHE_COMPRESSED_UP_TO_BYTES = 256 * 1024  # the pages themselves: a few of them, some kilobytes each
OUT_OF_FILES = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
NAME_MAX = 255  # the longest file name (in bytes) the usual file systems allow


def _json_error(text: str) -> bytes:
    return json.dumps({"error": text, "field": None}, separators=(",", ":")).encode()


# Answered by the accepting thread itself, without reading the request, when every connection slot is taken.
_BUSY = _json_error("the server is busy; try again in a second")
BUSY_REPLY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
    b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(_BUSY), _BUSY)
)


class ServeError(Exception):
    """The server could not start (the port is taken, the store cannot be opened): exit 1 with this text."""


# --- preparing: the store, the published definition, fresh pages ----------------------------------------


@dataclass(frozen=True, slots=True)
class Prepared:
    site: Path  # the build output folder served at /
    published: bool  # the current definition was new to the store
    rebuilt: str | None  # why the pages were built, or None when they were fresh


def store_folder(survey: Survey) -> str:
    return str(survey.folder)


def prepare(survey: Survey, build: bool = True) -> Prepared:
    """Point the collector at the survey's store, publish the current definition, build stale pages."""
    from .collector.store import StoreError

    config.configure(store_url=survey.store, store_folder=store_folder(survey), redirect_base="")
    try:
        published = config.get_store().publish(survey.definition().to_json())
    except StoreError as exc:
        raise ServeError(f"cannot open the store {survey.store}: {exc}") from None
    site = survey.output
    reason = stale_reason(survey, site) if build else None
    if reason is not None:
        from .build import build_site

        build_site(survey)
    return Prepared(site=site, published=published, rebuilt=reason)


def stale_reason(survey: Survey, site: Path) -> str | None:
    """Why the built pages must be rebuilt before serving, or None when they are fresh."""
    manifest = site / survey.id / "survey.json"
    try:
        built = json.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return "the pages were not built yet"
    except (OSError, ValueError):
        return f"{manifest} is unreadable"
    if not isinstance(built, dict) or built.get("version") != survey.definition().version:
        return "survey.toml changed since the last build"
    outputs = [p for p in (site / survey.id).rglob("*") if p.is_file()]
    oldest_output = min(p.stat().st_mtime for p in outputs)
    for source in _sources(survey):
        if source.stat().st_mtime > oldest_output:
            return f"{source.name} is newer than the pages"
    return None


def _sources(survey: Survey) -> Iterator[Path]:
    if survey.source is not None:
        yield survey.source
    if survey.brand.logo is not None and survey.brand.logo.is_file():
        yield survey.brand.logo
    theme = survey.folder / "templates"
    packaged = Path(str(resources.files("wowcard.site_templates")))
    for folder in (theme, packaged):
        if folder.is_dir():
            yield from (p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


# --- the HTTP server -----------------------------------------------------------------------------------


class _ClientAddressEvents(LambdaEventConverter):
    """chalice.local always says the client is 127.0.0.1; tell the app the real address, as API Gateway does
    (it only ever enters the no-JavaScript double-tap hash)."""

    current = threading.local()

    def create_lambda_event(self, method: str, path: str, headers: dict[str, str], body: bytes | None = None):
        event = super().create_lambda_event(method, path, headers, body)
        event["requestContext"]["identity"]["sourceIp"] = getattr(self.current, "address", "127.0.0.1")
        return event


def make_gateway(app: Any) -> LocalGateway:
    """A LocalGateway for the collector app, safe to call from many threads at once."""
    if not isinstance(app, LocalChalice):
        # What `chalice local` does: make `app.current_request` thread-local, so concurrent requests never
        # read each other's body.
        app.__class__ = type("ServedChalice", (LocalChalice, type(app)), {})
    gateway = LocalGateway(app, Config.create(lambda_timeout=SOCKET_TIMEOUT_SECONDS))
    gateway.event_converter = _ClientAddressEvents(RouteMatcher(list(app.routes)), app.api.binary_types)
    return gateway


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


class _HTTPServer(ThreadingHTTPServer):
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
        super().__init__(address, _Handler)

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
        return self.max_connections - self._slots._value  # type: ignore[attr-defined]

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


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "wowcard"
    timeout = SOCKET_TIMEOUT_SECONDS
    # Headers and body go out in two writes; without TCP_NODELAY the body waits for the client's delayed
    # ACK (40 ms on Linux) on every keep-alive request.
    disable_nagle_algorithm = True
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        limits = self.server.limits
        self.deadline = Deadline(limits.idle_seconds, limits.request_seconds)
        self.rfile.close()  # reads go through the deadline instead (the socket stays open)
        self.rfile = io.BufferedReader(DeadlineReader(self.connection, self.deadline))
        self.replied = False
        self.server.connections.idle(self)

    def finish(self) -> None:
        self.server.connections.gone(self)
        super().finish()

    def parse_request(self) -> bool:
        self.server.connections.busy(self)
        return super().parse_request()

    def handle_one_request(self) -> None:
        self.deadline.next_request()
        self.replied = False
        self.command, self.request_version, self.requestline = "", "", ""
        try:
            self._one_request()
        except TimeoutError:
            self.close_connection = True
            if self.deadline.started and not self.replied:
                self._json(408, "the request took too long to arrive")
        if not self.close_connection and not self.server.connections.idle(self):
            self.close_connection = True

    def _one_request(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.send_error(414)
            return
        if not self.raw_requestline:
            self.close_connection = True
            return
        if not self.parse_request():
            return  # answered by send_error
        method = getattr(self, "do_" + self.command, None)
        if method is None:
            self.send_error(501)
            return
        method()
        self.wfile.flush()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The request could not even be parsed: a JSON error like every other, and the connection closed
        (where the next request would start is unknown)."""
        self.close_connection = True
        if self.request_version == "HTTP/0.9":
            self.request_version = ""  # an HTTP/0.9 reply has no status line: nobody would see the error
        texts = {
            400: "the request is malformed",
            414: "the address is too long",
            431: "the request headers are too large",
            501: "this method is not supported",
            505: "this HTTP version is not supported",
        }
        self._json(code, texts.get(code, "the request is malformed"))

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the collector logs its own errors; a line per request would drown the URLs to open."""

    def _dispatch(self) -> None:
        length = self._body_length()
        if length is None:
            return
        wait = self.server.limiter.check(self.client_address[0])
        if wait:
            self._skip_body(length)
            self._json(
                429, f"too many requests from your address; try again in {wait} s", {"Retry-After": str(wait)}
            )
            return
        path = urlsplit(self.path).path
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            self._api(length)
            return
        self._skip_body(length)  # read, so that a body is never taken for the connection's next request
        if self.command in ("GET", "HEAD"):
            self._static(path)
        else:
            self._json(405, "the pages only answer GET and HEAD", {"Allow": "GET, HEAD"})

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _dispatch

    # --- where the request ends -----------------------------------------------------------------------

    def _body_length(self) -> int | None:
        """The length of the request's body, or None when its framing is ambiguous and was refused (the
        connection closes: where the next request would start is unknown). Two lengths, or a length with
        Transfer-Encoding, are what request smuggling is made of: one reader would take one, another the
        other."""
        # "Content-Length : 5" (a defect to Python's parser) or a header folded onto the next line (obsolete,
        # RFC 9112 says refuse it): one reader takes such a header, another skips it.
        if self.headers.defects or any("\n" in value for value in self.headers.values()):
            self._refuse(400, "the request headers are malformed")
            return None
        lengths = self.headers.get_all("Content-Length") or []
        if self.headers.get_all("Transfer-Encoding"):
            if lengths:
                self._refuse(400, "send either Content-Length or Transfer-Encoding, not both")
            else:
                self._refuse(411, "send a Content-Length")
            return None
        if len(lengths) > 1:
            self._refuse(400, "send one Content-Length")
            return None
        declared = (lengths[0] if lengths else "0").strip() or "0"
        if not (declared.isascii() and declared.isdigit()):
            self._refuse(400, "Content-Length is not a number")
            return None
        return int(declared)

    def _refuse(self, status: int, text: str) -> None:
        self.close_connection = True
        self._json(status, text)

    def _skip_body(self, length: int) -> None:
        """Read and drop a body nobody needs; one too large to be worth reading closes the connection."""
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            return
        while length > 0:
            chunk = self.rfile.read(min(length, 65536))
            if not chunk:
                self.close_connection = True
                return
            length -= len(chunk)

    # --- /api/… → the Chalice app -------------------------------------------------------------------

    def _api(self, length: int) -> None:
        body = self._body(length)
        if body is None:
            return
        path = self.path[len(API_PREFIX) :] or "/"
        if not path.startswith("/"):
            path = "/" + path
        _ClientAddressEvents.current.address = self.client_address[0]
        try:
            response = self.server.gateway.handle_request(
                method=self.command, path=path, headers=dict(self.headers.items()), body=body
            )
        except LocalGatewayException:
            # API Gateway answers an unknown path 403 "Missing Authentication Token"; say what it is.
            self._json(404, "no such API path")
            return
        except Exception:
            # The app answers every error itself; this is chalice.local failing on a request it cannot turn
            # into an event. Like the collector: 503 and "send it again", never a traceback.
            logging.getLogger("wowcard.serve").exception(
                "cannot hand %s %s to the collector", self.command, path
            )
            self._json(503, "the collector cannot take this request just now", {"Retry-After": "5"})
            return
        headers = {**response.get("headers", {}), **response.get("multiValueHeaders", {})}
        payload = response.get("body") or b""
        if response.get("isBase64Encoded"):
            payload = base64.b64decode(payload)
        elif isinstance(payload, str):
            payload = payload.encode("utf-8")
        self._send(response["statusCode"], payload, headers)

    def _body(self, length: int) -> bytes | None:
        """The request body, or None when the client stopped sending before its Content-Length (refused). A
        body over the collector's limit is not read at all: the app refuses it by its Content-Length (413)
        and the connection is closed."""
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            return b""
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            self._refuse(400, "the body is shorter than its Content-Length")
            return None
        return body

    # --- everything else → the built pages ----------------------------------------------------------

    def _static(self, url_path: str) -> None:
        try:
            self._page(url_path)
        except OSError as exc:
            # A name too long for the file system is simply no page; running out of files is the server's
            # trouble, for a moment.
            if exc.errno in OUT_OF_FILES:
                self._json(503, "the server is busy; try again in a second", {"Retry-After": "1"})
            else:
                self._not_found()

    def _page(self, url_path: str) -> None:
        site, survey, prefix = self.server.site, self.server.survey, self.server.prefix
        first_page = f"{prefix}/{survey.id}/{survey.locations[0].id}/"
        if prefix and url_path != prefix and not url_path.startswith(prefix + "/"):
            if url_path == "/":
                self._send(302, b"", {"Location": first_page})
            else:
                self._not_found()
            return
        inner = url_path[len(prefix) :] or "/"
        if inner in ("/", f"/{survey.id}/") and not (site / inner.strip("/") / "index.html").is_file():
            # Nothing is built there: the first location's page is what a person opening the server wants.
            self._send(302, b"", {"Location": first_page})
            return
        target = _file_in(site, unquote(inner))
        if target is None:
            self._not_found()
            return
        if target.is_dir():
            if not url_path.endswith("/"):
                query = urlsplit(self.path).query
                self._send(301, b"", {"Location": url_path + "/" + (f"?{query}" if query else "")})
                return
            target = target / "index.html"
            if not target.is_file():
                self._not_found()
                return
        data = target.read_bytes()
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        headers = {"Content-Type": content_type, "Cache-Control": "no-cache"}
        if content_type.startswith(TEXT_TYPES):
            headers["Content-Type"] = content_type + "; charset=utf-8"
            headers["Vary"] = "Accept-Encoding"
            encoding = accepted_encoding(self.headers.get("Accept-Encoding", ""))
            if encoding is not None and COMPRESS_FROM_BYTES <= len(data) <= COMPRESS_UP_TO_BYTES:
                data = compressed(data, encoding)
                headers["Content-Encoding"] = encoding
        self._send(200, data, headers)

    def _not_found(self) -> None:
        page = b"<!doctype html><title>Not found</title><p>There is no page here.</p>\n"
        self._send(404, page, {"Content-Type": "text/html; charset=utf-8"})

    def _json(self, status: int, text: str, headers: dict[str, str] | None = None) -> None:
        self._send(status, _json_error(text), {"Content-Type": "application/json", **(headers or {})})

    def _send(self, status: int, body: bytes, headers: dict[str, Any]) -> None:
        self.replied = True
        self.connection.settimeout(SOCKET_TIMEOUT_SECONDS)  # reading may have left a deadline's last second
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() in ("content-length", "connection", "transfer-encoding"):
                continue
            for item in value if isinstance(value, list) else [value]:
                self.send_header(name, str(item))
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection or self.server.connections.closing:
            self.close_connection = True
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)


def accepted_encoding(header: str) -> str | None:
    """The compression to use for a browser's Accept-Encoding (brotli when installed, else gzip), or None."""
    weights: dict[str, float] = {}
    for item in header.split(","):
        name, _, params = item.partition(";")
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value.strip())
                except ValueError:
                    weight = 0.0
        weights[name.strip().lower()] = weight
    for encoding in ("br", "gzip") if brotli is not None else ("gzip",):
        if weights.get(encoding, weights.get("*", 0.0)) > 0:
            return encoding
    return None


def compressed(data: bytes, encoding: str) -> bytes:
    """The file compressed; the same few pages are asked for again and again, so each is compressed once."""
    if len(data) <= CACHE_COMPRESSED_UP_TO_BYTES:
        return _compressed_page(data, encoding)
    return _compress(data, encoding)


@functools.lru_cache(maxsize=64)
def _compressed_page(data: bytes, encoding: str) -> bytes:
    return _compress(data, encoding)


def _compress(data: bytes, encoding: str) -> bytes:
    if encoding == "br":
        return brotli.compress(data)
    return gzip.compress(data, compresslevel=6, mtime=0)


def _file_in(site: Path, path: str) -> Path | None:
    """The file or folder a URL path names inside the site, or None: no `..`, nothing outside the site
    (symbolic links included), no hidden files."""
    if "\x00" in path or "\\" in path:
        return None
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if any(p == ".." or p.startswith(".") or len(p.encode("utf-8", "replace")) > NAME_MAX for p in parts):
        return None
    target = site.joinpath(*parts)
    try:
        resolved = target.resolve()
    except (OSError, RuntimeError):
        return None
    if not resolved.is_relative_to(site) or not resolved.exists():
        return None
    return resolved


# --- alerts ---------------------------------------------------------------------------------------------

ALERT_SWEEP_SECONDS = 1.0


class AlertWorker:
    """Sends a survey's queued alerts from a background thread: a sweep every `interval` seconds, each
    delivering what is due (collector/alerts.py: claim with a lease, post, settle, retry with backoff)."""

    def __init__(
        self,
        survey: Survey,
        interval: float = ALERT_SWEEP_SECONDS,
        clock: Callable[[], float] = time.time,
        send: Callable[..., None] | None = None,
    ):
        from .collector.alerts import post_json, webhook_source

        assert survey.alerts is not None
        self.survey = survey
        self.interval = interval
        self.clock = clock
        self.send = send or post_json
        self.webhook = webhook_source(survey.alerts.webhook)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.log = logging.getLogger("wowcard.alerts")

    def start(self) -> AlertWorker:
        env = self.survey.alerts.webhook_env if self.survey.alerts else None
        if env and not os.environ.get(env, "").strip():
            self.log.warning(
                "alerts wait in the outbox: the environment variable %s (alerts.webhook in survey.toml) is "
                "not set; start `wowcard serve` again with it set",
                env,
            )
        self._thread = threading.Thread(target=self._run, name="wowcard-alerts", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        from .collector.alerts import Sender

        sender: Sender | None = None
        while True:
            try:
                store = config.get_store()
                if sender is None or sender.store is not store:
                    sender = Sender(store, self.survey.id, self.webhook, clock=self.clock, send=self.send)
                sender.sweep(time_left=self._time_left)
            except Exception:
                # The store after its retries, or a bug: the alert stays in the outbox (its lease runs out)
                # and the next sweep tries again. Never the webhook's URL in the log.
                self.log.exception("could not send the alerts of survey %s; trying again", self.survey.id)
            if self._stop.wait(self.interval):
                return

    def _time_left(self) -> float:
        """While stopping, no new alert is claimed (one being sent finishes)."""
        return 0.0 if self._stop.is_set() else float("inf")

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)


# --- running --------------------------------------------------------------------------------------------


class Server:
    """One origin: the built pages and the collector. `start()` serves in a thread; `stop()` shuts down
    cleanly (call it from another thread than the one serving)."""

    def __init__(
        self,
        survey: Survey,
        host: str = "127.0.0.1",
        port: int = 8000,
        site: Path | None = None,
        alerts: AlertWorker | None = None,
        limits: Limits | None = None,
        rate_clock: Callable[[], float] = time.monotonic,
    ):
        from .collector.app import app

        self.survey = survey
        # The alert sender, when survey.toml has [alerts] (tests pass their own, with a fast clock).
        self.alerts = alerts if alerts is not None else (AlertWorker(survey) if survey.alerts else None)
        site = survey.output if site is None else site
        try:
            self.httpd = _HTTPServer(
                (host, port), site, make_gateway(app), survey, limits or Limits(), rate_clock
            )
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ServeError(
                    f"port {port} on {host} is already in use; "
                    "stop the other server or choose another with --port"
                ) from None
            raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        self._thread: threading.Thread | None = None
        self._stopped = threading.Lock()

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        host = self.httpd.server_address[0]
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def location_urls(self, base: str | None = None) -> list[tuple[str, str]]:
        prefix, base = self.httpd.prefix, base or self.url
        return [(loc.name, f"{base}{prefix}/{self.survey.id}/{loc.id}/") for loc in self.survey.locations]

    def network_urls(self) -> list[str]:
        """Where phones on the network reach this server (none when it listens on loopback only)."""
        from .lan import network_addresses, url_host

        host = self.httpd.server_address[0]
        return [f"http://{url_host(address)}:{self.port}" for address in network_addresses(host)]

    def start(self) -> Server:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2}, name="wowcard-serve", daemon=True
        )
        self._thread.start()
        if self.alerts is not None:
            self.alerts.start()
        return self

    def stop(self) -> None:
        """Stop accepting, finish requests in flight, close idle connections, then close the store."""
        if not self._stopped.acquire(blocking=False):
            return
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join()
        self.httpd.connections.close_idle()
        self.httpd.server_close()  # joins every request thread
        if self.alerts is not None:
            self.alerts.stop()
        config.close()


@contextmanager
def running(
    survey: Survey,
    host: str = "127.0.0.1",
    port: int = 0,
    build: bool = True,
    alerts: AlertWorker | None = None,
    limits: Limits | None = None,
    rate_clock: Callable[[], float] = time.monotonic,
) -> Iterator[Server]:
    """Prepare and serve in a background thread for the duration of the block (tests, benchmarks)."""
    server = Server(survey, host, port, alerts=alerts, limits=limits, rate_clock=rate_clock)
    try:
        prepare(survey, build=build)
    except BaseException:
        server.httpd.server_close()
        raise
    server.start()
    try:
        yield server
    finally:
        server.stop()
