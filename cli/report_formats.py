"""Drawing a report: JSON is the report data itself (report.schema.json); the terminal table, CSV, Markdown
and HTML are thin renderers of the same sections (`report_model`), so every format shows the same numbers
under the same titles.

What an owner or a customer wrote is treated as text in every format: `safe_text` removes terminal
escapes, control and bidi characters (JSON keeps the text as stored: it is for programs and always valid),
rich markup is not interpreted, HTML is escaped by Jinja2's autoescape, Markdown punctuation is escaped and
spreadsheet formulas are defused.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import report_model
from .collector.safe_text import json_safe, safe_text
from .export import csv_cell
from .report_model import Column, ReportModel, Section, is_machine_only, percent, text

FORMATS = ("table", "json", "csv", "md", "html")
TABLE_WIDTH = 100
TEMPLATE = "report.html"


def render(
    report: Mapping[str, Any],
    fmt: str,
    *,
    color: bool = False,
    width: int = TABLE_WIDTH,
    theme: Path | None = None,
) -> str:
    """The report in one format; `theme` is the owner's template folder (it may override report.html)."""
    if fmt == "json":
        return render_json(report)
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    doc = report_model.model(report)
    if fmt == "table":
        return render_table(doc, color=color, width=width)
    if fmt == "csv":
        return render_csv(doc)
    if fmt == "md":
        return render_markdown(doc)
    return render_html(report, doc, theme=theme)


def people_rows(section: Section) -> list[tuple[Any, ...]]:
    return [row for row in section.rows if not is_machine_only(row)]


def shown(section: Section, row: Sequence[Any]) -> list[tuple[Column, Any]]:
    return [(c, v) for c, v in zip(section.columns, row, strict=True) if c.audience != report_model.MACHINES]


def folded(section: Section) -> Iterable[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Per group, the rows to show and the rows folded away behind "N more" (none without folding)."""
    for _, rows in section.groups():
        limit = section.fold_after or len(rows)
        yield rows[:limit], rows[limit:]


def more(count: int) -> str:
    return f"… {count} more"


# --- JSON -------------------------------------------------------------------------------------------------


def render_json(report: Mapping[str, Any]) -> str:
    """Stable: sorted keys, fixed indentation, no timestamps. Shape: report.schema.json. Texts exactly as
    stored, what a terminal would act on written as \\u escapes (`json_safe`): valid and safe to print."""
    return json_safe(json.dumps(report, sort_keys=True, indent=2, ensure_ascii=False)) + "\n"


def schema_path() -> Path:
    return Path(__file__).with_name("report.schema.json")


# --- terminal table ---------------------------------------------------------------------------------------


def render_table(doc: ReportModel, *, color: bool = False, width: int = TABLE_WIDTH) -> str:
    """Rich tables as wide as the console. Every cell is a rich `Text`, so `[bold]` stays literal; long texts
    are excerpts (`--format html` has them whole); groups fold after a few rows with "… N more"."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

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
    styles = {"met": "green", "missed": "red"}
    console.print(Text(safe_text(doc.heading), style="bold"))
    for section in doc.sections:
        columns = section.shown_columns()
        table = Table(
            title=Text(safe_text(section.title), style="bold"),
            title_justify="left",
            box=box.SIMPLE_HEAD,
            expand=True,
            show_header=any(c.title for c in columns),
        )
        for c in columns:
            # Numbers and labels never wrap; what customers wrote gets most of the width left.
            table.add_column(
                Text(c.title),
                justify="right" if c.numeric else "left",
                no_wrap=c.numeric or (c.kind == "label" and len(columns) > 4),
                ratio=None if c.numeric else 3 if c.kind == "long" else 1,
            )
        for rows, hidden in folded(section):
            for row in rows:
                if is_machine_only(row):
                    continue
                cells = [
                    Text(text(v, c.kind, limit=report_model.EXCERPT), style=_style(c, v, styles))
                    for c, v in shown(section, row)
                ]
                table.add_row(*cells)
            if hidden:
                table.add_row(*[Text(more(len(hidden)) if i == 0 else "") for i in range(len(columns))])
        if not section.rows:
            table.add_row(*[Text("none" if i == 0 else "") for i in range(len(columns))])
        console.print(table)
        for note in section.notes:
            console.print(Text(safe_text(note), style="dim"))
    for note in doc.notes:
        console.print(Text(note))
    return buffer.getvalue()


def _style(column: Column, value: Any, styles: Mapping[str, str]) -> str:
    return styles.get(value, "") if column.kind == "verdict" else ""


# --- CSV --------------------------------------------------------------------------------------------------


def render_csv(doc: ReportModel) -> str:
    """Sections one under the other, as a spreadsheet shows them: a title row (the section's key), a header
    row of column keys, data rows, a blank row. Every row and column, ids included; cells as `csv_cell` writes
    them (text made safe with its line breaks, formulas defused; a share of 0.25 stays 0.25)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for section in doc.sections:
        writer.writerow([section.key])
        writer.writerow([c.key for c in section.machine_columns()])
        for row in section.rows:
            cells = zip(section.columns, row, strict=True)
            writer.writerow(
                [csv_cell(report_model.raw(v)) for c, v in cells if c.audience != report_model.PEOPLE]
            )
        writer.writerow([])
    return buffer.getvalue()


# --- Markdown ---------------------------------------------------------------------------------------------

_MD_INLINE = re.compile(r"([\\`*_\[\]|~])")
_MD_LINE_START = re.compile(r"^(\d+[.)]|[#+\-=>])")
_MD_ENTITY = re.compile(r"&(?=#?\w+;)")


def md_text(value: Any) -> str:
    """Owner or customer text as literal Markdown: made safe and one line (a table cell is one line); `<` and
    `>` as entities (a `<script>` shows as text), `&` as itself unless it would start an entity, inline
    punctuation backslash-escaped, no block syntax at the start."""
    line = safe_text(value)
    line = _MD_INLINE.sub(r"\\\1", line)
    line = _MD_ENTITY.sub(r"\\&", line).replace("<", "&lt;").replace(">", "&gt;")
    return _MD_LINE_START.sub(lambda m: m.group(1)[:-1] + "\\" + m.group(1)[-1], line)


def _md_table(columns: Sequence[Column], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = [
        "| " + " | ".join(md_text(c.title) if c.title else " " for c in columns) + " |",
        "|" + "|".join("---:" if c.numeric else "---" for c in columns) + "|",
    ]
    return lines + ["| " + " | ".join(row) + " |" for row in rows] + [""]


def render_markdown(doc: ReportModel) -> str:
    lines = [f"## {md_text(doc.heading)}", ""]
    for section in doc.sections:
        lines += [f"### {md_text(section.title)}", ""]
        lines += [md_text(note) for note in section.notes] + ([""] if section.notes else [])
        columns = section.shown_columns()
        if not section.rows:
            lines += ["None.", ""]
            continue
        rows = [
            [md_text(text(v, c.kind)) if not c.numeric else text(v, c.kind) for c, v in shown(section, row)]
            for row in people_rows(section)
        ]
        lines += _md_table(columns, rows)
    lines += [md_text(note) for note in doc.notes]
    return "\n".join(lines) + "\n"


# --- HTML -------------------------------------------------------------------------------------------------


def render_html(report: Mapping[str, Any], doc: ReportModel, *, theme: Path | None = None) -> str:
    """One self-contained file: inline CSS and SVG, no script, no external request. The template comes
    through the pages' loader (`render.environment`): an owner's theme folder may override report.html.
    Autoescape is on and undefined names fail, so every owner or customer string is escaped and a template
    typo is loud."""
    from . import render

    env = render.environment(theme)
    env.filters.update(percent=percent)
    return render.render(
        render.template(env, TEMPLATE),
        {
            "report": report,
            "doc": doc,
            "text": text,
            "is_machine_only": is_machine_only,
            "shown": shown,
            "folded": folded,
            "trend_chart": trend_chart(report["trend"]),
            "leaderboard_bars": leaderboard_bars(report["staff"]),
            "rating_charts": [rating_chart(name, r) for name, r in report["ratings"].items()],
        },
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
                {"x": x(i), "y": y(rate), "verdict": week["verdict"], "rate": rate, "week": week["week"]}
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


def leaderboard_bars(staff: Sequence[Mapping[str, Any]], limit: int = 12) -> list[dict[str, Any]]:
    """Bars of recognitions for the top of the leaderboard, one per person, drawn as HTML (not SVG) so a long
    name wraps instead of being clipped; the full list is in the table."""
    shown_people = [e for e in staff if e["count"] > 0][:limit]
    top = max((e["count"] for e in shown_people), default=0)
    return [
        {
            "name": e["name"],
            "percent": round(100 * e["count"] / top, 1) if top else 0,
            "count": e["count"],
            "share": e["share"],
            "split": report_model.split(e) if len(e["locations"]) > 1 else "",
        }
        for e in shown_people
    ]


def rating_chart(name: str, rating: Mapping[str, Any]) -> dict[str, Any]:
    """Five vertical bars, one per rating from 1 to 5."""
    w, h, base = 200, 120, 96
    counts = [int(c) for c in rating["distribution"].values()]
    top = max(counts, default=0)
    bar_w = 28
    heights = [round(80 * c / top, 1) if top else 0 for c in counts]
    bars = [
        {"x": 10 + i * 38, "height": height, "count": c, "value": str(i + 1), "y": round(base - height, 1)}
        for i, (c, height) in enumerate(zip(counts, heights, strict=True))
    ]
    return {
        "name": report_model.RATING_LABELS[name],
        "width": w,
        "height": h,
        "base": base,
        "bar_width": bar_w,
        "bars": bars,
        "average": rating["average"],
        "answered": rating["answered"],
    }
