"""`wowcard serve`: the survey pages and the very same Chalice collector, from one origin on this machine.

`/api/…` goes to the collector's Chalice `app` through `chalice.local.LocalGateway` (the `/api` prefix is
stripped, as API Gateway's stage `api` does behind CloudFront); every other path is a file of the built site.
The store is the survey's `[store]` (SQLite beside survey.toml by default). Before serving, the current
definition is published and the pages are rebuilt when they are missing or older than their sources.

With `[alerts]` in survey.toml a background thread sends the alerts the collector queued (one outbox entry per
qualifying answer, written with the response): it sweeps the outbox every second, so an alert reaches the
webhook within a few seconds of the answer, and never while the customer waits for theirs. The webhook URL
is read from the owner's environment ("env:NAME") when an alert is sent.

Shutting down (Ctrl-C, SIGTERM) stops accepting, lets every request in flight finish (a response is stored
in one transaction or not at all), closes idle connections, lets an alert being sent finish, and then closes
the store: nothing is lost (an alert not yet sent stays in the outbox for the next start).
"""

from __future__ import annotations

import base64
import errno
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

API_PREFIX = "/api"
# Reading a request may not take longer than this; it also bounds how long shutdown waits for a slow client.
SOCKET_TIMEOUT_SECONDS = 30
TEXT_TYPES = ("text/", "application/json", "application/javascript", "image/svg+xml")


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
    """Which connections sit idle between requests, so shutdown can close them without cutting a request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: set[BaseHTTPRequestHandler] = set()
        self.closing = False

    def idle(self, handler: BaseHTTPRequestHandler) -> bool:
        with self._lock:
            if self.closing:
                return False
            self._idle.add(handler)
            return True

    def busy(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self._idle.discard(handler)

    def gone(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self._idle.discard(handler)

    def close_idle(self) -> None:
        with self._lock:
            self.closing = True
            idle, self._idle = list(self._idle), set()
        for handler in idle:
            try:
                handler.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = False  # server_close() waits for requests in flight
    block_on_close = True
    request_queue_size = 128  # phones and browsers open several connections at once

    def __init__(self, address: tuple[str, int], site: Path, gateway: LocalGateway, survey: Survey):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.site = site.resolve()
        self.gateway = gateway
        self.survey = survey
        self.prefix = site_path(survey.site_url)  # pages live under site_url's path, as they link
        self.connections = _Connections()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer is not the server's problem; anything else is worth a line.
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError | TimeoutError):
            return
        super().handle_error(request, client_address)


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
        self.server.connections.idle(self)

    def finish(self) -> None:
        self.server.connections.gone(self)
        super().finish()

    def parse_request(self) -> bool:
        self.server.connections.busy(self)
        return super().parse_request()

    def handle_one_request(self) -> None:
        super().handle_one_request()
        if not self.close_connection and not self.server.connections.idle(self):
            self.close_connection = True

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the collector logs its own errors; a line per request would drown the URLs to open."""

    def _dispatch(self) -> None:
        path = urlsplit(self.path).path
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            self._api()
        elif self.command in ("GET", "HEAD"):
            self._static(path)
        else:
            self._send(
                405,
                b'{"error":"the pages only answer GET and HEAD","field":null}',
                {"Content-Type": "application/json", "Allow": "GET, HEAD"},
            )

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _dispatch

    # --- /api/… → the Chalice app -------------------------------------------------------------------

    def _api(self) -> None:
        body = self._body()
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
            self._send(
                404, b'{"error":"no such API path","field":null}', {"Content-Type": "application/json"}
            )
            return
        except Exception:
            # The app answers every error itself; this is chalice.local failing on a request it cannot turn
            # into an event. Like the collector: 503 and "send it again", never a traceback.
            logging.getLogger("wowcard.serve").exception(
                "cannot hand %s %s to the collector", self.command, path
            )
            self._send(
                503,
                b'{"error":"the collector cannot take this request just now","field":null}',
                {"Content-Type": "application/json", "Retry-After": "5"},
            )
            return
        headers = {**response.get("headers", {}), **response.get("multiValueHeaders", {})}
        payload = response.get("body") or b""
        if response.get("isBase64Encoded"):
            payload = base64.b64decode(payload)
        elif isinstance(payload, str):
            payload = payload.encode("utf-8")
        self._send(response["statusCode"], payload, headers)

    def _body(self) -> bytes | None:
        """The request body, or None when an error reply was already sent. A body over the collector's limit
        is not read at all: the app refuses it by its Content-Length (413) and the connection is closed."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            self._send(
                411, b'{"error":"send a Content-Length","field":null}', {"Content-Type": "application/json"}
            )
            return None
        declared = self.headers.get("Content-Length", "0").strip() or "0"
        if not declared.isdigit():
            self.close_connection = True
            self._send(
                400,
                b'{"error":"Content-Length is not a number","field":null}',
                {"Content-Type": "application/json"},
            )
            return None
        length = int(declared)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            return b""
        return self.rfile.read(length) if length else b""

    # --- everything else → the built pages ----------------------------------------------------------

    def _static(self, url_path: str) -> None:
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
        try:
            data = target.read_bytes()
        except OSError:
            self._not_found()
            return
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if content_type.startswith(TEXT_TYPES):
            content_type += "; charset=utf-8"
        self._send(200, data, {"Content-Type": content_type, "Cache-Control": "no-cache"})

    def _not_found(self) -> None:
        page = b"<!doctype html><title>Not found</title><p>There is no page here.</p>\n"
        self._send(404, page, {"Content-Type": "text/html; charset=utf-8"})

    def _send(self, status: int, body: bytes, headers: dict[str, Any]) -> None:
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


def _file_in(site: Path, path: str) -> Path | None:
    """The file or folder a URL path names inside the site, or None: no `..`, nothing outside the site
    (symbolic links included), no hidden files."""
    if "\x00" in path or "\\" in path:
        return None
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if any(p == ".." or p.startswith(".") for p in parts):
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
    ):
        from .collector.app import app

        self.survey = survey
        # The alert sender, when survey.toml has [alerts] (tests pass their own, with a fast clock).
        self.alerts = alerts if alerts is not None else (AlertWorker(survey) if survey.alerts else None)
        site = survey.output if site is None else site
        try:
            self.httpd = _HTTPServer((host, port), site, make_gateway(app), survey)
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

    def location_urls(self) -> list[tuple[str, str]]:
        prefix = self.httpd.prefix
        return [(loc.name, f"{self.url}{prefix}/{self.survey.id}/{loc.id}/") for loc in self.survey.locations]

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
) -> Iterator[Server]:
    """Prepare and serve in a background thread for the duration of the block (tests, benchmarks)."""
    server = Server(survey, host, port, alerts=alerts)
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
