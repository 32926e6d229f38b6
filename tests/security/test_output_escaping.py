"""Every string an owner or a customer wrote is shown as text, never run: hostile names in survey.toml and
hostile answers in the store go through every output — the built pages, survey.json, printed cards, `wowcard
results` as HTML, Markdown, CSV, JSON and a table, `wowcard export` as CSV and JSON Lines, and `wowcard
followups`. HTML gains no element or event handler, Markdown tables keep their shape and no markup escapes,
a spreadsheet cell never starts a formula, and no terminal escape reaches the owner's screen."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import html5lib
import pytest
from click.testing import CliRunner

from wowcard.__main__ import cli
from wowcard.collector import answers
from wowcard.collector import survey as survey_model
from wowcard.collector.store import open_store

# What owners wrote (survey.toml): each replaces a name of the example survey.
OWNER = {
    '"Harbour Coffee"': 'Harbour <script>alert("brand")</script> & Co',
    '"Roasted on the quay"': '"><img src=x onerror=alert(1)> | `tagline`',
    '"Quay Street"': "<b>Quay</b> | Street # 1 [bold red]loud[/bold red]",
    '"Old Mill"': "=cmd|' /C calc'!A0 Mill",
    '"Maya"': "Maya <img src=x onerror=alert(2)>",
    '"Tom"': "[bold red]Tom[/bold red] `rm -rf`",
    '"Priya"': "@Priya =1+1",
    '"Coffee roasted this week"': "*fresh* _coffee_ <script>promise()</script>",
    '"They know my name"': "+1 name | pipe",
    '"Served in under three minutes"': "-quick- {{ 7*7 }} </textarea><svg onload=alert(3)>",
}
# What customers wrote (answers): each lands in what / comment / contact.
CUSTOMER = [
    {"what": '<script>alert("story")</script> carried "><img src=x onerror=alert(4)>', "staff": "maya"},
    {"what": '=HYPERLINK("http://evil.example","win") | `x` | **bold**', "staff": "tom"},
    {"what": "line one\nline two\n# heading\n| a | b |", "staff": "priya"},
    {
        "comment": '=HYPERLINK("http://evil.example","click me")',
        "contact": "+44 7700 900123",
        "consent": "yes",
    },
    {"comment": "@SUM(1+1)*cmd|' /C calc'!A0", "contact": "-2+3 <script>c()</script>", "consent": "yes"},
    {"comment": "\x1b[2J\x1b[31mscreen cleared\x07", "contact": "\tsomeone@example.com\r", "consent": "yes"},
    {"comment": "[link](javascript:alert(5)) <!-- x --> ]]> &amp;", "contact": "a@b.c", "consent": "yes"},
]
SINCE, UNTIL = "2025-03-03", "2025-03-09"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def hostile(survey_dir: Path) -> Path:
    """The example survey with hostile owner names, and hostile answers stored in its SQLite store."""
    toml = survey_dir / "survey.toml"
    text = toml.read_text(encoding="utf-8")
    for clean, evil in OWNER.items():
        assert clean in text, clean
        text = text.replace(clean, json.dumps(evil), 1)
    text = text.replace("shards = 4\n", 'shards = 4\nsite_url = "https://survey.harbour.example"\n', 1)
    toml.write_text(text, encoding="utf-8")
    survey = survey_model.load(toml)
    definition = survey.definition()
    store = open_store(survey.store, survey.folder)
    try:
        store.publish(definition.to_json())
        for i, extra in enumerate(CUSTOMER):
            answer = {
                "v": definition.version,
                "id": f"hostile-{i:04d}",
                "location": "quay",
                "wow": "yes",
                **extra,
            }
            if "staff" not in extra:
                answer["wow"] = "no"
            submission = answers.decode(json.dumps(answer).encode(), "text/plain")
            received = datetime(2025, 3, 4 + i % 5, 12, i, tzinfo=UTC)
            assert store.put(answers.record(submission, definition, received, "192.0.2.1", "test"))
    finally:
        store.close()
    return toml


def run(toml: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, [args[0], "-s", str(toml), *args[1:]])
    assert result.exit_code == 0, result.output
    return result.stdout  # what a pipe or a file gets (progress notes go to stderr)


def hostile_texts() -> list[str]:
    owner = [" ".join(v.split()) for v in OWNER.values()]
    return owner + [" ".join(a[k].split()) for a in CUSTOMER for k in ("what", "comment") if k in a]


def parse_html(text: str) -> Any:
    return html5lib.parse(text, namespaceHTMLElements=False)


def injected(document: Any) -> list[str]:
    """Elements and attributes that would run something."""
    found = []
    for element in document.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        logo = tag == "img" and element.get("class") == "logo"
        if tag.lower() in ("img", "iframe", "object", "embed") and not logo:
            found.append(f"<{tag}>")
        if logo and not element.get("src", "").startswith("data:image/svg+xml,"):
            found.append(f"<img src={element.get('src')!r}>")  # the logo is an image of the build's own data
        for name, value in element.attrib.items():
            if name.lower().startswith("on") or value.strip().lower().startswith("javascript:"):
                found.append(f"{tag} {name}={value!r}")
    return found


def tags(document: Any) -> Counter:
    return Counter(e.tag for e in document.iter() if isinstance(e.tag, str))


# --- owner strings in the pages, survey.json and the cards ------------------------------------------------


def test_built_pages_show_hostile_owner_names_as_text_and_gain_no_element(
    hostile: Path, tmp_path: Path
) -> None:
    clean_dir = tmp_path / "clean"
    clean_dir.mkdir()
    from conftest import LOGO_SVG, SURVEY_TOML

    (clean_dir / "survey.toml").write_text(
        SURVEY_TOML.replace("shards = 4\n", 'shards = 4\nsite_url = "https://survey.harbour.example"\n')
    )
    (clean_dir / "logo.svg").write_text(LOGO_SVG)
    run(clean_dir / "survey.toml", "build")
    run(hostile, "build")
    built = hostile.parent / "build" / "harbour"
    pages = sorted(built.rglob("*.html"))
    assert len(pages) >= 20
    seen = ""
    for page in pages:
        document = parse_html(page.read_text(encoding="utf-8"))
        baseline = parse_html((clean_dir / "build" / "harbour" / page.relative_to(built)).read_text())
        assert tags(document) == tags(baseline), page  # the same elements as the clean survey's page
        assert injected(document) == [], page
        seen += (
            " ".join(document.itertext())
            + " "
            + " ".join(v for e in document.iter() for v in e.attrib.values())
        )
    for text in OWNER.values():
        assert text in seen, text
    assert '<script>alert("brand")</script>' in seen  # shown, as text
    definition = json.loads((built / "survey.json").read_text(encoding="utf-8"))
    assert definition["staff"][0]["name"] == OWNER['"Maya"']


def test_printed_cards_are_well_formed_svg_without_script(hostile: Path) -> None:
    run(hostile, "cards", "--format", "svg", "--per", "staff")
    files = sorted((hostile.parent / "build" / "cards").rglob("*.svg"))
    assert files
    for file in files:
        root = ET.fromstring(file.read_bytes())  # hostile text would break the XML if not escaped
        for element in root.iter():
            assert not element.tag.endswith("script"), file
            assert not any(name.lower().startswith("on") for name in element.attrib), file
    texts = " ".join(" ".join(ET.fromstring(f.read_bytes()).itertext()) for f in files)
    assert "Maya <img src=x onerror=alert(2)>" in texts


# --- customer and owner strings in the reports --------------------------------------------------------------


def test_the_html_report_shows_every_hostile_string_as_text(hostile: Path) -> None:
    page = run(hostile, "results", "--since", SINCE, "--until", UNTIL, "--format", "html", "--by", "staff")
    document = parse_html(page)
    assert injected(document) == []
    assert not [e for e in document.iter() if e.tag == "script"]
    text = " ".join(document.itertext())
    for shown in (
        '<script>alert("story")</script>',
        "Maya <img src=x onerror=alert(2)>",
        "<b>Quay</b> | Street",
    ):
        assert shown in text, shown
    assert len(document.findall(".//b")) == page.count("<b>")  # only the template's own


def unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def test_markdown_keeps_its_tables_and_lets_no_markup_through(hostile: Path) -> None:
    md = run(hostile, "results", "--since", SINCE, "--until", UNTIL, "--format", "md", "--by", "location")
    assert "<script" not in md and "<img" not in md and "<b>" not in md and "\x1b" not in md
    assert not re.search(r"(?<!\\)`", md), "an unescaped backtick"
    assert not re.search(r"(?<!\\)\[link\]\(javascript", md)
    for line in md.splitlines():
        assert not line.startswith("#") or line.startswith(("## ", "### ")), line
    for block in md.split("\n\n"):
        table = [line for line in block.splitlines() if line.startswith("|")]
        if table:
            assert {unescaped_pipes(line) for line in table} == {unescaped_pipes(table[0])}, table


def formula_cells(text: str) -> list[str]:
    """Cells a spreadsheet would run: starting with = + - @ tab or CR, and not a number."""
    bad = []
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            if cell.startswith(FORMULA_START):
                try:
                    float(cell)
                except ValueError:
                    bad.append(cell)
    return bad


def test_csv_reports_and_exports_never_start_a_formula(hostile: Path) -> None:
    report = run(hostile, "results", "--since", SINCE, "--until", UNTIL, "--format", "csv", "--by", "staff")
    export = run(hostile, "export", "--since", SINCE, "--until", UNTIL, "--format", "csv")
    assert formula_cells(report) == []
    assert formula_cells(export) == []
    rows = list(csv.DictReader(io.StringIO(export)))
    assert len(rows) == len(CUSTOMER)  # newlines inside cells are quoted, not new rows
    by_id = {row["id"]: row for row in rows}
    assert by_id["hostile-0003"]["comment"] == "'" + CUSTOMER[3]["comment"]
    assert by_id["hostile-0003"]["contact"] == "'+44 7700 900123"


def test_json_outputs_keep_the_strings_exactly_as_written(hostile: Path) -> None:
    lines = run(hostile, "export", "--since", SINCE, "--until", UNTIL, "--format", "jsonl").splitlines()
    stored = {r["id"]: r for r in map(json.loads, lines)}
    assert stored["hostile-0003"]["comment"] == CUSTOMER[3]["comment"]  # programs get the data, not defused
    report = json.loads(run(hostile, "results", "--since", SINCE, "--until", UNTIL, "--format", "json"))
    names = json.dumps(report, ensure_ascii=False)
    assert "Maya <img src=x onerror=alert(2)>" in names


def test_terminal_outputs_carry_no_escape_sequence(hostile: Path) -> None:
    table = run(hostile, "results", "--since", SINCE, "--until", UNTIL)
    followups = run(hostile, "followups")
    for output in (table, followups):
        assert "\x1b" not in output and "\x07" not in output and "\r" not in output
    assert "[bold red]" in table  # shown literally, not taken as markup
    assert "screen cleared" in followups and "HYPERLINK" in followups


# --- control characters in owner names ----------------------------------------------------------------------
# An ESC in a staff name would reach `wowcard results --format md` on the owner's terminal, and the cards' SVG
# would no longer be well-formed XML (XML 1.0 forbids U+001B): survey.toml refuses them (exit 2).


@pytest.fixture
def control_named(survey_dir: Path) -> Path:
    toml = survey_dir / "survey.toml"
    text = toml.read_text(encoding="utf-8").replace('"Priya"', json.dumps("Priya \x1b[2J\x1b[31mred"), 1)
    text = text.replace("shards = 4\n", 'shards = 4\nsite_url = "https://survey.harbour.example"\n', 1)
    toml.write_text(text, encoding="utf-8")
    return toml


def test_a_control_character_in_an_owner_name_never_reaches_the_terminal_or_breaks_a_card(
    control_named: Path,
) -> None:
    result = CliRunner().invoke(cli, ["cards", "-s", str(control_named), "--format", "svg", "--per", "staff"])
    if result.exit_code == 2:  # refused in survey.toml, naming the field: fixed that way
        assert "staff[2].name" in result.output
        assert "contains a control character (U+001B); remove it" in result.output
        return
    for file in (control_named.parent / "build" / "cards").rglob("*.svg"):
        ET.fromstring(file.read_bytes())
    survey = survey_model.load(control_named)
    store = open_store(survey.store, survey.folder)
    store.publish(survey.definition().to_json())
    store.close()
    md = run(control_named, "results", "--format", "md", "--by", "staff")
    assert "\x1b" not in md


def _edited(survey_dir: Path, old: str, new: str) -> Path:
    toml = survey_dir / "survey.toml"
    text = toml.read_text(encoding="utf-8")
    assert old in text
    toml.write_text(text.replace(old, new, 1), encoding="utf-8")
    return toml


@pytest.mark.parametrize(
    ("old", "new", "field", "code"),
    [
        ('"Quay Street"', json.dumps("Quay\x07Street"), "locations[0].name", "U+0007"),
        ('"Old Mill"', json.dumps("Old Mill\x9b2J"), "locations[1].name", "U+009B"),  # C1 CSI
        ('"They know my name"', json.dumps("name\x00"), "promises[1].text", "U+0000"),
        ('id = "harbour"', 'id = "harbour"\nsite_url = "https://survey.example\\n"', "site_url", "U+000A"),
    ],
    ids=["bell", "c1-csi", "nul", "line-break-in-a-url"],
)
def test_a_control_character_in_survey_toml_is_refused_naming_the_field_and_the_character(
    survey_dir: Path, old: str, new: str, field: str, code: str
) -> None:
    with pytest.raises(survey_model.SurveyError) as refused:
        survey_model.load(_edited(survey_dir, old, new))
    assert refused.value.path == field
    assert refused.value.message == f"contains a control character ({code}); remove it"


def test_tabs_and_line_breaks_in_a_text_are_folded_to_spaces(survey_dir: Path) -> None:
    long_text = '"""Thank you!\r\n\tEvery answer\nis read."""'
    survey = survey_model.load(
        _edited(survey_dir, '"Thank you! Every answer is read by the team."', long_text)
    )
    assert survey.thank_you == "Thank you! Every answer is read."


def test_a_value_an_error_repeats_is_shown_escaped_as_in_toml(survey_dir: Path) -> None:
    toml = _edited(survey_dir, 'id = "quay"', 'id = "quay\\u2028\\"x\\\\"')
    with pytest.raises(survey_model.SurveyError) as refused:
        survey_model.load(toml)
    assert refused.value.path == "locations[0].id"
    assert refused.value.message.startswith('"quay\\u2028\\"x\\\\" is not a URL-safe id')
    assert len(str(refused.value).splitlines()) == 1
