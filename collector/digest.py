"""The weekly digest: the week's huddle message for the team's chat, computed from the store.

What it says, for one ISO week (Monday to Sunday in the survey's time zone): who was recognised most (fair
recognitions only: flagged self-votes are left out), with a story each; the wow rate and its verdict against
the week before (verdict.py: a 95 % interval test); the average People / Process / Product ratings; how
many follow-ups are open and the oldest; what customers said (comments and stories), worst first.

When: `wowcard digest` posts it on demand; the alert sender (`wowcard serve`'s worker, or on AWS the
scheduled function every minute) claims each week once, at or after Monday 08:00 in the survey's time zone,
with a conditional write in the store (`claim_digest`) that also queues it in the alert outbox. So it is
sent once per week however many senders run and however often they restart; a week without answers is
claimed and sends nothing.

What it reads: the tallies of two weeks (days x locations x shards items), the week's texts (`Store.texts`:
the answers with words) and the open follow-ups. Standard library only: the Lambda bundle holds this file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, overload
from zoneinfo import ZoneInfo

from . import chat, fairness, names, tally
from .store import DIGEST_PREFIX, Store, received_epoch
from .survey import RATING_SCALE, RATINGS, Definition
from .verdict import IN_PROGRESS, WORDS, wow_rate_verdict

SEND_WEEKDAY = 0  # Monday
SEND_AT = time(8, 0)
TOP_RECOGNISED = 3
SAID_SHOWN = 5
EXCERPT_CHARACTERS = 200
WEEK = re.compile(r"^(\d{4})-W(\d{2})\Z")
RATING_NAMES = {"people": "People", "process": "Process", "product": "Product"}


class WeekError(ValueError):
    """A week that is not "YYYY-Www" (an ISO week that exists)."""


# --- which week ------------------------------------------------------------------------------------------


def week_monday(week: str) -> date:
    """The Monday of an ISO week "2025-W10"; WeekError when it is not one."""
    found = WEEK.match(week)
    if not found:
        raise WeekError(f'"{week}" is not an ISO week such as 2025-W10')
    year = int(found.group(1))
    if not 1970 <= year <= 9000:  # answers are received from 1970 on; the weeks around must exist too
        raise WeekError(f'"{week}" is outside the years wowcard keeps (1970 to 9000)')
    try:
        return date.fromisocalendar(year, int(found.group(2)), 1)
    except ValueError:
        raise WeekError(f'"{week}" is not an ISO week of that year') from None


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def last_complete_week(time_zone: str, now: datetime) -> str:
    """The ISO week before the one `now` falls in, in the survey's time zone."""
    today = now.astimezone(ZoneInfo(time_zone)).date()
    return iso_week(today - timedelta(days=today.weekday() + 7))


def due_week(time_zone: str, now: datetime) -> str:
    """The week whose digest was due at the latest Monday 08:00 (survey time) at or before `now`: the week
    before that Monday. Before 08:00 on a Monday that is still the week before last."""
    local = now.astimezone(ZoneInfo(time_zone))
    monday = local.date() - timedelta(days=(local.weekday() - SEND_WEEKDAY) % 7)
    if local.date() == monday and local.time() < SEND_AT:
        monday -= timedelta(days=7)
    return iso_week(monday - timedelta(days=7))


def digest_week(outbox_id: str) -> str | None:
    """The week of a digest's outbox entry ("digest:2025-W10"), or None for an answer's alert."""
    return outbox_id[len(DIGEST_PREFIX) :] if outbox_id.startswith(DIGEST_PREFIX) else None


# --- what it says ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recognised:
    staff: str
    name: str
    recognitions: int
    locations: list[str]
    story: str | None


@dataclass(frozen=True, slots=True)
class Said:
    id: str
    location: str
    day: str
    lang: str
    wow: str | None
    ratings: dict[str, int | None]
    kind: str  # "comment" or "story"
    text: str
    followup: str | None  # "open", "done" or None (no follow-up asked for)


@dataclass(frozen=True, slots=True)
class Digest:
    survey: str
    week: str
    since: str
    until: str
    time_zone: str
    responses: int
    wow_yes: int
    wow_no: int
    wow_rate: float | None
    previous_wow_rate: float | None
    goal: float | None
    verdict: str | None
    verdict_words: str
    interval: list[float] | None
    recognised: list[Recognised]
    ratings: dict[str, float | None]
    rated: dict[str, int]
    open_followups: int
    oldest_followup: dict[str, Any] | None
    said: list[Said] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def compute(store: Store, definition: Definition, week: str, now: datetime) -> Digest:
    """The digest of `week` for the survey of `definition`, read from `store` at `now`."""
    monday = week_monday(week)
    sunday = monday + timedelta(days=6)
    previous = monday - timedelta(days=7)
    survey = definition.survey
    # People and locations that left since the week keep the names they had (as in reports).
    definition = names.remembered(definition, store.definitions(survey))
    rows = store.tallies(survey, previous.isoformat(), sunday.isoformat())
    this = tally.sum_counts(r.counts for r in rows if r.day >= monday.isoformat())
    before = tally.sum_counts(r.counts for r in rows if r.day < monday.isoformat())
    responses = list(store.texts(survey, monday.isoformat(), sunday.isoformat()))
    judged = wow_rate_verdict(
        this.get("wow_yes", 0), this.get("wow_no", 0), before.get("wow_yes", 0), before.get("wow_no", 0)
    )
    previous_total = before.get("wow_yes", 0) + before.get("wow_no", 0)
    verdict, words = judged.verdict, judged.words
    if now.astimezone(ZoneInfo(definition.time_zone)).date() <= sunday:
        verdict, words = IN_PROGRESS, WORDS[IN_PROGRESS]  # the running week is never judged
    ratings, rated = _ratings(this)
    followups = store.followups(survey)
    return Digest(
        survey=survey,
        week=week,
        since=monday.isoformat(),
        until=sunday.isoformat(),
        time_zone=definition.time_zone,
        responses=this.get("n", 0),
        wow_yes=this.get("wow_yes", 0),
        wow_no=this.get("wow_no", 0),
        wow_rate=_round(judged.rate),
        previous_wow_rate=_round(before.get("wow_yes", 0) / previous_total) if previous_total else None,
        goal=_round(judged.goal),
        verdict=verdict,
        verdict_words=words,
        interval=(
            [_round(judged.low), _round(judged.high)]
            if judged.low is not None and judged.high is not None
            else None
        ),
        recognised=_recognised(rows, monday, responses, definition),
        ratings=ratings,
        rated=rated,
        open_followups=len(followups),
        oldest_followup=_oldest(followups, definition, now),
        said=_said(responses, definition),
    )


@overload
def _round(value: float) -> float: ...
@overload
def _round(value: None) -> None: ...
def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _recognised(
    rows: list[Any], monday: date, responses: list[dict[str, Any]], definition: Definition
) -> list[Recognised]:
    """The most recognised staff of the week (flagged recognitions left out), each with the week's latest
    fair story about them."""
    counts: dict[str, int] = {}
    where: dict[str, set[str]] = {}
    for row in rows:
        if row.day < monday.isoformat():
            continue
        for key, value in row.counts.items():
            if key.startswith("staff:") and key != f"staff:{tally.UNNAMED_STAFF}":
                staff = key[len("staff:") :]
                fair = value - row.counts.get(f"flagged:{staff}", 0)
                if fair > 0:
                    counts[staff] = counts.get(staff, 0) + fair
                    where.setdefault(staff, set()).add(row.location)
    top = sorted(counts, key=lambda s: (-counts[s], names.staff_name(definition, s)))[:TOP_RECOGNISED]
    found = []
    for staff in top:
        stories = [
            r["what"]
            for r in responses
            if r.get("staff") == staff and r.get("what") and not r.get("flagged") and fairness.applies(r)
        ]
        found.append(
            Recognised(
                staff=staff,
                name=names.staff_name(definition, staff),
                recognitions=counts[staff],
                locations=sorted(names.location_name(definition, loc) for loc in where[staff]),
                story=stories[-1] if stories else None,
            )
        )
    return found


def _ratings(counts: Mapping[str, int]) -> tuple[dict[str, float | None], dict[str, int]]:
    averages: dict[str, float | None] = {}
    rated: dict[str, int] = {}
    for name in RATINGS:
        n = sum(counts.get(f"{name}:{v}", 0) for v in range(1, 6))
        total = sum(v * counts.get(f"{name}:{v}", 0) for v in range(1, 6))
        rated[name] = n
        averages[name] = round(total / n, 2) if n else None
    return averages, rated


def _oldest(followups: list[dict[str, Any]], definition: Definition, now: datetime) -> dict[str, Any] | None:
    if not followups:
        return None
    oldest = followups[-1]  # newest first
    received = datetime.fromisoformat(oldest["received_at"].replace("Z", "+00:00"))
    return {
        "id": oldest["id"],
        "received_at": oldest["received_at"],
        "location": names.location_name(definition, oldest["location"]),
        "days_open": max(0, (now - received).days),
    }


def worst_first(wow: str | None, ratings: Iterable[Any], received_at: str) -> tuple[int, int, float]:
    """The order an owner reads what customers said in, in the digest and in every report: a wow "no"
    first, then the lowest of the ratings given (unrated last), then the newest."""
    given = [r for r in ratings if isinstance(r, int)]
    return (0 if wow == "no" else 1, min(given, default=RATING_SCALE[1] + 1), -received_epoch(received_at))


def severity(response: Mapping[str, Any]) -> tuple[int, int, float]:
    """`worst_first` of a stored response."""
    return worst_first(response.get("wow"), (response.get(name) for name in RATINGS), response["received_at"])


def _said(responses: list[dict[str, Any]], definition: Definition) -> list[Said]:
    """Comments and stories of the week, worst first (`severity`); a response's comment before its story."""
    found = []
    for r in sorted(responses, key=severity):
        followup = ("done" if r.get("done_at") else "open") if r.get("followup") else None
        base = {
            "id": r["id"],
            "location": names.location_name(definition, r["location"]),
            "day": r["day"],
            "lang": r["lang"],
            "wow": r.get("wow"),
            "ratings": {name: r.get(name) for name in RATINGS},
            "followup": followup,
        }
        if r.get("comment"):
            found.append(Said(kind="comment", text=r["comment"], **base))
        if r.get("what") and not r.get("flagged"):
            found.append(Said(kind="story", text=r["what"], **base))
    return found


# --- the message -----------------------------------------------------------------------------------------


def payload(digest: Digest) -> dict[str, Any]:
    """The JSON posted to the webhook: a readable `text` (Slack, Teams, Discord, Mattermost show it as it is)
    and the `digest` itself for programs."""
    return {"text": text(digest), "digest": digest.to_json()}


def text(digest: Digest) -> str:
    since, until = date.fromisoformat(digest.since), date.fromisoformat(digest.until)
    lines = [
        f"Huddle: week {digest.week} ({since:%a %d %b} – {until:%a %d %b %Y}, {digest.time_zone}), "
        f"{digest.responses} answer{'s' if digest.responses != 1 else ''}"
    ]
    lines.append(_wow_line(digest))
    if digest.recognised:
        lines.append("Recognised most:")
        for person in digest.recognised:
            story = f': "{chat.excerpt(person.story, EXCERPT_CHARACTERS)}"' if person.story else ""
            places = ", ".join(chat.safe(p) for p in person.locations)
            lines.append(f"- {chat.safe(person.name)} ({places}), {person.recognitions}{story}")
    else:
        lines.append("Recognised most: nobody was named this week.")
    rated = [
        f"{RATING_NAMES[n]} {digest.ratings[n]:.1f} ({digest.rated[n]})"
        for n in RATINGS
        if digest.ratings[n] is not None
    ]
    lines.append("Ratings: " + (", ".join(rated) if rated else "none given"))
    if digest.oldest_followup:
        oldest = digest.oldest_followup
        lines.append(
            f"Open follow-ups: {digest.open_followups}, the oldest {oldest['days_open']} days "
            f"({chat.safe(oldest['location'])}, answered {oldest['received_at'][:10]}): wowcard followups"
        )
    else:
        lines.append("Open follow-ups: none")
    if digest.said:
        lines.append("What customers said, worst first:")
        for said in digest.said[:SAID_SHOWN]:
            lines.append(f"- {_said_line(said)}")
        more = len(digest.said) - SAID_SHOWN
        if more > 0:
            lines.append(f"  and {more} more: wowcard results --since {digest.since} --until {digest.until}")
    return "\n".join(lines)


def _wow_line(digest: Digest) -> str:
    if digest.wow_rate is None:
        return f"Wow rate: no wow answers this week ({digest.verdict_words})"
    line = f"Wow rate: {digest.wow_rate:.0%} ({digest.wow_yes} of {digest.wow_yes + digest.wow_no})"
    if digest.previous_wow_rate is None:
        return f"{line}, no earlier week to compare with"
    line += f", last week {digest.previous_wow_rate:.0%}, goal {digest.goal:.1%}: {digest.verdict_words}"
    if digest.interval and digest.verdict != IN_PROGRESS:
        line += f" (95 % interval {digest.interval[0]:.0%}–{digest.interval[1]:.0%})"
    return line


def _said_line(said: Said) -> str:
    facts = [f"wow {said.wow}" if said.wow else "wow not answered"]
    facts += [f"{RATING_NAMES[n]} {v}" for n, v in said.ratings.items() if v is not None]
    if said.followup:
        facts.append(f"follow-up {said.followup}")
    where = f"{chat.safe(said.location)}, {said.day}, {said.lang}"
    label = "story" if said.kind == "story" else "comment"
    return f'{where} ({"; ".join(facts)}) {label}: "{chat.excerpt(said.text, EXCERPT_CHARACTERS)}"'


# --- scheduling ------------------------------------------------------------------------------------------


def schedule(store: Store, survey: str, time_zone: str, now: float) -> str | None:
    """Claim the due week's digest (and queue it in the outbox) if no sender did yet: the week claimed now,
    or None. The conditional write makes it once per week whoever asks."""
    week = due_week(time_zone, datetime.fromtimestamp(now, UTC))
    return week if store.claim_digest(survey, week, now) else None
