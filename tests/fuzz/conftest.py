"""A live `wowcard serve` (a real process on loopback, SQLite underneath) for the fuzzers of a module, raw
HTTP requests sent byte for byte, and a read of what the store file holds."""

from __future__ import annotations

import json
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import LOGO_SVG, SURVEY_TOML


@dataclass
class RawReply:
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes
    raw: bytes


@dataclass
class Live:
    process: subprocess.Popen
    port: int
    folder: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database(self) -> Path:
        return self.folder / ".wowcard" / "responses.db"

    def version(self) -> str:
        return json.loads((self.folder / "build" / "harbour" / "survey.json").read_text())["version"]

    def send(self, request: bytes, timeout: float = 10) -> RawReply:
        """Send these exact bytes, close our side, read the whole reply."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            try:
                sock.sendall(request)
                sock.shutdown(socket.SHUT_WR)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered and closed before reading everything (a refused large body)
            chunks = []
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    chunk = sock.recv(65536)
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                chunks.append(chunk)
        raw = b"".join(chunks)
        return parse_reply(raw, head=request.startswith(b"HEAD "))

    def counts(self) -> tuple[int, int]:
        """(stored responses, the tallies' n summed) straight from the file."""
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True) as conn:
            responses = conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
            n = conn.execute("SELECT COALESCE(SUM(count), 0) FROM tallies WHERE field = 'n'").fetchone()[0]
        return responses, n

    def file_bytes(self) -> bytes:
        return b"".join(p.read_bytes() for p in sorted(self.database.parent.glob("responses.db*")))


def parse_reply(raw: bytes, head: bool = False) -> RawReply:
    top, _, body = raw.partition(b"\r\n\r\n")
    lines = top.decode("latin-1").split("\r\n")
    match = re.match(r"HTTP/1\.[01] (\d{3}) ?(.*)", lines[0]) if lines else None
    if match is None:
        raise AssertionError(f"no HTTP reply: {raw[:200]!r}")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if head:  # the headers describe a body that is not sent
        body = b""
    elif headers.get("content-length", "").isdigit():  # what follows answers leftover bytes
        body = body[: int(headers["content-length"])]
    return RawReply(int(match.group(1)), match.group(2), headers, body, raw)


def start(folder: Path) -> Live:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "survey.toml").write_text(SURVEY_TOML, encoding="utf-8")
    (folder / "logo.svg").write_text(LOGO_SVG, encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "wowcard", "serve", "-s", str(folder / "survey.toml"), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=folder,
    )
    assert process.stdout is not None
    output = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        output.append(line)
        found = re.search(r"on http://127\.0\.0\.1:(\d+)/", line)
        if found:
            threading.Thread(target=lambda: output.extend(process.stdout), daemon=True).start()
            return Live(process, int(found.group(1)), folder)
    process.kill()
    pytest.fail("wowcard serve did not start:\n" + "".join(output))


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    server = start(tmp_path_factory.mktemp("fuzz") / "harbour")
    try:
        yield server
    finally:
        server.process.send_signal(signal.SIGINT)
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)
