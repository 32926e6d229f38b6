"""Closing the loop: `wowcard followups done ID [--note TEXT]` closes a follow-up, and `wowcard results` shows
per location how many are open (and open past the goal) and the median time from the answer to closing it,
against `followup_goal_hours` in survey.toml (default 24)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alerts.stand_ins import answer
from click.testing import CliRunner, Result
from store_engines import Engine

from wowcard.__main__ import cli
from wowcard.collector import answers
from wowcard.collector import survey as survey_model

SURVEY = "harbour"
PERIOD = ["--since", "2025-03-10", "--until", "2025-03-16"]


class Shop:
    def __init__(self, survey_file: Path, store: Any, options: list[str]) -> None:
        self.survey_file = survey_file
        self.store = store
        self.options = options
        self.definition = survey_model.load(survey_file).definition()

    def run(self, *args: str) -> Result:
        command, *rest = args
        if command == "followups":
            # `wowcard followups [-s FILE] [store options] [done ID ...]`: group options first
            return CliRunner().invoke(cli, ["followups", "-s", str(self.survey_file), *self.options, *rest])
        return CliRunner().invoke(cli, [command, "-s", str(self.survey_file), *self.options, *rest])

    def put(self, rid: str, at: str, location: str = "quay", **fields: Any) -> None:
        staff = {"quay": "maya", "mill": "sam"}[location]
        body = json.dumps(answer(self.definition, id=rid, location=location, staff=staff, **fields)).encode()
        received = datetime.fromisoformat(at.replace("Z", "+00:00"))
        record = answers.record(answers.decode(body, "text/plain"), self.definition, received, "", "")
        assert self.store.put(record)

    def ask(self, rid: str, at: str, location: str = "quay") -> None:
        self.put(rid, at, location, contact="ann@example.com", consent="yes", comment="Please call me")


@pytest.fixture
def shop(engine: Engine, survey_file: Path) -> Iterator[Shop]:
    """The survey's store on each engine (SQLite: its own [store], no --store needed)."""
    store = engine.open()
    store.publish(survey_model.load(survey_file).definition().to_json())
    yield Shop(survey_file, store, engine.options)
    store.close()


def test_done_closes_a_follow_up_with_a_note_and_it_leaves_the_open_list(shop: Shop) -> None:
    two_days_ago = datetime.now(UTC) - timedelta(days=2)  # recent: what they said is not past retention
    shop.ask("resp-call0001", two_days_ago.isoformat())
    shop.ask("resp-call0002", (two_days_ago + timedelta(hours=1)).isoformat())

    done = shop.run("followups", "done", "resp-call0001", "--note", "Called back, refunded the coffee")

    assert done.exit_code == 0, done.output
    assert done.stdout.startswith("Closed the follow-up of response resp-call0001: ")
    assert done.stdout.endswith("after the answer (over the 24 h goal).\n")
    still_open = json.loads(shop.run("followups", "--format", "json").stdout)
    assert [f["id"] for f in still_open] == ["resp-call0002"]
    everything = json.loads(shop.run("followups", "--all", "--format", "json").stdout)
    closed = next(f for f in everything if f["id"] == "resp-call0001")
    assert closed["note"] == "Called back, refunded the coffee" and closed["done_at"]
    report = json.loads(shop.run("results", "--format", "json").stdout)
    assert report["followups"] == {"requested": 2, "done": 1, "open": 1}


def test_done_says_what_is_wrong_with_an_id_it_cannot_close(shop: Shop) -> None:
    shop.ask("resp-call0001", "2025-03-14T09:00:00Z")
    shop.put("resp-fine0001", "2025-03-14T09:30:00Z")
    assert shop.run("followups", "done", "resp-call0001").exit_code == 0

    unknown = shop.run("followups", "done", "resp-nothere1")
    not_asked = shop.run("followups", "done", "resp-fine0001")
    twice = shop.run("followups", "done", "resp-call0001")

    assert (unknown.exit_code, not_asked.exit_code, twice.exit_code) == (2, 2, 1)
    assert 'no response "resp-nothere1" in survey harbour' in unknown.output
    assert 'response "resp-fine0001" did not ask to be contacted' in not_asked.output
    assert "was already closed at 20" in twice.output


def test_results_show_the_median_time_to_close_per_location_against_the_goal(shop: Shop) -> None:
    closed = {  # id, location, hours from the answer to closing it
        "resp-quay0001": ("quay", 2),
        "resp-quay0002": ("quay", 10),
        "resp-quay0003": ("quay", 30),
        "resp-mill0001": ("mill", 30),
        "resp-mill0002": ("mill", 50),
    }
    for rid, (location, hours) in closed.items():
        shop.ask(rid, "2025-03-11T08:00:00Z", location)
        done_at = f"2025-03-{11 + (8 + hours) // 24:02d}T{(8 + hours) % 24:02d}:00:00.000000Z"
        assert shop.store.close_followup(SURVEY, rid, done_at, None)
    shop.ask("resp-quay0004", "2025-03-12T08:00:00Z")  # still open, long past the goal
    shop.ask("resp-mill0003", "2025-03-01T08:00:00Z", "mill")  # before the period: not counted

    report = json.loads(shop.run("results", *PERIOD, "--format", "json").stdout)

    times = report["followup_times"]
    quay, mill = times["locations"]
    assert times["goal_hours"] == 24
    assert (quay["location"], quay["requested"], quay["open"], quay["overdue"], quay["closed"]) == (
        "quay",
        4,
        1,
        1,
        3,
    )
    assert (quay["median_hours"], quay["within_goal"], quay["met_goal"]) == (10, 2, True)
    assert (mill["location"], mill["requested"], mill["median_hours"]) == ("mill", 2, 40)
    assert mill["met_goal"] is False
    assert (times["all"]["closed"], times["all"]["median_hours"]) == (5, 30)
    table = shop.run("results", *PERIOD).stdout
    heading = "Follow-ups: time from answer to closed (goal 24 h)"
    rows = table.split(heading)[1].splitlines()
    assert rows[4].split() == ["Quay", "Street", "4", "1", "1", "3", "10.0", "h", "within", "goal"]
    assert rows[5].split() == ["Old", "Mill", "2", "0", "0", "2", "40.0", "h", "over", "goal"]


def test_the_goal_comes_from_survey_toml(shop: Shop) -> None:
    text = shop.survey_file.read_text(encoding="utf-8")
    shop.survey_file.write_text("followup_goal_hours = 8\n" + text, encoding="utf-8")
    shop.ask("resp-quay0001", "2025-03-11T08:00:00Z")
    shop.store.close_followup(SURVEY, "resp-quay0001", "2025-03-11T18:00:00.000000Z", None)

    report = json.loads(shop.run("results", *PERIOD, "--format", "json").stdout)

    quay = report["followup_times"]["locations"][0]
    assert (report["followup_times"]["goal_hours"], quay["median_hours"], quay["met_goal"]) == (8, 10, False)
    markdown = shop.run("results", *PERIOD, "--format", "md").stdout
    assert "### Follow-ups: time from answer to closed (goal 8 h)" in markdown
    assert "| Quay Street | 1 | 0 | 0 | 1 | 10.0 h | over goal |" in markdown
