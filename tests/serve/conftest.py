"""`wowcard serve` as a real subprocess on the example survey, reached over loopback HTTP."""

from __future__ import annotations

import http.client
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from wowcard.collector import tally
from wowcard.collector.store import open_store

ALL_DAYS = ("2000-01-01", "2100-12-31")


@dataclass
class Served:
    """A running `wowcard serve`: its process, its address and what it printed so far."""

    process: subprocess.Popen
    port: int
    survey_dir: Path
    output: list[str] = field(default_factory=list)
    _reader: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def definition(self) -> dict[str, Any]:
        return json.loads((self.survey_dir / "build" / "harbour" / "survey.json").read_text(encoding="utf-8"))

    def connection(self) -> http.client.HTTPConnection:
        """A keep-alive connection that sends at once, as browsers do (TCP_NODELAY)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def request(
        self, method: str, path: str, body: bytes | str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        conn = self.connection()
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def post_answer(
        self, answer: dict[str, Any], conn: http.client.HTTPConnection | None = None
    ) -> tuple[int, Any]:
        own = conn is None
        conn = conn or self.connection()
        try:
            conn.request(
                "POST",
                "/api/s/harbour/responses",
                body=json.dumps(answer),
                headers={"Content-Type": "text/plain;charset=UTF-8"},
            )
            response = conn.getresponse()
            body = response.read()
            return response.status, json.loads(body) if body else None
        finally:
            if own:
                conn.close()

    def stop(self, signum: int = signal.SIGINT, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        code = self.process.wait(timeout=timeout)
        if self._reader is not None:
            self._reader.join(timeout=5)
        return code

    def text(self) -> str:
        return "".join(self.output)


def start_serve(survey_dir: Path, *extra: str, timeout: float = 60) -> Served:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wowcard",
            "serve",
            "-s",
            str(survey_dir / "survey.toml"),
            "--port",
            "0",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=survey_dir,
    )
    served = Served(process, 0, survey_dir)
    found = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            served.output.append(line)
            match = re.search(r"on http://127\.0\.0\.1:(\d+)/", line)
            if match and not found.is_set():
                served.port = int(match.group(1))
            if line.startswith("Ctrl-C stops"):
                found.set()
        found.set()

    served._reader = threading.Thread(target=read, daemon=True)
    served._reader.start()
    deadline = time.monotonic() + timeout
    while not found.wait(0.1):
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("wowcard serve did not start in time:\n" + served.text())
    if served.port == 0:
        process.kill()
        pytest.fail("wowcard serve did not print its URL:\n" + served.text())
    return served


@pytest.fixture
def served(survey_dir: Path) -> Iterator[Served]:
    server = start_serve(survey_dir)
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait(timeout=10)


@pytest.fixture(name="start_serve")
def start_serve_fixture() -> Iterator[Any]:
    """Start more servers (with extra command-line arguments); each is killed at the end if still running."""
    started: list[Served] = []

    def start(survey_dir: Path, *extra: str) -> Served:
        server = start_serve(survey_dir, *extra)
        started.append(server)
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait(timeout=10)


@pytest.fixture(name="stored")
def stored_fixture(survey_dir: Path) -> Any:
    """Read what the server stored: every response, and the tallies summed over days, locations, shards."""
    return lambda: read_store(survey_dir)


def read_store(survey_dir: Path) -> tuple[list[dict[str, Any]], dict[str, int]]:
    store = open_store("sqlite:.wowcard/responses.db", str(survey_dir))
    try:
        responses = list(store.responses("harbour", *ALL_DAYS))
        tallied = tally.sum_counts(row.counts for row in store.tallies("harbour", *ALL_DAYS))
    finally:
        store.close()
    return responses, tallied
