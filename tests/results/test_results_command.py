"""`wowcard results` on both stores: a known data set sent through the collector's write path, and every
number of the report checked against a count made straight from the raw answers, in every format."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import UTC, date, datetime, time, timedelta

import jsonschema
import markupsafe
import pytest
from results.known_data import SCRIPT_STORY, Expected, Sent, expected, first_monday, make_answers, put_all

from wowcard import report_formats
from wowcard.collector.survey import load as load_survey

SCHEMA = json.loads(report_formats.schema_path().read_text(encoding="utf-8"))
LOCATION_NAMES = {"quay": "Quay Street", "mill": "Old Mill", "kiosk": "Harbour <Kiosk>"}
STAFF_NAMES = {"maya": "Maya", "tom": "Tom", "priya": "Priya", "sam": "Sam", "li": "Li"}


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


@pytest.fixture(scope="module")
def loaded(shared_backend):
    """60 answers over three weeks plus Maya's newest story trying to be a script, stored once per engine;
    returns (backend, sent, since, until). Tests of this module only read."""
    backend = shared_backend
    definition = load_survey(backend.survey_file).definition()
    since = first_monday(definition.time_zone)
    sent = make_answers(definition, 60)
    planted = {
        "id": "story-script-1",
        "v": definition.version,
        "location": "quay",
        "wow": "yes",
        "staff": "maya",
        "what": SCRIPT_STORY,
    }
    sent.append(Sent(datetime.combine(since + timedelta(days=20), time(21, 0), tzinfo=UTC), planted))
    put_all(backend.store, definition, sent)
    return backend, sent, since, since + timedelta(days=20)


def run_json(backend, *args: str) -> dict:
    result = backend.run("results", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    jsonschema.validate(data, SCHEMA)
    return data


def check_json(data: dict, exp: Expected) -> None:
    assert data["responses"] == exp.responses
    assert (data["wow"]["yes"], data["wow"]["no"]) == (exp.yes, exp.no)
    assert data["wow_rate"] == pytest.approx(exp.wow_rate, abs=1e-4)
    board = {(e["id"], e["location"]): e for e in data["staff"]}
    assert {k: e["count"] for k, e in board.items() if e["count"]} == dict(exp.staff)
    for key, e in board.items():
        assert e["share"] == pytest.approx(exp.share(*key), abs=1e-4)
        assert e["name"] == STAFF_NAMES[e["id"]]
    assert data["unnamed"] == exp.unnamed
    for name, rating in data["ratings"].items():
        assert rating["distribution"] == {str(v): exp.ratings[name][v] for v in range(1, 6)}
        assert rating["average"] == pytest.approx(exp.average(name), abs=1e-4)
    assert {p["id"]: p["count"] for p in data["promises"]} == {
        p: exp.promises[p] for p in ("fresh", "name", "quick")
    }
    assert data["comments"] == exp.comments
    assert data["stories_told"] == exp.stories
    assert data["followups"] == {"requested": exp.followups, "done": 0, "open": exp.followups}
    weeks = {w["week"]: (w["responses"], w["wow_yes"], w["wow_no"]) for w in data["trend"] if w["responses"]}
    assert weeks == {k: (c["n"], c["yes"], c["no"]) for k, c in exp.weeks.items()}


def test_every_number_matches_the_raw_answers_in_json(loaded):
    backend, sent, since, until = loaded
    data = run_json(backend, "--since", str(since), "--until", str(until))
    exp = expected(sent, "Europe/London", since, until)
    assert exp.responses == 61
    check_json(data, exp)
    # The stories: the three latest "what did they do" of each recognised staff member, newest first.
    told: dict[str, list[tuple[datetime, str]]] = {}
    for s in sent:
        if s.body.get("wow") == "yes" and s.body.get("what") and s.body.get("staff") not in (None, "_"):
            told.setdefault(s.body["staff"], []).append((s.at, s.body["what"]))
    latest = {
        staff: [what for _, what in sorted(stories, reverse=True)[:3]] for staff, stories in told.items()
    }
    shown: dict[str, list[str]] = {}
    for story in data["stories"]:
        shown.setdefault(story["staff"], []).append(story["what"])
    assert shown == latest


def test_the_default_period_is_the_last_eight_weeks(loaded):
    backend, sent, since, until = loaded
    data = run_json(backend)
    assert date.fromisoformat(data["period"]["since"]).weekday() == 0
    assert len(data["trend"]) == 8
    assert data["responses"] == 61


def test_every_number_matches_in_csv(loaded):
    backend, sent, since, until = loaded
    result = backend.run("results", "--since", str(since), "--until", str(until), "--format", "csv")
    assert result.exit_code == 0, result.output
    sections = {}
    for block in re.split(r"\r?\n\r?\n", result.stdout.strip()):
        rows = list(csv.reader(io.StringIO(block)))
        sections[rows[0][0]] = [dict(zip(rows[1], r, strict=True)) for r in rows[2:]]
    exp = expected(sent, "Europe/London", since, until)
    summary = {r["metric"]: r["value"] for r in sections["summary"]}
    assert int(summary["responses"]) == exp.responses
    assert float(summary["wow_rate"]) == pytest.approx(exp.wow_rate, abs=1e-4)
    assert (int(summary["unnamed"]), int(summary["comments"])) == (exp.unnamed, exp.comments)
    assert int(summary["followups_open"]) == exp.followups
    staff = {(r["id"], r["location"]): int(r["count"]) for r in sections["staff"] if r["count"] != "0"}
    assert staff == dict(exp.staff)
    for r in sections["ratings"]:
        assert [int(r[str(v)]) for v in range(1, 6)] == [exp.ratings[r["rating"]][v] for v in range(1, 6)]
    assert {r["id"]: int(r["count"]) for r in sections["promises"]} == {
        p: exp.promises[p] for p in ("fresh", "name", "quick")
    }
    weeks = {r["week"]: (int(r["responses"]), int(r["wow_yes"])) for r in sections["trend"]}
    assert weeks == {k: (c["n"], c["yes"]) for k, c in exp.weeks.items()}


def test_every_number_matches_in_markdown(loaded):
    backend, sent, since, until = loaded
    result = backend.run("results", "--since", str(since), "--until", str(until), "--format", "md")
    assert result.exit_code == 0, result.output
    md = result.stdout
    exp = expected(sent, "Europe/London", since, until)
    assert f"| Responses | {exp.responses} |" in md
    assert f"| Wow rate | {pct(exp.wow_rate)} |" in md
    assert f"| Unnamed recognitions | {exp.unnamed} |" in md
    assert f"| Follow-ups requested / open | {exp.followups} / {exp.followups} |" in md
    rows = re.findall(r"^\| (\w+) \| ([^|]+) \| (\d+) \| ([\d.]+)% \|$", md, flags=re.M)
    board = {(name, where): int(count) for name, where, count, _ in rows if name in STAFF_NAMES.values()}
    assert {k: v for k, v in board.items() if v} == {
        (STAFF_NAMES[s], LOCATION_NAMES[loc]): n for (s, loc), n in exp.staff.items()
    }
    for name in ("people", "process", "product"):
        dist = " | ".join(str(exp.ratings[name][v]) for v in range(1, 6))
        assert f"| {name.title()} | {report_formats.number(exp.average(name))} | " in md
        assert f" | {dist} |" in md
    assert "<" not in md.replace("&lt;", "")  # the kiosk's name and any story stay text


def test_every_number_matches_in_html(loaded):
    backend, sent, since, until = loaded
    result = backend.run(
        "results", "--since", str(since), "--until", str(until), "--format", "html", "--by", "location"
    )
    assert result.exit_code == 0, result.output
    page = result.stdout
    exp = expected(sent, "Europe/London", since, until)
    assert f"<b>{exp.responses}</b><span>responses</span>" in page
    assert f"<b>{pct(exp.wow_rate)}</b><span>wow rate ({exp.yes} of {exp.yes + exp.no})</span>" in page
    for (staff, loc), count in exp.staff.items():
        row = (
            f"<tr><td>{STAFF_NAMES[staff]}</td><td>{html.escape(LOCATION_NAMES[loc])}</td>"
            f'<td class="n">{count}</td><td class="n">{pct(exp.share(staff, loc))}</td></tr>'
        )
        assert row in page
    for name in ("people", "process", "product"):
        assert f"{name.title()}: average {report_formats.number(exp.average(name))}" in page
    for week, c in exp.weeks.items():
        rate = pct(c["yes"] / (c["yes"] + c["no"]) if c["yes"] + c["no"] else None)
        assert re.search(
            rf'<tr><td>{week}</td><td class="n">{rate}</td>.*<td class="n">{c["n"]}</td><td>', page
        )
    for loc, name in LOCATION_NAMES.items():
        assert f'<tr><td>{html.escape(name)}</td><td class="n">{exp.locations[loc]}</td>' in page
    assert "<script" not in page


def test_every_number_matches_in_the_table(loaded):
    backend, sent, since, until = loaded
    result = backend.run("results", "--since", str(since), "--until", str(until))
    assert result.exit_code == 0, result.output
    text = result.stdout
    exp = expected(sent, "Europe/London", since, until)
    assert re.search(rf"Responses\s+{exp.responses}\s", text)
    assert re.search(rf"Wow rate\s+{re.escape(pct(exp.wow_rate))}", text)
    for (staff, loc), count in exp.staff.items():
        assert re.search(rf"{STAFF_NAMES[staff]}\s+{LOCATION_NAMES[loc]}\s+{count}\s", text)
    assert "\x1b[" not in text


def test_a_location_filter_and_a_location_without_staff(loaded):
    backend, sent, since, until = loaded
    kiosk = run_json(backend, "--since", str(since), "--until", str(until), "--location", "kiosk")
    exp = expected(sent, "Europe/London", since, until, location="kiosk")
    assert exp.responses > 0
    assert kiosk["location"] == {"id": "kiosk", "name": "Harbour <Kiosk>"}
    assert kiosk["responses"] == exp.responses
    assert kiosk["staff"] == []  # nobody works there: no leaderboard, only unnamed recognitions
    assert kiosk["unnamed"] == exp.unnamed
    mill = run_json(backend, "--since", str(since), "--until", str(until), "--location", "mill")
    check_json(mill, expected(sent, "Europe/London", since, until, location="mill"))


def test_output_writes_the_report_to_a_file(loaded, tmp_path):
    backend, sent, since, until = loaded
    target = tmp_path / "report.html"
    result = backend.run(
        "results", "--since", str(since), "--until", str(until), "--format", "html", "--output", str(target)
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert f"wrote {target}" in result.stderr
    assert target.read_text(encoding="utf-8").startswith("<!doctype html>")


def test_a_script_story_renders_as_text_in_html_and_markdown(loaded):
    backend, sent, since, until = loaded
    page = backend.run("results", "--since", str(since), "--until", str(until), "--format", "html").stdout
    assert "<script" not in page
    assert f"<blockquote><p>{markupsafe.escape(SCRIPT_STORY)}</p>" in page
    md = backend.run("results", "--since", str(since), "--until", str(until), "--format", "md").stdout
    assert "<script" not in md
    assert '&lt;script&gt;alert("wow")&lt;/script&gt; carried my &lt;b&gt;tray&lt;/b&gt;' in md


@pytest.mark.parametrize(
    "by", [None, "day", "week", "month", "location", "staff", "promise", "language", "src"]
)
def test_json_matches_the_schema_for_every_by(loaded, by):
    backend, sent, since, until = loaded
    data = run_json(backend, "--since", str(since), "--until", str(until), *(["--by", by] if by else []))
    exp = expected(sent, "Europe/London", since, until)
    check_json(data, exp)
    assert data["by"] == by
    groups = {g["key"]: g for g in data["groups"]}
    if by is None:
        assert groups == {}
    elif by == "location":
        assert {k: g["responses"] for k, g in groups.items()} == {
            loc: exp.locations[loc] for loc in LOCATION_NAMES
        }
    elif by in ("day", "week", "month"):
        assert sum(g["responses"] for g in groups.values()) == exp.responses
        assert (
            len(groups)
            == {"day": 21, "week": 3, "month": len({(since + timedelta(d)).month for d in range(21)})}[by]
        )
    elif by == "staff":
        totals = {s: sum(n for (sid, _), n in exp.staff.items() if sid == s) for s in STAFF_NAMES}
        assert {k: g["count"] for k, g in groups.items()} == totals
    elif by == "promise":
        assert {k: g["count"] for k, g in groups.items()} == {
            p: exp.promises[p] for p in ("fresh", "name", "quick")
        }
    elif by == "language":
        assert groups["en"]["count"] == exp.responses
    elif by == "src":
        srcs = {s.body["src"] for s in sent if s.body.get("src")}
        assert {k: g["count"] for k, g in groups.items()} == {
            src: sum(1 for s in sent if s.body.get("src") == src) for src in srcs
        }


def test_an_empty_range_reports_zeros_in_every_format(loaded):
    backend = loaded[0]
    for fmt in ("table", "json", "csv", "md", "html"):
        result = backend.run("results", "--since", "2020-01-01", "--until", "2020-01-31", "--format", fmt)
        assert result.exit_code == 0, result.output
    data = run_json(backend, "--since", "2020-01-01", "--until", "2020-01-31", "--by", "staff")
    assert (data["responses"], data["wow_rate"], data["stories"]) == (0, None, [])
    assert all(w["wow_rate"] is None for w in data["trend"])
    assert all(g["count"] == 0 for g in data["groups"])
