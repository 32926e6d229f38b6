"""`wowcard serve` as a user runs it: a real process on loopback, pages and collector on one origin, SQLite
underneath; exactly-once under concurrency, tallies that agree with a recount, and a clean Ctrl-C."""

from __future__ import annotations

import dataclasses
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from click.testing import CliRunner

from wowcard import serve as serving
from wowcard.__main__ import cli
from wowcard.collector import config, tally

STAFF = {"quay": ["maya", "tom", "priya", "_"], "mill": ["priya", "sam", "li", "_"]}


def an_answer(version: str, rng: random.Random, response_id: str) -> dict[str, Any]:
    location = rng.choice(["quay", "mill"])
    return {
        "v": version,
        "id": response_id,
        "lang": "en",
        "src": rng.choice(["card", "sign", "receipt"]),
        "location": location,
        "wow": rng.choice(["yes", "yes", "no", ""]),
        "staff": rng.choice(STAFF[location]),
        "what": rng.choice(["", "Found my lost keys"]),
        "people": rng.choice([1, 2, 3, 4, 5, ""]),
        "process": rng.choice([3, 4, 5, ""]),
        "product": rng.choice([4, 5, ""]),
        "promises": rng.sample(["fresh", "name", "quick"], rng.randint(0, 3)),
        "comment": rng.choice(["", "Lovely"]),
        "contact": rng.choice(["", "07700 900123"]),
        "consent": rng.choice(["", "yes"]),
    }


# --- what the user sees ------------------------------------------------------------------------------


def test_serve_prints_the_pages_to_open_and_the_command_that_pulls_results(served, survey_dir: Path) -> None:
    text = served.text()
    assert "built the pages into" in text
    assert f"published to the SQLite store {survey_dir / '.wowcard' / 'responses.db'}" in text
    assert f"Quay Street  {served.url}/harbour/quay/" in text
    assert f"Old Mill     {served.url}/harbour/mill/" in text
    assert f"wowcard results -s {survey_dir / 'survey.toml'}" in text


def test_the_built_pages_are_served_at_their_public_urls(served) -> None:
    for path in (
        "/harbour/quay/",
        "/harbour/mill/",
        "/harbour/quay/en/",
        "/harbour/quay/s/maya/",
        "/harbour/mill/s/sam/",
        "/harbour/thanks/en/",
        "/harbour/error/en/",
    ):
        status, headers, body = served.request("GET", path)
        assert status == 200, path
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert body.startswith(b"<!DOCTYPE html>") or body.lower().startswith(b"<!doctype html>")
    status, headers, body = served.request("GET", "/harbour/quay/")
    assert b'action="/api/s/harbour/responses"' in body
    status, headers, body = served.request("GET", "/harbour/survey.json")
    assert (status, headers["Content-Type"]) == (200, "application/json; charset=utf-8")
    assert json.loads(body)["survey"] == "harbour"
    status, headers, body = served.request("HEAD", "/harbour/quay/")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 1000


def test_folders_without_a_slash_and_the_root_are_redirected_to_pages(served) -> None:
    status, headers, _ = served.request("GET", "/harbour/quay")
    assert (status, headers["Location"]) == (301, "/harbour/quay/")
    status, headers, _ = served.request("GET", "/")
    assert (status, headers["Location"]) == (302, "/harbour/quay/")


def test_nothing_outside_the_build_is_served_and_folders_are_never_listed(served, survey_dir: Path) -> None:
    (survey_dir / "build" / "harbour" / "escape").symlink_to(survey_dir)
    for path in (
        "/../survey.toml",
        "/%2e%2e/survey.toml",
        "/harbour/..%2f..%2fsurvey.toml",
        "/harbour/%2e%2e/%2e%2e/survey.toml",
        "/.wowcard/responses.db",
        "/harbour/escape/survey.toml",
        "/harbour/.wowcard-manifest.json",
        "/harbour/quay/s/",
        "/harbour/nowhere/",
        "/etc/passwd",
        "/harbour/quay/index.html%00.txt",
    ):
        status, _, body = served.request("GET", path)
        assert status == 404, path
        assert b"survey.toml" not in body and b"maya" not in body


def test_the_collector_answers_under_api_on_the_same_origin(served) -> None:
    status, _, body = served.request("GET", "/api/healthz")
    assert (status, json.loads(body)) == (200, {"status": "ok", "store": "sqlite"})
    status, headers, body = served.request("GET", "/api/openapi.json")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert "/s/{survey}/responses" in json.loads(body)["paths"]
    status, _, body = served.request("GET", "/api/nowhere")
    assert (status, json.loads(body)["error"]) == (404, "no such API path")
    status, _, _ = served.request("POST", "/harbour/quay/", body=b"wow=yes")
    assert status == 405


def test_a_form_post_without_javascript_lands_on_the_thank_you_page(served, stored) -> None:
    version = served.definition()["version"]
    form = urlencode(
        [
            ("v", version),
            ("location", "mill"),
            ("wow", "yes"),
            ("staff", "sam"),
            ("what", "Carried my tray"),
            ("promises", "fresh"),
            ("promises", "quick"),
            ("website", ""),
        ]
    )
    status, headers, _ = served.request(
        "POST", "/api/s/harbour/responses", form, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert (status, headers["Location"]) == (303, "/harbour/thanks/en/")
    status, _, body = served.request("GET", headers["Location"])
    assert status == 200 and b"<html" in body
    assert served.stop() == 0
    responses, tallied = stored()
    assert [(r["staff"], r["promises"]) for r in responses] == [("sam", ["fresh", "quick"])]
    assert tallied["staff:sam"] == 1


def test_an_oversized_body_is_413_without_being_read(served, stored) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    conn.putrequest("POST", "/api/s/harbour/responses")
    conn.putheader("Content-Type", "text/plain")
    conn.putheader("Content-Length", str(50 * 1024 * 1024))
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 413
    assert json.loads(response.read())["error"].startswith("the body is larger than")
    conn.close()
    assert served.stop() == 0
    assert stored()[0] == []


# --- exactly once, under concurrency ------------------------------------------------------------------


def test_the_same_id_sent_20_times_at_once_is_one_response_and_one_count(served, stored) -> None:
    version = served.definition()["version"]
    answer = an_answer(version, random.Random(7), "same-id-twenty-times")
    answer.update(location="quay", wow="yes", staff="maya")
    barrier = threading.Barrier(20)
    statuses: list[int] = []

    def send() -> None:
        conn = served.connection()
        barrier.wait()
        statuses.append(served.post_answer(answer, conn)[0])
        conn.close()

    threads = [threading.Thread(target=send) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * 19 + [201]
    assert served.stop() == 0
    responses, tallied = stored()
    assert [r["id"] for r in responses] == ["same-id-twenty-times"]
    assert tallied["n"] == 1 and tallied["staff:maya"] == 1


def test_1000_answers_from_16_threads_are_all_stored_and_the_tallies_equal_a_recount(served, stored) -> None:
    version = served.definition()["version"]
    per_thread = [63] * 8 + [62] * 8
    statuses: list[int] = []
    lock = threading.Lock()

    def send(thread: int, count: int) -> None:
        rng = random.Random(thread)
        conn = served.connection()
        for i in range(count):
            status, _ = served.post_answer(an_answer(version, rng, f"t{thread:02d}-answer-{i:03d}"), conn)
            with lock:
                statuses.append(status)
        conn.close()

    threads = [threading.Thread(target=send, args=(t, n)) for t, n in enumerate(per_thread)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(statuses) == 1000 and set(statuses) == {201}
    assert served.stop() == 0
    responses, tallied = stored()
    assert len(responses) == 1000
    assert tallied == tally.sum_counts(tally.increments(r) for r in responses)
    assert tallied["n"] == 1000


# --- stopping ----------------------------------------------------------------------------------------


def test_ctrl_c_finishes_the_requests_in_flight_and_loses_nothing(served, stored) -> None:
    version = served.definition()["version"]
    acknowledged: list[str] = []
    sent: list[str] = []
    lock = threading.Lock()
    enough = threading.Event()

    def send(thread: int) -> None:
        rng = random.Random(thread)
        for i in range(10_000):
            response_id = f"c{thread:02d}-answer-{i:04d}"
            with lock:
                sent.append(response_id)
            try:
                status, _ = served.post_answer(an_answer(version, rng, response_id))
            except OSError:
                return  # the server stopped listening: the page keeps such an answer queued
            if status == 201:
                with lock:
                    acknowledged.append(response_id)
                    if len(acknowledged) >= 150:
                        enough.set()

    threads = [threading.Thread(target=send, args=(t,)) for t in range(16)]
    for t in threads:
        t.start()
    assert enough.wait(60)
    assert served.stop(signal.SIGINT) == 0
    for t in threads:
        t.join(timeout=60)
    assert "Stopped; every answer received is stored." in served.text()
    responses, tallied = stored()
    stored_ids = {r["id"] for r in responses}
    assert set(acknowledged) <= stored_ids <= set(sent)
    assert tallied == tally.sum_counts(tally.increments(r) for r in responses)


def test_sigterm_stops_the_server_cleanly_too(served) -> None:
    assert served.stop(signal.SIGTERM) == 0
    assert "Stopped; every answer received is stored." in served.text()


def test_a_port_in_use_is_a_clear_message_and_exit_code_1(survey_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "wowcard",
                "serve",
                "-s",
                str(survey_dir / "survey.toml"),
                "--port",
                str(port),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_restarted_server_keeps_the_answers_and_does_not_rebuild_fresh_pages(
    served, start_serve, survey_dir: Path, stored
) -> None:
    version = served.definition()["version"]
    assert served.post_answer(an_answer(version, random.Random(1), "before-restart"))[0] == 201
    assert served.stop() == 0
    again = start_serve(survey_dir)
    assert "built the pages" not in again.text()
    assert "already published" in again.text()
    assert again.post_answer(an_answer(version, random.Random(1), "before-restart"))[0] == 200
    assert again.post_answer(an_answer(version, random.Random(2), "after-restart"))[0] == 201
    assert again.stop() == 0
    assert sorted(r["id"] for r in stored()[0]) == ["after-restart", "before-restart"]


def test_pages_of_a_site_url_with_a_path_are_served_under_that_path(survey) -> None:
    hosted = dataclasses.replace(survey, site_url="https://harbour.example/surveys")
    original = config.settings
    try:
        with serving.running(hosted, port=0) as server:
            assert server.location_urls()[0] == ("Quay Street", f"{server.url}/surveys/harbour/quay/")
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            conn.request("GET", "/surveys/harbour/quay/")
            page = conn.getresponse().read()
            assert b'data-thanks="/surveys/harbour/thanks/en/"' in page
            version = json.loads((hosted.output / "harbour" / "survey.json").read_text())["version"]
            form = urlencode({"v": version, "location": "quay", "wow": "no"})
            conn.request(
                "POST",
                "/api/s/harbour/responses",
                form,
                {"Content-Type": "application/x-www-form-urlencoded"},
            )
            response = conn.getresponse()
            response.read()
            assert (response.status, response.getheader("Location")) == (303, "/surveys/harbour/thanks/en/")
            for path, expected in (("/surveys/harbour/thanks/en/", 200), ("/harbour/quay/", 404), ("/", 302)):
                conn.request("GET", path)
                answer = conn.getresponse()
                answer.read()
                assert answer.status == expected, path
            conn.close()
    finally:
        config.settings = original


# --- fresh pages, published definitions --------------------------------------------------------------


def test_pages_older_than_their_sources_are_rebuilt_before_serving(survey_dir: Path) -> None:
    from wowcard.build import build_site
    from wowcard.collector import survey as survey_model

    def touch(path: Path, seconds_from_now: float) -> None:
        stamp = time.time() + seconds_from_now
        os.utime(path, (stamp, stamp))

    for source in ("survey.toml", "logo.svg"):
        touch(survey_dir / source, -1000)
    survey = survey_model.load(survey_dir / "survey.toml")
    site = survey.output
    assert serving.stale_reason(survey, site) == "the pages were not built yet"
    build_site(survey)
    assert serving.stale_reason(survey, site) is None
    touch(survey_dir / "logo.svg", +5)
    assert serving.stale_reason(survey, site) == "logo.svg is newer than the pages"
    touch(survey_dir / "logo.svg", -1000)
    assert serving.stale_reason(survey, site) is None
    (survey_dir / "templates").mkdir()
    (survey_dir / "templates" / "page.css").write_text("body{color:#111}", encoding="utf-8")
    touch(survey_dir / "templates" / "page.css", +5)
    assert serving.stale_reason(survey, site) == "page.css is newer than the pages"
    touch(survey_dir / "templates" / "page.css", -1000)
    toml = survey_dir / "survey.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace("retention_days = 365", "retention_days = 400"),
        encoding="utf-8",
    )
    touch(toml, -1000)  # even with an old timestamp, a new definition version means new pages
    changed = survey_model.load(toml)
    assert serving.stale_reason(changed, site) == "survey.toml changed since the last build"
    original = config.settings
    try:
        prepared = serving.prepare(changed)
    finally:
        config.close()
        config.settings = original
    assert prepared.rebuilt == "survey.toml changed since the last build" and prepared.published
    assert serving.stale_reason(changed, site) is None
    assert (
        json.loads((site / "harbour" / "survey.json").read_text())["version"] == changed.definition().version
    )


def test_publish_stores_the_definition_and_says_whether_it_was_new(survey_dir: Path, survey) -> None:
    runner = CliRunner()
    path = str(survey_dir / "survey.toml")
    version = survey.definition().version
    first = runner.invoke(cli, ["publish", "-s", path])
    again = runner.invoke(cli, ["publish", "-s", path])
    assert first.exit_code == 0, first.output
    database = survey_dir / ".wowcard" / "responses.db"
    assert first.output == f"published harbour version {version} to the SQLite store {database}\n"
    assert again.exit_code == 0
    assert "was already published" in again.output and "nothing changed" in again.output
    other = runner.invoke(cli, ["publish", "-s", path, "--store", f"sqlite:{survey_dir / 'other.db'}"])
    assert other.exit_code == 0 and f"to the SQLite store {survey_dir / 'other.db'}" in other.output
    bad = runner.invoke(cli, ["publish", "-s", path, "--store", "postgres:x"])
    assert bad.exit_code == 2 and "is not a store" in bad.output


def test_publishing_a_reverted_survey_says_it_is_the_latest_again(survey_dir: Path, survey) -> None:
    runner = CliRunner()
    path = survey_dir / "survey.toml"
    original = path.read_text(encoding="utf-8")
    assert runner.invoke(cli, ["publish", "-s", str(path)]).exit_code == 0
    path.write_text(original.replace('name = "Maya"', 'name = "Maya R."'), encoding="utf-8")
    assert "published harbour version" in runner.invoke(cli, ["publish", "-s", str(path)]).output
    path.write_text(original, encoding="utf-8")

    reverted = runner.invoke(cli, ["publish", "-s", str(path)])

    assert reverted.exit_code == 0, reverted.output
    assert "it is the latest version again" in reverted.output
    assert survey.definition().version in reverted.output
