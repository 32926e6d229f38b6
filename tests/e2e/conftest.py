"""Stand-ins for the faults a real deployment meets, shared by the end-to-end tests: `wowcard serve` running
in this process (so a test can hold its SQLite file's write lock), DynamoDB in moto_server behind a loopback
gate that can be cut or made to answer as a throttled or conflicting table (real HTTP, real botocore parsing,
the real collector app), and real Chromium on a phone viewport. Nothing is patched."""

from __future__ import annotations

import dataclasses
import http.client
import json
import socket
import sqlite3
import struct
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

from wowcard import serve as serving
from wowcard.collector import config, tally
from wowcard.collector.store_dynamodb import DynamoStore, create_table
from wowcard.collector.survey import Survey

REGION = "eu-west-2"
ALL_DAYS = ("2000-01-01", "2100-12-31")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


# --- reading what a store holds ----------------------------------------------------------------------------


def contents(store: Any, survey: str = "harbour") -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Every stored response of the survey, and its tallies summed over days, locations and shards."""
    responses = list(store.responses(survey, *ALL_DAYS))
    tallied = tally.sum_counts(row.counts for row in store.tallies(survey, *ALL_DAYS))
    return responses, tallied


def recount(responses: list[dict[str, Any]]) -> dict[str, int]:
    return tally.sum_counts(tally.increments(r) for r in responses)


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"e2e-{name}.png"), full_page=True)


# --- `wowcard serve` in this process ---------------------------------------------------------------------


@contextmanager
def serving_survey(survey: Survey, **settings: Any) -> Iterator[serving.Server]:
    """`wowcard serve` on a free loopback port for the block, with extra collector settings (AWS endpoint);
    the collector's settings are put back afterwards."""
    original = config.settings
    try:
        if settings:
            config.configure(**settings)
        with serving.running(survey, port=0) as server:
            yield server
    finally:
        config.close()
        config.settings = original


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float = 0.0

    def json(self) -> Any:
        return json.loads(self.body)


def post(
    url: str, body: bytes | str, content_type: str = "text/plain;charset=UTF-8", **headers: str
) -> Reply:
    """One POST on its own connection (a phone's request), answered or not within 60 s."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    data = body.encode() if isinstance(body, str) else body
    sent = {"Content-Type": content_type, **{k.replace("_", "-"): v for k, v in headers.items()}}
    started = time.perf_counter()
    try:
        conn.request("POST", parts.path, body=data, headers=sent)
        response = conn.getresponse()
        return Reply(
            response.status, dict(response.getheaders()), response.read(), time.perf_counter() - started
        )
    finally:
        conn.close()


def get(url: str) -> Reply:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("GET", parts.path)
        response = conn.getresponse()
        return Reply(response.status, dict(response.getheaders()), response.read())
    finally:
        conn.close()


# --- SQLite: another process holding the write lock -------------------------------------------------------


class WriteLock:
    """A second connection to the store file that takes the write lock (as `sqlite3` in a shell, a backup
    tool or another writer would) and lets it go when told."""

    def __init__(self, path: Path):
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    def hold(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def close(self) -> None:
        self.release()
        self.conn.close()


@pytest.fixture
def write_lock(survey_dir: Path) -> Iterator[Any]:
    locks: list[WriteLock] = []

    def make() -> WriteLock:
        lock = WriteLock(survey_dir / ".wowcard" / "responses.db")
        locks.append(lock)
        return lock

    yield make
    for lock in locks:
        lock.close()


# --- DynamoDB: moto_server behind a gate ------------------------------------------------------------------


@dataclass
class Fault:
    """What the gate does to the next `times` requests of a DynamoDB operation (e.g. TransactWriteItems)."""

    operation: str
    # "error": answer `status`/`body` instead of DynamoDB; "lose-reply": forward, then hang up; "late-reply":
    # forward, then answer only after `seconds` (past the client's read timeout)
    kind: str
    times: int = 1
    status: int = 400
    body: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def aws_error(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """A DynamoDB error body as the service sends it (JSON 1.0 protocol)."""
    return {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message, **extra}


class Gate:
    """The network between the collector and DynamoDB: a loopback HTTP proxy in front of moto_server that
    forwards every request, unless it is cut (connections are reset: the table is unreachable) or a fault is
    queued for the next requests of an operation. It counts the operations it saw."""

    def __init__(self, upstream: str):
        host, _, port = upstream.removeprefix("http://").partition(":")
        self.upstream = (host, int(port))
        self.down = False
        self.faults: list[Fault] = []
        self.seen: list[str] = []
        self.lock = threading.Lock()
        gate = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                gate.forward(self)

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def inject(self, *faults: Fault) -> None:
        with self.lock:
            self.faults.extend(faults)

    def count(self, operation: str) -> int:
        with self.lock:
            return self.seen.count(operation)

    def _fault_for(self, operation: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.operation == operation:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def forward(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        operation = (handler.headers.get("X-Amz-Target") or "").rpartition(".")[2]
        with self.lock:
            self.seen.append(operation)
        if self.down:
            return _hang_up(handler)
        fault = self._fault_for(operation)
        if fault is not None and fault.kind == "error":
            data = json.dumps(fault.body).encode()
            handler.send_response(fault.status)
            handler.send_header("Content-Type", "application/x-amz-json-1.0")
            handler.send_header("x-amzn-RequestId", uuid.uuid4().hex)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
            return
        upstream = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("connection", "host")}
            upstream.request("POST", handler.path, body=body, headers=headers)
            response = upstream.getresponse()
            data = response.read()
            answer_headers = [
                (k, v)
                for k, v in response.getheaders()
                if k.lower() not in ("connection", "content-length", "transfer-encoding")
            ]
        finally:
            upstream.close()
        if fault is not None and fault.kind == "lose-reply":
            return _hang_up(handler)  # DynamoDB did it; the answer never reaches the collector
        if fault is not None and fault.kind == "late-reply":
            time.sleep(fault.seconds)  # DynamoDB did it; the collector stopped waiting before the answer came
        handler.send_response(response.status)
        for name, value in answer_headers:
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A late reply meets a collector that already hung up: that is the fault being played."""


def _hang_up(handler: BaseHTTPRequestHandler) -> None:
    """Reset the connection without a reply, as a dead endpoint or a broken network does."""
    handler.close_connection = True
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


@dataclass
class DynamoDB:
    """A fresh table in moto_server, the gate the collector reaches it through, and a direct reader."""

    table: str
    gate: Gate
    direct: DynamoStore  # reads moto_server without the gate: what is really stored

    def served(self, survey: Survey) -> Any:
        """`wowcard serve` of the survey, storing in this table through the gate."""
        hosted = dataclasses.replace(survey, store=f"dynamodb:{self.table}")
        return serving_survey(hosted, aws_region=REGION, aws_endpoint_url=self.gate.url)


@pytest.fixture
def dynamodb(aws_credentials: None, moto_endpoint: str) -> Iterator[DynamoDB]:
    name = f"wowcard-{uuid.uuid4().hex[:12]}"
    client = boto3.client("dynamodb", region_name=REGION, endpoint_url=moto_endpoint)
    create_table(client, name)
    gate = Gate(moto_endpoint)
    gate.thread.start()
    try:
        yield DynamoDB(name, gate, DynamoStore(name, region=REGION, endpoint_url=moto_endpoint))
    finally:
        gate.close()
        client.delete_table(TableName=name)


# --- Chromium ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def phone_browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright (never a downloaded browser), shared by a module's tests."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from chromium import launch

    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright, host_rules=["MAP wowcard.test 127.0.0.1"])
        try:
            yield browser
        finally:
            browser.close()
