"""Wrong input is exit 2 with a sentence naming the option; a store that cannot be read is exit 1 with a
sentence naming the store; never a traceback (DESIGN.md "Exit codes")."""

from __future__ import annotations

import socket

import pytest
from click.testing import CliRunner

from wowcard.__main__ import cli
from wowcard.collector.store import open_store


def run(survey_file, *args: str):
    command, *rest = args
    return CliRunner().invoke(cli, [command, "-s", str(survey_file), *rest])


@pytest.fixture
def with_store(shop):
    """The survey's SQLite store exists (a definition was published into it)."""
    store = open_store(shop.store, shop.folder)
    store.publish(shop.definition().to_json())
    store.close()


@pytest.mark.parametrize("command", ["results", "export", "verify"])
@pytest.mark.parametrize("option", ["--since", "--until"])
def test_a_bad_date_is_exit_2_naming_the_option(shop_file, with_store, command, option):
    result = run(shop_file, command, option, "31/03/2025")
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.stderr
    assert "YYYY-MM-DD" in result.stderr


@pytest.mark.parametrize("command", ["results", "export", "verify"])
@pytest.mark.parametrize(("since", "until"), [("0001-01-01", "0001-01-10"), ("9999-12-25", "9999-12-31")])
def test_days_at_the_ends_of_the_calendar_are_exit_2(shop_file, with_store, command, since, until):
    result = run(shop_file, command, "--since", since, "--until", until)
    assert result.exit_code == 2, result.output
    assert "outside the days wowcard keeps" in result.stderr
    assert "Traceback" not in result.output


def test_a_date_that_does_not_exist_is_exit_2(shop_file, with_store):
    result = run(shop_file, "results", "--since", "2025-02-30")
    assert result.exit_code == 2
    assert "'--since'" in result.stderr


def test_since_after_until_is_exit_2(shop_file, with_store):
    result = run(shop_file, "results", "--since", "2025-03-10", "--until", "2025-03-01")
    assert result.exit_code == 2
    assert "--since 2025-03-10 is after --until 2025-03-01" in result.stderr


def test_an_unknown_location_is_exit_2_naming_the_option(shop_file, with_store):
    result = run(shop_file, "results", "--location", "pier")
    assert result.exit_code == 2
    assert '--location: unknown location "pier"; known: quay, mill, kiosk' in result.stderr


def test_an_unknown_by_or_format_is_exit_2(shop_file, with_store):
    assert run(shop_file, "results", "--by", "colour").exit_code == 2
    assert run(shop_file, "results", "--format", "pdf").exit_code == 2
    assert run(shop_file, "export", "--format", "xlsx").exit_code == 2


def test_a_malformed_store_url_is_exit_2(shop_file):
    result = run(shop_file, "results", "--store", "postgres://db/x")
    assert result.exit_code == 2
    assert '--store: "postgres://db/x" is not a store; use sqlite:PATH or dynamodb:TABLE' in result.stderr


def test_a_missing_survey_file_is_exit_2(tmp_path):
    result = CliRunner().invoke(cli, ["results", "-s", str(tmp_path / "nope.toml")])
    assert result.exit_code == 2
    assert "nope.toml" in result.stderr


@pytest.mark.parametrize("command", ["results", "export", "followups", "verify", "redact"])
def test_a_store_with_nothing_collected_yet_is_exit_1_with_a_sentence(shop_file, command):
    result = run(shop_file, command)
    assert result.exit_code == 1
    assert "SQLite store" in result.stderr and "does not exist" in result.stderr
    assert not (shop_file.parent / ".wowcard").exists()  # reading never creates an empty store


def test_an_explicit_sqlite_store_is_relative_to_the_working_directory(shop_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = open_store("sqlite:elsewhere.db", tmp_path)
    store.publish({"survey": "harbour", "version": "abc123", "time_zone": "UTC"})
    store.close()
    result = run(shop_file, "results", "--store", "sqlite:elsewhere.db", "--format", "json")
    assert result.exit_code == 0, result.output
    assert '"responses": 0' in result.stdout


def test_an_unreachable_dynamodb_is_exit_1_with_a_sentence(shop_file, aws_credentials):
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run(
        shop_file,
        "results",
        "--store",
        "dynamodb:wowcard",
        "--region",
        "eu-west-2",
        "--endpoint-url",
        f"http://127.0.0.1:{port}",
    )
    assert result.exit_code == 1
    assert "DynamoDB table wowcard" in result.stderr
    assert "Traceback" not in result.output


def test_delete_of_an_unknown_response_is_exit_2(shop_file, with_store):
    result = run(shop_file, "delete", "--response", "no-such-id", "--yes")
    assert result.exit_code == 2
    assert '--response: no response "no-such-id" in survey harbour' in result.stderr


def test_followups_leaves_room_for_subcommands(shop_file, with_store):
    from wowcard.commands.results import followups

    assert followups.invoke_without_command
    result = run(shop_file, "followups")
    assert (result.exit_code, result.stdout) == (0, "No open follow-ups.\n")


def test_the_owners_theme_overrides_the_html_report_and_a_broken_one_is_exit_2(shop, shop_file, with_store):
    themes = shop.folder / "templates"  # the same folder that overrides the survey pages
    themes.mkdir()
    (themes / "report.html").write_text(
        "<p>{{ doc.heading }} · {{ report.responses }} answers</p>", encoding="utf-8"
    )
    result = run(shop_file, "results", "--since", "2025-03-03", "--until", "2025-03-09", "--format", "html")
    assert result.exit_code == 0, result.output
    assert result.stdout == "<p>harbour: 2025-03-03 to 2025-03-09 (Europe/London) · 0 answers</p>"
    (themes / "report.html").write_text("{{ report.nope }}", encoding="utf-8")
    broken = run(shop_file, "results", "--format", "html")
    assert broken.exit_code == 2
    assert "report.html" in broken.stderr and "Traceback" not in broken.output
