"""What `wowcard serve` answers to each request on a connection (serve_http.py accepts the connections).

The request's framing is checked before anything else (one Content-Length or none, never with
Transfer-Encoding, no malformed or folded headers: no request smuggling), every body is read or the connection
closed, and every request arrives within its deadline (serve_limits.py). `/api/…` goes to the
collector's Chalice `app` through `chalice.local.LocalGateway`, with the `/api` prefix stripped as API
Gateway's stage does behind CloudFront; every other path is a file of the built site, never outside it,
gzip-compressed (brotli when installed) for browsers that take it, as CloudFront does. Every error is a
short JSON body.
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
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from chalice.config import Config
from chalice.local import (
    LambdaEventConverter,
    LocalChalice,
    LocalGateway,
    LocalGatewayException,
    RouteMatcher,
)

from .collector.answers import MAX_BODY_BYTES
from .serve_limits import Deadline, DeadlineReader

if TYPE_CHECKING:
    from .serve_http import HTTPServer

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


def json_error(text: str) -> bytes:
    return json.dumps({"error": text, "field": None}, separators=(",", ":")).encode()


# --- /api/… → the collector's Chalice app through chalice.local -----------------------------------------


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


# --- one connection's requests ---------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "wowcard"
    timeout = SOCKET_TIMEOUT_SECONDS
    # Headers and body go out in two writes; without TCP_NODELAY the body waits for the client's delayed
    # ACK (40 ms on Linux) on every keep-alive request.
    disable_nagle_algorithm = True
    server: HTTPServer

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
        self._send(status, json_error(text), {"Content-Type": "application/json", **(headers or {})})

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
