"""`wowcard serve` out of file descriptors, as a real process whose open-file limit is lowered while it runs:
every waiting connection is answered 503 (none hangs), the process does not spin on the connections it cannot
accept, and once the pressure goes a real answer is stored. And the limits are set from the command line."""

from __future__ import annotations

import os
import re
import resource
import select
import time
from pathlib import Path

import pytest
from rawhttp import connect, parse_replies, read_until_closed, request

from wowcard.serve_limits import fitting_connections

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="reads the server's state in /proc"
)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def test_out_of_file_descriptors_serve_answers_503_without_spinning_and_recovers(served, stored) -> None:
    pid, port = served.process.pid, served.port
    version = served.definition()["version"]
    _, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (len(os.listdir(f"/proc/{pid}/fd")) + 4, hard))
    sockets = [connect(port, timeout=5) for _ in range(40)]
    held: list = []
    try:
        # Connections that cannot get a descriptor are told so at once; the few accepted wait for a request.
        turned_away, waiting = [], list(sockets)
        while readable := select.select(waiting, [], [], 1.0)[0]:
            for sock in readable:
                turned_away.append(parse_replies(read_until_closed(sock)))
                waiting.remove(sock)
        assert len(turned_away) >= 30
        assert all([r.status for r in replies] == [503] for replies in turned_away)
        for sock in waiting:
            sock.sendall(request("GET", "/harbour/quay/", close=True))
            assert parse_replies(read_until_closed(sock))[0].status in (200, 503)
        # Under the pressure a new client is told 503 before it even sends (the page's queue sends again) ...
        held += [connect(port) for _ in range(6)]
        with connect(port) as sock:
            assert [r.status for r in parse_replies(read_until_closed(sock))] == [503]
        # ... and the server does not spin on the connections it cannot accept.
        before, started = cpu_seconds(pid), time.monotonic()
        time.sleep(1.0)
        busy = (cpu_seconds(pid) - before) / (time.monotonic() - started)
        assert busy < 0.3, f"serve used {busy:.0%} of a CPU while out of descriptors"
    finally:
        for sock in sockets + held:
            sock.close()
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (hard, hard))  # the pressure goes
    answer = {"v": version, "id": "after-the-pressure", "location": "quay", "wow": "yes", "staff": "maya"}
    assert served.post_answer(answer)[0] == 201
    assert served.stop() == 0
    assert "after-the-pressure" in [r["id"] for r in stored()[0]]


def test_the_rate_limit_is_set_on_the_command_line(start_serve, survey_dir: Path) -> None:
    server = start_serve(survey_dir, "--rate-limit", "2")
    phone = [parse_replies(read_until_closed_after(server.port, "127.0.0.2"))[0] for _ in range(3)]
    statuses = [(r.status, r.headers.get("retry-after")) for r in phone]
    assert statuses == [(200, None), (200, None), (429, "30")]
    assert server.stop() == 0


def test_the_connection_cap_is_set_on_the_command_line(start_serve, survey_dir: Path) -> None:
    server = start_serve(survey_dir, "--max-connections", "2")
    held = [connect(server.port) for _ in range(2)]
    try:
        for sock in held:  # each connection's thread is running: one request answered, the next one begun
            sock.sendall(request("GET", "/api/healthz"))
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
            sock.sendall(b"GET /harbour/quay/ HTTP/1.1\r\nX-Slow: 1\r\n")
        time.sleep(0.2)  # the threads read their request lines
        status, headers, _ = server.request("GET", "/harbour/quay/")
        assert (status, headers["Retry-After"]) == (503, "1")
    finally:
        for sock in held:
            sock.close()
    assert server.stop() == 0


def read_until_closed_after(port: int, source: str) -> bytes:
    with connect(port, source) as sock:
        sock.sendall(request("GET", "/api/healthz", close=True))
        return read_until_closed(sock)


def test_the_connection_cap_fits_the_open_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    in_use = len(os.listdir("/proc/self/fd"))
    resource.setrlimit(resource.RLIMIT_NOFILE, (in_use + 164, hard))
    try:
        assert fitting_connections(256) == (50, in_use + 164)  # 2 descriptors a connection, 64 kept aside
        assert fitting_connections(20) == (20, None)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_serve_says_when_the_open_file_limit_holds_the_connections_down(
    start_serve, survey_dir: Path
) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 300), hard))  # inherited by the server
    try:
        server = start_serve(survey_dir)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    found = re.search(r"At most (\d+) connections at once: this process may open 300 files", server.text())
    assert found is not None, server.text()
    assert 0 < int(found.group(1)) < 256
    assert server.stop() == 0
