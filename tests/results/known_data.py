"""A known data set sent through the real write path (answers.record + store.put at a chosen receive time),
and the report's numbers computed independently from the raw answers, without the report code or tallies.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from wowcard.collector import answers
from wowcard.collector.survey import Definition

WEEKS_OF_DATA = 3
SCRIPT_STORY = '<script>alert("wow")</script> carried my <b>tray</b> [bold]x[/bold] | *stars*'
NASTY_COMMENTS = ['=HYPERLINK("http://evil.example","click")', "+44 20 7946 0000", "@SUM(A1:A9)", "-3 stars"]


@dataclass(frozen=True)
class Sent:
    """One answer as a phone sent it, and when the server received it."""

    at: datetime
    body: dict[str, Any]

    def day(self, time_zone: str) -> date:
        return self.at.astimezone(ZoneInfo(time_zone)).date()


def first_monday(time_zone: str) -> date:
    """The data set's first day: a Monday WEEKS_OF_DATA weeks before this one, so the data lies in the
    default report period and is younger than any retention period (the DynamoDB store hides personal
    fields past it)."""
    today = datetime.now(UTC).astimezone(ZoneInfo(time_zone)).date()
    return today - timedelta(days=today.weekday(), weeks=WEEKS_OF_DATA)


def make_answers(definition: Definition, count: int, seed: int = 7) -> list[Sent]:
    """`count` believable answers over WEEKS_OF_DATA whole weeks, some with a story, ratings, promises,
    comments, a contact with and without consent, and a few texts that try to be HTML or a formula."""
    rng = random.Random(seed)
    start = datetime.combine(first_monday(definition.time_zone), time(8, 0), tzinfo=UTC)
    locations = [loc.id for loc in definition.locations]
    sent = []
    for i in range(count):
        location = rng.choice(locations)
        at = start + timedelta(days=rng.randrange(7 * WEEKS_OF_DATA), minutes=rng.randrange(14 * 60))
        body: dict[str, Any] = {"id": f"known-{seed}-{i:05d}", "v": definition.version, "location": location}
        wow = rng.choice(["yes", "yes", "no", None])
        if wow:
            body["wow"] = wow
        staff_here = sorted(definition.staff_ids_at(location))
        if wow == "yes" and (staff_here or rng.random() < 0.3):
            body["staff"] = rng.choice([*staff_here, "_"]) if staff_here else "_"
            if rng.random() < 0.6:
                body["what"] = SCRIPT_STORY if i % 9 == 0 else f"story {i}: remembered my usual"
        elif wow == "no" and staff_here and rng.random() < 0.2:
            body["staff"] = rng.choice(staff_here)  # the no-JavaScript form allows it; tallies ignore it
        for rating in ("people", "process", "product"):
            if rng.random() < 0.7:
                body[rating] = rng.randint(1, 5)
        promises = [p.id for p in definition.promises if rng.random() < 0.35]
        if promises:
            body["promises"] = promises
        if rng.random() < 0.4:
            body["comment"] = NASTY_COMMENTS[i % len(NASTY_COMMENTS)] if i % 5 == 0 else f"comment {i}"
        if rng.random() < 0.25:
            body["contact"] = f"customer{i}@example.com"
            if rng.random() < 0.7:
                body["consent"] = "yes"
        if rng.random() < 0.5:
            body["src"] = rng.choice(["card", "receipt", "sign"])
        sent.append(Sent(at, body))
    return sent


def put_all(store: Any, definition: Definition, sent: list[Sent]) -> list[dict[str, Any]]:
    """Store every answer through the collector's own path; returns the stored responses."""
    stored = []
    for s in sent:
        submission = answers.decode(json.dumps(s.body).encode(), "application/json")
        record = answers.record(submission, definition, s.at, "203.0.113.9", "test-phone")
        assert store.put(record) is True
        stored.append(record.response)
    return stored


@dataclass
class Expected:
    """The report's numbers, counted straight from the answers."""

    responses: int = 0
    yes: int = 0
    no: int = 0
    staff: Counter = field(default_factory=Counter)  # (staff, location) -> recognitions
    unnamed: int = 0
    ratings: dict[str, Counter] = field(default_factory=lambda: {r: Counter() for r in RATINGS})
    promises: Counter = field(default_factory=Counter)
    comments: int = 0
    stories: int = 0
    followups: int = 0
    weeks: dict[str, Counter] = field(default_factory=dict)
    locations: Counter = field(default_factory=Counter)
    srcs: Counter = field(default_factory=Counter)  # "unknown" for answers without a source
    texts: list[Sent] = field(default_factory=list)  # answers with a comment or a story, as sent
    stories_by: dict[str, list[Sent]] = field(default_factory=dict)  # staff id ("_" unnamed) -> stories

    @property
    def wow_rate(self) -> float | None:
        return self.yes / (self.yes + self.no) if self.yes + self.no else None

    def average(self, rating: str) -> float | None:
        c = self.ratings[rating]
        return sum(v * n for v, n in c.items()) / sum(c.values()) if c else None

    def person(self, staff: str) -> int:
        """Recognitions of one person at every location."""
        return sum(n for (sid, _), n in self.staff.items() if sid == staff)

    def share(self, staff: str) -> float:
        total = sum(self.staff.values())
        return self.person(staff) / total if total else 0.0


RATINGS = ("people", "process", "product")


def expected(
    sent: list[Sent], time_zone: str, since: date, until: date, location: str | None = None
) -> Expected:
    exp = Expected()
    for s in sent:
        b = s.body
        day = s.day(time_zone)
        if not since <= day <= until or (location and b["location"] != location):
            continue
        exp.responses += 1
        exp.locations[b["location"]] += 1
        exp.srcs[b.get("src") or "unknown"] += 1
        if b.get("comment") or b.get("what"):
            exp.texts.append(s)
        year, week, _ = day.isocalendar()
        w = exp.weeks.setdefault(f"{year}-W{week:02d}", Counter())
        w["n"] += 1
        if b.get("wow") == "yes":
            exp.yes += 1
            w["yes"] += 1
            if b.get("staff") == "_":
                exp.unnamed += 1
            elif b.get("staff"):
                exp.staff[(b["staff"], b["location"])] += 1
            if b.get("what"):
                exp.stories += 1
                if b.get("staff"):
                    exp.stories_by.setdefault(b["staff"], []).append(s)
        elif b.get("wow") == "no":
            exp.no += 1
            w["no"] += 1
        for rating in RATINGS:
            if b.get(rating):
                exp.ratings[rating][b[rating]] += 1
        for p in b.get("promises", ()):
            exp.promises[p] += 1
        exp.comments += bool(b.get("comment"))
        exp.followups += bool(b.get("contact") and b.get("consent") == "yes")
    return exp


def stories_about(
    staff: str, whats: list[str], day: str = "2025-03-03", location: str = "quay"
) -> list[dict]:
    """Stored responses telling what `staff` did, one a minute from 10:00 (the last is the newest)."""
    return [
        {
            "id": f"{staff}-{i}",
            "day": day,
            "location": location,
            "received_at": f"{day}T10:{i:02d}:00Z",
            "lang": "en",
            "wow": "yes",
            "staff": staff,
            "what": what,
        }
        for i, what in enumerate(whats)
    ]
