"""Text already in the store reaches the owner's screen safely in every output. The collector strips control
characters from new answers, so hostile text is written straight through the store here, as old data or a
restored backup could hold it: terminal escapes (clear screen, colours, an OSC 8 link), 8-bit C1 controls,
bidi overrides, BEL and NUL in a comment, a story, a contact and a note. Human outputs (the `results` table,
Markdown, CSV, HTML, `export` CSV, `followups`) show the words without the controls; JSON outputs keep the
text exactly as stored, written so that printing them is safe too."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest
from results.known_data import first_monday

from wowcard.collector import answers
from wowcard.collector.safe_text import safe_text
from wowcard.collector.survey import load as load_survey

HOSTILE = (
    "Cold\x1b[2J\x1b[H coffee \x1b[31mred\x1b[0m "
    "\x1b]8;;https://evil.example/\x1b\\click here\x1b]8;;\x1b\\ "
    "c1\x9b2J\x9d0;title\x07 bidi \u202egnp.exe\u202c \u2066iso\u2069 bel\x07 nul\x00 end\u2028next"
)
WORDS = ("Cold", "coffee", "red", "click here", "bidi", "gnp.exe", "iso", "end", "next")
SHOWN_CONTROLS = {"\n", "\r", "\t"}  # line ends of the outputs themselves (and cells that keep line breaks)


def harmless(text: str) -> bool:
    """No control or invisible format character but line ends; the link target is gone with its escape."""
    bad = [
        ch
        for ch in text
        if ch not in SHOWN_CONTROLS
        and ch not in "\u200c\u200d"
        and unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")
    ]
    return not bad and "evil.example" not in text


@pytest.fixture(scope="module")
def hostile(shared_backend):
    backend = shared_backend
    definition = load_survey(backend.survey_file).definition()
    day = first_monday(definition.time_zone) + timedelta(days=2)
    body = {
        "id": "hostile-1",
        "v": definition.version,
        "location": "quay",
        "wow": "no",
        "people": 1,
        "comment": "placeholder",
        "contact": "x@example.com",
        "consent": "yes",
    }
    at = datetime.combine(day, time(10, 0), tzinfo=UTC)
    record = answers.record(
        answers.decode(json.dumps(body).encode(), "application/json"), definition, at, "", ""
    )
    assert backend.store.put(
        replace(record, response={**record.response, "comment": HOSTILE, "contact": HOSTILE})
    )
    story = {**body, "id": "hostile-2", "wow": "yes", "staff": "maya", "what": "placeholder"}
    del story["contact"], story["consent"], story["comment"]
    record = answers.record(
        answers.decode(json.dumps(story).encode(), "application/json"), definition, at, "", ""
    )
    assert backend.store.put(replace(record, response={**record.response, "what": HOSTILE}))
    return backend, str(day), str(day)


@pytest.mark.parametrize("fmt", ["table", "md", "csv", "html"])
def test_every_report_format_shows_the_words_without_the_controls(hostile, fmt):
    backend, since, until = hostile
    result = backend.run("results", "--since", since, "--until", until, "--format", fmt)
    assert result.exit_code == 0, result.output
    assert harmless(result.stdout)
    for word in WORDS:
        assert word in result.stdout
    if fmt == "csv":  # the cell reads back as the safe text, line break kept
        rows = list(csv.reader(io.StringIO(result.stdout)))
        assert safe_text(HOSTILE, keep_newlines=True) in [cell for row in rows for cell in row]


def test_the_table_shows_an_excerpt_and_html_the_whole_text(hostile):
    backend, since, until = hostile
    page = backend.run("results", "--since", since, "--until", until, "--format", "html").stdout
    assert "About Maya: Cold coffee red click here c1 bidi gnp.exe iso bel nul end next" in page


def test_json_keeps_the_text_exactly_and_is_safe_to_print(hostile):
    backend, since, until = hostile
    result = backend.run("results", "--since", since, "--until", until, "--format", "json")
    assert result.exit_code == 0, result.output
    assert harmless(result.stdout.replace("evil.example", ""))  # the URL is data here, its escape is not raw
    said = {s["id"]: s for s in json.loads(result.stdout)["said"]}
    assert said["hostile-1"]["comment"] == HOSTILE
    assert said["hostile-2"]["what"] == HOSTILE


def test_export_csv_is_safe_and_jsonl_exact(hostile, tmp_path):
    backend, since, until = hostile
    result = backend.run("export", "--since", since, "--until", until)
    assert result.exit_code == 0, result.output
    assert harmless(result.stdout)
    assert "Cold coffee red click here" in result.stdout
    lines = backend.run("export", "--since", since, "--until", until, "--format", "jsonl").stdout
    assert harmless(lines.replace("evil.example", ""))
    exported = {r["id"]: r for r in map(json.loads, lines.splitlines())}
    assert exported["hostile-1"]["comment"] == HOSTILE


def test_followups_show_why_without_the_controls(hostile):
    backend, since, until = hostile
    text = backend.run("followups").stdout
    assert harmless(text)
    assert "said: Cold coffee red click here" in text
    assert "answer: wow no · People 1 · English" in text
    listed = backend.run("followups", "--format", "json")
    assert harmless(listed.stdout.replace("evil.example", ""))
    item = next(i for i in json.loads(listed.stdout) if i["id"] == "hostile-1")
    assert (item["comment"], item["contact"], item["status"]) == (HOSTILE, HOSTILE, "open")


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("a\x1b[2Jb", "a b"),
        ("x\x1b]8;;http://e.example\x1b\\link\x1b]8;;\x1b\\y", "x link y"),
        ("c1\x9b31mred", "c1 red"),
        ("osc\x9d0;title\x07 end", "osc end"),
        ("bi\u202edi", "bi di"),
        ("zero\u200bwidth", "zero width"),
        ("chef 👩\u200d🍳", "chef 👩\u200d🍳"),  # the zero-width joiner of an emoji stays
        ("tab\there", "tab here"),
    ],
)
def test_safe_text_removes_escapes_and_invisible_characters(stored, shown):
    assert safe_text(stored) == shown


def test_safe_text_can_keep_line_breaks():
    assert safe_text("one\r\n\r\n\r\ntwo\u2028three", keep_newlines=True) == "one\n\ntwo three"
