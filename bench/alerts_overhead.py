"""What the alert outbox costs the customer: submissions per second through `wowcard serve` (SQLite) with
`[alerts]` off and on. With alerts on, every qualifying answer also writes its outbox row in the same
transaction, and the server's background thread posts it to a webhook (a receiver in its own process on
loopback) while the answers keep coming.

    .venv/bin/python bench/alerts_overhead.py [--clients 8] [--seconds 8] [--rounds 2] [--qualifying 1.0]

`--qualifying` is the share of answers that alert (1.0, the default, is the worst case: every answer asks
for a call back; in a real shop it is a few percent). Each round runs off then on; the throughput figure is
the median over rounds of on/off within a round, so a shared machine's drift between rounds cancels out. The
server's CPU time per stored answer (from /proc) is printed too. Last, the outbox row's own cost where it is
paid, in the store's transaction: `SqliteStore.put` of the same answers with and without their alert (no
HTTP, no threads; the best of the rounds, so the least noisy figure on a shared machine). Prints
throughput, latency percentiles, the overhead, and how many alerts were queued and sent.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
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

from submissions import start_server  # a sibling script: bench/ is on sys.path when run

RECEIVER = r"""
import http.server, sys, threading
count = [0]
lock = threading.Lock()
class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with lock:
            count[0] += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def do_GET(self):
        body = str(count[0]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""
WEBHOOK_ENV = "WOWCARD_BENCH_WEBHOOK"


def start_receiver() -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen([sys.executable, "-c", RECEIVER], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    return process, int(process.stdout.readline())


def received(port: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/")
        return int(conn.getresponse().read())
    finally:
        conn.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def client(
    port: int, definition: dict, stop_at: float, qualifying: float, results: list, lock: threading.Lock
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    rng = random.Random()
    path = f"/api/s/{definition['survey']}/responses"
    mine: list[tuple[int, float, bool]] = []
    while time.monotonic() < stop_at:
        location = rng.choice(definition["locations"])["id"]
        staff = [s["id"] for s in definition["staff"] if location in s["locations"]] or ["_"]
        alerting = rng.random() < qualifying
        answer = {
            "v": definition["version"],
            "id": uuid.uuid4().hex,
            "device": uuid.uuid4().hex,
            "location": location,
            "lang": "en",
            "wow": "yes",
            "staff": rng.choice(staff),
            "what": "Fixed my chain while I waited",
            "people": 5,
            "process": 4,
            "product": 5,
            "comment": "Please call me about my order" if alerting else "",
            "contact": "ann@example.com" if alerting else "",
            "consent": "yes" if alerting else "",
            "website": "",
        }
        started = time.perf_counter()
        conn.request(
            "POST", path, body=json.dumps(answer), headers={"Content-Type": "text/plain;charset=UTF-8"}
        )
        response = conn.getresponse()
        response.read()
        mine.append((response.status, time.perf_counter() - started, alerting))
    conn.close()
    with lock:
        results.extend(mine)


def run(alerts: bool, args: argparse.Namespace, receiver_port: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="wowcard-alerts-bench-") as tmp:
        folder = Path(tmp) / "shop"
        subprocess.run(
            [sys.executable, "-m", "wowcard", "init", str(folder)], check=True, capture_output=True
        )
        if alerts:
            with (folder / "survey.toml").open("a", encoding="utf-8") as toml:
                toml.write(f'\n[alerts]\nwebhook = "env:{WEBHOOK_ENV}"\n')
        env = {**os.environ, WEBHOOK_ENV: f"http://127.0.0.1:{receiver_port}/hook"}
        before = received(receiver_port)
        process, port = start_server(folder, env)
        try:
            definition = json.loads(
                (folder / "build" / "tidewater" / "survey.json").read_text(encoding="utf-8")
            )
            results: list[tuple[int, float, bool]] = []
            lock = threading.Lock()
            stop_at = time.monotonic() + args.seconds
            threads = [
                threading.Thread(
                    target=client, args=(port, definition, stop_at, args.qualifying, results, lock)
                )
                for _ in range(args.clients)
            ]
            started, cpu = time.monotonic(), cpu_seconds(process.pid)
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed, cpu = time.monotonic() - started, cpu_seconds(process.pid) - cpu
            stored_alerts = sum(1 for status, _, alerting in results if status == 201 and alerting)
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)
        latencies = sorted(latency for _, latency, _ in results)
        stored = sum(1 for status, _, _ in results if status == 201)
        return {
            "rate": stored / elapsed,
            "cpu_ms": cpu / stored * 1000,
            "errors": sum(1 for status, _, _ in results if status != 201),
            "p50": statistics.median(latencies) * 1000,
            "p95": latencies[int(len(latencies) * 0.95)] * 1000,
            "alerts_stored": stored_alerts if alerts else 0,
            "alerts_delivered": received(receiver_port) - before,
        }


def store_cost(rounds: int, count: int = 1500) -> tuple[float, float]:
    """Milliseconds per `put` of an answer asking for a call back, without and with its outbox row."""
    import dataclasses
    from datetime import UTC, datetime

    from wowcard.collector import alerts, answers
    from wowcard.collector.store_sqlite import SqliteStore
    from wowcard.collector.survey import load

    with tempfile.TemporaryDirectory(prefix="wowcard-alerts-bench-") as tmp:
        folder = Path(tmp) / "shop"
        subprocess.run(
            [sys.executable, "-m", "wowcard", "init", str(folder)], check=True, capture_output=True
        )
        with (folder / "survey.toml").open("a", encoding="utf-8") as toml:
            toml.write('\n[alerts]\nwebhook = "env:UNUSED"\n')
        definition = load(folder / "survey.toml").definition()
        timings: dict[bool, list[float]] = {False: [], True: []}
        for round_ in range(rounds):
            for alerting in (False, True):
                store = SqliteStore(Path(tmp) / f"store-{round_}-{alerting}.db")
                store.publish(definition.to_json())
                records = []
                for i in range(count):
                    body = {
                        "v": definition.version,
                        "id": f"bench-{round_}-{alerting}-{i:06d}",
                        "location": definition.locations[0].id,
                        "wow": "yes",
                        "staff": definition.staff[0].id,
                        "people": 5,
                        "comment": "Please call me about my order",
                        "contact": "ann@example.com",
                        "consent": "yes",
                    }
                    submission = answers.decode(json.dumps(body).encode(), "text/plain")
                    record = answers.record(submission, definition, datetime.now(UTC), "", "")
                    why = alerts.reasons(record.response, definition.alerts) if alerting else ()
                    records.append(dataclasses.replace(record, alert=why))
                started = time.perf_counter()
                for record in records:
                    store.put(record)
                timings[alerting].append((time.perf_counter() - started) / count * 1000)
                store.close()
    # The best of the rounds: what the work costs when nothing else on the machine gets in the way.
    return min(timings[False]), min(timings[True])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--qualifying", type=float, default=1.0)
    args = parser.parse_args()
    receiver, receiver_port = start_receiver()
    runs: dict[bool, list[dict]] = {False: [], True: []}
    try:
        for _ in range(args.rounds):
            for alerts in (False, True):
                result = run(alerts, args, receiver_port)
                runs[alerts].append(result)
                state = "on " if alerts else "off"
                line = (
                    f"alerts {state}: {result['rate']:7.1f} submissions/s  p50 {result['p50']:5.1f} ms  "
                    f"p95 {result['p95']:6.1f} ms  server CPU {result['cpu_ms']:.2f} ms/answer  "
                    f"errors {result['errors']}"
                )
                if alerts:
                    line += (
                        f"  alerts: {result['alerts_stored']} queued, {result['alerts_delivered']} sent "
                        "meanwhile (paced: 10 at once, then 1/s)"
                    )
                print(line, flush=True)
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)
    off = statistics.median(r["rate"] for r in runs[False])
    on = statistics.median(r["rate"] for r in runs[True])
    ratio = statistics.median(b["rate"] / a["rate"] for a, b in zip(runs[False], runs[True], strict=True))
    cpu_off = statistics.median(r["cpu_ms"] for r in runs[False])
    cpu_on = statistics.median(r["cpu_ms"] for r in runs[True])
    print(
        f"\n{args.rounds} rounds, {args.clients} clients x {args.seconds:g} s, "
        f"{args.qualifying:.0%} of answers alerting (medians):"
    )
    print(f"  alerts off {off:.1f} submissions/s, alerts on {on:.1f} submissions/s")
    print(f"  throughput with alerts on, paired by round: {ratio - 1:+.1%} (goal: no worse than -10 %)")
    print(
        f"  server CPU per stored answer: off {cpu_off:.2f} ms, on {cpu_on:.2f} ms "
        f"({cpu_on / cpu_off - 1:+.1%})"
    )
    without, with_outbox = store_cost(args.rounds)
    print(
        f"  the outbox row in the answer's transaction (SqliteStore.put, synchronous=FULL, best of rounds): "
        f"{without:.3f} ms without, {with_outbox:.3f} ms with ({with_outbox / without - 1:+.1%})"
    )


if __name__ == "__main__":
    main()
