"""Memory of `wowcard serve` under posts to survey ids nobody published (and to made-up versions of the real
survey): the collector's cache of survey definitions must stay bounded whatever ids it is asked about.

    .venv/bin/python bench/unknown_surveys.py [--posts 60000] [--clients 4] [--versions 0]

Starts `wowcard serve` on a fresh example survey (loopback, a temporary folder), reads its resident memory
(VmRSS), posts N answers to random unknown survey ids (each a 404) over keep-alive connections, waits a
moment, and reads the memory again; prints the growth in MB. `--versions N` then posts N answers naming
random made-up versions of the real survey (each a 409) and prints the memory after them.
"""

from __future__ import annotations

import argparse
import http.client
import json
import secrets
import signal
import socket
import tempfile
import threading
import time
from pathlib import Path

from submissions import example_shop, start_server  # a sibling script: bench/ is on sys.path when run


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmRSS in /proc: this benchmark needs Linux")


Request = tuple[str, bytes]  # path, body


def poster(port: int, requests: list[Request], statuses: dict[int, int], lock: threading.Lock) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    seen: dict[int, int] = {}
    for path, body in requests:
        conn.request("POST", path, body=body, headers={"Content-Type": "text/plain"})
        response = conn.getresponse()
        response.read()
        seen[response.status] = seen.get(response.status, 0) + 1
        if response.getheader("Connection", "").lower() == "close":
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.close()
    with lock:
        for status, n in seen.items():
            statuses[status] = statuses.get(status, 0) + n


def post_all(port: int, requests: list[Request], clients: int) -> tuple[dict[int, int], float]:
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    began = time.perf_counter()
    threads = [
        threading.Thread(target=poster, args=(port, requests[i::clients], statuses, lock))
        for i in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return dict(sorted(statuses.items())), time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=60000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--versions", type=int, default=0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = example_shop(tmp)
        process, port = start_server(folder)
        try:
            definition = json.loads(next((folder / "build").glob("*/survey.json")).read_text())
            answer = {"v": definition["version"], "location": definition["locations"][0]["id"], "wow": "no"}
            body = json.dumps(answer).encode()
            path = f"/api/s/{definition['survey']}/responses"
            # warm up: one real answer, so the first request's imports and store are not counted as growth
            post_all(port, [(path, body)], 1)
            before = rss_mb(process.pid)
            unknown = [(f"/api/s/x{secrets.token_hex(8)}/responses", body) for _ in range(args.posts)]
            statuses, seconds = post_all(port, unknown, args.clients)
            time.sleep(1)
            after = rss_mb(process.pid)
            print(f"{args.posts} posts to random unknown survey ids through wowcard serve in {seconds:.1f} s")
            print(f"  statuses: {statuses}")
            grew = after - before
            print(f"  resident memory: {before:.1f} MB before, {after:.1f} MB after: grew {grew:+.1f} MB")
            if args.versions:
                made_up = [
                    (path, json.dumps({**answer, "v": secrets.token_hex(6)}).encode())
                    for _ in range(args.versions)
                ]
                statuses, seconds = post_all(port, made_up, args.clients)
                print(f"  {args.versions} posts naming made-up versions in {seconds:.1f} s: {statuses}")
                print(f"  resident memory after them: {rss_mb(process.pid):.1f} MB")
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)


if __name__ == "__main__":
    main()
