"""Submissions per second through `wowcard serve` on SQLite: N concurrent clients (keep-alive connections, the
page script's JSON as text/plain, each answer with its own id) for a bounded time, then a clean shutdown and
a check that every answer acknowledged with 201 is stored and the tallies equal a recount.

    .venv/bin/python bench/submissions.py [--clients 16] [--seconds 10] [--max 20000]

Prints throughput and latency percentiles. Everything runs on loopback in a temporary folder.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from wowcard.collector import tally
from wowcard.collector.store import open_store


def start_server(
    folder: Path, env: dict[str, str] | None = None, extra: tuple[str, ...] = ()
) -> tuple[subprocess.Popen, int]:
    """`wowcard serve --port 0 [extra…]` of the survey in `folder` (a subprocess); its port, once up."""
    process = subprocess.Popen(
        [sys.executable, "-m", "wowcard", "serve", "-s", str(folder / "survey.toml"), "--port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 90
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        match = re.search(r"on http://127\.0\.0\.1:(\d+)/", line)
        if match:
            threading.Thread(target=process.stdout.read, daemon=True).start()  # keep the pipe drained
            return process, int(match.group(1))
    process.kill()
    raise SystemExit(f"wowcard serve did not start: {process.stderr.read() if process.stderr else ''}")


def example_shop(tmp: str) -> Path:
    """`wowcard init` of the example survey in a folder under `tmp`."""
    folder = Path(tmp) / "shop"
    subprocess.run([sys.executable, "-m", "wowcard", "init", str(folder)], check=True, capture_output=True)
    return folder


def client(
    port: int,
    definition: dict,
    stop_at: float,
    budget: list[int],
    lock: threading.Lock,
    latencies: list[float],
    statuses: dict[int, int],
    stored_ids: list[str],
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.connect()
    # As browsers do: http.client sends headers and body in two writes, which Nagle would hold back.
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    rng = random.Random()
    path = f"/api/s/{definition['survey']}/responses"
    while time.monotonic() < stop_at:
        with lock:
            if budget[0] <= 0:
                break
            budget[0] -= 1
        location = rng.choice(definition["locations"])["id"]
        staff = [s["id"] for s in definition["staff"] if location in s["locations"]] or ["_"]
        answer = {
            "v": definition["version"],
            "id": uuid.uuid4().hex,
            "location": location,
            "lang": "en",
            "src": "card",
            "wow": rng.choice(["yes", "yes", "no"]),
            "staff": rng.choice(staff),
            "people": rng.randint(1, 5),
            "promises": [],
            "what": "Fixed my chain in five minutes",
        }
        body = json.dumps(answer)
        start = time.perf_counter()
        conn.request("POST", path, body=body, headers={"Content-Type": "text/plain;charset=UTF-8"})
        response = conn.getresponse()
        response.read()
        elapsed = time.perf_counter() - start
        with lock:
            latencies.append(elapsed)
            statuses[response.status] = statuses.get(response.status, 0) + 1
            if response.status == 201:
                stored_ids.append(answer["id"])
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--max", type=int, default=20000, help="stop after this many submissions")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = example_shop(tmp)
        process, port = start_server(folder)
        try:
            definition = json.loads(next((folder / "build").glob("*/survey.json")).read_text())
            lock = threading.Lock()
            latencies: list[float] = []
            statuses: dict[int, int] = {}
            stored_ids: list[str] = []
            budget = [args.max]
            began = time.perf_counter()
            stop_at = time.monotonic() + args.seconds
            threads = [
                threading.Thread(
                    target=client,
                    args=(port, definition, stop_at, budget, lock, latencies, statuses, stored_ids),
                )
                for _ in range(args.clients)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - began
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)
        store = open_store("sqlite:.wowcard/responses.db", str(folder))
        try:
            responses = list(store.responses(definition["survey"], "2000-01-01", "2100-12-31"))
            rows = store.tallies(definition["survey"], "2000-01-01", "2100-12-31")
        finally:
            store.close()
        recount = tally.sum_counts(tally.increments(r) for r in responses)
        tallied = tally.sum_counts(row.counts for row in rows)

    ordered = sorted(latencies)
    total = len(ordered)

    def pct(p: float) -> float:
        return ordered[min(total - 1, int(p * total))] * 1000

    print(f"wowcard serve + SQLite, {args.clients} concurrent clients, {wall:.1f} s, {total} submissions")
    print(f"  throughput: {total / wall:,.0f} submissions/s")
    print(
        f"  latency: p50 {pct(0.50):.1f} ms, p90 {pct(0.90):.1f} ms, p99 {pct(0.99):.1f} ms, "
        f"max {ordered[-1] * 1000:.1f} ms, mean {statistics.fmean(ordered) * 1000:.1f} ms"
    )
    print(f"  statuses: {dict(sorted(statuses.items()))}")
    print(
        f"  stored after shutdown: {len(responses)} (acknowledged 201: {len(stored_ids)}); "
        f"tallies equal a recount: {recount == tallied}; server exit code {process.returncode}"
    )
    ok = (
        len(responses) == len(stored_ids)
        and {r["id"] for r in responses} == set(stored_ids)
        and recount == tallied
    )
    if not ok:
        raise SystemExit("MISMATCH: stored responses or tallies disagree with what was acknowledged")


if __name__ == "__main__":
    main()
