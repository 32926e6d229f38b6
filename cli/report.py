"""Report numbers: what `wowcard results` shows, computed from tally rows and the survey definition.

Pure functions over `TallyRow`s (DESIGN.md invariant 3: a report reads about days x locations x shards tally
items, whatever the number of responses), plus the recount that `wowcard verify` compares tallies with. The
one function that touches a store, `gather()`, only calls the Store protocol: tallies for the numbers, the
period's responses that carry words (`Store.texts`, only those) for what customers wrote (`report_texts`),
and the small `followups` list for how fast follow-ups are closed (only responses that asked for one).

The report is a plain JSON-ready dict whose shape is documented by `report.schema.json`; `report_model`
cuts it into sections once and every output format draws those, so the numbers agree across table, JSON,
CSV, Markdown and HTML.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from . import i18n
from .collector import names, tally, verdict
from .collector.digest import iso_week
from .collector.store import Store, TallyRow
from .collector.survey import DEFAULT_FOLLOWUP_GOAL_HOURS, RATING_SCALE, RATINGS, Definition

# 2 added followup_times and flagged_recognitions; 3: one leaderboard entry per person with its locations,
# every story, `said`, trend verdicts and rolling rates, per-location trends.
FORMAT_VERSION = 3
BY_CHOICES = ("day", "week", "month", "location", "staff", "promise", "language", "src")
DEFAULT_WEEKS = 8
RATIO_DIGITS = 4
HOURS_DIGITS = 2

# Counters whose prefix names a dimension; `--by` over them groups by the part after the colon.
_PREFIX_OF = {"staff": "staff:", "promise": "promise:", "language": "lang:", "src": "src:"}


@dataclass(frozen=True, slots=True)
class Period:
    """Days `since`..`until` inclusive, in the survey's time zone."""

    since: date
    until: date

    def days(self) -> Iterator[date]:
        day = self.since
        while day <= self.until:
            yield day
            day += timedelta(days=1)

    def to_json(self) -> dict[str, str]:
        return {"since": self.since.isoformat(), "until": self.until.isoformat()}


def today_in(time_zone: str, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(time_zone)).date()


def week_start(day: date) -> date:
    """The Monday of the ISO week holding `day`."""
    return day - timedelta(days=day.weekday())


def default_period(time_zone: str, now: datetime | None = None, weeks: int = DEFAULT_WEEKS) -> Period:
    """The last `weeks` ISO weeks up to today (this week so far included), in the survey's time zone."""
    today = today_in(time_zone, now)
    return Period(week_start(today) - timedelta(weeks=weeks - 1), today)


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, RATIO_DIGITS) if whole else None


def wow_rate(counts: Mapping[str, int]) -> float | None:
    """Of the answers that answered the wow question, the fraction that said yes; None when nobody did."""
    yes, no = counts.get("wow_yes", 0), counts.get("wow_no", 0)
    return ratio(yes, yes + no)


# --- the report -------------------------------------------------------------------------------------------


def build(
    rows: Iterable[TallyRow],
    definition: Definition,
    period: Period,
    *,
    location: str | None = None,
    by: str | None = None,
    include_flagged: bool = False,
    items_read: int | None = None,
    followup_goal_hours: int = DEFAULT_FOLLOWUP_GOAL_HOURS,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Every number of the report from tally rows (already summed over shards); `now` decides which week is
    still running. What customers wrote and the time to close follow-ups are attached by
    `report_texts.attach_texts` and `attach_followup_times` (they come from the period's texts and the
    follow-up list, not tallies)."""
    if by is not None and by not in BY_CHOICES:
        raise ValueError(f"by must be one of {', '.join(BY_CHOICES)}")
    today = today_in(definition.time_zone, now)
    given = [r for r in rows if location is None or r.location == location]
    rows = [r for r in given if period.since.isoformat() <= r.day <= period.until.isoformat()]
    total = tally.sum_counts(r.counts for r in rows)
    by_location = _sum_by(rows, lambda r: r.location)
    staff, unnamed, flagged = _leaderboard(by_location, definition, location, include_flagged)
    followups = total.get("followups", 0)
    followups_done = total.get("followups_done", 0)
    report: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "survey": definition.survey,
        "time_zone": definition.time_zone,
        "period": period.to_json(),
        "location": _location_json(definition, location) if location else None,
        "include_flagged": include_flagged,
        "responses": total.get("n", 0),
        "wow": {
            "yes": total.get("wow_yes", 0),
            "no": total.get("wow_no", 0),
            "unanswered": total.get("n", 0) - total.get("wow_yes", 0) - total.get("wow_no", 0),
        },
        "wow_rate": wow_rate(total),
        "staff": staff,
        "unnamed": unnamed,
        "flagged": flagged,
        "ratings": {name: _rating(total, name) for name in RATINGS},
        "promises": _promises(total, definition),
        "comments": total.get("comments", 0),
        "stories_told": total.get("stories", 0),
        "followups": {"requested": followups, "done": followups_done, "open": followups - followups_done},
        "followup_times": followup_times((), definition, period, location, followup_goal_hours, None),
        "flagged_recognitions": flagged_recognitions(rows, definition),
        "trend": trend(given, period, today),
        "stories": [],
        "stories_total": {},
        "said": [],
        "said_total": 0,
        "responses_read": None,
        "items_read": items_read,
        "by": by,
        "groups": groups(given, definition, period, by, location, include_flagged, today) if by else [],
    }
    return report


def _sum_by(rows: Iterable[TallyRow], key: Any) -> dict[str, dict[str, int]]:
    sums: dict[str, dict[str, int]] = {}
    for row in rows:
        tally.add(sums.setdefault(key(row), {}), row.counts)
    return sums


def _location_json(definition: Definition, location_id: str) -> dict[str, str]:
    return {"id": location_id, "name": location_name(definition, location_id)}


def location_name(definition: Definition, location_id: str) -> str:
    """The survey's name for a location; one no longer in the survey keeps its last published name."""
    return names.location_name(definition, location_id)


def staff_name(definition: Definition, staff_id: str) -> str:
    """The survey's name for a staff member; someone who left keeps their last published name."""
    return names.staff_name(definition, staff_id)


def _recognitions(counts: Mapping[str, int], staff_id: str, include_flagged: bool) -> int:
    count = counts.get(f"staff:{staff_id}", 0)
    return count if include_flagged else count - counts.get(f"flagged:{staff_id}", 0)


def _ids_with_prefix(counts: Iterable[str], prefix: str) -> set[str]:
    return {key[len(prefix) :] for key in counts if key.startswith(prefix)}


def _leaderboard(
    by_location: Mapping[str, Mapping[str, int]],
    definition: Definition,
    only_location: str | None,
    include_flagged: bool,
) -> tuple[list[dict[str, Any]], int, int]:
    """One entry per person, counted across every location they were recognised at, with the split per
    location: everyone the survey lists (a zero is news too) and any id the tallies hold that the survey
    no longer lists. Unnamed recognitions are counted apart."""
    pairs: dict[tuple[str, str], None] = {}
    for s in definition.staff:
        for loc in s.locations:
            if only_location in (None, loc):
                pairs[(s.id, loc)] = None
    for loc, counts in by_location.items():
        for staff_id in sorted(_ids_with_prefix(counts, "staff:") | _ids_with_prefix(counts, "flagged:")):
            if staff_id != tally.UNNAMED_STAFF:
                pairs.setdefault((staff_id, loc), None)
    people: dict[str, dict[str, Any]] = {}
    for staff_id, loc in pairs:
        counts = by_location.get(loc, {})
        person = people.setdefault(
            staff_id,
            {"id": staff_id, "name": staff_name(definition, staff_id), "count": 0, "flagged": 0},
        )
        here = _recognitions(counts, staff_id, include_flagged)
        flagged_here = counts.get(f"flagged:{staff_id}", 0)
        person["count"] += here
        person["flagged"] += flagged_here
        person.setdefault("locations", []).append(
            {
                "location": loc,
                "location_name": location_name(definition, loc),
                "count": here,
                "flagged": flagged_here,
            }
        )
    entries = list(people.values())
    named = sum(e["count"] for e in entries)
    for e in entries:
        e["share"] = round(e["count"] / named, RATIO_DIGITS) if named else 0.0
        e["locations"].sort(key=lambda p: (-p["count"], p["location_name"].casefold(), p["location"]))
    entries.sort(key=lambda e: (-e["count"], e["name"].casefold(), e["id"]))
    unnamed = sum(_recognitions(c, tally.UNNAMED_STAFF, include_flagged) for c in by_location.values())
    flagged = sum(v for c in by_location.values() for k, v in c.items() if k.startswith("flagged:"))
    return entries, unnamed, flagged


def flagged_recognitions(rows: Iterable[TallyRow], definition: Definition) -> list[dict[str, Any]]:
    """Recognitions the fairness rules flagged, per staff member and location, with the days they came on:
    most first. They stay in the totals; the leaderboard leaves them out unless --include-flagged."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        for key, count in row.counts.items():
            if not key.startswith("flagged:") or count <= 0:
                continue
            staff_id = key[len("flagged:") :]
            entry = found.setdefault(
                (staff_id, row.location),
                {
                    "id": staff_id,
                    "name": staff_name(definition, staff_id),
                    "location": row.location,
                    "location_name": location_name(definition, row.location),
                    "count": 0,
                    "days": [],
                },
            )
            entry["count"] += count
            entry["days"].append(row.day)
    entries = list(found.values())
    for entry in entries:
        entry["days"] = sorted(set(entry["days"]))
    entries.sort(key=lambda e: (-e["count"], e["name"].casefold(), e["id"], e["location"]))
    return entries


def _rating(total: Mapping[str, int], name: str) -> dict[str, Any]:
    low, high = RATING_SCALE
    distribution = {str(v): total.get(f"{name}:{v}", 0) for v in range(low, high + 1)}
    answered = sum(distribution.values())
    weighted = sum(int(v) * c for v, c in distribution.items())
    return {
        "average": round(weighted / answered, RATIO_DIGITS) if answered else None,
        "answered": answered,
        "distribution": distribution,
    }


def _promises(total: Mapping[str, int], definition: Definition) -> list[dict[str, Any]]:
    """Each promise: how many customers would repeat it, and their share of all responses (a customer may
    pick several, so shares need not add up to 1)."""
    ids = [p.id for p in definition.promises]
    ids += sorted(_ids_with_prefix(total, "promise:") - set(ids))
    texts = {p.id: p.text for p in definition.promises}
    n = total.get("n", 0)
    return [
        {
            "id": pid,
            "text": texts.get(pid, pid),
            "count": total.get(f"promise:{pid}", 0),
            "share": ratio(total.get(f"promise:{pid}", 0), n),
        }
        for pid in ids
    ]


ROLLING_WEEKS = 4


def trend(rows: Iterable[TallyRow], period: Period, today: date) -> list[dict[str, Any]]:
    """ISO weeks (Monday first) of the period: the wow rate, the rolling rate of the last 4 weeks, the change
    from the week before and the verdict on the rule of 1 % (goal: last week's rate x 1.01; see `verdict`).
    Weeks count only the days inside the period; earlier weeks in `rows` (`gather` reads 3 weeks before the
    first) give the first weeks their comparison and rolling rate. The week holding `today` (or later) is
    in progress."""
    start = week_start(period.since)
    earliest = start - timedelta(weeks=ROLLING_WEEKS - 1)
    rows = list(rows)
    inside = [r for r in rows if period.since.isoformat() <= r.day <= period.until.isoformat()]
    before = [r for r in rows if earliest.isoformat() <= r.day < start.isoformat()]
    by_week = _sum_by(inside, lambda r: iso_week(date.fromisoformat(r.day)))
    earlier = _sum_by(before, lambda r: iso_week(date.fromisoformat(r.day)))
    # Without any row before the period (not read), the first weeks have nothing to compare with.
    history: list[Mapping[str, int] | None] = [
        earlier.get(iso_week(earliest + timedelta(weeks=i)), {}) if before else None
        for i in range(ROLLING_WEEKS - 1)
    ]
    weeks: list[dict[str, Any]] = []
    while start <= period.until:
        counts = by_week.get(iso_week(start), {})
        weeks.append(_week_entry(start, counts, history, period, today))
        history.append(counts)
        start += timedelta(weeks=1)
    return weeks


def _week_entry(
    start: date,
    counts: Mapping[str, int],
    history: Sequence[Mapping[str, int] | None],
    period: Period,
    today: date,
) -> dict[str, Any]:
    first, last = max(start, period.since), min(start + timedelta(days=6), period.until)
    yes, no = counts.get("wow_yes", 0), counts.get("wow_no", 0)
    rate = ratio(yes, yes + no)
    window = [counts, *[h for h in history[-(ROLLING_WEEKS - 1) :] if h is not None]]
    rolling_yes = sum(c.get("wow_yes", 0) for c in window)
    rolling_answered = rolling_yes + sum(c.get("wow_no", 0) for c in window)
    previous = history[-1] if history else None
    # The rule of 1 %, judged by the collector's one rule (verdict.py: a 95 % Wilson interval test, shared
    # with the weekly digest); a week before the period that was not read has nothing to compare with.
    p_yes, p_no = (previous.get("wow_yes", 0), previous.get("wow_no", 0)) if previous is not None else (0, 0)
    judged = verdict.wow_rate_verdict(yes, no, p_yes, p_no)
    change = (
        round((yes / (yes + no)) / (p_yes / (p_yes + p_no)) - 1, RATIO_DIGITS) if yes + no and p_yes else None
    )
    running = start + timedelta(days=6) >= today  # the week holding today is never judged
    judged_word = verdict.IN_PROGRESS if running else judged.verdict
    interval = (
        None
        if judged.low is None or judged.high is None
        else [round(judged.low, RATIO_DIGITS), round(judged.high, RATIO_DIGITS)]
    )
    return {
        "week": iso_week(start),
        "start": start.isoformat(),
        "days": (last - first).days + 1,
        "responses": counts.get("n", 0),
        "wow_yes": yes,
        "wow_no": no,
        "wow_rate": rate,
        "interval": interval,
        "rolling_rate": ratio(rolling_yes, rolling_answered),
        "change": change,
        "goal": None if judged.goal is None else round(judged.goal, RATIO_DIGITS),
        "verdict": judged_word,
        "met_goal": {verdict.MET: True, verdict.MISSED: False}.get(judged_word or ""),
    }


# --- --by groups ------------------------------------------------------------------------------------------


UNKNOWN = "unknown"  # the --by src / language row of answers that carry no source or language


def groups(
    given: list[TallyRow],
    definition: Definition,
    period: Period,
    by: str,
    location: str | None,
    include_flagged: bool,
    today: date,
) -> list[dict[str, Any]]:
    """The report cut by one dimension. Days, weeks, months and locations partition the responses, so each
    group has its own wow rate (a location also its ratings and weekly trend); staff, promises, languages
    and sources are counters within the responses, so their groups carry a count and a share only (the
    other fields are null). Sources and languages get an "unknown" row for answers without one, so their
    shares add up to 100 %."""
    rows = [r for r in given if period.since.isoformat() <= r.day <= period.until.isoformat()]
    if by in ("day", "week", "month", "location"):
        return _partition_groups(given, rows, definition, period, by, location, today)
    total = tally.sum_counts(r.counts for r in rows)
    prefix = _PREFIX_OF[by]
    if by == "staff":
        ids = [s.id for s in definition.staff if location is None or location in s.locations]
        ids += sorted(_ids_with_prefix(total, prefix) - set(ids) - {tally.UNNAMED_STAFF})
        counts = {sid: _recognitions(total, sid, include_flagged) for sid in ids}
        labels = {sid: staff_name(definition, sid) for sid in ids}
        whole = sum(counts.values())
    else:
        known = {
            "promise": [p.id for p in definition.promises],
            "language": list(definition.languages),
            "src": [],
        }[by]
        ids = known + sorted(_ids_with_prefix(total, prefix) - set(known))
        counts = {key: total.get(prefix + key, 0) for key in ids}
        if by == "promise":
            texts = {p.id: p.text for p in definition.promises}
        elif by == "language":  # reports stay in the owner's language: "Spanish", not "es"
            texts = {key: i18n.language_name(key, "en") for key in ids}
        else:
            texts = {}
        labels = {key: texts.get(key, key) for key in ids}
        whole = total.get("n", 0)
        missing = whole - sum(counts.values())
        if by in ("src", "language") and missing > 0 and UNKNOWN not in counts:
            ids.append(UNKNOWN)
            counts[UNKNOWN] = missing
            labels[UNKNOWN] = "unknown (not recorded)"
    return [_group(key, labels[key], count=counts[key], share=ratio(counts[key], whole)) for key in ids]


def _partition_groups(
    given: list[TallyRow],
    rows: list[TallyRow],
    definition: Definition,
    period: Period,
    by: str,
    location: str | None,
    today: date,
) -> list[dict[str, Any]]:
    if by == "location":
        keys = [loc.id for loc in definition.locations if location in (None, loc.id)]
        sums = _sum_by(rows, lambda r: r.location)
        keys += sorted(set(sums) - set(keys))
        labels = {key: location_name(definition, key) for key in keys}
    else:
        cut = {"day": lambda d: d.isoformat(), "week": iso_week, "month": lambda d: d.strftime("%Y-%m")}[by]
        keys = list(dict.fromkeys(cut(d) for d in period.days()))
        sums = _sum_by(rows, lambda r: cut(date.fromisoformat(r.day)))
        labels = {key: key for key in keys}
    n_all = sum(c.get("n", 0) for c in sums.values())
    out = []
    for key in keys:
        counts = sums.get(key, {})
        n = counts.get("n", 0)
        extra: dict[str, Any] = {}
        if by == "location":
            extra["ratings"] = {name: _rating(counts, name)["average"] for name in RATINGS}
            extra["trend"] = trend([r for r in given if r.location == key], period, today)
        out.append(
            _group(
                key,
                labels[key],
                count=n,
                share=ratio(n, n_all),
                responses=n,
                wow_yes=counts.get("wow_yes", 0),
                wow_no=counts.get("wow_no", 0),
                wow_rate=wow_rate(counts),
                recognitions=sum(v for k, v in counts.items() if k.startswith("staff:")),
                comments=counts.get("comments", 0),
                followups=counts.get("followups", 0),
                **extra,
            )
        )
    return out


def _group(key: str, label: str, **values: Any) -> dict[str, Any]:
    return {"key": key, "label": label, **{f: values.get(f) for f in GROUP_FIELDS}}


GROUP_FIELDS = (
    "count",
    "share",
    "responses",
    "wow_yes",
    "wow_no",
    "wow_rate",
    "recognitions",
    "comments",
    "followups",
    "ratings",
    "trend",
)


# --- follow-ups: how fast they are closed ----------------------------------------------------------------


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    found = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return round(found, HOURS_DIGITS)


def _closing(followups: Sequence[Mapping[str, Any]], goal_hours: int, now: datetime | None) -> dict[str, Any]:
    hours = [
        (instant(f["done_at"]) - instant(f["received_at"])).total_seconds() / 3600
        for f in followups
        if f.get("done_at")
    ]
    still_open = [f for f in followups if not f.get("done_at")]
    overdue = (
        sum(1 for f in still_open if (now - instant(f["received_at"])).total_seconds() > goal_hours * 3600)
        if now is not None
        else 0
    )
    median = _median(hours)
    return {
        "requested": len(followups),
        "open": len(still_open),
        "overdue": overdue,
        "closed": len(hours),
        "within_goal": sum(1 for h in hours if h <= goal_hours),
        "median_hours": median,
        "met_goal": None if median is None else median <= goal_hours,
    }


def followup_times(
    followups: Iterable[Mapping[str, Any]],
    definition: Definition,
    period: Period,
    location: str | None,
    goal_hours: int,
    now: datetime | None,
) -> dict[str, Any]:
    """For follow-ups received in the period, per location and overall: how many are still open (and open
    longer than the goal at `now`), and the median hours from the answer to closing it, against the goal
    (survey.toml `followup_goal_hours`)."""
    since, until = period.since.isoformat(), period.until.isoformat()
    per: dict[str, list[Mapping[str, Any]]] = {
        loc.id: [] for loc in definition.locations if location in (None, loc.id)
    }
    for f in followups:
        if since <= f["day"] <= until and location in (None, f["location"]):
            per.setdefault(f["location"], []).append(f)
    locations = [
        {"location": loc, "location_name": location_name(definition, loc), **_closing(items, goal_hours, now)}
        for loc, items in per.items()
    ]
    everything = [f for items in per.values() for f in items]
    return {"goal_hours": goal_hours, "all": _closing(everything, goal_hours, now), "locations": locations}


def attach_followup_times(
    report: dict[str, Any],
    definition: Definition,
    followups: Iterable[Mapping[str, Any]],
    now: datetime | None = None,
) -> dict[str, Any]:
    """Fill `followup_times` from the follow-ups the store lists (open and closed)."""
    period = Period(
        date.fromisoformat(report["period"]["since"]), date.fromisoformat(report["period"]["until"])
    )
    only = report["location"]["id"] if report["location"] else None
    goal = report["followup_times"]["goal_hours"]
    report["followup_times"] = followup_times(followups, definition, period, only, goal, now)
    return report


def gather(
    store: Store,
    definition: Definition,
    period: Period,
    *,
    location: str | None = None,
    by: str | None = None,
    include_flagged: bool = False,
    followup_goal_hours: int = DEFAULT_FOLLOWUP_GOAL_HOURS,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Read what a report needs from a store and build it. Numbers: one tallies read (the period and the 3
    weeks before it, for the first weeks' comparison and 4-week rolling rate). Texts: the responses received
    in the period with a story or comment, no others (`Store.texts`: texts are not tallied, and the answers
    without words are never read). Follow-ups: the list of those asked for
    (open and closed), for the time it takes to close them."""
    now = now or datetime.now(UTC)
    before = items_read(store)
    first = week_start(period.since) - timedelta(weeks=ROLLING_WEEKS - 1)
    rows = store.tallies(definition.survey, first.isoformat(), period.until.isoformat(), location)
    after = items_read(store)
    report = build(
        rows,
        definition,
        period,
        location=location,
        by=by,
        include_flagged=include_flagged,
        items_read=None if before is None or after is None else after - before,
        followup_goal_hours=followup_goal_hours,
        now=now,
    )
    from .report_texts import attach_texts  # it names people and places with this module's helpers

    texts = store.texts(definition.survey, period.since.isoformat(), period.until.isoformat())
    attach_texts(report, definition, texts)
    followups = store.followups(definition.survey, include_done=True)
    return attach_followup_times(report, definition, followups, now)


def items_read(store: Any) -> int | None:
    """How many stored items the store has read so far, when the engine keeps count (for the bench)."""
    value = getattr(store, "items_read", None)
    return value if isinstance(value, int) else None


# --- verify: tallies against a recount of the raw responses ------------------------------------------------


def recount(responses: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str, int], dict[str, int]]:
    """The tally items the raw responses add up to, keyed (day, location, shard): what `--repair` writes."""
    counts: dict[tuple[str, str, int], dict[str, int]] = defaultdict(dict)
    for response in responses:
        key = (response["day"], response["location"], int(response["shard"]))
        tally.add(counts[key], tally.increments(response))
    return {k: v for k, v in counts.items() if v}


def by_day_and_location(
    items: Mapping[tuple[str, str, int], Mapping[str, int]],
) -> dict[tuple[str, str], dict]:
    summed: dict[tuple[str, str], dict[str, int]] = {}
    for (day, loc, _shard), counts in items.items():
        tally.add(summed.setdefault((day, loc), {}), counts)
    return summed


@dataclass(frozen=True, slots=True)
class Difference:
    day: str
    location: str
    field: str
    tallied: int
    recounted: int

    def to_json(self) -> dict[str, Any]:
        return {
            "day": self.day,
            "location": self.location,
            "field": self.field,
            "tallied": self.tallied,
            "recounted": self.recounted,
        }


def differences(
    tallies: Iterable[TallyRow], recounted: Mapping[tuple[str, str], Mapping[str, int]]
) -> list[Difference]:
    """Every counter that the tallies and the recount disagree on, by (day, location, field)."""
    tallied = {(r.day, r.location): r.counts for r in tallies}
    out = []
    for key in sorted(set(tallied) | set(recounted)):
        a, b = tallied.get(key, {}), recounted.get(key, {})
        for name in sorted(set(a) | set(b)):
            if a.get(name, 0) != b.get(name, 0):
                out.append(Difference(key[0], key[1], name, a.get(name, 0), b.get(name, 0)))
    return out
