"""Rendering a report (the dict that `report.build` makes) as a terminal table, JSON, CSV, Markdown or one
self-contained HTML file with inline SVG charts.

Every string an owner or a customer wrote (names, promises, stories) is treated as text in every format:
rich markup is not interpreted, HTML is escaped by Jinja2's autoescape, Markdown punctuation is escaped and
spreadsheet formulas are defused.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .export import csv_cell

FORMATS = ("table", "json", "csv", "md", "html")
TABLE_WIDTH = 100
TEMPLATE = "report.html"
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


def render(report: Mapping[str, Any], fmt: str, *, color: bool = False, width: int = TABLE_WIDTH) -> str:
    if fmt == "table":
        return render_table(report, color=color, width=width)
    if fmt == "json":
        return render_json(report)
    if fmt == "csv":
        return render_csv(report)
    if fmt == "md":
        return render_markdown(report)
    if fmt == "html":
        return render_html(report)
    raise ValueError(f"format must be one of {', '.join(FORMATS)}")


# --- shared wording ---------------------------------------------------------------------------------------


def percent(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def signed_percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:+.1f}%"


def number(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def goal_mark(met: bool | None) -> str:
    return {True: "met", False: "missed", None: "–"}[met]


def heading(report: Mapping[str, Any]) -> str:
    period = report["period"]
    where = f" at {report['location']['name']}" if report["location"] else ""
    return f"{report['survey']}{where}: {period['since']} to {period['until']} ({report['time_zone']})"


def hours(value: float | None) -> str:
    """A duration in hours as a person reads it: 45 min, 5.5 h, 3.2 days."""
    if value is None:
        return "–"
    if value < 1:
        return f"{round(value * 60)} min"
    if value < 48:
        return f"{value:.1f} h"
    return f"{value / 24:.1f} days"


def followup_columns() -> list[tuple[str, str]]:
    return [
        ("location_name", "Location"),
        ("requested", "Asked"),
        ("open", "Open"),
        ("overdue", "Open past goal"),
        ("closed", "Closed"),
        ("median_hours", "Median to close"),
        ("met_goal", "Goal"),
    ]


def followup_rows(report: Mapping[str, Any]) -> list[list[str]]:
    """Time to close follow-ups: one row per location, then all locations together (with several)."""
    times = report["followup_times"]
    entries = list(times["locations"])
    if len(entries) > 1:
        entries.append({**times["all"], "location_name": "All locations"})
    return [
        [
            e["location_name"],
            str(e["requested"]),
            str(e["open"]),
            str(e["overdue"]),
            str(e["closed"]),
            hours(e["median_hours"]),
            goal_mark(e["met_goal"]),
        ]
        for e in entries
    ]


def followup_title(report: Mapping[str, Any]) -> str:
    return f"Follow-ups: time from answer to closed (goal {report['followup_times']['goal_hours']} h)"


def flagged_title(report: Mapping[str, Any]) -> str:
    where = "counted on the leaderboard" if report["include_flagged"] else "left off the leaderboard"
    return f"Flagged recognitions ({where})"


def flagged_rows(report: Mapping[str, Any]) -> list[list[str]]:
    return [
        [e["name"], e["location_name"], str(e["count"]), ", ".join(e["days"])]
        for e in report["flagged_recognitions"]
    ]


FLAGGED_NOTE = (
    "More recognitions of one staff member from one device in a day than survey.toml allows "
    "([fairness] same_staff_per_device_per_day, default 2)."
)


def summary_rows(report: Mapping[str, Any]) -> list[tuple[str, str]]:
    f = report["followups"]
    closing = report["followup_times"]
    median = closing["all"]["median_hours"]
    return [
        ("Responses", str(report["responses"])),
        ("Wow rate", percent(report["wow_rate"])),
        (
            "Wow: yes / no / not answered",
            f"{report['wow']['yes']} / {report['wow']['no']} / {report['wow']['unanswered']}",
        ),
        ("Unnamed recognitions", str(report["unnamed"])),
        (
            "Flagged recognitions" + (" (included)" if report["include_flagged"] else " (excluded)"),
            str(report["flagged"]),
        ),
        ("Stories told", str(report["stories_told"])),
        ("Comments", str(report["comments"])),
        ("Follow-ups requested / open", f"{f['requested']} / {f['open']}"),
        (
            f"Median time to close a follow-up (goal {closing['goal_hours']} h)",
            hours(median) + (f" ({goal_mark(closing['all']['met_goal'])})" if median is not None else ""),
        ),
    ]


def group_columns(by: str) -> list[tuple[str, str]]:
    """(field, title) of the --by groups table: partitions have rates, counters have shares."""
    if by in ("day", "week", "month", "location"):
        return [
            ("label", BY_LABELS[by]),
            ("responses", "Responses"),
            ("wow_rate", "Wow rate"),
            ("recognitions", "Recognitions"),
            ("comments", "Comments"),
            ("followups", "Follow-ups"),
        ]
    return [("label", BY_LABELS[by]), ("count", "Count"), ("share", "Share")]


def cell_text(field: str, value: Any) -> str:
    if field in ("wow_rate", "share"):
        return percent(value)
    return "–" if value is None else str(value)


# --- JSON -------------------------------------------------------------------------------------------------


def render_json(report: Mapping[str, Any]) -> str:
    """Stable: sorted keys, fixed indentation, no timestamps. Shape: report.schema.json."""
    return json.dumps(report, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def schema_path() -> Path:
    return Path(__file__).with_name("report.schema.json")


# --- terminal table ---------------------------------------------------------------------------------------


def render_table(report: Mapping[str, Any], *, color: bool = False, width: int = TABLE_WIDTH) -> str:
    from rich.console import Console

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        color_system="standard" if color else None,
        force_terminal=color,
        no_color=not color,
        highlight=False,
        emoji=False,
        markup=False,
    )
    print_table(report, console)
    return buffer.getvalue()


def print_table(report: Mapping[str, Any], console: Any) -> None:
    """Print the report as rich tables, each as wide as the console. Every cell is a rich `Text`, so an
    owner's or customer's `[bold]` stays literal."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    def table(title: str, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[Any]]) -> Table:
        t = Table(
            title=Text(title, style="bold"),
            title_justify="left",
            box=box.SIMPLE_HEAD,
            expand=True,
            show_header=any(name for name, _ in columns),
        )
        for name, justify in columns:
            t.add_column(Text(name), justify=justify)  # type: ignore[arg-type]
        for row in rows:
            t.add_row(*(c if isinstance(c, Text) else Text(str(c)) for c in row))
        return t

    console.print(Text(heading(report), style="bold"))
    console.print(table("Summary", [("", "left"), ("", "right")], summary_rows(report)))
    console.print(
        table(
            "Recognition leaderboard",
            [("Staff", "left"), ("Location", "left"), ("Count", "right"), ("Share", "right")],
            [(e["name"], e["location_name"], str(e["count"]), percent(e["share"])) for e in report["staff"]],
        )
    )
    if report["flagged_recognitions"]:
        console.print(
            table(
                flagged_title(report),
                [("Staff", "left"), ("Location", "left"), ("Flagged", "right"), ("Days", "left")],
                flagged_rows(report),
            )
        )
    console.print(
        table(
            followup_title(report),
            [(title, "left" if i == 0 else "right") for i, (_, title) in enumerate(followup_columns())],
            followup_rows(report),
        )
    )
    console.print(
        table(
            "People / Process / Product",
            [("Rating", "left"), ("Average", "right"), ("Answers", "right")]
            + [(f"{v}★", "right") for v in range(1, 6)],
            [
                (RATING_LABELS[name], number(r["average"]), str(r["answered"]), *r["distribution"].values())
                for name, r in report["ratings"].items()
            ],
        )
    )
    if report["promises"]:
        console.print(
            table(
                "Promises customers would repeat",
                [("Promise", "left"), ("Count", "right"), ("Share of responses", "right")],
                [(p["text"], str(p["count"]), percent(p["share"])) for p in report["promises"]],
            )
        )
    console.print(
        table(
            "Trend by ISO week (rule of 1 %: this week ≥ last week × 1.01)",
            [
                ("Week", "left"),
                ("Starts", "left"),
                ("Responses", "right"),
                ("Wow rate", "right"),
                ("Change", "right"),
                ("Goal", "right"),
                ("1 %", "left"),
            ],
            [
                (
                    w["week"] + ("*" if w["days"] < 7 else ""),
                    w["start"],
                    str(w["responses"]),
                    percent(w["wow_rate"]),
                    signed_percent(w["change"]),
                    percent(w["goal"]),
                    Text(
                        goal_mark(w["met_goal"]), style={True: "green", False: "red"}.get(w["met_goal"], "")
                    ),
                )
                for w in report["trend"]
            ],
        )
    )
    if report["stories"]:
        console.print(
            table(
                "Stories: what they did",
                [("Staff", "left"), ("Day", "left"), ("What they did", "left")],
                [(s["name"], s["day"], " ".join(s["what"].split())) for s in report["stories"]],
            )
        )
    if report["by"]:
        columns = group_columns(report["by"])
        console.print(
            table(
                f"By {BY_LABELS[report['by']].lower()}",
                [(title, "left" if f == "label" else "right") for f, title in columns],
                [[cell_text(f, g[f]) for f, _ in columns] for g in report["groups"]],
            )
        )
    if any(w["days"] < 7 for w in report["trend"]):
        console.print(Text("* a week only partly inside the period"))
    if report["items_read"] is not None:
        console.print(Text(f"{report['items_read']} tally items read"))


# --- CSV --------------------------------------------------------------------------------------------------


def render_csv(report: Mapping[str, Any]) -> str:
    """Sections one under the other, as a spreadsheet shows them: a title row, a header row, data rows and a
    blank row between sections. Text cells are defused; numbers stay numbers (a share of 0.25 is 0.25)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for title, header, rows in csv_sections(report):
        writer.writerow([title])
        writer.writerow(header)
        for row in rows:
            writer.writerow([csv_cell(v) for v in row])
        writer.writerow([])
    return buffer.getvalue()


TREND_COLUMNS = (
    "week",
    "start",
    "days",
    "responses",
    "wow_yes",
    "wow_no",
    "wow_rate",
    "change",
    "goal",
    "met_goal",
)


def csv_sections(report: Mapping[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    f = report["followups"]
    summary = [
        ["survey", report["survey"]],
        ["since", report["period"]["since"]],
        ["until", report["period"]["until"]],
        ["time_zone", report["time_zone"]],
        ["location", report["location"]["id"] if report["location"] else None],
        ["responses", report["responses"]],
        ["wow_rate", report["wow_rate"]],
        ["wow_yes", report["wow"]["yes"]],
        ["wow_no", report["wow"]["no"]],
        ["wow_unanswered", report["wow"]["unanswered"]],
        ["unnamed", report["unnamed"]],
        ["flagged", report["flagged"]],
        ["include_flagged", report["include_flagged"]],
        ["stories_told", report["stories_told"]],
        ["comments", report["comments"]],
        ["followups_requested", f["requested"]],
        ["followups_done", f["done"]],
        ["followups_open", f["open"]],
        ["items_read", report["items_read"]],
    ]
    sections: list[tuple[str, list[str], list[list[Any]]]] = [
        ("summary", ["metric", "value"], summary),
        (
            "staff",
            ["id", "name", "location", "location_name", "count", "share", "flagged"],
            [
                [e["id"], e["name"], e["location"], e["location_name"], e["count"], e["share"], e["flagged"]]
                for e in report["staff"]
            ],
        ),
        (
            "flagged",
            ["id", "name", "location", "location_name", "count", "days"],
            [
                [e["id"], e["name"], e["location"], e["location_name"], e["count"], " ".join(e["days"])]
                for e in report["flagged_recognitions"]
            ],
        ),
        (
            "followup_times",
            [
                "location",
                "location_name",
                "requested",
                "open",
                "overdue",
                "closed",
                "within_goal",
                "median_hours",
                "goal_hours",
                "met_goal",
            ],
            [
                [
                    e.get("location"),
                    e["location_name"],
                    e["requested"],
                    e["open"],
                    e["overdue"],
                    e["closed"],
                    e["within_goal"],
                    e["median_hours"],
                    report["followup_times"]["goal_hours"],
                    e["met_goal"],
                ]
                for e in [
                    *report["followup_times"]["locations"],
                    {**report["followup_times"]["all"], "location": None, "location_name": "All locations"},
                ]
            ],
        ),
        (
            "ratings",
            ["rating", "average", "answered", "1", "2", "3", "4", "5"],
            [
                [name, r["average"], r["answered"], *r["distribution"].values()]
                for name, r in report["ratings"].items()
            ],
        ),
        (
            "promises",
            ["id", "text", "count", "share"],
            [[p["id"], p["text"], p["count"], p["share"]] for p in report["promises"]],
        ),
        ("trend", list(TREND_COLUMNS), [[w[k] for k in TREND_COLUMNS] for w in report["trend"]]),
        (
            "stories",
            ["staff", "name", "location", "day", "received_at", "what"],
            [
                [s["staff"], s["name"], s["location"], s["day"], s["received_at"], s["what"]]
                for s in report["stories"]
            ],
        ),
    ]
    if report["by"]:
        fields = [
            "key",
            "label",
            "count",
            "share",
            "responses",
            "wow_yes",
            "wow_no",
            "wow_rate",
            "recognitions",
            "comments",
            "followups",
        ]
        sections.append((f"by_{report['by']}", fields, [[g[k] for k in fields] for g in report["groups"]]))
    return sections


# --- Markdown ---------------------------------------------------------------------------------------------

_MD_INLINE = re.compile(r"([\\`*_\[\]|~])")
_MD_LINE_START = re.compile(r"^(\d*)([#+\-=>.)])")


def md_text(value: Any) -> str:
    """Owner or customer text as literal Markdown: HTML escaped (a `<script>` shows as text), inline
    punctuation backslash-escaped, line breaks folded (a table cell is one line), no block syntax at the
    start."""
    text = " ".join(str(value).split())
    text = html.escape(text, quote=False)
    text = _MD_INLINE.sub(r"\\\1", text)
    return _MD_LINE_START.sub(r"\1\\\2", text)


def _md_table(header: Sequence[str], rows: Iterable[Sequence[str]], right: Sequence[bool]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if r else "---" for r in right) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines + [""]


def render_markdown(report: Mapping[str, Any]) -> str:
    period = report["period"]
    where = f" — {md_text(report['location']['name'])}" if report["location"] else ""
    lines = [f"## {md_text(report['survey'])}{where}: {period['since']} to {period['until']}", ""]
    lines += _md_table(["", ""], [(md_text(k), v) for k, v in summary_rows(report)], [False, True])
    lines += ["### Recognition leaderboard", ""]
    lines += _md_table(
        ["Staff", "Location", "Count", "Share"],
        [
            (md_text(e["name"]), md_text(e["location_name"]), str(e["count"]), percent(e["share"]))
            for e in report["staff"]
        ],
        [False, False, True, True],
    )
    if report["flagged_recognitions"]:
        lines += [f"### {flagged_title(report)}", "", md_text(FLAGGED_NOTE), ""]
        lines += _md_table(
            ["Staff", "Location", "Flagged", "Days"],
            [[md_text(r[0]), md_text(r[1]), r[2], r[3]] for r in flagged_rows(report)],
            [False, False, True, False],
        )
    lines += [f"### {followup_title(report)}", ""]
    lines += _md_table(
        [title for _, title in followup_columns()],
        [[md_text(r[0]), *r[1:]] for r in followup_rows(report)],
        [False] + [True] * (len(followup_columns()) - 1),
    )
    lines += ["### People / Process / Product", ""]
    lines += _md_table(
        ["Rating", "Average", "Answers", "1", "2", "3", "4", "5"],
        [
            (
                RATING_LABELS[n],
                number(r["average"]),
                str(r["answered"]),
                *map(str, r["distribution"].values()),
            )
            for n, r in report["ratings"].items()
        ],
        [False] + [True] * 7,
    )
    if report["promises"]:
        lines += ["### Promises customers would repeat", ""]
        lines += _md_table(
            ["Promise", "Count", "Share of responses"],
            [(md_text(p["text"]), str(p["count"]), percent(p["share"])) for p in report["promises"]],
            [False, True, True],
        )
    lines += ["### Trend by ISO week", "", "Rule of 1 %: this week ≥ last week × 1.01.", ""]
    lines += _md_table(
        ["Week", "Starts", "Responses", "Wow rate", "Change", "Goal", "1 %"],
        [
            (
                w["week"] + (" (part)" if w["days"] < 7 else ""),
                w["start"],
                str(w["responses"]),
                percent(w["wow_rate"]),
                signed_percent(w["change"]),
                percent(w["goal"]),
                {True: "✅ met", False: "missed", None: "–"}[w["met_goal"]],
            )
            for w in report["trend"]
        ],
        [False, False, True, True, True, True, False],
    )
    if report["stories"]:
        lines += ["### Stories: what they did", ""]
        lines += [f"- **{md_text(s['name'])}** ({s['day']}): {md_text(s['what'])}" for s in report["stories"]]
        lines += [""]
    if report["by"]:
        columns = group_columns(report["by"])
        lines += [f"### By {BY_LABELS[report['by']].lower()}", ""]
        lines += _md_table(
            [title for _, title in columns],
            [
                [md_text(g[f]) if f == "label" else cell_text(f, g[f]) for f, _ in columns]
                for g in report["groups"]
            ],
            [f != "label" for f, _ in columns],
        )
    return "\n".join(lines)


# --- HTML -------------------------------------------------------------------------------------------------


def render_html(report: Mapping[str, Any]) -> str:
    """One self-contained file: inline CSS and SVG, no script, no external request. Autoescape is on and
    undefined names fail, so every owner or customer string is escaped and a template typo is loud."""
    import jinja2

    from . import site_templates

    folder = Path(site_templates.__file__).parent
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(percent=percent, signed_percent=signed_percent, number=number)
    columns = group_columns(report["by"]) if report["by"] else []
    return env.get_template(TEMPLATE).render(
        report=report,
        heading=heading(report),
        summary=summary_rows(report),
        rating_labels=RATING_LABELS,
        by_label=BY_LABELS.get(report["by"] or "", ""),
        group_columns=columns,
        cell_text=cell_text,
        trend_chart=trend_chart(report["trend"]),
        leaderboard_chart=leaderboard_chart(report["staff"]),
        rating_charts=[rating_chart(name, r) for name, r in report["ratings"].items()],
        story_groups=story_groups(report["stories"]),
        flagged_title=flagged_title(report),
        flagged_rows=flagged_rows(report),
        flagged_note=FLAGGED_NOTE,
        followup_title=followup_title(report),
        followup_columns=followup_columns(),
        followup_rows=followup_rows(report),
    )


# Chart geometry is computed here, so the template only draws: coordinates in a fixed viewBox that scales
# to the page width (a phone or paper).


def trend_chart(weeks: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The wow rate per week as a line (broken where a week had no answers), the rule-of-1 % goal as a
    dash per week, and met weeks marked."""
    w, h, left, right, top, bottom = 400, 190, 38, 8, 10, 28
    plot_w, plot_h = w - left - right, h - top - bottom
    step = plot_w / max(len(weeks), 1)

    def x(i: int) -> float:
        return round(left + step * (i + 0.5), 1)

    def y(rate: float) -> float:
        return round(top + plot_h * (1 - min(max(rate, 0.0), 1.0)), 1)

    segments: list[list[tuple[float, float]]] = [[]]
    points, goals, labels = [], [], []
    for i, week in enumerate(weeks):
        rate = week["wow_rate"]
        if rate is None:
            if segments[-1]:
                segments.append([])
        else:
            segments[-1].append((x(i), y(rate)))
            points.append(
                {"x": x(i), "y": y(rate), "met": week["met_goal"], "rate": rate, "week": week["week"]}
            )
        if week["goal"] is not None:
            goals.append(
                {
                    "x1": round(x(i) - step * 0.35, 1),
                    "x2": round(x(i) + step * 0.35, 1),
                    "y": y(week["goal"]),
                    "goal": week["goal"],
                    "week": week["week"],
                }
            )
        every = max(1, -(-len(weeks) // 8))  # at most 8 labels fit under the axis
        if i % every == 0:
            labels.append({"x": x(i), "text": week["week"][5:]})
    return {
        "width": w,
        "height": h,
        "left": left,
        "right": w - right,
        "bottom": top + plot_h,
        "grid": [{"y": y(v / 100), "label": f"{v}%"} for v in (0, 25, 50, 75, 100)],
        "lines": [" ".join(f"{px},{py}" for px, py in seg) for seg in segments if len(seg) > 1],
        "points": points,
        "goals": goals,
        "labels": labels,
    }


def leaderboard_chart(staff: Sequence[Mapping[str, Any]], limit: int = 12) -> dict[str, Any]:
    """Horizontal bars of recognitions for the top of the leaderboard (the full list is in the table)."""
    shown = [e for e in staff if e["count"] > 0][:limit]
    top = max((e["count"] for e in shown), default=0)
    row, label_w, w = 24, 150, 400
    bar_w = w - label_w - 80
    bars = [
        {
            "y": i * row,
            "label": shorten(f"{e['name']} · {e['location_name']}", 24),
            "width": round(bar_w * e["count"] / top, 1) if top else 0,
            "count": e["count"],
            "share": e["share"],
        }
        for i, e in enumerate(shown)
    ]
    return {"width": w, "height": max(len(bars), 1) * row, "label_width": label_w, "bars": bars}


def shorten(text: str, limit: int) -> str:
    """A chart label that fits its space; the table beside the chart has the whole text."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def story_groups(stories: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Stories under one heading per staff member, in leaderboard order."""
    groups: dict[str, dict[str, Any]] = {}
    for s in stories:
        groups.setdefault(s["staff"], {"name": s["name"], "stories": []})["stories"].append(s)
    return list(groups.values())


def rating_chart(name: str, rating: Mapping[str, Any]) -> dict[str, Any]:
    """Five vertical bars, one per rating from 1 to 5."""
    w, h, base = 200, 120, 96
    counts = [int(c) for c in rating["distribution"].values()]
    top = max(counts, default=0)
    bar_w = 28
    bars = [
        {
            "x": 10 + i * 38,
            "height": round(80 * c / top, 1) if top else 0,
            "count": c,
            "value": str(i + 1),
        }
        for i, c in enumerate(counts)
    ]
    for b in bars:
        b["y"] = round(base - b["height"], 1)
    return {
        "name": RATING_LABELS[name],
        "width": w,
        "height": h,
        "base": base,
        "bar_width": bar_w,
        "bars": bars,
        "average": rating["average"],
        "answered": rating["answered"],
    }
