"""Every format renders the same numbers, and treats what owners and customers wrote as text: a `<script>`
story shows as text in HTML and Markdown, rich markup stays literal in the terminal, spreadsheet formulas
are defused in CSV."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime

import html5lib
import jsonschema
import pytest
from results.known_data import stories_about

from wowcard import export, render, report, report_formats, report_model, report_texts
from wowcard.collector.store import TallyRow

PERIOD = report.Period(date(2025, 3, 3), date(2025, 3, 16))
STORY = '<script>alert("x")</script> [bold]loud[/bold] *star* | pipe'
SCHEMA = json.loads(report_formats.schema_path().read_text(encoding="utf-8"))


@pytest.fixture
def sample(definition) -> dict:
    rows = [
        TallyRow(
            "2025-03-03",
            "quay",
            {
                "n": 6,
                "wow_yes": 4,
                "wow_no": 1,
                "staff:maya": 3,
                "staff:_": 1,
                "people:5": 2,
                "people:2": 1,
                "promise:fresh": 2,
                "comments": 2,
                "followups": 2,
                "followups_done": 1,
                "lang:en": 6,
                "src:card": 4,
            },
        ),
        TallyRow(
            "2025-03-12",
            "mill",
            {"n": 4, "wow_yes": 3, "wow_no": 1, "staff:sam": 2, "staff:priya": 1, "lang:en": 4},
        ),
    ]
    result = report.build(rows, definition, PERIOD, by="location", now=datetime(2025, 4, 1, tzinfo=UTC))
    told = [
        {
            "id": "r1",
            "day": "2025-03-03",
            "location": "quay",
            "received_at": "2025-03-03T10:00:00.000000Z",
            "lang": "en",
            "wow": "yes",
            "staff": "maya",
            "what": STORY,
        }
    ]
    return report_texts.attach_texts(result, definition, told)


def csv_sections(text: str) -> dict[str, list[dict[str, str]]]:
    sections: dict[str, list[dict[str, str]]] = {}
    for block in text.strip().split("\r\n\r\n"):
        rows = list(csv.reader(io.StringIO(block)))
        sections[rows[0][0]] = [dict(zip(rows[1], r, strict=True)) for r in rows[2:]]
    return sections


def test_json_is_stable_and_matches_its_schema(sample):
    text = report_formats.render(sample, "json")
    assert text == report_formats.render(json.loads(text), "json")  # same input, same bytes
    jsonschema.validate(json.loads(text), SCHEMA)
    assert list(json.loads(text)) == sorted(json.loads(text))


def test_csv_reads_back_as_the_same_numbers(sample):
    sections = csv_sections(report_formats.render(sample, "csv"))
    summary = {r["metric"]: r["value"] for r in sections["summary"]}
    assert summary["responses"] == "10"
    assert float(summary["wow_rate"]) == pytest.approx(7 / 9, abs=1e-4)
    assert summary["followups_open"] == "1"
    maya = next(r for r in sections["staff"] if r["id"] == "maya")
    assert maya["locations"] == "Quay Street 3"
    assert (maya["count"], float(maya["share"])) == ("3", pytest.approx(0.5))
    assert [r["week"] for r in sections["trend"]] == ["2025-W10", "2025-W11"]
    assert {r["key"]: r["responses"] for r in sections["by_location"]} == {"quay": "6", "mill": "4"}
    assert sections["stories"][0]["what"] == STORY


def test_csv_defuses_formulas_in_text_but_keeps_negative_numbers(definition):
    rows = [
        TallyRow("2025-03-03", "quay", {"n": 2, "wow_yes": 2}),
        TallyRow("2025-03-10", "quay", {"n": 2, "wow_yes": 1, "wow_no": 1}),
    ]
    result = report.build(rows, definition, PERIOD)
    result["stories"] = [
        {
            "staff": "maya",
            "name": "=cmd|' /C calc'!A0",
            "location": "quay",
            "location_name": "@Quay",
            "day": "2025-03-03",
            "received_at": "x",
            "lang": "en",
            "what": "+1 wow",
        }
    ]
    sections = csv_sections(report_formats.render(result, "csv"))
    story = sections["stories"][0]
    assert (story["name"], story["what"]) == ("'=cmd|' /C calc'!A0", "'+1 wow")
    assert float(sections["trend"][1]["change"]) == -0.5  # a number, not defused text


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@A1", "\tx", "\rx"])
def test_defuse_neutralises_every_formula_start(cell):
    assert export.defuse(cell) == "'" + cell
    assert export.defuse("plain " + cell) == "plain " + cell


def test_markdown_shows_a_script_story_as_text(sample):
    md = report_formats.render(sample, "md")
    assert "<script>" not in md
    assert "&lt;script&gt;" in md
    assert r"\[bold\]loud\[/bold\] \*star\* \| pipe" in md
    assert "| Maya | 3 | 50.0% | Quay Street 3 |" in md
    assert "| Quay Street | 6 | 80.0% | 4 | 2 | 2 | 4.00 | – | – |" in md  # --by location, with ratings


def test_markdown_escapes_block_syntax_at_the_start_of_a_cell():
    assert report_formats.md_text("# not a heading") == r"\# not a heading"
    assert report_formats.md_text("1. not a list") == r"1\. not a list"
    assert report_formats.md_text("line\nbreak") == "line break"


def test_markdown_shows_an_ampersand_as_itself():
    assert report_formats.md_text("Fish & Chips") == "Fish & Chips"
    assert report_formats.md_text("&amp; stays literal") == r"\&amp; stays literal"


def test_html_is_one_self_contained_file_with_the_script_as_text(sample):
    page = report_formats.render(sample, "html")
    document = html5lib.parse(page, namespaceHTMLElements=False)
    assert document.findall(".//script") == []
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", page)  # nothing fetched from elsewhere
    assert not re.search(r"<link\b", page)
    quotes = [" ".join(p.itertext()) for p in document.findall(".//blockquote/p")]
    assert quotes == [STORY]
    said = [" ".join(td.itertext()) for td in document.findall(".//section[@id='said']//td[@class='long']")]
    assert said == [f"About Maya: {STORY}"]
    assert "&lt;script&gt;" in page
    assert (
        len(document.findall(".//{http://www.w3.org/2000/svg}svg")) == 4
    )  # trend, three rating distributions (the leaderboard's bars are HTML, so names wrap)
    assert '<tr><td>Maya</td><td class="n">3</td><td class="n">50.0%</td><td>Quay Street 3</td></tr>' in page
    assert "<b>10</b><span>responses</span>" in page


def test_html_escapes_owner_names_too(definition, sample):
    sample = {**sample, "staff": [{**sample["staff"][0], "name": "<img src=x onerror=alert(1)>"}]}
    page = report_formats.render(sample, "html")
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_table_keeps_markup_literal_and_lines_the_same_width(sample):
    text = report_formats.render(sample, "table", width=100)
    assert "[bold]loud[/bold]" in text
    assert "\x1b[" not in text  # no colour unless asked
    widths = {len(line) for line in text.splitlines() if line.startswith(" ─")}
    assert widths == {100}
    assert re.search(r"Responses\s+10\b", text)
    assert re.search(r"Maya\s+3\s+50\.0%\s+Quay Street 3", text)


def test_table_in_colour_when_asked(sample):
    assert "\x1b[" in report_formats.render(sample, "table", color=True)


def test_html_report_has_a_trend_point_per_week_with_answers(definition):
    rows = [
        TallyRow("2025-03-03", "quay", {"n": 2, "wow_yes": 1, "wow_no": 1}),
        TallyRow("2025-03-10", "quay", {"n": 2, "wow_yes": 2}),
    ]
    result = report.build(rows, definition, PERIOD)
    chart = report_formats.trend_chart(result["trend"])
    assert [p["verdict"] for p in chart["points"]] == [None, "too_few"]
    assert len(chart["goals"]) == 1
    assert len(chart["lines"]) == 1


def test_the_table_shows_a_bounded_excerpt_and_html_the_whole_text(definition):
    long_story = "She rebuilt the whole wheel while I waited. " * 20
    result = report.build(
        [TallyRow("2025-03-03", "quay", {"n": 1, "wow_yes": 1, "staff:maya": 1})], definition, PERIOD
    )
    report_texts.attach_texts(result, definition, stories_about("maya", [long_story]))
    table = report_formats.render(result, "table", width=400)
    stories = table.split("Stories: what they did")[1]
    shown = re.search(r"Maya\s+Quay Street\s+2025-03-03\s+(.+?)\s*$", stories, flags=re.M).group(1)
    assert shown.endswith("…") and len(shown) == report_model.EXCERPT
    assert long_story.strip() in report_formats.render(result, "html")


def test_stories_fold_after_three_per_person_with_n_more(definition):
    result = report.build(
        [TallyRow("2025-03-03", "quay", {"n": 5, "wow_yes": 5, "staff:maya": 5})], definition, PERIOD
    )
    report_texts.attach_texts(result, definition, stories_about("maya", [f"story {i}" for i in range(5)]))
    assert "… 2 more" in report_formats.render(result, "table")
    page = report_formats.render(result, "html")
    document = html5lib.parse(page, namespaceHTMLElements=False)
    folded = document.find(".//section[@id='stories']//details")
    assert folded.find("summary").text == "2 more"
    assert [" ".join(p.itertext()) for p in folded.findall(".//blockquote/p")] == ["story 1", "story 0"]


def test_a_theme_folder_overrides_the_report_template(sample, tmp_path):
    (tmp_path / "report.html").write_text(
        "<h1>Our own report</h1>{% for s in doc.sections %}<h2>{{ s.title }}</h2>{% endfor %}",
        encoding="utf-8",
    )
    page = report_formats.render(sample, "html", theme=tmp_path)
    assert page.startswith(
        "<h1>Our own report</h1><h2>Summary</h2><h2>What customers said (worst first)</h2>"
    )
    (tmp_path / "report.html").write_text("{{ no_such_name }}", encoding="utf-8")
    with pytest.raises(render.TemplateError, match="report.html"):
        report_formats.render(sample, "html", theme=tmp_path)


def test_source_shares_add_up_with_an_unknown_row(definition):
    rows = [TallyRow("2025-03-03", "quay", {"n": 10, "src:card": 6, "src:receipt": 1})]
    groups = {g["key"]: g for g in report.build(rows, definition, PERIOD, by="src")["groups"]}
    assert {k: g["count"] for k, g in groups.items()} == {"card": 6, "receipt": 1, "unknown": 3}
    assert sum(g["share"] for g in groups.values()) == pytest.approx(1)
