"""Stand-ins the alert and fairness tests share: a real webhook receiver on loopback, a clock that only moves
when told, and an honest answer as the page's script sends it."""

from __future__ import annotations

import http.server
import json
import threading
from datetime import datetime
from typing import Any

from wowcard.collector import survey as survey_model

WEBHOOK_ENV = "WOWCARD_TEST_WEBHOOK"
SECRET = "T0KEN-s3cr3t-do-not-print"  # the part of a webhook URL that must never be shown
ALERTS_TOML = f'\n[alerts]\nwebhook = "env:{WEBHOOK_ENV}"\non = ["followup", "low_rating"]\n'
RECEIVED = "2025-03-14T12:00:00Z"


class Receiver:
    """A webhook on 127.0.0.1: records every JSON body it is sent. `mode` decides the answer: "ok" (200),
    "fail" (500), "hang" (answers only after `release()` or 30 s); `stop()` takes it off the network and
    `start()` brings it back on the same port."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.mode = "ok"
        self.released = threading.Event()
        self.arrived = threading.Event()  # a request came in (even one it hangs on)
        self.lock = threading.Condition()  # notified on every request answered
        self.port = 0
        self.server: http.server.ThreadingHTTPServer | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/services/{SECRET}"

    def start(self) -> None:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.arrived.set()
                if receiver.mode == "hang":
                    receiver.released.wait(30)
                with receiver.lock:
                    receiver.paths.append(self.path)
                    if receiver.mode == "fail":
                        status = 500
                    else:
                        status = 200
                        receiver.bodies.append(json.loads(body))
                    receiver.lock.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        serving = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})
        serving.daemon = True
        serving.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def release(self) -> None:
        self.released.set()

    def ids(self) -> list[str]:
        with self.lock:
            return [body["response"]["id"] for body in self.bodies]

    def wait_for(self, count: int, timeout: float) -> bool:
        """Whether `count` bodies arrived within `timeout` seconds (returns as soon as they have)."""
        with self.lock:
            return self.lock.wait_for(lambda: len(self.bodies) >= count, timeout)


class Clock:
    """Seconds since the epoch that move only when told."""

    def __init__(self, start: str = RECEIVED) -> None:
        self.now = datetime.fromisoformat(start.replace("Z", "+00:00")).timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def answer(definition: survey_model.Definition, **fields: Any) -> dict[str, Any]:
    """An honest answer as the page's script sends it (a 5-star recognition, no contact)."""
    base: dict[str, Any] = {
        "v": definition.version,
        "id": "resp-0001abcd",
        "lang": "en",
        "location": "quay",
        "wow": "yes",
        "staff": "maya",
        "what": "Remembered my usual order",
        "people": 5,
        "process": 5,
        "product": 5,
        "website": "",
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}
