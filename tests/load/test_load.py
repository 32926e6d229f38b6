"""A bounded load run on loopback: `wowcard serve` (a real process, SQLite underneath) takes 3,600 answers
from 32 concurrent clients while the traffic does what phones do — a page resends an answer whose reply it
never read, two tabs send the same queued answer at once, a no-JavaScript customer taps Send twice, bots
fill the honeypot, broken clients send answers no page can make. Afterwards: stored = unique answers, every
one as sent, the tallies equal a raw recount and the counters computed here from what was sent, and nothing
of a refusal or a bot was kept. Throughput and p50/p99 latency go to the terminal summary."""

from __future__ import annotations

import http.client
import json
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from wowcard.collector import tally
from wowcard.collector.store import open_store

CLIENTS = 32
SCRIPT_ANSWERS = 3_000  # the page's script: JSON with its own id
FORM_ANSWERS = 600  # no JavaScript: a form post, the server makes the id
REFUSED = 120  # answers no honest page can make: 400, nothing stored
BOTS = 60  # the honeypot filled: answered as success, nothing stored
TIME_LIMIT_SECONDS = 60
PATH = "/api/s/harbour/responses"
STAFF = {"quay": ["maya", "tom", "priya", "_"], "mill": ["priya", "sam", "li", "_"]}
ALL_DAYS = ("2000-01-01", "2100-12-31")


@dataclass
class Send:
    """One request: its body, content type and User-Agent, and the statuses it may get."""

    body: bytes
    content_type: str
    expect: tuple[int, ...]
    user_agent: str = "LoadPhone/1.0"
    read_reply: bool = True  # False: the phone loses the reply (hangs up before reading it)


@dataclass
class Job:
    """What one phone does, in order, on one connection (a lost reply breaks the connection)."""

    kind: str
    sends: list[Send]


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    by_kind: dict[str, Counter] = field(default_factory=dict)
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def an_answer(rng: random.Random, version: str) -> dict[str, Any]:
    location = rng.choice(["quay", "mill"])
    return {
        "v": version,
        "lang": "en",
        "location": location,
        "wow": rng.choice(["yes", "yes", "no", ""]),
        "staff": rng.choice(STAFF[location] + [""]),
        "what": rng.choice(["", "Found my lost keys", "Remembered my order"]),
        "people": rng.choice(["", "1", "3", "4", "5"]),
        "process": rng.choice(["", "2", "4", "5"]),
        "product": rng.choice(["", "4", "5"]),
        "promises": rng.sample(["fresh", "name", "quick"], rng.randint(0, 3)),
        "comment": rng.choice(["", "Lovely", "Too loud on Saturdays"]),
        "contact": rng.choice(["", "", "07700 900123"]),
        "consent": rng.choice(["", "yes"]),
    }


def script_body(answer: dict[str, Any], response_id: str, device: str) -> bytes:
    body = {k: v for k, v in answer.items() if v not in ("", [])}
    for rating in ("people", "process", "product"):
        if rating in body:
            body[rating] = int(body[rating])
    return json.dumps({**body, "id": response_id, "device": device, "src": "card", "website": ""}).encode()


def form_body(answer: dict[str, Any]) -> bytes:
    pairs = [(k, v) for k, v in answer.items() if k != "promises"]
    pairs += [("promises", p) for p in answer["promises"]] + [("website", "")]
    return urlencode(pairs).encode()


def plan(version: str, seed: int = 20240329) -> tuple[list[Job], dict[str, dict[str, Any]], list[dict]]:
    """The jobs, the script answers by id, and the form answers (each unique, by body and User-Agent)."""
    rng = random.Random(seed)
    jobs: list[Job] = []
    scripts: dict[str, dict[str, Any]] = {}
    forms: list[dict[str, Any]] = []
    text = "text/plain;charset=UTF-8"
    form = "application/x-www-form-urlencoded"
    for n in range(SCRIPT_ANSWERS):
        answer = an_answer(rng, version)
        response_id = f"load-{n:05d}-{rng.getrandbits(32):08x}"
        scripts[response_id] = answer
        body = script_body(answer, response_id, f"device-{n % 1000:04d}")
        roll = rng.random()
        if roll < 0.60:
            jobs.append(Job("script", [Send(body, text, (201,))]))
        elif roll < 0.75:  # the page resends: it saw a timeout, or the next page load flushed the queue
            jobs.append(Job("script resent", [Send(body, text, (201,)), Send(body, text, (200,))]))
        elif roll < 0.90:  # two tabs of the same phone send the same queued answer at once
            jobs.append(Job("script raced", [Send(body, text, (200, 201))]))
            jobs.append(Job("script raced", [Send(body, text, (200, 201))]))
        else:  # the reply is lost on the way back; the page sends again
            lost = Send(body, text, (201,), read_reply=False)
            jobs.append(Job("script reply lost", [lost, Send(body, text, (200, 201))]))
    for n in range(FORM_ANSWERS):
        answer = an_answer(rng, version)
        forms.append(answer)
        send = Send(form_body(answer), form, (303,), user_agent=f"LoadPhone/1.0 (no-js #{n})")
        if n % 2:
            jobs.append(Job("form", [send]))
        elif n % 4 == 0:
            jobs.append(Job("form double tap", [send, send]))
        else:  # the second tap on another connection, at the same moment
            jobs.append(Job("form double tap raced", [send]))
            jobs.append(Job("form double tap raced", [send]))
    for n in range(REFUSED):
        answer = an_answer(rng, version)
        bad = rng.choice([{"people": "9"}, {"location": "moon"}, {"staff": "nobody"}, {"colour": "red"}])
        body = script_body({**answer, **bad}, f"refused-{n:05d}", "device-refused")
        jobs.append(Job("refused", [Send(body, text, (400,))]))
    for n in range(BOTS):
        body = script_body({**an_answer(rng, version)}, f"bot-{n:05d}-x", "device-bot1")
        body = body.replace(b'"website": ""', b'"website": "http://cheap-pills.example"')
        jobs.append(Job("bot", [Send(body, text, (201,))]))
    # Shuffle, keeping raced pairs next to each other so two clients take them at the same moment.
    units: list[list[Job]] = []
    for job in jobs:
        if job.kind.endswith("raced") and units and units[-1][0].kind == job.kind and len(units[-1]) == 1:
            units[-1].append(job)
        else:
            units.append([job])
    rng.shuffle(units)
    return [job for unit in units for job in unit], scripts, forms


def start_serve(survey_dir: Path) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "wowcard", "serve", "-s", str(survey_dir / "survey.toml"), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=survey_dir,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    output = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        output.append(line)
        found = re.search(r"on http://127\.0\.0\.1:(\d+)/", line)
        if found:
            threading.Thread(target=process.stdout.read, daemon=True).start()  # keep the pipe drained
            return process, int(found.group(1))
    process.kill()
    pytest.fail("wowcard serve did not start:\n" + "".join(output))


def connect(port: int) -> http.client.HTTPConnection:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as browsers send
    return conn


def run_client(port: int, jobs: Iterator[Job], lock: threading.Lock, out: Outcome, stop_at: float) -> None:
    conn = connect(port)
    while time.monotonic() < stop_at:
        with lock:
            job = next(jobs, None)
        if job is None:
            break
        for send in job.sends:
            headers = {"Content-Type": send.content_type, "User-Agent": send.user_agent}
            started = time.perf_counter()
            conn.request("POST", PATH, body=send.body, headers=headers)
            if not send.read_reply:
                conn.close()  # hang up before the reply arrives; the server still finishes the request
                conn = connect(port)
                continue
            response = conn.getresponse()
            response.read()
            elapsed = time.perf_counter() - started
            with out.lock:
                out.latencies.append(elapsed)
                out.statuses[response.status] += 1
                out.by_kind.setdefault(job.kind, Counter())[response.status] += 1
                if response.status not in send.expect:
                    out.unexpected.append(f"{job.kind}: {response.status} for {send.body[:80]!r}")
    conn.close()


def percentile(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


def expected_counters(scripts: dict[str, dict], forms: list[dict]) -> Counter:
    """A few counters computed from what was sent, without the collector's code."""
    expected: Counter = Counter()
    for answer in [*scripts.values(), *forms]:
        expected["n"] += 1
        if answer["wow"] == "yes":
            expected["wow_yes"] += 1
            if answer["staff"]:
                expected[f"staff:{answer['staff']}"] += 1
        elif answer["wow"] == "no":
            expected["wow_no"] += 1
        for promise in answer["promises"]:
            expected[f"promise:{promise}"] += 1
    expected["src:card"] = len(scripts)
    return expected


def test_3600_answers_from_32_clients_with_resends_and_double_taps_are_each_stored_once(
    survey_dir: Path, load_report
) -> None:
    process, port = start_serve(survey_dir)
    try:
        version = json.loads((survey_dir / "build" / "harbour" / "survey.json").read_text())["version"]
        jobs, scripts, forms = plan(version)
        requests = sum(len(job.sends) for job in jobs)
        out = Outcome()
        lock = threading.Lock()
        feed = iter(jobs)
        started = time.perf_counter()
        stop_at = time.monotonic() + TIME_LIMIT_SECONDS
        clients = [
            threading.Thread(target=run_client, args=(port, feed, lock, out, stop_at)) for _ in range(CLIENTS)
        ]
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        wall = time.perf_counter() - started
    finally:
        process.send_signal(signal.SIGINT)
        exit_code = process.wait(timeout=60)
    assert exit_code == 0
    assert next(feed, None) is None, f"the run did not finish within {TIME_LIMIT_SECONDS} s"

    ordered = sorted(out.latencies)
    load_report(
        f"wowcard serve + SQLite: {requests:,} requests ({len(scripts) + len(forms):,} unique answers, "
        f"{REFUSED} refused, {BOTS} bots) from {CLIENTS} clients in {wall:.1f} s = "
        f"{len(ordered) / wall:,.0f} requests/s; latency p50 {percentile(ordered, 0.50):.1f} ms, "
        f"p99 {percentile(ordered, 0.99):.1f} ms, max {ordered[-1] * 1000:.0f} ms, "
        f"mean {statistics.fmean(ordered) * 1000:.1f} ms"
    )
    load_report(f"statuses: {dict(sorted(out.statuses.items()))}")
    assert out.unexpected == []

    store = open_store("sqlite:.wowcard/responses.db", str(survey_dir))
    try:
        responses = list(store.responses("harbour", *ALL_DAYS))
        tallied = tally.sum_counts(row.counts for row in store.tallies("harbour", *ALL_DAYS))
    finally:
        store.close()
    by_id = {r["id"]: r for r in responses}
    assert len(responses) == len(by_id) == SCRIPT_ANSWERS + FORM_ANSWERS
    assert {i for i in by_id if not i.startswith("f-")} == set(scripts)  # no refusal, no bot
    for response_id, sent in scripts.items():
        stored = by_id[response_id]
        assert (stored["location"], stored["wow"] or "", stored["staff"] or "") == (
            sent["location"],
            sent["wow"],
            sent["staff"],
        )
        assert stored["promises"] == sorted(sent["promises"])
    assert tallied == tally.sum_counts(tally.increments(r) for r in responses)  # a raw recount
    expected = expected_counters(scripts, forms)
    assert {key: tallied.get(key, 0) for key in expected} == dict(expected)
