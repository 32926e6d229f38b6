"""The report as sections: computed once from the report data (`report.build` / `report.gather`), then
drawn by thin renderers (`report_formats`: terminal table, CSV, Markdown, HTML; JSON is the data itself).

A `Section` is a title, typed columns, rows of raw values and notes. A column's `kind` says how a value reads
for a person (a share of 0.25 reads "25.0%", a verdict "too few answers to tell"); machine formats (CSV) keep
the raw value. A `Cell` carries its own raw value and text when one column mixes kinds (the summary).

Other outputs (the weekly digest) reuse these sections: `sections(report)` for all of them, or
`model(report).section("said")` for one. Text in a section is as stored; `text()` makes it safe to show
(`safe_text`: no terminal escapes, no control or bidi characters).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .collector.safe_text import safe_text
from .collector.survey import RATINGS
from .collector.tally import UNNAMED_STAFF
from .collector.verdict import GOAL_PERCENT, IN_PROGRESS, WORDS
from .report_texts import UNNAMED_LABEL

KINDS = (
    "text",  # short text: a name, a location, a label
    "label",  # a week, a day, a place and time: kept on one line
    "long",  # what a customer wrote: an excerpt in the terminal, the full text elsewhere
    "int",
    "rating",  # 1..5 or not rated
    "number",  # an average
    "percent",
    "change",  # a signed relative change
    "interval",  # [low, high] of a rate
    "hours",
    "verdict",  # the rule of 1 %: met / missed / too_few / in_progress / None
    "goal_status",  # follow-ups closed within the goal: True / False / None
)
RATING_LABELS = {"people": "People", "process": "Process", "product": "Product"}
BY_LABELS = {
    "day": "Day",
    "week": "ISO week",
    "month": "Month",
    "location": "Location",
    "staff": "Staff",
    "promise": "Promise",
    "language": "Language",
    "src": "Source",
}
# The verdict's words as the digest says them; in a table cell the running week is shorter.
VERDICT_TEXT = {**{k: v for k, v in WORDS.items() if k is not None}, IN_PROGRESS: "in progress"}
STORIES_SHOWN = 3  # per person, before "N more"
SAID_SHOWN = 12  # of what customers said, worst first, before "N more" (the terminal, and HTML folds them)
EXCERPT = 120  # characters of a customer's text in the terminal table
NONE = "–"
MACHINES, PEOPLE = "machines", "people"


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # the machine name: CSV header
    title: str  # what a person reads
    kind: str = "text"
    audience: str = "both"  # "machines": only in CSV (an id beside its name); "people": not in CSV (a
    # combination of values CSV has one by one)

    @property
    def numeric(self) -> bool:
        return self.kind not in ("text", "label", "long", "verdict")


@dataclass(frozen=True, slots=True)
class Cell:
    """A value whose text is not given by its column's kind."""

    raw: Any
    text: str


@dataclass(frozen=True, slots=True)
class Section:
    key: str  # a stable name: the CSV section title, the HTML id
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    notes: tuple[str, ...] = ()
    group: str | None = None  # rows with the same value in this column form a group (stories per person)
    fold_after: int | None = None  # show this many rows per group, then "N more"

    def shown_columns(self) -> tuple[Column, ...]:
        """The columns people read (detail columns are for machines)."""
        return tuple(c for c in self.columns if c.audience != MACHINES)

    def machine_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.audience != PEOPLE)

    def values(self, row: Sequence[Any]) -> dict[str, Any]:
        return {c.key: v for c, v in zip(self.columns, row, strict=True)}

    def groups(self) -> Iterator[tuple[Any, list[tuple[Any, ...]]]]:
        """Runs of rows with the same `group` value, with that value (the whole section when ungrouped)."""
        if self.group is None:
            yield None, list(self.rows)
            return
        index = [c.key for c in self.columns].index(self.group)
        current: list[tuple[Any, ...]] = []
        for row in self.rows:
            if current and row[index] != current[0][index]:
                yield current[0][index], current
                current = []
            current.append(row)
        if current:
            yield current[0][index], current


@dataclass(frozen=True, slots=True)
class ReportModel:
    heading: str
    sections: tuple[Section, ...]
    notes: tuple[str, ...]

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)


# --- how a value reads ------------------------------------------------------------------------------------


def percent(value: float | None, digits: int = 1) -> str:
    return NONE if value is None else f"{value * 100:.{digits}f}%"


def signed_percent(value: float | None) -> str:
    return NONE if value is None else f"{value * 100:+.1f}%"


def number(value: float | None, digits: int = 2) -> str:
    return NONE if value is None else f"{value:.{digits}f}"


def hours(value: float | None) -> str:
    """A duration in hours as a person reads it: 45 min, 5.5 h, 3.2 days."""
    if value is None:
        return NONE
    if value < 1:
        return f"{round(value * 60)} min"
    if value < 48:
        return f"{value:.1f} h"
    return f"{value / 24:.1f} days"


def excerpt(text: str, limit: int = EXCERPT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def text(value: Any, kind: str = "text", *, limit: int | None = None, keep_newlines: bool = False) -> str:
    """How one value reads for a person. Every text goes through `safe_text`; `limit` cuts long texts to an
    excerpt (the terminal)."""
    if isinstance(value, Cell):
        return safe_text(value.text)
    if kind == "percent":
        return percent(value)
    if kind == "change":
        return signed_percent(value)
    if kind == "number":
        return number(value)
    if kind == "hours":
        return hours(value)
    if kind == "interval":
        return NONE if value is None else f"{value[0] * 100:.0f}–{value[1] * 100:.0f}%"
    if kind == "verdict":
        return VERDICT_TEXT.get(value, NONE) if value else NONE
    if kind == "goal_status":
        return {True: "within goal", False: "over goal"}.get(value, NONE)
    if value is None or value == "":
        return NONE
    shown = safe_text(value, keep_newlines=keep_newlines and kind == "long")
    return excerpt(shown, limit) if limit and kind == "long" else shown


def raw(value: Any) -> Any:
    """The value a machine format writes."""
    return value.raw if isinstance(value, Cell) else value


# --- the sections -----------------------------------------------------------------------------------------


def heading(report: Mapping[str, Any]) -> str:
    period = report["period"]
    where = f" at {report['location']['name']}" if report["location"] else ""
    return f"{report['survey']}{where}: {period['since']} to {period['until']} ({report['time_zone']})"


def model(report: Mapping[str, Any]) -> ReportModel:
    """The whole report as sections, in reading order."""
    notes = []
    if report["items_read"] is not None:
        notes.append(f"{report['items_read']} tally items read.")
    if report.get("responses_read") is not None:
        notes.append(
            f"Texts: {report['responses_read']} responses of the period read (texts are not tallied)."
        )
    return ReportModel(heading(report), sections(report), tuple(notes))


def sections(report: Mapping[str, Any]) -> tuple[Section, ...]:
    out = [summary(report), said(report), stories(report), leaderboard(report)]
    if report["flagged_recognitions"]:
        out.append(flagged(report))
    out += [followup_times(report), ratings(report)]
    if report["promises"]:
        out.append(promises(report))
    out.append(trend_section("trend", "Trend by ISO week", report["trend"]))
    if report["by"]:
        out.append(by_section(report))
        if report["by"] == "location":
            out += [
                trend_section(f"trend_{g['key']}", f"Trend at {g['label']}", g["trend"])
                for g in report["groups"]
            ]
    return tuple(out)


def summary(report: Mapping[str, Any]) -> Section:
    f = report["followups"]
    closing = report["followup_times"]
    wow = report["wow"]
    median = closing["all"]["median_hours"]
    flagged_label = "Flagged recognitions" + (" (included)" if report["include_flagged"] else " (excluded)")
    both = f"{wow['yes']} / {wow['no']} / {wow['unanswered']}"
    asked = f"{f['requested']} / {f['open']}"
    status = f" ({text(closing['all']['met_goal'], 'goal_status')})" if median is not None else ""
    metrics: list[tuple[str, str, Any, str]] = [
        ("responses", "Responses", report["responses"], str(report["responses"])),
        ("wow_rate", "Wow rate", report["wow_rate"], percent(report["wow_rate"])),
        ("wow_yes", "Wow: yes / no / not answered", wow["yes"], both),
        ("wow_no", "", wow["no"], ""),
        ("wow_unanswered", "", wow["unanswered"], ""),
        ("unnamed", "Unnamed recognitions", report["unnamed"], str(report["unnamed"])),
        ("flagged", flagged_label, report["flagged"], str(report["flagged"])),
        ("stories_told", "Stories told", report["stories_told"], str(report["stories_told"])),
        ("comments", "Comments", report["comments"], str(report["comments"])),
        ("followups_requested", "Follow-ups requested / open", f["requested"], asked),
        ("followups_done", "", f["done"], ""),
        ("followups_open", "", f["open"], ""),
        (
            "followup_median_hours",
            f"Median time to close a follow-up (goal {closing['goal_hours']} h)",
            median,
            hours(median) + status,
        ),
    ]
    # Rows without a label are for machines only: people read them combined in the row above.
    rows = tuple((Cell(key, label), Cell(value, shown)) for key, label, value, shown in metrics)
    return Section("summary", "Summary", (Column("metric", ""), Column("value", "", "int")), rows)


def is_machine_only(row: Sequence[Any]) -> bool:
    """A summary row people read combined in the row above (its label is empty)."""
    return isinstance(row[0], Cell) and row[0].text == ""


# A place: its id for machines, its name for people.
LOCATION_COLUMNS = (Column("location", "Location id", audience=MACHINES), Column("location_name", "Location"))


def answer_text(said: Mapping[str, Any]) -> str:
    """The wow answer and the three ratings in a few characters: "wow no · People 1 · Process 3"."""
    parts = [f"wow {said['wow']}" if said["wow"] else "wow –"]
    parts += [f"{RATING_LABELS[name]} {said[name]}" for name in RATINGS if said.get(name) is not None]
    return " · ".join(parts)


def words_text(said: Mapping[str, Any]) -> str:
    """The comment and the story of one response as one text."""
    parts = [said["comment"]] if said["comment"] else []
    if said["what"]:
        about = "someone unnamed" if said["staff"] == UNNAMED_STAFF else said["staff_name"]
        parts.append(f"About {about}: {said['what']}" if about else said["what"])
    return "\n".join(parts)


def where_text(said: Mapping[str, Any]) -> str:
    return " · ".join(p for p in (said["location_name"], said["day"], said["language"]) if p)


def said(report: Mapping[str, Any]) -> Section:
    """Every response of the period with a comment or a story, worst first."""
    columns = (
        Column("id", "Response", audience=MACHINES),
        Column("answer", "Answer", audience=PEOPLE),
        Column("words", "What they said", "long", audience=PEOPLE),
        Column("where", "Where, when", "label", audience=PEOPLE),
        Column("wow", "Wow", audience=MACHINES),
        *(Column(name, RATING_LABELS[name], "rating", audience=MACHINES) for name in RATINGS),
        Column("comment", "Comment", "long", audience=MACHINES),
        Column("staff", "Staff id", audience=MACHINES),
        Column("staff_name", "About", audience=MACHINES),
        Column("what", "Story", "long", audience=MACHINES),
        Column("location", "Location id", audience=MACHINES),
        Column("location_name", "Location", audience=MACHINES),
        Column("day", "Day", audience=MACHINES),
        Column("received_at", "Received", audience=MACHINES),
        Column("lang", "Language code", audience=MACHINES),
        Column("language", "Language", audience=MACHINES),
        Column("followup", "Follow-up"),
    )
    combined = {"answer": answer_text, "words": words_text, "where": where_text}
    rows = tuple(
        tuple(combined[c.key](s) if c.key in combined else s[c.key] for c in columns) for s in report["said"]
    )
    notes = ["Every comment and story of the period: a wow “no” first, then the lowest rating."]
    if report["said_total"] > len(report["said"]):
        notes.append(f"Listed: the worst {len(report['said'])} of {report['said_total']}.")
    return Section(
        "said", "What customers said (worst first)", columns, rows, notes=tuple(notes), fold_after=SAID_SHOWN
    )


def stories(report: Mapping[str, Any]) -> Section:
    columns = (
        Column("staff", "Staff id", audience=MACHINES),
        Column("name", "Staff"),
        *LOCATION_COLUMNS,
        Column("day", "Day", "label"),
        Column("received_at", "Received", audience=MACHINES),
        Column("what", "What they did", "long"),
    )
    rows = tuple(tuple(s[c.key] for c in columns) for s in report["stories"])
    notes = [f"Unnamed stories are under “{UNNAMED_LABEL}”."]
    listed: dict[str, int] = {}
    for s in report["stories"]:
        listed[s["staff"]] = listed.get(s["staff"], 0) + 1
    names = {s["staff"]: s["name"] for s in report["stories"]}
    for staff_id, total in report["stories_total"].items():
        if total > listed.get(staff_id, 0):
            notes.append(f"{names[staff_id]}: the newest {listed[staff_id]} of {total} stories are listed.")
    return Section(
        "stories",
        "Stories: what they did",
        columns,
        rows,
        notes=tuple(notes),
        group="name",
        fold_after=STORIES_SHOWN,
    )


def split(person: Mapping[str, Any]) -> str:
    """Where a person was recognised: "Quay Street 6 · Old Mill 4" (locations with none left out)."""
    return " · ".join(f"{p['location_name']} {p['count']}" for p in person["locations"] if p["count"])


def leaderboard(report: Mapping[str, Any]) -> Section:
    columns = (
        Column("id", "Staff id", audience=MACHINES),
        Column("name", "Staff"),
        Column("count", "Count", "int"),
        Column("share", "Share", "percent"),
        Column("flagged", "Flagged", "int", audience=MACHINES),
        Column("locations", "At"),
    )
    rows = tuple(
        (e["id"], e["name"], e["count"], e["share"], e["flagged"], split(e)) for e in report["staff"]
    )
    flagged_note = "counted" if report["include_flagged"] else "not counted"
    return Section(
        "staff",
        "Recognition leaderboard",
        columns,
        rows,
        notes=(
            f"Unnamed recognitions (“{UNNAMED_LABEL}”): {report['unnamed']}. "
            f"Flagged recognitions: {report['flagged']} ({flagged_note}).",
        ),
    )


FLAGGED_NOTE = (
    "More recognitions of one staff member from one device in a day than survey.toml allows "
    "([fairness] same_staff_per_device_per_day, default 2)."
)


def flagged(report: Mapping[str, Any]) -> Section:
    where = "counted on the leaderboard" if report["include_flagged"] else "left off the leaderboard"
    columns = (
        Column("id", "Staff id", audience=MACHINES),
        Column("name", "Staff"),
        *LOCATION_COLUMNS,
        Column("count", "Flagged", "int"),
        Column("days", "Days"),
    )
    rows = tuple(
        (e["id"], e["name"], e["location"], e["location_name"], e["count"], " ".join(e["days"]))
        for e in report["flagged_recognitions"]
    )
    return Section("flagged", f"Flagged recognitions ({where})", columns, rows, notes=(FLAGGED_NOTE,))


def followup_times(report: Mapping[str, Any]) -> Section:
    times = report["followup_times"]
    columns = (
        *LOCATION_COLUMNS,
        Column("requested", "Asked", "int"),
        Column("open", "Open", "int"),
        Column("overdue", "Open past goal", "int"),
        Column("closed", "Closed", "int"),
        Column("within_goal", "Closed within goal", "int", audience=MACHINES),
        Column("median_hours", "Median to close", "hours"),
        Column("goal_hours", "Goal hours", "int", audience=MACHINES),
        Column("met_goal", "Status", "goal_status"),
    )
    entries = list(times["locations"])
    if len(entries) > 1:
        entries.append({**times["all"], "location": None, "location_name": "All locations"})
    rows = tuple(
        tuple(times["goal_hours"] if c.key == "goal_hours" else e[c.key] for c in columns) for e in entries
    )
    return Section(
        "followup_times",
        f"Follow-ups: time from answer to closed (goal {times['goal_hours']} h)",
        columns,
        rows,
        notes=(
            "Follow-ups asked for in the period. Status: the median time to close against the goal. "
            "“Open past goal”: still open longer than the goal now. "
            "Close one with: wowcard followups done ID",
        ),
    )


def ratings(report: Mapping[str, Any]) -> Section:
    columns = (
        Column("rating", "Rating"),
        Column("average", "Average", "number"),
        Column("answered", "Answers", "int"),
        *(Column(str(v), f"{v}★", "int") for v in range(1, 6)),
    )
    rows = tuple(
        (Cell(name, RATING_LABELS[name]), r["average"], r["answered"], *r["distribution"].values())
        for name, r in report["ratings"].items()
    )
    return Section("ratings", "People / Process / Product", columns, rows)


def promises(report: Mapping[str, Any]) -> Section:
    columns = (
        Column("id", "Promise id", audience=MACHINES),
        Column("text", "Promise"),
        Column("count", "Count", "int"),
        Column("share", "Share of responses", "percent"),
    )
    rows = tuple((p["id"], p["text"], p["count"], p["share"]) for p in report["promises"])
    return Section("promises", "Promises customers would repeat", columns, rows)


TREND_NOTE = (
    f"Rule of 1 %: a week meets the goal when its wow rate is at least last week’s × 1.{GOAL_PERCENT:02d}. "
    "It is judged only when the goal lies outside the 95 % Wilson score interval of the week’s wow rate "
    "(“95 % range”); otherwise there are too few answers to tell. The running week is in progress and "
    "never judged. 4-week rate: the wow rate of this week and the three before."
)


# How many answered and how many of them said wow: a week, a day, a location.
WOW_COLUMNS = (
    Column("responses", "Responses", "int"),
    Column("wow_yes", "Wow yes", "int", audience=MACHINES),
    Column("wow_no", "Wow no", "int", audience=MACHINES),
    Column("wow_rate", "Wow rate", "percent"),
)


def trend_section(key: str, title: str, weeks: Sequence[Mapping[str, Any]]) -> Section:
    columns = (
        Column("week", "Week", "label"),
        Column("start", "Starts", audience=MACHINES),
        Column("days", "Days", "int", audience=MACHINES),
        *WOW_COLUMNS,
        Column("interval", "95 % range", "interval"),
        Column("rolling_rate", "4-week rate", "percent"),
        Column("change", "Change", "change"),
        Column("goal", "Goal", "percent"),
        Column("verdict", "Rule of 1 %", "verdict"),
    )

    def cell(week: Mapping[str, Any], key: str) -> Any:
        if key == "week":
            return Cell(week["week"], week["week"] + ("*" if week["days"] < 7 else ""))
        return week[key]

    rows = tuple(tuple(cell(w, c.key) for c in columns) for w in weeks)
    notes = [TREND_NOTE] if key == "trend" else []
    if any(w["days"] < 7 for w in weeks):
        notes.append("* a week only partly inside the period")
    return Section(key, title, columns, rows, notes=tuple(notes))


def by_section(report: Mapping[str, Any]) -> Section:
    by = report["by"]
    columns: tuple[Column, ...] = (Column("key", "Key", audience=MACHINES), Column("label", BY_LABELS[by]))
    if by in ("day", "week", "month", "location"):
        columns += (
            *WOW_COLUMNS,
            Column("recognitions", "Recognitions", "int"),
            Column("comments", "Comments", "int"),
            Column("followups", "Follow-ups", "int"),
        )
        if by == "location":
            columns += tuple(Column(name, RATING_LABELS[name], "number") for name in RATINGS)
    else:
        columns += (Column("count", "Count", "int"), Column("share", "Share", "percent"))
    rows = tuple(
        tuple((g["ratings"] or {}).get(c.key) if c.key in RATINGS else g[c.key] for c in columns)
        for g in report["groups"]
    )
    return Section(f"by_{by}", f"By {BY_LABELS[by].lower()}", columns, rows)
