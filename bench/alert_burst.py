"""How long a genuine alert takes to reach the webhook after a burst of alerts, through `wowcard serve`.

    .venv/bin/python bench/alert_burst.py [--burst 200] [--clients 8] [--rounds 1] [--after 0]

A survey with `[alerts]` is served by `wowcard serve` (SQLite, its background sender) and a webhook receiver
on loopback records when each message arrives. Each round posts `--burst` lowest-rating answers as fast as
`--clients` connections can, then (`--after` seconds later) one genuine alert (a customer asking to be called
back), and measures the seconds from the genuine answer's 201 to the first message that tells it (on its
own, or counted in a burst's summary). Prints the burst's duration, the messages the webhook received, and
that figure; for comparison, where the genuine alert would have been without coalescing (the sender paces
one message a second after a burst of ten, so it would be message number burst + 1).
"""

from __future__ import annotations

import argparse
import http.client
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from submissions import start_server  # a sibling script: bench/ is on sys.path when run

WEBHOOK_ENV = "WOWCARD_BENCH_WEBHOOK"


class Receiver:
    """A webhook on loopback that notes when each message arrived and what it said."""

    def __init__(self) -> None:
        self.messages: list[tuple[float, dict]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                with receiver.lock:
                    receiver.messages.append((time.monotonic(), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def told(self, rid: str) -> float | None:
        """When the first message naming `rid` arrived (its own alert, or a summary counting it)."""
        with self.lock:
            for at, body in self.messages:
                if body.get("response", {}).get("id") == rid or rid in body.get("summary", {}).get("ids", []):
                    return at
        return None


def post(port: int, survey: str, answer: dict) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(
            "POST",
            f"/api/s/{survey}/responses",
            json.dumps(answer),
            {"Content-Type": "text/plain;charset=UTF-8"},
        )
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def burst(port: int, definition: dict, count: int, clients: int) -> float:
    """`count` lowest ratings from `clients` threads at once; the seconds it took."""
    location = definition["locations"][0]["id"]
    answers = [
        {"v": definition["version"], "id": uuid.uuid4().hex, "location": location, "lang": "en", "people": 1}
        for _ in range(count)
    ]
    chunks = [answers[i::clients] for i in range(clients)]
    started = time.monotonic()
    threads = [
        threading.Thread(target=lambda chunk=chunk: [post(port, definition["survey"], a) for a in chunk])
        for chunk in chunks
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started


def run(args: argparse.Namespace, receiver: Receiver) -> dict:
    with tempfile.TemporaryDirectory(prefix="wowcard-burst-bench-") as tmp:
        folder = Path(tmp) / "survey"
        subprocess.run(
            [sys.executable, "-m", "wowcard", "init", str(folder)], check=True, capture_output=True
        )
        with (folder / "survey.toml").open("a", encoding="utf-8") as toml:
            toml.write(f'\n[alerts]\nwebhook = "env:{WEBHOOK_ENV}"\n')
        process, port = start_server(folder, {**os.environ, WEBHOOK_ENV: receiver.url})
        try:
            definition = json.loads(
                next((folder / "build").glob("*/survey.json")).read_text(encoding="utf-8")
            )
            before = len(receiver.messages)
            took = burst(port, definition, args.burst, args.clients)
            time.sleep(args.after)
            genuine = {
                "v": definition["version"],
                "id": uuid.uuid4().hex,
                "location": definition["locations"][0]["id"],
                "lang": "en",
                "wow": "no",
                "comment": "Nobody came to the counter for twenty minutes",
                "contact": "genuine@example.com",
                "consent": "yes",
            }
            assert post(port, definition["survey"], genuine) == 201
            answered = time.monotonic()
            deadline = answered + args.timeout
            while (arrived := receiver.told(genuine["id"])) is None and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(1.5)  # let the sender finish what it was sending
            with receiver.lock:
                messages = receiver.messages[before:]
            on_its_own = any(b.get("response", {}).get("id") == genuine["id"] for _, b in messages)
            return {
                "burst_seconds": took,
                "messages": len(messages),
                "summaries": sum(1 for _, b in messages if "summary" in b),
                "genuine_seconds": None if arrived is None else arrived - answered,
                "on_its_own": on_its_own,
            }
        finally:
            process.terminate()
            process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=240.0)
    parser.add_argument(
        "--after",
        type=float,
        default=0.0,
        help="seconds between the burst and the genuine alert (2: after the burst's summary went out, the "
        "worst case: it waits for the next summary)",
    )
    args = parser.parse_args()
    receiver = Receiver()
    worst = 0.0
    for n in range(1, args.rounds + 1):
        result = run(args, receiver)
        seconds = result["genuine_seconds"]
        told = "on its own" if result["on_its_own"] else "counted in a summary"
        figure = "not told" if seconds is None else f"{seconds:.1f} s ({told})"
        print(
            f"round {n}: {args.burst} lowest ratings posted in {result['burst_seconds']:.2f} s; "
            f"webhook got {result['messages']} messages ({result['summaries']} summaries); "
            f"genuine alert after the burst told in {figure}",
            flush=True,
        )
        worst = max(worst, float("inf") if seconds is None else seconds)
    paced = args.burst + 1 - 10  # one a second after a burst of ten
    print(
        f"\ngenuine alert after a {args.burst}-alert burst: {worst:.1f} s (worst of {args.rounds}; goal 60 s)"
    )
    print(f"without coalescing it would be message {args.burst + 1}, about {paced} s after the burst")


if __name__ == "__main__":
    main()
