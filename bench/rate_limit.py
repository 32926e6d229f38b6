"""One client against the limits of `wowcard serve`. A phone on the network (on loopback: the address
127.0.0.2; this machine's own 127.0.0.1 is never limited) sends answers as fast as it can on one kept-alive
connection:

1. with no rate limit (`--rate-limit 0`): the requests per second one client can push through serve;
2. with the rate limit (default 300 a minute): how many answers get through before the first 429, the
   answers per second that get through after that, and how fast the refusals come back;
3. a crowd beyond the connection cap: `--crowd` connections opened at once, each starting a request it never
   finishes (from this machine, so that the per-address share does not stop them first); how many are
   answered 503 and how fast, and whether serve answers again once they go.

    .venv/bin/python bench/rate_limit.py [--seconds 10] [--rate-limit 300] [--crowd 300]

Everything runs on loopback in a temporary folder; the figures print on stdout.
"""

from __future__ import annotations

import argparse
import http.client
import json
import select
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from submissions import example_shop, start_server

from wowcard.serve_limits import MAX_CONNECTIONS, RATE_PER_MINUTE

PHONE = "127.0.0.2"


def hammer(port: int, definition: dict, seconds: float) -> dict:
    """Answers from one client address as fast as one connection goes: statuses in order, and timings."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(PHONE, 0))
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    path = f"/api/s/{definition['survey']}/responses"
    location = definition["locations"][0]["id"]
    statuses: list[tuple[float, int]] = []
    retry_after = None
    began = time.perf_counter()
    while (now := time.perf_counter()) - began < seconds:
        answer = {"v": definition["version"], "id": uuid.uuid4().hex, "location": location, "wow": "yes"}
        conn.request(
            "POST", path, body=json.dumps(answer), headers={"Content-Type": "text/plain;charset=UTF-8"}
        )
        response = conn.getresponse()
        response.read()
        if response.status == 429:
            retry_after = response.getheader("Retry-After")
        if response.will_close:
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(PHONE, 0))
        statuses.append((now - began, response.status))
    conn.close()
    return {"statuses": statuses, "wall": time.perf_counter() - began, "retry_after": retry_after}


def crowd(port: int, count: int) -> tuple[int, int, float, int]:
    """Open `count` connections at once and hold them; (turned away with 503, other, seconds to answer them
    all, the status of a request once they are gone)."""
    began = time.perf_counter()
    sockets = []
    for _ in range(count):  # each starts a request whose headers never end, as a slow-drip attacker does
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        try:
            sock.sendall(b"GET / HTTP/1.1\r\nX-Slow: 1\r\n")
        except OSError:
            pass  # turned away before it could send
        sockets.append(sock)
    turned_away = other = 0
    waiting = list(sockets)
    deadline = time.monotonic() + 5
    while waiting and time.monotonic() < deadline:
        readable, _, _ = select.select(waiting, [], [], 0.5)
        if not readable:
            break  # the rest were accepted and wait for their request
        for sock in readable:
            data = sock.recv(65536)
            if data.startswith(b"HTTP/1.1 503 "):
                turned_away += 1
            else:
                other += 1
            waiting.remove(sock)
    answered = time.perf_counter() - began
    for sock in sockets:
        sock.close()
    time.sleep(0.2)  # the held connections' threads see them close
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/api/healthz")
    after = conn.getresponse().status
    conn.close()
    return turned_away, other, answered, after


def serve(folder: Path, *extra: str) -> tuple[subprocess.Popen, int]:
    return start_server(folder, extra=extra)


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate-limit", type=int, default=RATE_PER_MINUTE)
    parser.add_argument("--crowd", type=int, default=MAX_CONNECTIONS + 44)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = example_shop(tmp)
        process, port = serve(folder, "--rate-limit", "0")
        try:
            definition = json.loads(next((folder / "build").glob("*/survey.json")).read_text())
            free = hammer(port, definition, args.seconds)
        finally:
            stop(process)
        process, port = serve(folder, "--rate-limit", str(args.rate_limit))
        try:
            limited = hammer(port, definition, args.seconds)
            turned_away, other, answered, after = crowd(port, args.crowd)
        finally:
            stop(process)

    n = len(free["statuses"])
    print(
        f"one client (keep-alive, answers as fast as it can) for {args.seconds:.0f} s through wowcard serve:"
    )
    print(f"  no rate limit:       {n / free['wall']:,.0f} requests/s, all stored: "
          f"{all(s == 201 for _, s in free['statuses'])}")  # fmt: skip
    statuses = limited["statuses"]
    accepted = [t for t, s in statuses if s == 201]
    refused = [t for t, s in statuses if s == 429]
    first_refusal = refused[0] if refused else limited["wall"]
    later = [t for t in accepted if t > first_refusal]
    after_burst = len(later) / (limited["wall"] - first_refusal) if refused else float("nan")
    print(f"  rate limit {args.rate_limit}/min: {len(statuses) / limited['wall']:,.0f} requests/s answered, "
          f"{len(accepted)} stored ({len(accepted) / limited['wall']:.1f}/s over the run)")  # fmt: skip
    print(f"    burst before the first 429: {len([t for t in accepted if t <= first_refusal])} answers in "
          f"{first_refusal:.2f} s; after it: {after_burst:.1f} answers/s stored "
          f"(the limit: {args.rate_limit / 60:.1f}/s)")  # fmt: skip
    print(f"    429s: {len(refused)} ({len(refused) / max(1e-9, limited['wall'] - first_refusal):,.0f}/s), "
          f"Retry-After: {limited['retry_after']} s")  # fmt: skip
    print(f"a crowd of {args.crowd} connections held busy at once (cap {MAX_CONNECTIONS}):")
    print(f"  turned away with 503: {turned_away} (other replies: {other}), all within {answered:.2f} s; "
          f"a request once they left: {after}")  # fmt: skip


if __name__ == "__main__":
    main()
