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
    # One row per person, counted across locations, with the split per location.
    assert [e["id"] for e in data["staff"]] == list(dict.fromkeys(e["id"] for e in data["staff"]))
    board = {e["id"]: e for e in data["staff"]}
    assert {k: e["count"] for k, e in board.items() if e["count"]} == {
        sid: exp.person(sid) for sid, _ in exp.staff
    }
    split = {
        (e["id"], p["location"]): p["count"] for e in data["staff"] for p in e["locations"] if p["count"]
    }
    assert split == dict(exp.staff)
    for key, e in board.items():
        assert e["share"] == pytest.approx(exp.share(key), abs=1e-4)
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
    # Every text of the period, each once, and every story under its person (unnamed ones included).
    assert sorted(s["id"] for s in data["said"]) == sorted(t.body["id"] for t in exp.texts)
    assert {(s["staff"], s["what"]) for s in data["stories"]} == {
        (sid, t.body["what"]) for sid, told in exp.stories_by.items() for t in told
    }
    assert len(data["stories"]) == sum(len(told) for told in exp.stories_by.values())


def worst_first_key(body: dict, at: datetime) -> tuple:
    """The order the owner reads what customers said, computed from the answer as sent."""
    rated = [body[r] for r in ("people", "process", "product") if r in body]
    return (body.get("wow") != "no", min(rated, default=6), -at.timestamp())


def test_every_number_matches_the_raw_answers_in_json(loaded):
    backend, sent, since, until = loaded
    data = run_json(backend, "--since", str(since), "--until", str(until))
    exp = expected(sent, "Europe/London", since, until)
    assert exp.responses == 61
    check_json(data, exp)
    # What customers said: worst first (a wow "no", then the lowest rating), with the texts as sent.
    by_id = {t.body["id"]: t for t in exp.texts}
    order = sorted(exp.texts, key=lambda t: worst_first_key(t.body, t.at))
    assert [s["id"] for s in data["said"]] == [t.body["id"] for t in order]
    for s in data["said"]:
        body = by_id[s["id"]].body
        assert (s["comment"], s["what"], s["wow"]) == (body.get("comment"), body.get("what"), body.get("wow"))
        assert (s["language"], s["followup"]) == ("English", "open" if body.get("consent") else None)
    # The stories: all of them, per person in leaderboard order, unnamed last, newest first.
    people = [e["id"] for e in data["staff"] if e["id"] in exp.stories_by] + ["_"] * ("_" in exp.stories_by)
    assert list(dict.fromkeys(s["staff"] for s in data["stories"])) == people
    for sid, told in exp.stories_by.items():
        newest_first = [t.body["what"] for t in sorted(told, key=lambda t: t.at, reverse=True)]
        assert [s["what"] for s in data["stories"] if s["staff"] == sid] == newest_first
    unnamed = [s for s in data["stories"] if s["staff"] == "_"]
    assert unnamed and {s["name"] for s in unnamed} == {"I didn't catch their name"}
    assert data["responses_read"] == exp.responses  # the period's responses, no more


def test_the_default_period_is_the_last_eight_weeks(loaded):
    backend, sent, since, until = loaded
    data = run_json(backend)
    assert date.fromisoformat(data["period"]["since"]).weekday() == 0
    assert len(data["trend"]) == 8
    assert data["responses"] == 61


def csv_sections(text: str) -> dict[str, list[dict[str, str]]]:
    sections = {}
    for block in re.split(r"\r?\n\r?\n(?=[a-z_]+\r?\n)", text.strip()):
        rows = list(csv.reader(io.StringIO(block)))
        sections[rows[0][0]] = [dict(zip(rows[1], r, strict=True)) for r in rows[2:]]
    return sections


def test_every_number_matches_in_csv(loaded):
    backend, sent, since, until = loaded
    result = backend.run("results", "--since", str(since), "--until", str(until), "--format", "csv")
    assert result.exit_code == 0, result.output
    sections = csv_sections(result.stdout)
    exp = expected(sent, "Europe/London", since, until)
    summary = {r["metric"]: r["value"] for r in sections["summary"]}
    assert int(summary["responses"]) == exp.responses
    assert float(summary["wow_rate"]) == pytest.approx(exp.wow_rate, abs=1e-4)
    assert (int(summary["wow_yes"]), int(summary["wow_no"])) == (exp.yes, exp.no)
    assert (int(summary["unnamed"]), int(summary["comments"])) == (exp.unnamed, exp.comments)
    assert int(summary["followups_open"]) == exp.followups
    staff = {r["id"]: int(r["count"]) for r in sections["staff"] if r["count"] != "0"}
    assert staff == {sid: exp.person(sid) for sid, _ in exp.staff}
    for r in sections["ratings"]:
        assert [int(r[str(v)]) for v in range(1, 6)] == [exp.ratings[r["rating"]][v] for v in range(1, 6)]
    assert {r["id"]: int(r["count"]) for r in sections["promises"]} == {
        p: exp.promises[p] for p in ("fresh", "name", "quick")
    }
    weeks = {r["week"]: (int(r["responses"]), int(r["wow_yes"])) for r in sections["trend"]}
    assert weeks == {k: (c["n"], c["yes"]) for k, c in exp.weeks.items()}
    assert sorted(r["id"] for r in sections["said"]) == sorted(t.body["id"] for t in exp.texts)
    assert len(sections["stories"]) == sum(len(told) for told in exp.stories_by.values())


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
    rows = re.findall(r"^\| (\w+) \| (\d+) \| ([\d.]+)% \| ([^|]*) \|$", md, flags=re.M)
    board = {name: int(count) for name, count, _, _ in rows if name in STAFF_NAMES.values()}
    assert {k: v for k, v in board.items() if v} == {STAFF_NAMES[s]: exp.person(s) for s, _ in exp.staff}
    for name, _, _, at in rows:
        staff_id = next((k for k, v in STAFF_NAMES.items() if v == name), None)
        for (sid, loc), n in exp.staff.items():
            if sid == staff_id:
                assert f"{LOCATION_NAMES[loc].replace('<', '&lt;').replace('>', '&gt;')} {n}" in at
    for name in ("people", "process", "product"):
        dist = " | ".join(str(exp.ratings[name][v]) for v in range(1, 6))
        assert f"| {name.title()} | {report_formats.report_model.number(exp.average(name))} | " in md
        assert f" | {dist} |" in md
    said = md.split("### What customers said")[1].split("###")[0]
    assert said.count("\n| wow ") == len(exp.texts)
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
    for staff in {sid for sid, _ in exp.staff}:
        row = (
            f'<tr><td>{STAFF_NAMES[staff]}</td><td class="n">{exp.person(staff)}</td>'
            f'<td class="n">{pct(exp.share(staff))}</td>'
        )
        assert row in page
    for name in ("people", "process", "product"):
        assert f"{name.title()}: average {report_formats.report_model.number(exp.average(name))}" in page
    for week, c in exp.weeks.items():
        rate = pct(c["yes"] / (c["yes"] + c["no"]) if c["yes"] + c["no"] else None)
        assert re.search(
            rf'<tr><td class="label">{week}\*?</td><td class="n">{c["n"]}</td><td class="n">{rate}</td>',
            page,
        )
    for loc, name in LOCATION_NAMES.items():
        assert f'<tr><td>{html.escape(name)}</td><td class="n">{exp.locations[loc]}</td>' in page
        assert f"<h2>Trend at {html.escape(name)}</h2>" in page
    said = page.split('<section id="said">')[1].split("</section>")[0]
    assert said.count('<td class="long">') == len(exp.texts)  # every text, whole
    folded = said.split("<details>")[1]  # the worst 12 first, the rest behind "N more"
    assert f"<summary>{len(exp.texts) - 12} more</summary>" in folded
    assert "<script" not in page


def test_every_number_matches_in_the_table(loaded):
    backend, sent, since, until = loaded
    result = backend.run("results", "--since", str(since), "--until", str(until))
    assert result.exit_code == 0, result.output
    text = result.stdout
    exp = expected(sent, "Europe/London", since, until)
    assert re.search(rf"Responses\s+{exp.responses}\s", text)
    assert re.search(rf"Wow rate\s+{re.escape(pct(exp.wow_rate))}", text)
    for staff in {sid for sid, _ in exp.staff}:
        assert re.search(
            rf"{STAFF_NAMES[staff]}\s+{exp.person(staff)}\s+{re.escape(pct(exp.share(staff)))}", text
        )
    # Stories fold after three per person with "… N more".
    for told in exp.stories_by.values():
        if len(told) > 3:
            assert f"… {len(told) - 3} more" in text
    assert "\x1b[" not in text


def test_a_location_filter_and_a_location_without_staff(loaded):
    backend, sent, since, until = loaded
    kiosk = run_json(backend, "--since", str(since), "--until", str(until), "--location", "kiosk")
    exp = expected(sent, "Europe/London", since, until, location="kiosk")
    assert exp.responses > 0
    assert kiosk["location"] == {"id": "kiosk", "name": "Harbour <Kiosk>"}
    assert kiosk["responses"] == exp.responses
    assert kiosk["staff"] == []  # nobody works there: no leaderboard, only unnamed recognitions
    assert {s["location"] for s in kiosk["said"] + kiosk["stories"]} <= {"kiosk"}
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
    assert f"About Maya: {markupsafe.escape(SCRIPT_STORY)}" in page
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
        for key, group in groups.items():  # ratings and the weekly trend of each location
            assert group["ratings"]["people"] == pytest.approx(
                expected(sent, "Europe/London", since, until, location=key).average("people"), abs=1e-4
            )
            assert [w["week"] for w in group["trend"]] == [w["week"] for w in data["trend"]]
    elif by in ("day", "week", "month"):
        assert sum(g["responses"] for g in groups.values()) == exp.responses
        assert (
            len(groups)
            == {"day": 21, "week": 3, "month": len({(since + timedelta(d)).month for d in range(21)})}[by]
        )
    elif by == "staff":
        assert {k: g["count"] for k, g in groups.items()} == {s: exp.person(s) for s in STAFF_NAMES}
    elif by == "promise":
        assert {k: g["count"] for k, g in groups.items()} == {
            p: exp.promises[p] for p in ("fresh", "name", "quick")
        }
    elif by == "language":
        assert groups["en"]["count"] == exp.responses
    elif by == "src":  # answers without a source have a row: the shares add up to 100 %
        assert {k: g["count"] for k, g in groups.items()} == dict(exp.srcs)
        assert sum(g["share"] for g in groups.values()) == pytest.approx(1, abs=1e-3)


def test_an_empty_range_reports_zeros_in_every_format(loaded):
    backend = loaded[0]
    for fmt in ("table", "json", "csv", "md", "html"):
        result = backend.run("results", "--since", "2020-01-01", "--until", "2020-01-31", "--format", fmt)
        assert result.exit_code == 0, result.output
    data = run_json(backend, "--since", "2020-01-01", "--until", "2020-01-31", "--by", "staff")
    assert (data["responses"], data["wow_rate"], data["stories"]) == (0, None, [])
    assert all(w["wow_rate"] is None for w in data["trend"])
    assert all(g["count"] == 0 for g in data["groups"])
