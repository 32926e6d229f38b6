"""`wowcard export`, `followups`, `verify`, `delete` and `redact` on both stores: what the owner does with
the raw responses, and proof that tallies and raw responses keep agreeing."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta

import pytest
from results.known_data import NASTY_COMMENTS, Sent, first_monday, make_answers, put_all

from wowcard import report


@pytest.fixture
def stored(backend, shop_definition):
    """24 answers over three weeks in an empty store: (backend, sent, stored responses, since, until)."""
    sent = make_answers(shop_definition, 24, seed=11)
    responses = put_all(backend.store, shop_definition, sent)
    since = first_monday(shop_definition.time_zone)
    return backend, sent, responses, str(since), str(since + timedelta(days=20))


def run_json(backend, since: str, until: str) -> dict:
    result = backend.run("results", "--since", since, "--until", until, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def results_json(backend, since: str, until: str) -> dict:
    """The report's numbers, without the words (and how many texts were read for them)."""
    data = run_json(backend, since, until)
    data.pop("stories")  # the words: redaction removes them, the numbers stay
    for words in ("said", "said_total", "stories_total", "responses_read"):
        data.pop(words)
    return data


def test_export_csv_has_every_response_with_formulas_defused(stored, tmp_path):
    backend, sent, responses, since, until = stored
    target = tmp_path / "responses.csv"
    result = backend.run("export", "--since", since, "--until", until, "--output", str(target))
    assert result.exit_code == 0, result.output
    assert f"exported 24 responses ({since} to {until}) to {target}" in result.stderr
    with target.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(responses[0])  # every field a response is stored with, in the same order
    assert sorted(r["id"] for r in rows) == sorted(s.body["id"] for s in sent)
    assert [(r["day"], r["received_at"]) for r in rows] == sorted((r["day"], r["received_at"]) for r in rows)
    comments = {r["id"]: r["comment"] for r in rows}
    nasty = 0
    for s in sent:
        comment = s.body.get("comment")
        if comment in NASTY_COMMENTS:
            nasty += 1
            assert comments[s.body["id"]] == "'" + comment  # a spreadsheet shows it as text
        elif comment:
            assert comments[s.body["id"]] == comment
    assert nasty > 0
    by_id = {r["id"]: r for r in rows}
    for s in sent:
        assert by_id[s.body["id"]]["people"] == str(s.body.get("people", ""))
        assert by_id[s.body["id"]]["promises"] == " ".join(sorted(s.body.get("promises", [])))


def test_export_jsonl_is_one_stored_response_per_line(stored):
    backend, sent, responses, since, until = stored
    result = backend.run("export", "--since", since, "--until", until, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert {r["id"]: r for r in lines} == {r["id"]: r for r in responses}  # as stored, not defused


def test_export_of_an_empty_range_is_just_the_header(stored):
    backend, sent, responses, since, until = stored
    full = backend.run("export", "--since", since, "--until", until)
    result = backend.run("export", "--since", "2020-01-01", "--until", "2020-01-02")
    assert result.exit_code == 0, result.output
    header = full.stdout.splitlines(keepends=True)[0]
    assert result.stdout == header and next(csv.reader([header])) == list(responses[0])


def test_followups_are_open_ones_newest_first_with_what_they_said(stored):
    backend, sent, responses, since, until = stored
    asked = sorted((r for r in responses if r["followup"]), key=lambda r: r["received_at"], reverse=True)
    assert len(asked) >= 2
    result = backend.run("followups", "--format", "json")
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    assert [i["id"] for i in items] == [r["id"] for r in asked]
    for item, response in zip(items, asked, strict=True):
        for key in ("location", "staff", "contact", "comment", "received_at", "done_at"):
            assert item[key] == response[key]
    closed = asked[0]["id"]
    assert backend.store.close_followup(asked[0]["survey"], closed, "2026-01-01T10:00:00.000000Z", "called")
    still_open = json.loads(backend.run("followups", "--format", "json").stdout)
    assert closed not in [i["id"] for i in still_open]
    everything = json.loads(backend.run("followups", "--all", "--format", "json").stdout)
    assert next(i for i in everything if i["id"] == closed)["done_at"] == "2026-01-01T10:00:00.000000Z"
    table = backend.run("followups").stdout
    assert asked[1]["contact"] in table
    assert f"contact: {asked[1]['contact']}" in table
    report_after = results_json(backend, since, until)
    assert report_after["followups"]["done"] == 1
    assert backend.run("verify", "--since", since, "--until", until).exit_code == 0


def test_redaction_keeps_every_count_and_verify_still_agrees(stored):
    backend, sent, responses, since, until = stored
    before = results_json(backend, since, until)
    texts = [r for r in responses if r["what"] or r["comment"]]
    assert run_json(backend, since, until)["responses_read"] == len(texts)
    personal = [r for r in responses if r["what"] or r["comment"] or r["contact"]]
    day_after = str(datetime.fromisoformat(until).date() + timedelta(days=1))
    result = backend.run("redact", "--before", day_after)
    assert result.exit_code == 0, result.output
    assert f"Redacted {len(personal)} responses received before {day_after}" in result.stdout
    after = results_json(backend, since, until)
    assert after == before
    assert run_json(backend, since, until)["responses_read"] == 0  # no words left to read
    exported = backend.run("export", "--since", since, "--until", until, "--format", "jsonl").stdout
    for line in exported.splitlines():
        response = json.loads(line)
        assert (response["what"], response["comment"], response["contact"]) == (None, None, None)
    assert (
        backend.run("results", "--since", since, "--until", until, "--format", "json").stdout.count('"what"')
        == 0
    )
    verify = backend.run("verify", "--since", since, "--until", until)
    assert verify.exit_code == 0, verify.output
    assert "Tallies agree with the 24 responses" in verify.stdout
    assert "Redacted 0 responses" in backend.run("redact", "--before", day_after).stdout


def test_redact_by_default_removes_what_is_older_than_retention_days(backend, shop_definition):
    old = datetime.now(UTC) - timedelta(days=400)
    recent = datetime.now(UTC) - timedelta(days=3)
    answers = [
        Sent(old, {"id": "old-answer-1", "location": "quay", "comment": "two summers ago"}),
        Sent(recent, {"id": "new-answer-1", "location": "quay", "comment": "this week"}),
    ]
    for s in answers:
        s.body["v"] = shop_definition.version
    put_all(backend.store, shop_definition, answers)
    result = backend.run("redact")
    assert result.exit_code == 0, result.output
    assert "Redacted 1 response received before" in result.stdout
    assert backend.store.get("harbour", "new-answer-1")["comment"] == "this week"
    assert backend.store.get("harbour", "old-answer-1")["comment"] is None


def test_verify_finds_planted_drift_and_repair_fixes_it(stored):
    backend, sent, responses, since, until = stored
    ok = backend.run("verify", "--since", since, "--until", until)
    assert (ok.exit_code, ok.stdout.strip()) == (
        0,
        f"Tallies agree with the 24 responses from {since} to {until}.",
    )
    items = report.recount(responses)
    (day, location, shard), counts = sorted(items.items())[0]
    drifted = {**items, (day, location, shard): {**counts, "n": counts["n"] + 2, "comments": 5}}
    backend.store.replace_tallies("harbour", since, until, drifted)
    found = backend.run("verify", "--since", since, "--until", until)
    assert found.exit_code == 1
    assert f"{day}  {location:<20}  {'n':<24}  {sum_n(items, day, location) + 2:>8}" in found.stdout
    assert "comments" in found.stdout
    assert "wowcard verify --repair" in found.stderr
    repaired = backend.run("verify", "--since", since, "--until", until, "--repair")
    assert repaired.exit_code == 0, repaired.output
    assert "Repaired" in repaired.stdout
    assert backend.run("verify", "--since", since, "--until", until).exit_code == 0
    assert results_json(backend, since, until)["responses"] == 24


def sum_n(items: dict, day: str, location: str) -> int:
    return sum(c.get("n", 0) for (d, loc, _), c in items.items() if (d, loc) == (day, location))


def test_delete_removes_the_response_and_subtracts_its_counts(stored):
    backend, sent, responses, since, until = stored
    before = results_json(backend, since, until)
    gone = next(r for r in responses if r["wow"] == "yes" and r["staff"] not in (None, "_"))
    declined = backend.run("delete", "--response", gone["id"], input="n\n")
    assert declined.exit_code == 1
    assert backend.store.get("harbour", gone["id"]) is not None
    result = backend.run("delete", "--response", gone["id"], input="y\n")
    assert result.exit_code == 0, result.output
    assert f"Deleted response {gone['id']}" in result.stdout
    assert backend.store.get("harbour", gone["id"]) is None
    after = results_json(backend, since, until)
    assert after["responses"] == before["responses"] - 1
    assert after["wow"]["yes"] == before["wow"]["yes"] - 1

    def count(data: dict) -> int:
        person = next(e for e in data["staff"] if e["id"] == gone["staff"])
        return next(p["count"] for p in person["locations"] if p["location"] == gone["location"])

    assert count(after) == count(before) - 1
    assert backend.run("verify", "--since", since, "--until", until).exit_code == 0
    again = backend.run("delete", "--response", gone["id"], "--yes")
    assert again.exit_code == 2
    assert f'--response: no response "{gone["id"]}"' in again.stderr
