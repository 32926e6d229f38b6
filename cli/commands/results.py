"""`wowcard results`, `export`, `followups`, `verify`, `delete` and `redact`: what the owner comes back for.

Thin commands: parse options, open the store (`store_select`), call one library function (`report`,
`report_formats`, `export`, `followups`, `verify`), print. Reports read tallies for their numbers and the
period's responses for their texts; export and verify read responses.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import click

from .. import report as report_math
from ..collector import names
from ..collector.safe_text import json_safe, safe_text
from ..options import InputError, load_survey, survey_option
from ..store_select import StoreChoice, opened_store, store_options

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Days a store can hold (received times start in 1970) and a report can still reach weeks around.
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9000, 12, 31)


class DateParam(click.ParamType):
    """A day as YYYY-MM-DD; anything else is a usage error naming the option (exit 2)."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            if not ISO_DATE.match(value):
                raise ValueError
            day = date.fromisoformat(value)
        except ValueError:
            self.fail(f'"{value}" is not a date written YYYY-MM-DD, such as 2025-03-31', param, ctx)
        if not FIRST_DAY <= day <= LAST_DAY:
            self.fail(f'"{value}" is outside the days wowcard keeps ({FIRST_DAY} to {LAST_DAY})', param, ctx)
        return day


DATE = DateParam()


def period_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--until",
        type=DATE,
        default=None,
        help="Last day, inclusive (default: today in the survey's time zone).",
    )(func)
    return click.option(
        "--since",
        type=DATE,
        default=None,
        help=f"First day, inclusive (default: the Monday {report_math.DEFAULT_WEEKS - 1} ISO "
        "weeks before this week's).",
    )(func)


def period_of(since: date | None, until: date | None, time_zone: str) -> report_math.Period:
    """The days a command covers: the last 8 ISO weeks up to today unless --since/--until say otherwise."""
    default = report_math.default_period(time_zone)
    until = until or default.until
    if since is None:
        since = report_math.week_start(until) - timedelta(weeks=report_math.DEFAULT_WEEKS - 1)
    if since > until:
        raise InputError(f"--since {since} is after --until {until}")
    return report_math.Period(since, until)


@contextmanager
def output_stream(path: Path | None, *, newline: str | None = None) -> Iterator[TextIO]:
    """The --output file (UTF-8), or stdout."""
    if path is None:
        yield sys.stdout
        return
    try:
        handle = path.open("w", encoding="utf-8", newline=newline)
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror}") from None
    with handle:
        yield handle


def _location_option(survey_locations: list[str], location: str | None) -> None:
    if location is not None and location not in survey_locations:
        raise InputError(f'--location: unknown location "{location}"; known: {", ".join(survey_locations)}')


# --- results ----------------------------------------------------------------------------------------------


@click.command()
@survey_option
@store_options
@period_options
@click.option("--location", default=None, metavar="ID", help="Only this location.")
@click.option(
    "--by",
    type=click.Choice(report_math.BY_CHOICES),
    default=None,
    help="Also cut the numbers by this dimension (a `groups` list in JSON).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv", "md", "html"]),
    default="table",
    show_default=True,
    help="table for the terminal, json for programs, csv for a spreadsheet, "
    "md for a chat, html for one printable file with charts.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file instead of stdout.",
)
@click.option(
    "--include-flagged",
    is_flag=True,
    help="Count recognitions the fairness rules flagged on the leaderboard.",
)
def results(
    survey_path: Path,
    store_choice: StoreChoice,
    since: date | None,
    until: date | None,
    location: str | None,
    by: str | None,
    fmt: str,
    output: Path | None,
    include_flagged: bool,
) -> None:
    """Report responses, wow rate, what customers said (worst first), stories, the recognition leaderboard
    (and recognitions the fairness rules flagged), ratings, promises, follow-ups and how fast they are
    closed, and the week-over-week trend against the rule of 1 %. Numbers come from tallies; the texts from
    the period's responses with a story or comment only (and the short list of follow-ups)."""
    from .. import render, report_formats

    survey = load_survey(survey_path)
    definition = survey.definition()
    _location_option([loc.id for loc in survey.locations], location)
    period = period_of(since, until, survey.time_zone)
    with opened_store(survey, store_choice) as store:
        definition = names.remembered(definition, store.definitions(survey.id))
        report = report_math.gather(
            store,
            definition,
            period,
            location=location,
            by=by,
            include_flagged=include_flagged,
            followup_goal_hours=survey.followup_goal_hours,
        )
    if fmt == "table" and output is None:
        color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        width = shutil.get_terminal_size((report_formats.TABLE_WIDTH, 24)).columns if color else None
        text = report_formats.render(report, fmt, color=color, width=width or report_formats.TABLE_WIDTH)
    else:
        try:
            text = report_formats.render(report, fmt, theme=render.theme_folder(survey.folder))
        except render.TemplateError as exc:
            raise InputError(str(exc)) from None
    with output_stream(output) as out:
        out.write(text)
    if output is not None:
        click.echo(f"wrote {output}", err=True)


# --- export -----------------------------------------------------------------------------------------------


@click.command()
@survey_option
@store_options
@period_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl"]),
    default="csv",
    show_default=True,
    help="csv for a spreadsheet (formulas defused), jsonl (JSON Lines) for programs.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file instead of stdout.",
)
def export(
    survey_path: Path,
    store_choice: StoreChoice,
    since: date | None,
    until: date | None,
    fmt: str,
    output: Path | None,
) -> None:
    """Export raw responses received in a date range, streamed, one row per response."""
    from .. import export as exporter

    survey = load_survey(survey_path)
    period = period_of(since, until, survey.time_zone)
    with opened_store(survey, store_choice) as store, output_stream(output, newline="") as out:
        rows = store.responses(survey.id, period.since.isoformat(), period.until.isoformat())
        count = exporter.export(rows, out, fmt)
    where = f" to {output}" if output else ""
    click.echo(f"exported {count} responses ({period.since} to {period.until}){where}", err=True)


# --- follow-ups -------------------------------------------------------------------------------------------


@click.group(invoke_without_command=True)
@survey_option
@store_options
@click.option("--all", "include_done", is_flag=True, help="Include follow-ups already done.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def followups(
    ctx: click.Context, survey_path: Path, store_choice: StoreChoice, include_done: bool, fmt: str
) -> None:
    """Customers who asked to be contacted, and why: their wow answer, ratings, promises, comment, language,
    location, when and status; open ones, newest first. `wowcard followups done ID` closes one."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"survey_path": survey_path, "store_choice": store_choice}
        return
    import json

    from .. import followups as library

    survey = load_survey(survey_path)
    definition = survey.definition()
    with opened_store(survey, store_choice) as store:
        rows = store.followups(survey.id, include_done=include_done)
        definition = names.remembered(definition, store.definitions(survey.id))
    items = [library.followup_json(r, definition) for r in rows]
    if fmt == "json":
        click.echo(json_safe(json.dumps(items, indent=2, ensure_ascii=False, sort_keys=True)))
        return
    if not items:
        click.echo("No follow-ups." if include_done else "No open follow-ups.")
        return
    click.echo(library.followups_text(items, survey.time_zone), nl=False)


@followups.command("done")
@click.argument("response_id", metavar="ID")
@click.option("--note", default=None, metavar="TEXT", help="What was done (kept with the follow-up).")
@click.pass_context
def followup_done(ctx: click.Context, response_id: str, note: str | None) -> None:
    """Close the follow-up of response ID (the id `wowcard followups` shows): it leaves the open list and
    counts towards the time to close in `wowcard results`."""
    from .. import followups as library

    survey = load_survey(ctx.obj["survey_path"])
    with opened_store(survey, ctx.obj["store_choice"]) as store:
        try:
            closed = library.close(
                store, survey.id, response_id, note, datetime.now(UTC), survey.followup_goal_hours
            )
        except library.FollowupError as exc:
            raise (InputError if exc.fixable else click.ClickException)(str(exc)) from None
    click.echo(closed.message())


# --- verify -----------------------------------------------------------------------------------------------


@click.command()
@survey_option
@store_options
@period_options
@click.option(
    "--repair",
    is_flag=True,
    help="Rewrite the tallies of the range from the raw responses (on DynamoDB item by item: run it while "
    "no answers arrive for those days).",
)
def verify(
    survey_path: Path, store_choice: StoreChoice, since: date | None, until: date | None, repair: bool
) -> None:
    """Recount the tallies from the raw responses and report every difference (exit 1 if any; after a
    successful --repair, exit 0)."""
    from .. import verify as library

    survey = load_survey(survey_path)
    period = period_of(since, until, survey.time_zone)
    with opened_store(survey, store_choice) as store:
        result = library.check(store, survey.id, period, repair=repair)
    what = f"{result.responses} responses from {period.since} to {period.until}"
    if not result.differences:
        click.echo(f"Tallies agree with the {what}.")
        return
    click.echo(f"{len(result.differences)} tally counters differ from the recount of the {what}:")
    click.echo(f"{'day':<10}  {'location':<20}  {'field':<24}  {'tallied':>8}  {'recounted':>9}")
    for d in result.differences:
        click.echo(f"{d.day:<10}  {d.location:<20}  {d.field:<24}  {d.tallied:>8}  {d.recounted:>9}")
    if not result.repaired:
        raise click.ClickException(
            "the tallies drifted; `wowcard verify --repair` rewrites them from the raw responses"
        )
    if result.left:
        raise click.ClickException(f"repair wrote the recount but {len(result.left)} counters still differ")
    click.echo(f"Repaired: the tallies from {period.since} to {period.until} now match the raw responses.")


# --- delete and redact ------------------------------------------------------------------------------------


@click.command()
@survey_option
@store_options
@click.option("--response", "response_id", required=True, metavar="ID", help="The response to remove.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete(survey_path: Path, store_choice: StoreChoice, response_id: str, yes: bool) -> None:
    """Remove one response and subtract it from the tallies, in one transaction."""
    survey = load_survey(survey_path)
    with opened_store(survey, store_choice) as store:
        response = store.get(survey.id, response_id)
        if response is None:
            raise InputError(f'--response: no response "{response_id}" in survey {survey.id}')
        wow = response.get("wow") or "not answered"
        staff = f", staff {response['staff']}" if response.get("staff") else ""
        click.echo(
            safe_text(
                f"Response {response_id}: received {response['received_at']} at {response['location']}, "
            )
            + safe_text(f"wow {wow}{staff}"),
            err=True,
        )
        if not yes:
            click.confirm("Delete it and subtract it from the tallies?", abort=True, err=True)
        deleted = store.delete(survey.id, response_id)
    if not deleted:
        raise click.ClickException(f'response "{response_id}" was already gone')
    click.echo(f"Deleted response {response_id}; its counts were subtracted from {response['day']}.")


@click.command()
@survey_option
@store_options
@click.option(
    "--before",
    type=DATE,
    default=None,
    help="Redact responses received before this day (default: today minus the survey's retention_days).",
)
def redact(survey_path: Path, store_choice: StoreChoice, before: date | None) -> None:
    """Retention: remove the personal fields (contact, comment, what they did, note) of old responses.
    Their counts and the tallies stay, so reports and `wowcard verify` do not change."""
    survey = load_survey(survey_path)
    if before is None:
        before = report_math.today_in(survey.time_zone) - timedelta(days=survey.retention_days)
    redacted_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with opened_store(survey, store_choice) as store:
        count = store.redact(survey.id, before.isoformat(), redacted_at)
    noun = "response" if count == 1 else "responses"
    click.echo(f"Redacted {count} {noun} received before {before}: personal fields removed, counts kept.")


COMMANDS = [results, export, followups, verify, delete, redact]
