"""The report's arithmetic on hand-made tally rows: every number a manager reads, its edge cases, the trend
against the rule of 1 %, and the `--by` cuts."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from wowcard import report, report_model, report_texts
from wowcard.collector import verdict
from wowcard.collector.store import TallyRow

MARCH = report.Period(date(2025, 3, 3), date(2025, 3, 16))
AFTER_MARCH = datetime(2025, 4, 1, tzinfo=UTC)


def row(day: str, location: str, **counts: int) -> TallyRow:
    return TallyRow(day, location, {k.replace("__", ":"): v for k, v in counts.items()})


def entry(result: dict, staff: str) -> dict:
    return next(e for e in result["staff"] if e["id"] == staff)


def test_wow_rate_is_yes_over_those_who_answered(definition):
    rows = [row("2025-03-03", "quay", n=10, wow_yes=3, wow_no=5)]
    result = report.build(rows, definition, MARCH)
    assert result["responses"] == 10
    assert result["wow"] == {"yes": 3, "no": 5, "unanswered": 2}
    assert result["wow_rate"] == pytest.approx(3 / 8, abs=1e-4)


def test_an_empty_range_gives_zeros_and_no_rates(definition):
    result = report.build([], definition, MARCH)
    assert result["responses"] == 0
    assert result["wow_rate"] is None
    assert all(e["count"] == 0 and e["share"] == 0 for e in result["staff"])
    assert result["ratings"]["people"] == {
        "average": None,
        "answered": 0,
        "distribution": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0},
    }
    assert [p["share"] for p in result["promises"]] == [None, None, None]
    assert [w["week"] for w in result["trend"]] == ["2025-W10", "2025-W11"]
    assert all(w["wow_rate"] is None and w["met_goal"] is None for w in result["trend"])


def test_the_leaderboard_has_one_row_per_person_with_their_locations(definition):
    rows = [
        row("2025-03-03", "quay", n=6, wow_yes=6, staff__priya=2, staff__maya=3, staff___=1),
        row("2025-03-04", "mill", n=3, wow_yes=3, staff__priya=2, staff__sam=1),
    ]
    result = report.build(rows, definition, MARCH)
    priya = entry(result, "priya")
    assert (priya["count"], priya["share"]) == (4, 0.5)  # counted across both locations: first, not split
    assert [(p["location"], p["count"]) for p in priya["locations"]] == [("mill", 2), ("quay", 2)]
    assert [e["id"] for e in result["staff"]][:3] == ["priya", "maya", "sam"]
    assert entry(result, "maya") == {
        "id": "maya",
        "name": "Maya",
        "count": 3,
        "share": 0.375,
        "flagged": 0,
        "locations": [{"location": "quay", "location_name": "Quay Street", "count": 3, "flagged": 0}],
    }
    assert result["unnamed"] == 1
    assert len({e["id"] for e in result["staff"]}) == len(result["staff"])
    assert sum(e["share"] for e in result["staff"]) == pytest.approx(1)


def test_flagged_recognitions_leave_the_leaderboard_unless_included(definition):
    rows = [row("2025-03-03", "quay", n=5, wow_yes=5, staff__tom=5, flagged__tom=2)]
    assert entry(report.build(rows, definition, MARCH), "tom")["count"] == 3
    included = report.build(rows, definition, MARCH, include_flagged=True)
    assert entry(included, "tom")["count"] == 5
    assert entry(included, "tom")["flagged"] == 2
    assert included["flagged"] == 2


def test_staff_no_longer_in_the_survey_still_show_by_id(definition):
    rows = [row("2025-03-05", "mill", n=1, wow_yes=1, staff__ghost=1)]
    ghost = entry(report.build(rows, definition, MARCH), "ghost")
    assert (ghost["name"], ghost["count"], ghost["share"]) == ("ghost", 1, 1.0)


def test_location_filter_keeps_only_that_locations_rows_and_staff(definition):
    rows = [
        row("2025-03-03", "quay", n=4, wow_yes=1, wow_no=3, staff__maya=1),
        row("2025-03-03", "mill", n=2, wow_yes=2, staff__sam=2),
    ]
    result = report.build(rows, definition, MARCH, location="mill")
    assert result["responses"] == 2
    assert result["location"] == {"id": "mill", "name": "Old Mill"}
    assert {e["id"] for e in result["staff"]} == {"priya", "sam", "li"}
    assert {p["location"] for e in result["staff"] for p in e["locations"]} == {"mill"}


def test_ratings_average_and_distribution(definition):
    rows = [row("2025-03-03", "quay", n=6, people__5=2, people__4=1, people__1=1, product__3=2)]
    ratings = report.build(rows, definition, MARCH)["ratings"]
    assert ratings["people"]["average"] == pytest.approx((5 * 2 + 4 + 1) / 4, abs=1e-4)
    assert ratings["people"]["distribution"] == {"1": 1, "2": 0, "3": 0, "4": 1, "5": 2}
    assert ratings["product"]["average"] == 3
    assert ratings["process"]["average"] is None


def test_promise_shares_are_of_all_responses(definition):
    rows = [row("2025-03-03", "quay", n=8, promise__fresh=4, promise__quick=2, promise__retired=1)]
    promises = {p["id"]: p for p in report.build(rows, definition, MARCH)["promises"]}
    assert promises["fresh"]["share"] == 0.5
    assert promises["quick"]["text"] == "Served in under three minutes"
    assert promises["name"]["count"] == 0
    assert promises["retired"]["text"] == "retired"  # a promise dropped from the survey still shows


def test_followups_open_are_requested_minus_done(definition):
    rows = [row("2025-03-03", "quay", n=5, followups=3, followups_done=1, comments=4)]
    result = report.build(rows, definition, MARCH)
    assert result["followups"] == {"requested": 3, "done": 1, "open": 2}
    assert result["comments"] == 4


def test_trend_weeks_start_on_monday_and_cross_the_year(definition):
    period = report.Period(date(2024, 12, 28), date(2025, 1, 8))  # a Saturday to a Wednesday
    rows = [
        row("2024-12-29", "quay", n=1, wow_yes=1),  # Sunday: still 2024-W52
        row("2024-12-30", "quay", n=1, wow_no=1),  # Monday: 2025-W01 starts in December
        row("2025-01-05", "quay", n=1, wow_yes=1),  # Sunday: still 2025-W01
        row("2025-01-06", "quay", n=1, wow_yes=1),  # Monday: 2025-W02
    ]
    trend = report.build(rows, definition, period)["trend"]
    assert [(w["week"], w["start"], w["days"], w["responses"]) for w in trend] == [
        ("2024-W52", "2024-12-23", 2, 1),
        ("2025-W01", "2024-12-30", 7, 2),
        ("2025-W02", "2025-01-06", 3, 1),
    ]


def test_the_goal_is_last_weeks_rate_plus_one_percent(definition):
    period = report.Period(date(2025, 3, 3), date(2025, 3, 23))
    rows = [
        row("2025-03-03", "quay", n=100, wow_yes=50, wow_no=50),  # 50 %
        row("2025-03-10", "quay", n=200, wow_yes=101, wow_no=99),  # 50.5 % = 50 % x 1.01
        row("2025-03-17", "quay", n=400, wow_yes=204, wow_no=196),  # 51 %
    ]
    first, second, third = report.build(rows, definition, period, now=AFTER_MARCH)["trend"]
    assert (first["change"], first["goal"], first["verdict"], first["met_goal"]) == (None, None, None, None)
    assert second["goal"] == pytest.approx(0.505)
    assert second["change"] == pytest.approx(0.01)
    assert third["change"] == pytest.approx(0.51 / 0.505 - 1, abs=1e-4)
    # A 1 % step is far inside the noise of a few hundred answers: neither week is judged.
    assert (second["verdict"], third["verdict"]) == ("too_few", "too_few")
    assert second["met_goal"] is None


def test_wilson_interval_of_a_weeks_wow_rate():
    low, high = verdict.wilson_interval(5, 10)
    assert (low, high) == (pytest.approx(0.2366, abs=1e-4), pytest.approx(0.7634, abs=1e-4))
    low, high = verdict.wilson_interval(0, 10)
    assert (low, high) == (0.0, pytest.approx(0.2775, abs=1e-4))


def test_after_a_perfect_week_the_goal_is_100_percent_and_0_percent_meets_nothing(definition):
    period = report.Period(date(2025, 3, 3), date(2025, 3, 16))
    perfect = [row("2025-03-03", "quay", n=20, wow_yes=20), row("2025-03-10", "quay", n=20, wow_yes=20)]
    _, week = report.build(perfect, definition, period, now=AFTER_MARCH)["trend"]
    assert (week["goal"], week["verdict"]) == (1.0, "too_few")  # never "missed" for a perfect week
    nothing = [row("2025-03-03", "quay", n=5, wow_no=5), row("2025-03-10", "quay", n=2, wow_no=2)]
    _, week = report.build(nothing, definition, period, now=AFTER_MARCH)["trend"]
    assert (week["goal"], week["verdict"]) == (0.0, "too_few")


@pytest.mark.parametrize(
    ("yes", "no", "verdict"),
    [
        (35, 5, "met"),  # 87.5 % of 40: the whole interval (74-95 %) is above the goal of 50.5 %
        (6, 34, "missed"),  # 15 % of 40: the whole interval (7-29 %) is below it
        (12, 8, "too_few"),  # 60 % of 20 (39-78 %): the goal is inside, too few answers to tell
        (0, 0, "too_few"),  # nobody answered the wow question
    ],
)
def test_a_week_is_judged_only_outside_the_noise_of_its_answers(definition, yes, no, verdict):
    period = report.Period(date(2025, 3, 3), date(2025, 3, 16))
    rows = [
        row("2025-03-03", "quay", n=40, wow_yes=20, wow_no=20),
        row("2025-03-10", "quay", n=yes + no + 1, wow_yes=yes, wow_no=no),
    ]
    _, week = report.build(rows, definition, period, now=AFTER_MARCH)["trend"]
    assert week["goal"] == pytest.approx(0.505)
    assert week["verdict"] == verdict
    assert week["met_goal"] == {"met": True, "missed": False}.get(verdict)


def test_the_running_week_is_in_progress_and_never_judged(definition):
    period = report.Period(date(2025, 3, 3), date(2025, 3, 12))
    rows = [
        row("2025-03-03", "quay", n=40, wow_yes=20, wow_no=20),
        row("2025-03-10", "quay", n=40, wow_yes=40),
    ]
    wednesday = datetime(2025, 3, 12, 15, 0, tzinfo=UTC)
    last, running = report.build(rows, definition, period, now=wednesday)["trend"]
    assert running["verdict"] == "in_progress"  # 100 % of 40 would be met, but the week is not over
    assert running["met_goal"] is None
    assert last["verdict"] is None  # no earlier week to compare with
    sunday_night = datetime(2025, 3, 16, 23, 30, tzinfo=UTC)  # still Sunday in London: still running
    assert report.build(rows, definition, period, now=sunday_night)["trend"][1]["verdict"] == "in_progress"
    monday = datetime(2025, 3, 17, 0, 30, tzinfo=UTC)
    assert report.build(rows, definition, period, now=monday)["trend"][1]["verdict"] == "met"


def test_the_rolling_rate_is_four_weeks_together(definition):
    period = report.Period(date(2025, 3, 24), date(2025, 3, 30))
    rows = [
        row("2025-02-24", "quay", n=10, wow_yes=10),  # 4 weeks before: outside the window
        row("2025-03-03", "quay", n=4, wow_no=4),
        row("2025-03-10", "quay", n=10, wow_yes=2, wow_no=8),
        row("2025-03-17", "quay", n=10, wow_yes=4, wow_no=6),
        row("2025-03-24", "quay", n=20, wow_yes=15, wow_no=5),
    ]
    (week,) = report.build(rows, definition, period, now=AFTER_MARCH)["trend"]
    assert week["wow_rate"] == 0.75
    assert week["rolling_rate"] == pytest.approx(21 / 44, abs=1e-4)  # this week and the three before


def test_a_week_without_wow_answers_breaks_the_comparison(definition):
    period = report.Period(date(2025, 3, 3), date(2025, 3, 23))
    rows = [row("2025-03-03", "quay", n=2, wow_yes=1, wow_no=1), row("2025-03-17", "quay", n=1, wow_yes=1)]
    _, empty, after = report.build(rows, definition, period)["trend"]
    assert (empty["wow_rate"], empty["met_goal"]) == (None, None)
    assert (after["goal"], after["met_goal"], after["verdict"]) == (None, None, None)


def test_default_period_is_the_last_eight_iso_weeks_in_the_survey_time_zone():
    # 23:30 UTC on Sunday 13 July 2025 is already Monday 14 July in London (BST): a new week.
    period = report.default_period("Europe/London", datetime(2025, 7, 13, 23, 30, tzinfo=UTC))
    assert period == report.Period(date(2025, 5, 26), date(2025, 7, 14))
    assert period.since.weekday() == 0
    utc = report.default_period("UTC", datetime(2025, 7, 13, 23, 30, tzinfo=UTC))
    assert utc == report.Period(date(2025, 5, 19), date(2025, 7, 13))


@pytest.mark.parametrize("by", ["day", "week", "month", "location"])
def test_time_and_location_groups_partition_the_responses(definition, by):
    rows = [
        row("2025-03-03", "quay", n=3, wow_yes=2, wow_no=1, staff__maya=2, comments=1),
        row("2025-03-14", "mill", n=5, wow_yes=1, wow_no=1, followups=2),
    ]
    result = report.build(rows, definition, MARCH, by=by)
    assert sum(g["responses"] for g in result["groups"]) == 8
    assert sum(g["share"] or 0 for g in result["groups"]) == pytest.approx(1)
    keys = [g["key"] for g in result["groups"]]
    expected_keys = {
        "day": [f"2025-03-{d:02d}" for d in range(3, 17)],
        "week": ["2025-W10", "2025-W11"],
        "month": ["2025-03"],
        "location": ["quay", "mill"],
    }[by]
    assert keys == expected_keys


def test_location_groups_have_their_own_wow_rate(definition):
    rows = [row("2025-03-03", "quay", n=4, wow_yes=1, wow_no=3), row("2025-03-03", "mill", n=1, wow_no=1)]
    groups = {g["key"]: g for g in report.build(rows, definition, MARCH, by="location")["groups"]}
    assert groups["quay"]["wow_rate"] == 0.25
    assert groups["mill"]["label"] == "Old Mill"
    assert groups["mill"]["wow_rate"] == 0


@pytest.mark.parametrize(
    ("by", "counts", "expected"),
    [
        ("staff", {"staff:maya": 3, "staff:sam": 1, "staff:_": 5}, {"maya": (3, 0.75), "sam": (1, 0.25)}),
        ("promise", {"promise:fresh": 2}, {"fresh": (2, 0.2), "name": (0, 0.0)}),
        ("language", {"lang:en": 10}, {"en": (10, 1.0)}),
        ("src", {"src:card": 6, "src:receipt": 1}, {"card": (6, 0.6), "receipt": (1, 0.1)}),
    ],
)
def test_counter_groups_carry_count_and_share(definition, by, counts, expected):
    rows = [TallyRow("2025-03-05", "quay", {"n": 10, **counts})]
    groups = {g["key"]: g for g in report.build(rows, definition, MARCH, by=by)["groups"]}
    for key, (count, share) in expected.items():
        assert (groups[key]["count"], groups[key]["share"]) == (count, share)
        assert groups[key]["wow_rate"] is None
    assert "_" not in groups


def response(day: str, what: str | None = None, **fields) -> dict:
    return {
        "id": fields.pop("id", f"{day}-{what or fields.get('comment')}"),
        "day": day,
        "location": "quay",
        "received_at": f"{day}T09:00:00.000000Z",
        "lang": "en",
        "what": what,
        **fields,
    }


def test_every_story_of_the_period_per_person_with_unnamed_ones_last(definition):
    rows = [row("2025-03-03", "quay", n=3, wow_yes=3, staff__maya=2, staff__tom=3)]
    result = report.build(rows, definition, MARCH)
    told = [
        response("2025-03-20", "after the period", wow="yes", staff="maya"),
        response("2025-03-09", "remembered my order", wow="yes", staff="maya"),
        response("2025-03-08", None, wow="yes", staff="maya"),  # redacted: no words left
        response("2025-03-07", "flagged", wow="yes", staff="maya", flagged=True),
        response("2025-03-06", "carried the tray", wow="yes", staff="maya"),
        response("2025-03-05", "fourth", wow="yes", staff="maya"),
        response("2025-03-04", "fifth", wow="yes", staff="maya"),
        response("2025-03-05", "someone helped", wow="yes", staff="_"),
        response("2025-03-03", "fixed the wifi", wow="yes", staff="tom"),
    ]
    stories = report_texts.attach_texts(result, definition, told)["stories"]
    assert [(s["name"], s["what"]) for s in stories] == [
        ("Tom", "fixed the wifi"),  # most recognised first
        ("Maya", "remembered my order"),  # no cap: all of them, newest first
        ("Maya", "carried the tray"),
        ("Maya", "fourth"),
        ("Maya", "fifth"),
        ("I didn't catch their name", "someone helped"),
    ]


def test_what_customers_said_comes_worst_first(definition):
    result = report.build([], definition, MARCH)
    said = [
        response("2025-03-04", comment="lovely", wow="yes", people=5),
        response("2025-03-05", comment="slow", wow="yes", people=2, process=1),
        response("2025-03-06", comment="cold coffee", wow="no", people=4, followup=True),
        response(
            "2025-03-07", comment="rude", wow="no", people=1, followup=True, done_at="2025-03-08T10:00:00Z"
        ),
        response("2025-03-08", comment="no ratings"),
        response("2025-03-09", "helped me", wow="yes", staff="_"),
    ]
    texts = report_texts.attach_texts(result, definition, said)["said"]
    assert [s["comment"] or s["what"] for s in texts] == [
        "rude",  # wow no and a 1
        "cold coffee",  # wow no
        "slow",  # lowest rating 1
        "lovely",  # lowest rating 5
        "helped me",  # unrated, newer
        "no ratings",
    ]
    assert [s["followup"] for s in texts[:3]] == ["done", "open", None]
    assert texts[4]["staff_name"] == "I didn't catch their name"
    assert texts[0]["language"] == "English"
    assert report_texts.attach_texts(result, definition, said)["responses_read"] == 6


def test_recount_and_differences_name_the_drifted_counter():
    responses = [
        {"day": "2025-03-03", "location": "quay", "shard": 0, "lang": "en", "wow": "yes", "staff": "maya"},
        {"day": "2025-03-03", "location": "quay", "shard": 1, "lang": "en", "wow": "no"},
    ]
    items = report.recount(responses)
    assert items[("2025-03-03", "quay", 0)] == {"n": 1, "lang:en": 1, "wow_yes": 1, "staff:maya": 1}
    summed = report.by_day_and_location(items)
    good = [TallyRow("2025-03-03", "quay", dict(summed[("2025-03-03", "quay")]))]
    assert report.differences(good, summed) == []
    drifted = [TallyRow("2025-03-03", "quay", {**good[0].counts, "wow_no": 2})]
    assert [d.to_json() for d in report.differences(drifted, summed)] == [
        {"day": "2025-03-03", "location": "quay", "field": "wow_no", "tallied": 2, "recounted": 1}
    ]


def test_the_first_week_is_compared_with_the_week_before_the_period(definition):
    period = report.Period(date(2025, 3, 12), date(2025, 3, 16))  # Wednesday to Sunday
    rows = [
        row("2025-03-05", "quay", n=4, wow_yes=2, wow_no=2),  # the week before: 50 %
        row("2025-03-10", "quay", n=5, wow_yes=5),  # Monday of the first week, before the period
        row("2025-03-12", "quay", n=2, wow_yes=1, wow_no=1),
    ]
    result = report.build(rows, definition, period)
    assert result["responses"] == 2
    (week,) = result["trend"]
    assert (week["days"], week["responses"], week["wow_rate"]) == (5, 2, 0.5)
    assert (week["goal"], week["change"], week["verdict"]) == (0.505, 0.0, "too_few")


def test_a_long_period_lists_the_worst_texts_and_newest_stories_and_says_how_many(definition):
    result = report.build(
        [TallyRow("2025-03-03", "quay", {"n": 1, "wow_yes": 1, "staff:maya": 1})], definition, MARCH
    )
    many = [
        response(
            f"2025-03-{3 + i % 10:02d}", f"story {i}", id=f"s{i}", wow="yes", staff="maya", people=1 + i % 5
        )
        for i in range(report_texts.SAID_LIMIT + 30)
    ]
    texts = report_texts.attach_texts(result, definition, many)
    assert (len(texts["said"]), texts["said_total"]) == (
        report_texts.SAID_LIMIT,
        report_texts.SAID_LIMIT + 30,
    )
    assert {s["people"] for s in texts["said"][:30]} == {1}  # the worst first
    assert len(texts["stories"]) == report_texts.STORIES_PER_PERSON
    assert texts["stories_total"] == {"maya": report_texts.SAID_LIMIT + 30}
    listed, total = report_texts.STORIES_PER_PERSON, report_texts.SAID_LIMIT + 30
    assert f"Maya: the newest {listed} of {total} stories are listed." in report_model.stories(texts).notes
