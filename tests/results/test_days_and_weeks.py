"""Days are cut in the survey's time zone from the server's receive time; weeks are ISO weeks starting on
Monday, so the week a year ends in may start in December. Checked through `wowcard results` on both stores."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import jsonschema
from results.known_data import Sent, put_all

from wowcard import report_formats

SCHEMA = json.loads(report_formats.schema_path().read_text(encoding="utf-8"))


def run_json(backend, *args: str) -> dict:
    result = backend.run("results", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    jsonschema.validate(data, SCHEMA)
    return data


def test_a_late_evening_answer_in_london_summer_lands_on_the_next_day_and_week(backend, shop_definition):
    # 23:30 UTC on Sunday 13 July 2025 is 00:30 on Monday 14 July in London (BST): day and ISO week change.
    at = datetime(2025, 7, 13, 23, 30, tzinfo=UTC)
    body = {"id": "late-night-1", "v": shop_definition.version, "location": "quay", "wow": "yes"}
    put_all(backend.store, shop_definition, [Sent(at, body)])
    sunday = run_json(backend, "--since", "2025-07-13", "--until", "2025-07-13")
    monday = run_json(backend, "--since", "2025-07-14", "--until", "2025-07-14", "--by", "day")
    assert (sunday["responses"], monday["responses"]) == (0, 1)
    assert [(w["week"], w["start"], w["responses"]) for w in monday["trend"]] == [
        ("2025-W29", "2025-07-14", 1)
    ]


def test_a_year_boundary_week_starts_on_the_monday_in_december(backend, shop_definition):
    answers = [
        Sent(datetime(2024, 12, 29, 12, tzinfo=UTC), {"location": "mill", "wow": "no"}),  # Sunday: 2024-W52
        Sent(datetime(2024, 12, 30, 12, tzinfo=UTC), {"location": "mill", "wow": "yes"}),  # Monday: 2025-W01
        Sent(datetime(2025, 1, 5, 12, tzinfo=UTC), {"location": "mill", "wow": "yes"}),  # Sunday: 2025-W01
    ]
    for i, s in enumerate(answers):
        s.body.update(id=f"year-end-{i}", v=shop_definition.version)
    put_all(backend.store, shop_definition, answers)
    data = run_json(backend, "--since", "2024-12-23", "--until", "2025-01-05", "--by", "week")
    assert [(w["week"], w["start"], w["responses"], w["wow_rate"]) for w in data["trend"]] == [
        ("2024-W52", "2024-12-23", 1, 0.0),
        ("2025-W01", "2024-12-30", 2, 1.0),
    ]
    assert data["trend"][1]["goal"] == 0.0 and data["trend"][1]["met_goal"] is True
    assert [g["key"] for g in data["groups"]] == ["2024-W52", "2025-W01"]
    # Asked for the first week of 2025 alone, its rule of 1 % still compares with the last week of 2024.
    first = run_json(backend, "--since", "2024-12-30", "--until", "2025-01-05")
    assert [(w["week"], w["wow_rate"], w["goal"], w["met_goal"]) for w in first["trend"]] == [
        ("2025-W01", 1.0, 0.0, True)
    ]
