"""`wowcard import FILE.csv`: paper cards and history, on both stores. Imported answers count in reports like
posted ones, `verify` agrees, the same file twice stores nothing new, and one bad row stores nothing."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from results.conftest import open_backend
from store_engines import running

from wowcard.collector.survey import Definition

CARDS = """\
date,location,wow,staff,what,people,process,product,promises,comment,lang
2026-11-02,quay,yes,maya,Remembered my order,5,4,5,fresh;name,,
2026-11-02T09:15,mill,Y,priya,,4,,,quick,,
2026-11-03 17:40,mill,no,,,2,3,,,"Queue was long, =1+2",
2026-11-04,quay,yes,_,Carried my bags,,,,,,
"""


@pytest.fixture
def sqlite_shop(shop_file, monkeypatch):
    """The survey's own SQLite store, its definition published: most refusals need only one engine."""
    with (
        running("sqlite", shop_file.parent, monkeypatch) as engine,
        open_backend(engine, shop_file) as opened,
    ):
        yield opened


def write(folder: Path, text: str, name: str = "cards.csv", encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def report(backend, since: str = "2026-11-01", until: str = "2026-11-30") -> dict:
    result = backend.run("results", "--since", since, "--until", until, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_imported_cards_count_in_the_report_and_verify_agrees(backend, tmp_path):
    cards = write(tmp_path, CARDS)
    result = backend.run("import", str(cards))
    assert result.exit_code == 0, result.output
    assert "4 rows from 2026-11-02 to 2026-11-04; stored 4 answers" in result.output
    assert "by location: mill 2, quay 2" in result.output
    data = report(backend)
    assert data["responses"] == 4
    assert data["wow"] == {"yes": 3, "no": 1, "unanswered": 0}
    counts = {(e["id"], p["location"]): p["count"] for e in data["staff"] for p in e["locations"]}
    assert counts[("maya", "quay")] == 1 and counts[("priya", "mill")] == 1
    assert data["unnamed"] == 1
    verified = backend.run("verify", "--since", "2026-11-01", "--until", "2026-11-30")
    assert verified.exit_code == 0, verified.output
    assert "Tallies agree with the 4 responses" in verified.output


def test_importing_the_same_file_twice_stores_nothing_new(backend, tmp_path):
    cards = write(tmp_path, CARDS)
    assert backend.run("import", str(cards)).exit_code == 0
    again = backend.run("import", str(cards))
    assert again.exit_code == 0, again.output
    assert "stored 0 answers" in again.output and "4 already stored" in again.output
    assert report(backend)["responses"] == 4


def test_dry_run_says_what_would_be_stored_and_stores_nothing(backend, tmp_path):
    cards = write(tmp_path, CARDS)
    result = backend.run("import", str(cards), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would store 4 answers" in result.output and "nothing was stored" in result.output
    assert report(backend)["responses"] == 0


def test_one_bad_row_fails_the_whole_import_on_dynamodb_too(backend, tmp_path):
    cards = write(tmp_path, CARDS + "2026-11-05,quay,yes,sam,,,,,,,\n")
    result = backend.run("import", str(cards))
    assert result.exit_code == 2
    assert 'cards.csv, line 6: column "staff": "sam" is not a member of staff at quay' in result.output
    assert "Traceback" not in result.output
    assert report(backend)["responses"] == 0


BAD_ROWS = {
    "unknown location": ("2026-11-05,pier,yes,,,,,,,,", 'line 6: column "location": "pier" is not a'),
    "unknown staff": ("2026-11-05,mill,yes,maya,,,,,,,", 'line 6: column "staff": "maya" is not a member'),
    "bad date": ("05/11/2026,quay,yes,,,,,,,,", 'line 6: column "date": "05/11/2026" is not a day or time'),
    "future date": ("2099-01-01,quay,yes,,,,,,,,", 'line 6: column "date": "2099-01-01" is in the future'),
    "rating out of range": ("2026-11-05,quay,yes,,,6,,,,,", 'line 6: column "people": people must be'),
    "unknown promise": ("2026-11-05,quay,yes,,,,,,cheap,,", 'line 6: column "promises": promises names'),
    "bad language": ("2026-11-05,quay,yes,,,,,,,,xx", 'line 6: column "lang": lang must be one of'),
    "control character": ("2026-11-05,quay,no,,,,,,,Hi \x1b[31mred,", 'column "comment": holds the control'),
    "too many cells": ("2026-11-05,quay,yes,,,,,,,,,extra", "line 6: the row has 12 cells"),
    "text too long": ("2026-11-05,quay,no,,,,,,," + "x" * 1001 + ",", 'column "comment": comment is longer'),
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_a_bad_row_names_line_and_column_and_nothing_is_stored(case, sqlite_shop, tmp_path):
    row, message = BAD_ROWS[case]
    cards = write(tmp_path, CARDS + row + "\n")
    result = sqlite_shop.run("import", str(cards))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert str(cards) in result.output
    assert report(sqlite_shop)["responses"] == 0


HOSTILE_FILES = {
    "unknown column": ("date,location,rating\n2026-11-02,quay,5\n", 'line 1: column "rating": not a column'),
    "unknown column under a sep= line": ("sep=,\ndate,location,rating\n", 'line 2: column "rating": not a'),
    "no location column": ("date,wow\n2026-11-02,yes\n", 'line 1: column "location": the header has no'),
    "empty file": ("", "the file is empty"),
    "huge field": ("date,location,comment\n2026-11-02,quay," + "x" * 200_000 + "\n", "line 2: not a"),
    "unterminated quote": ('date,location,comment\n2026-11-02,quay,"open\n', "not a readable CSV row"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_FILES))
def test_a_hostile_file_is_refused_with_exit_2(case, sqlite_shop, tmp_path):
    text, message = HOSTILE_FILES[case]
    result = sqlite_shop.run("import", str(write(tmp_path, text)))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_file_that_is_not_utf8_names_the_line(sqlite_shop, tmp_path):
    cards = write(tmp_path, CARDS + "2026-11-05,quay,no,,,,,,,Très bien,\n", encoding="latin-1")
    result = sqlite_shop.run("import", str(cards))
    assert result.exit_code == 2
    assert "line 6: byte 0xe8 is not UTF-8; save the file as CSV UTF-8" in result.output
    utf16 = sqlite_shop.run("import", str(write(tmp_path, CARDS, "wide.csv", encoding="utf-16")))
    assert utf16.exit_code == 2 and "the file is UTF-16" in utf16.output


def test_a_spreadsheet_export_with_bom_and_semicolons_imports(sqlite_shop, tmp_path):
    text = '\ufeffDate;Location;Wow;Staff;Promises;Comment\r\n2026-11-02;quay;yes;tom;"fresh;quick";\r\n'
    result = sqlite_shop.run("import", str(write(tmp_path, text)))
    assert result.exit_code == 0, result.output
    data = report(sqlite_shop)
    assert data["responses"] == 1
    promises = {p["id"]: p["count"] for p in data["promises"]}
    assert promises == {"fresh": 1, "name": 0, "quick": 1}
    assert data["staff"][0]["id"] == "tom" and data["staff"][0]["count"] == 1


def test_formula_cells_are_kept_as_text_and_defused_in_the_export(sqlite_shop, tmp_path):
    text = 'date,location,wow,what,staff,comment\n2026-11-02,quay,yes,"@SUM(A1)",maya,"=HYPERLINK(""x"")"\n'
    assert sqlite_shop.run("import", str(write(tmp_path, text))).exit_code == 0
    out = tmp_path / "out.csv"
    result = sqlite_shop.run("export", "--since", "2026-11-01", "--until", "2026-11-30", "-o", str(out))
    assert result.exit_code == 0, result.output
    [row] = list(csv.DictReader(out.open(newline="", encoding="utf-8")))
    assert row["src"] == "paper"
    assert row["comment"] == '\'=HYPERLINK("x")'
    assert row["what"] == "'@SUM(A1)"


def test_dates_are_days_of_the_survey_time_zone(sqlite_shop, tmp_path):
    # Europe/London is on GMT in November: 23:30 at UTC-5 is 04:30 the next day in London.
    text = "date,location\n2026-11-02T23:30,quay\n2026-11-02T23:30-05:00,quay\n2026-11-04T00:10Z,mill\n"
    assert sqlite_shop.run("import", str(write(tmp_path, text))).exit_code == 0
    assert report(sqlite_shop, "2026-11-02", "2026-11-02")["responses"] == 1
    assert report(sqlite_shop, "2026-11-03", "2026-11-03")["responses"] == 1
    assert report(sqlite_shop, "2026-11-04", "2026-11-04")["responses"] == 1


def test_src_column_and_option_tag_where_answers_came_from(sqlite_shop, tmp_path):
    text = "date,location,src\n2026-11-02,quay,\n2026-11-02,quay,receipt\n"
    result = sqlite_shop.run("import", str(write(tmp_path, text)), "--src", "letter")
    assert result.exit_code == 0, result.output
    by_src = sqlite_shop.run(
        "results", "--since", "2026-11-01", "--until", "2026-11-30", "--by", "src", "--format", "json"
    )
    groups = {g["key"]: g["count"] for g in json.loads(by_src.stdout)["groups"]}
    assert groups.get("letter") == 1 and groups.get("receipt") == 1
    bad = sqlite_shop.run("import", str(write(tmp_path, "date,location,src\n2026-11-02,quay,fax\n", "b.csv")))
    assert bad.exit_code == 2 and 'line 2: column "src": must be one of' in bad.output


def test_a_survey_not_yet_published_is_refused(sqlite_shop, tmp_path):
    toml = sqlite_shop.survey_file
    toml.write_text(toml.read_text(encoding="utf-8").replace("Quay Street", "Quay St"), encoding="utf-8")
    result = sqlite_shop.run("import", str(write(tmp_path, CARDS)))
    assert result.exit_code == 2
    assert "is not published to the SQLite store" in result.output and "wowcard publish" in result.output


def test_a_file_too_large_to_read_whole_is_refused(sqlite_shop, tmp_path, monkeypatch):
    from wowcard import importer

    monkeypatch.setattr(importer, "MAX_FILE_BYTES", 100)
    result = sqlite_shop.run("import", str(write(tmp_path, CARDS)))
    assert result.exit_code == 2 and "cards.csv: the file is larger than" in result.output


def test_a_file_name_with_a_terminal_escape_is_shown_escaped(sqlite_shop, tmp_path):
    result = sqlite_shop.run("import", str(write(tmp_path, CARDS, "cards\x1b[2J.csv")))
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "cards\\u001b[2J.csv: 4 rows" in result.output


def test_history_naming_someone_who_left_is_checked_against_the_version_they_were_in(sqlite_shop, tmp_path):
    toml = sqlite_shop.survey_file
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace('[[staff]]\nid = "tom"\nname = "Tom"\nlocation = "quay"\n', ""), "utf-8")
    assert sqlite_shop.run("publish").exit_code == 0  # Tom left; his old cards are still in the shoebox
    cards = write(tmp_path, "date,location,wow,staff\n2026-10-01,quay,yes,tom\n2026-10-02,quay,yes,maya\n")
    result = sqlite_shop.run("import", str(cards))
    assert result.exit_code == 0, result.output
    data = report(sqlite_shop, "2026-10-01", "2026-10-31")
    assert {e["id"]: (e["name"], e["count"]) for e in data["staff"] if e["count"]} == {
        "tom": ("Tom", 1),
        "maya": ("Maya", 1),
    }
    ghost = sqlite_shop.run(
        "import", str(write(tmp_path, "date,location,wow,staff\n2026-10-01,quay,yes,ghost\n", "g.csv"))
    )
    assert (
        ghost.exit_code == 2
        and 'line 2: column "staff": "ghost" is not a member of staff at quay' in ghost.output
    )


# --- hostile dates and spreadsheet headers -----------------------------------------------------------------

BAD_DATES = {
    "an offset that runs past year 1": "0001-01-01T00:00+01:00",
    "an offset that runs past year 9999": "9999-12-31T23:00-05:00",
    "before 1970": "1969-12-31",
    "a plus sign read as a separator": "2026-11-02+05:00",
    "a minus sign read as a separator": "2026-11-02-05:00",
    "an ISO week day": "2026-W45-1",
    "an hour without minutes": "2026-11-02T10",
    "an offset on a day": "2026-11-02Z",
    "a time of 24:00": "2026-11-02T24:00",
}


@pytest.mark.parametrize("case", sorted(BAD_DATES))
def test_a_date_that_is_no_day_wowcard_can_store_is_refused_naming_it(case, sqlite_shop, tmp_path):
    text = BAD_DATES[case]
    cards = write(tmp_path, f"date,location\n2026-11-02,quay\n{text},quay\n")
    result = sqlite_shop.run("import", str(cards))
    assert result.exit_code == 2, result.output
    assert f'line 3: column "date": "{text}"' in result.output
    assert "Traceback" not in result.output
    assert report(sqlite_shop)["responses"] == 0


# Times written on the survey's wall clock where it jumps (a gap: the time never was) or repeats (a fold),
# at 01:00 in London and at midnight in Santiago (whose clocks change at 00:00), and the ends of a day and
# of an ISO week: each answer lands on the day written.
WALL_CLOCK = {
    "London gap": ("Europe/London", "2026-03-29T01:30", "2026-03-29"),
    "London fold": ("Europe/London", "2026-10-25 01:30", "2026-10-25"),
    "Santiago gap at midnight": ("America/Santiago", "2026-09-06T00:30", "2026-09-06"),
    "Santiago fold before midnight": ("America/Santiago", "2026-04-04T23:30", "2026-04-04"),
    "Lord Howe's half-hour gap": ("Australia/Lord_Howe", "2026-10-04T02:15", "2026-10-04"),
    "last instant of a Sunday": ("Europe/London", "2026-11-01T23:59:59.999999", "2026-11-01"),
    "midnight starts a Monday": ("Europe/London", "2026-11-02T00:00", "2026-11-02"),
    "Monday at UTC-5 is Tuesday here": ("Europe/London", "2026-11-02T20:00-05:00", "2026-11-03"),
}


@pytest.mark.parametrize("case", sorted(WALL_CLOCK))
def test_an_answer_lands_on_the_day_written_in_the_survey_time_zone(case, sqlite_shop, tmp_path):
    zone, written, day = WALL_CLOCK[case]
    toml = sqlite_shop.survey_file
    toml.write_text(
        toml.read_text("utf-8").replace('time_zone = "Europe/London"', f'time_zone = "{zone}"'), "utf-8"
    )
    assert sqlite_shop.run("publish").exit_code == 0
    result = sqlite_shop.run("import", str(write(tmp_path, f"date,location\n{written},quay\n")))
    assert result.exit_code == 0, result.output
    assert f"from {day} to {day}" in result.output
    assert report(sqlite_shop, day, day)["responses"] == 1
    verified = sqlite_shop.run("verify", "--since", "2026-01-01", "--until", "2026-12-31")
    assert verified.exit_code == 0, verified.output


def test_a_sunday_and_a_monday_count_in_their_own_iso_weeks(sqlite_shop, tmp_path):
    text = "date,location,wow\n2026-11-01T23:59,quay,yes\n2026-11-02T00:00,quay,no\n"
    assert sqlite_shop.run("import", str(write(tmp_path, text))).exit_code == 0
    weekly = sqlite_shop.run(
        "results", "--since", "2026-10-26", "--until", "2026-11-08", "--by", "week", "--format", "json"
    )
    assert weekly.exit_code == 0, weekly.output
    groups = {g["key"]: g["count"] for g in json.loads(weekly.stdout)["groups"]}
    assert groups == {"2026-W44": 1, "2026-W45": 1}


SPREADSHEET_HEADERS = {
    "trailing delimiters after the last column": "date,location,wow,,\r\n2026-11-02,quay,yes,,\r\n",
    "an empty column between two": "date,,location\n2026-11-02,,quay\n",
    "old Mac line ends, semicolons and a comma in a cell": 'date;location;comment\r2026-11-02;quay;"a, b"\r',
    "a blank line and mixed line ends": "date,location\r\n\r\n2026-11-02,quay\n\n",
    "Excel's sep= line above the header": 'sep=;\r\ndate;location;comment\r\n2026-11-02;quay;"a, b"\r\n',
}


@pytest.mark.parametrize("case", sorted(SPREADSHEET_HEADERS))
def test_what_spreadsheets_write_around_the_columns_imports(case, sqlite_shop, tmp_path):
    result = sqlite_shop.run("import", str(write(tmp_path, SPREADSHEET_HEADERS[case])))
    assert result.exit_code == 0, result.output
    assert "stored 1 answers" in result.output
    assert report(sqlite_shop)["responses"] == 1


def test_a_value_under_a_column_with_no_name_is_refused(sqlite_shop, tmp_path):
    result = sqlite_shop.run(
        "import", str(write(tmp_path, "date,location,\n2026-11-02,quay,\n2026-11-03,quay,5\n"))
    )
    assert result.exit_code == 2, result.output
    assert "line 3: cell 3 is under a column the header does not name" in result.output
    assert report(sqlite_shop)["responses"] == 0


def test_an_imported_row_id_is_one_no_customer_can_post_first(sqlite_shop, tmp_path):
    from wowcard import importer
    from wowcard.collector import answers

    cards = write(tmp_path, CARDS)
    survey = sqlite_shop.store.definitions("harbour")[-1]
    plan = importer.plan(cards, Definition.from_json(survey), now=datetime.now(UTC))
    made = {r.id[:2] for r in plan.records}
    assert made == {importer.IMPORTED_ID} and importer.IMPORTED_ID in answers.MADE_HERE


def test_a_file_of_more_rows_than_can_be_held_is_refused_naming_the_first_line_past_the_limit(
    sqlite_shop, tmp_path, monkeypatch
):
    from wowcard import importer

    monkeypatch.setattr(importer, "MAX_ROWS", 3)  # as 100,000 short rows in a file well under 64 MB
    result = sqlite_shop.run("import", str(write(tmp_path, "date,location\n" + "2026-11-02,quay\n" * 4)))
    assert result.exit_code == 2, result.output
    assert "cards.csv, line 5: the file has more than 3 rows; split it" in result.output
    assert report(sqlite_shop)["responses"] == 0


@pytest.mark.parametrize(
    "resaved",
    [
        lambda text: text.replace("\r\n", "\n"),
        lambda text: text.replace("\r\n", "\r"),
        lambda text: text.replace("\n", "\r\n").replace("\r\r\n", "\r\n"),
        lambda text: text.replace(",quay,", ", quay ,").replace('"Two', '" Two'),
    ],
    ids=["as LF", "as CR", "as CRLF", "with spaces around cells"],
)
def test_the_same_cards_saved_again_with_other_line_ends_or_spaces_store_nothing_new(
    resaved, backend, tmp_path
):
    text = 'date,location,comment\r\n2026-11-02,quay,"Two lines:\r\nqueue, then cold"\r\n2026-11-03,mill,\r\n'
    assert backend.run("import", str(write(tmp_path, text))).exit_code == 0
    again = backend.run("import", str(write(tmp_path, resaved(text), "resaved.csv")))
    assert again.exit_code == 0, again.output
    assert "stored 0 answers" in again.output and "2 already stored" in again.output
    assert report(backend)["responses"] == 2
