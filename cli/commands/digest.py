"""`wowcard digest`: the week's huddle message (collector/digest.py), posted to the `[alerts]` webhook now,
or shown with `--dry-run`. The same message goes out by itself every Monday at 08:00 (survey time) when
`[alerts] on` has "digest"; posting it here claims a complete week, so the automatic one is not sent again
(a week still running is posted as it stands and not claimed: its Monday digest still goes out)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import click

from ..collector import digest as weekly
from ..collector.alerts import DeliveryError, post_json, webhook_source
from ..options import InputError, load_survey, survey_option
from ..store_select import StoreChoice, opened_store, store_options


@click.command()
@survey_option
@store_options
@click.option(
    "--week",
    metavar="YYYY-Www",
    help="The ISO week, e.g. 2025-W10. Default: the last complete week in the survey's time zone.",
)
@click.option("--dry-run", is_flag=True, help="Show the message; post nothing and claim nothing.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def digest(survey_path: Path, store_choice: StoreChoice, week: str | None, dry_run: bool, fmt: str) -> None:
    """Post the week's huddle message to the webhook in [alerts]: who was recognised most, with a story
    each; the wow rate and its verdict against the week before; the ratings; open follow-ups; what
    customers said, worst first."""
    survey = load_survey(survey_path)
    now = datetime.now(UTC)
    chosen = week or weekly.last_complete_week(survey.time_zone, now)
    try:
        weekly.week_monday(chosen)
    except weekly.WeekError as exc:
        raise InputError(f"--week: {exc}") from None
    if not dry_run and survey.alerts is None:
        raise InputError(
            f"{survey_path}: [alerts] webhook is not set, so there is nowhere to post; "
            "add it, or use --dry-run"
        )
    with opened_store(survey, store_choice) as store:
        found = weekly.compute(store, survey.definition(), chosen, now)
        body = weekly.payload(found)
        if fmt == "json":
            click.echo(json.dumps(body, indent=2, ensure_ascii=False, sort_keys=True))
        else:
            click.echo(body["text"])
        if dry_run:
            return
        assert survey.alerts is not None
        try:
            post_json(webhook_source(survey.alerts.webhook)(), body)
        except DeliveryError as exc:
            raise click.ClickException(f"the digest was not posted: {exc}") from None
        complete = weekly.week_monday(chosen) <= weekly.week_monday(
            weekly.last_complete_week(survey.time_zone, now)
        )
        first = complete and store.claim_digest(survey.id, chosen, time.time(), queue=False)
    if not complete:
        again = " (the week is still running: its digest still goes out on the Monday after it)"
    else:
        again = "" if first else " (it had been sent for this week before)"
    click.echo(f"Posted the digest of {chosen} to the webhook{again}.", err=True)


COMMANDS = [digest]
