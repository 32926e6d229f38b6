"""The weekly digest: the huddle message for the team (who was recognised most with a story each, the wow
rate and its honest verdict, the ratings, open follow-ups, what customers said worst first), sent by the alert
sender every Monday at 08:00 in the survey's time zone once per week however often it restarts, and by
`wowcard digest` on demand. On both stores, with a clock that moves only when told."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alerts.stand_ins import WEBHOOK_ENV, Clock, Receiver
from click.testing import CliRunner

from wowcard.__main__ import cli
from wowcard.collector import digest
from wowcard.collector.alerts import LiteralWebhook, Sender
from wowcard.collector.store import StoreError
from wowcard.collector.store_sqlite import SqliteStore
from wowcard.collector.survey import Definition, Survey
from wowcard.collector.verdict import wow_rate_verdict

SURVEY = "harbour"
WEEK = "2025-W11"  # Monday 10 March to Sunday 16 March 2025 (Europe/London is on GMT then)
SENT_AT = "2025-03-17T08:00:00Z"  # the Monday after, 08:00 in London


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# --- which week, and when ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "due"),
    [
        ("2025-03-17T07:59:59Z", "2025-W10"),  # Monday before 08:00: last week's is not due yet
        ("2025-03-17T08:00:00Z", "2025-W11"),
        ("2025-03-23T23:59:00Z", "2025-W11"),  # all week long, the same week is due (claimed once)
        ("2025-03-31T06:59:00Z", "2025-W12"),  # British Summer Time began on the 30th: 07:59 in London
        ("2025-03-31T07:00:00Z", "2025-W13"),  # 08:00 in London
        ("2025-12-29T08:00:00Z", "2025-W52"),
        ("2026-01-05T08:00:00Z", "2026-W01"),
    ],
)
def test_the_due_week_turns_at_monday_eight_in_the_surveys_time_zone(now: str, due: str) -> None:
    assert digest.due_week("Europe/London", utc(now)) == due


def test_the_last_complete_week_is_the_one_before_this_week() -> None:
    assert digest.last_complete_week("Europe/London", utc("2025-03-14T12:00:00Z")) == "2025-W10"
    assert digest.last_complete_week("Pacific/Auckland", utc("2025-03-16T12:00:00Z")) == "2025-W11"


@pytest.mark.parametrize("week", ["2025-11", "2025-W54", "2025-W00", "W11", "2025-W1"])
def test_a_week_that_is_not_an_iso_week_is_refused(week: str) -> None:
    with pytest.raises(digest.WeekError):
        digest.week_monday(week)


# --- the verdict --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("this", "before", "verdict"),
    [
        ((90, 10), (50, 50), "met"),  # 90 % against a goal of 50.5 %: far outside the noise
        ((20, 80), (50, 50), "missed"),
        ((6, 4), (5, 5), "too_few"),  # 60 % against 50.5 % on ten answers: could be chance
        ((6, 2), (0, 0), None),  # no earlier week to compare with
        ((0, 0), (5, 5), "too_few"),
    ],
)
def test_a_week_is_judged_only_outside_the_95_percent_interval(
    this: tuple[int, int], before: tuple[int, int], verdict: str | None
) -> None:
    assert wow_rate_verdict(*this, *before).verdict == verdict


def test_the_interval_is_wilsons_and_the_goal_is_last_weeks_rate_plus_one_percent() -> None:
    judged = wow_rate_verdict(6, 4, 5, 5)
    assert judged.goal == pytest.approx(0.505)
    assert (judged.low, judged.high) == (pytest.approx(0.3127, abs=1e-4), pytest.approx(0.8318, abs=1e-4))


# --- what it says --------------------------------------------------------------------------------------


@pytest.fixture
def week_of_answers(store: Any, make_record: Any) -> Any:
    """Week 11 at Harbour Coffee, and a little of week 10 to compare with."""
    store.put(make_record("2025-03-04T10:00:00Z", id="resp-w10-yes1"))
    store.put(make_record("2025-03-05T10:00:00Z", id="resp-w10-no01", wow="no", staff=None, what=None,
                          contact="old@example.com", consent="yes"))  # fmt: skip
    store.put(make_record("2025-03-11T09:00:00Z", id="resp-maya0001"))
    store.put(make_record("2025-03-12T09:00:00Z", id="resp-maya0002", what="Carried my tray"))
    store.put(make_record("2025-03-12T10:00:00Z", id="resp-priya001", location="mill", staff="priya",
                          what="Drew a cat in the foam"))  # fmt: skip
    for i in range(3):  # Tom's own phone: one recognition counts, two are flagged (limit 1 here)
        record = make_record(f"2025-03-12T11:0{i}:00Z", id=f"resp-tomself{i}", staff="tom", what="Great guy")
        store.put(dataclasses.replace(record, device="toms-phone-key", limit=1))
    store.put(make_record("2025-03-13T09:00:00Z", id="resp-worst001", wow="no", staff=None, what=None,
                          people=1, comment="Waited 40 minutes [refund](https://evil.example)",
                          contact="ann@example.com", consent="yes"))  # fmt: skip
    store.put(make_record("2025-03-13T10:00:00Z", id="resp-loud0001", wow="no", staff=None, what=None,
                          process=3, comment="Music too loud"))  # fmt: skip
    return store


def test_the_digest_names_someone_who_left_since_by_the_name_they_had(
    week_of_answers: Any, alert_definition: Definition
) -> None:
    week_of_answers.publish(alert_definition.to_json())  # Priya was in the published survey…
    staff = tuple(s for s in alert_definition.staff if s.id != "priya")
    after = dataclasses.replace(alert_definition, staff=staff)  # …and has left it by Monday
    found = digest.compute(week_of_answers, after, WEEK, utc(SENT_AT))
    assert ("Priya", 1) in [(p.name, p.recognitions) for p in found.recognised]


def test_the_digest_names_who_was_recognised_fairly_with_a_story_and_what_customers_said_worst_first(
    week_of_answers: Any, alert_definition: Definition
) -> None:
    found = digest.compute(week_of_answers, alert_definition, WEEK, utc(SENT_AT))

    assert (found.responses, found.wow_yes, found.wow_no) == (8, 6, 2)
    assert [(p.name, p.recognitions, p.story) for p in found.recognised] == [
        ("Maya", 2, "Carried my tray"),
        ("Priya", 1, "Drew a cat in the foam"),
        ("Tom", 1, "Great guy"),  # three recognitions from his own phone count once
    ]
    assert (found.wow_rate, found.previous_wow_rate, found.verdict) == (0.75, 0.5, "too_few")
    assert found.ratings == {"people": 4.5, "process": 4.75, "product": 5.0}
    assert found.open_followups == 2
    assert found.oldest_followup["id"] == "resp-w10-no01" and found.oldest_followup["days_open"] == 11
    said = [(s.id, s.kind) for s in found.said]
    assert said[:2] == [("resp-worst001", "comment"), ("resp-loud0001", "comment")]
    assert ("resp-tomself1", "story") not in said  # a flagged story is not read out

    lines = digest.text(found).splitlines()
    assert lines[:9] == [
        "Huddle: week 2025-W11 (Mon 10 Mar – Sun 16 Mar 2025, Europe/London), 8 answers",
        "Wow rate: 75% (6 of 8), last week 50%, goal 50.5%: too few answers to tell (95 % interval 41%–93%)",
        "Recognised most:",
        '- Maya (Quay Street), 2: "Carried my tray"',
        '- Priya (Old Mill), 1: "Drew a cat in the foam"',
        '- Tom (Quay Street), 1: "Great guy"',
        "Ratings: People 4.5 (8), Process 4.8 (8), Product 5.0 (8)",
        "Open follow-ups: 2, the oldest 11 days (Quay Street, answered 2025-03-05): wowcard followups",
        "What customers said, worst first:",
    ]
    assert len(lines) == 9 + digest.SAID_SHOWN + 1
    worst = lines[9]
    assert worst.startswith(
        "- Quay Street, 2025-03-13, en (wow no; People 1; Process 5; Product 5; follow-up"
    )
    assert "](" not in worst and "Waited 40 minutes" in worst  # the link in the comment links nowhere
    assert lines[-1] == "  and 1 more: wowcard results --since 2025-03-10 --until 2025-03-16"


def test_the_running_week_is_shown_in_progress_and_never_judged(
    week_of_answers: Any, alert_definition: Definition
) -> None:
    found = digest.compute(week_of_answers, alert_definition, WEEK, utc("2025-03-14T12:00:00Z"))
    assert found.verdict == "in_progress"
    assert "Wow rate: 75% (6 of 8), last week 50%, goal 50.5%: the week is still in progress" in (
        digest.text(found).splitlines()
    )


# --- sent once a week -----------------------------------------------------------------------------------


@pytest.fixture
def digest_on(store: Any, alert_survey: Survey) -> Definition:
    """The survey with "digest" in `[alerts] on`, published (the latest definition is what senders read)."""
    on = (*alert_survey.alerts.on, "digest")
    definition = dataclasses.replace(alert_survey, alerts=dataclasses.replace(alert_survey.alerts, on=on))
    published = definition.definition()
    store.publish(published.to_json())
    return published


def test_the_sender_posts_last_weeks_digest_at_monday_eight_once_even_after_a_restart(
    week_of_answers: Any, digest_on: Definition, receiver: Receiver
) -> None:
    clock = Clock("2025-03-17T07:59:00Z")
    sender = Sender(week_of_answers, SURVEY, LiteralWebhook(receiver.url), clock=clock)

    sender.sweep()  # 07:59: week 10's digest is the one due (it had answers), and the week's alerts
    clock.advance(60)
    sender.sweep()  # 08:00: week 11's
    clock.advance(3600)
    restarted = Sender(week_of_answers, SURVEY, LiteralWebhook(receiver.url), clock=clock)
    restarted.sweep()
    sender.sweep()

    weeks = [b["digest"]["week"] for b in receiver.bodies if "digest" in b]
    assert weeks == ["2025-W10", "2025-W11"]


def test_a_week_without_answers_is_claimed_and_sends_nothing(
    store: Any, digest_on: Definition, receiver: Receiver
) -> None:
    sender = Sender(store, SURVEY, LiteralWebhook(receiver.url), clock=Clock(SENT_AT))
    assert sender.sweep().gone == 1
    assert receiver.bodies == [] and store.alerts(SURVEY) == []


def test_without_digest_in_alerts_on_no_digest_is_sent(week_of_answers: Any, receiver: Receiver) -> None:
    sender = Sender(week_of_answers, SURVEY, LiteralWebhook(receiver.url), clock=Clock(SENT_AT))
    sender.sweep()
    assert [b for b in receiver.bodies if "digest" in b] == []


# --- wowcard digest -------------------------------------------------------------------------------------


@pytest.fixture
def survey_store(alert_survey_file: Path, alert_definition: Definition, make_record: Any) -> Path:
    store = SqliteStore(alert_survey_file.parent / ".wowcard" / "responses.db")
    store.publish(alert_definition.to_json())
    store.put(make_record("2025-03-11T09:00:00Z", id="resp-maya0001"))
    store.put(make_record("2025-03-13T09:00:00Z", id="resp-worst001", wow="no", staff=None, what=None,
                          people=1, comment="Cold coffee"))  # fmt: skip
    store.close()
    return alert_survey_file


def test_wowcard_digest_dry_run_shows_the_message_and_posts_nothing(
    survey_store: Path, webhook_env: str, receiver: Receiver
) -> None:
    result = CliRunner().invoke(cli, ["digest", "-s", str(survey_store), "--week", WEEK, "--dry-run"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith("Huddle: week 2025-W11 (Mon 10 Mar – Sun 16 Mar 2025, Europe/London), 2 ")
    assert '- Maya (Quay Street), 1: "Remembered my usual order"' in result.output
    assert receiver.bodies == []


def test_wowcard_digest_posts_and_claims_the_week_so_the_monday_one_is_not_sent_again(
    survey_store: Path, webhook_env: str, receiver: Receiver
) -> None:
    result = CliRunner().invoke(cli, ["digest", "-s", str(survey_store), "--week", WEEK])

    assert result.exit_code == 0, result.output
    (body,) = receiver.bodies
    assert body["digest"]["week"] == WEEK and body["text"].startswith("Huddle: week 2025-W11")
    store = SqliteStore(survey_store.parent / ".wowcard" / "responses.db")
    assert store.claim_digest(SURVEY, WEEK, 0.0) is False
    store.close()


@pytest.mark.parametrize("weeks_ahead", [0, 1], ids=["the running week", "next week"])
def test_wowcard_digest_of_a_week_not_over_posts_it_and_leaves_the_monday_digest_to_come(
    survey_store: Path, webhook_env: str, receiver: Receiver, weeks_ahead: int
) -> None:
    today = datetime.now(UTC).astimezone(ZoneInfo("Europe/London")).date()
    week = digest.iso_week(today + timedelta(weeks=weeks_ahead))
    result = CliRunner().invoke(cli, ["digest", "-s", str(survey_store), "--week", week])

    assert result.exit_code == 0, result.output
    assert [b["digest"]["week"] for b in receiver.bodies] == [week]
    assert "still running: its digest still goes out on the Monday after it" in result.output
    store = SqliteStore(survey_store.parent / ".wowcard" / "responses.db")
    assert store.claim_digest(SURVEY, week, 0.0) is True  # the sender can still claim it when it is due
    store.close()


@pytest.mark.parametrize("week", ["2025-W60", "last week"])
def test_wowcard_digest_refuses_a_week_that_does_not_exist_with_exit_2(survey_store: Path, week: str) -> None:
    result = CliRunner().invoke(cli, ["digest", "-s", str(survey_store), "--week", week, "--dry-run"])
    assert result.exit_code == 2
    assert "--week" in result.output and "is not an ISO week" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("week", ["0001-W01", "9999-W52", "1969-W10"])
def test_wowcard_digest_refuses_a_week_at_the_ends_of_the_calendar_with_exit_2(
    survey_store: Path, week: str
) -> None:
    result = CliRunner().invoke(cli, ["digest", "-s", str(survey_store), "--week", week, "--dry-run"])
    assert result.exit_code == 2, result.output
    assert "--week" in result.output and "outside the years" in result.output
    assert "Traceback" not in result.output


def test_wowcard_digest_says_when_the_webhook_cannot_be_reached(
    survey_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(WEBHOOK_ENV, raising=False)
    result = CliRunner().invoke(cli, ["digest", "-s", str(survey_store), "--week", WEEK])
    assert result.exit_code == 1
    assert f"the digest was not posted: the webhook is not set: the environment variable {WEBHOOK_ENV}" in (
        result.output
    )


class DeniedDigest(SqliteStore):
    """A store whose role may not claim the digest (a template older than the code): the write fails."""

    def claim_digest(self, survey: str, week: str, now: float, queue: bool = True) -> bool:
        raise StoreError("not allowed to claim the weekly digest in DynamoDB table wowcard-harbour")


def test_alerts_still_go_out_when_the_digest_cannot_be_claimed(
    tmp_path: Path, digest_on: Definition, make_record: Any, receiver: Receiver
) -> None:
    store = DeniedDigest(tmp_path / "denied.db")
    store.publish(digest_on.to_json())
    store.put(make_record(people=1))

    done = Sender(store, SURVEY, LiteralWebhook(receiver.url), clock=Clock(SENT_AT)).sweep()

    assert done.sent == 1 and receiver.ids() == ["resp-0001abcd"]
    store.close()
