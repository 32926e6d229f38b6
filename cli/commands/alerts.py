"""`wowcard alerts`: the alerts not yet delivered to the survey's webhook (pending, failed, or held: counted
in a burst's summary message instead of sent one by one), `--held` to read the held ones, and `--retry` to
queue the failed ones again. Sending is the collector's job: `wowcard serve`'s background worker, or on
AWS the scheduled function that runs every minute."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from ..collector.alerts import payload
from ..collector.store import ALERT_HELD, Alert, Store
from ..collector.survey import Survey
from ..options import load_survey, survey_option
from ..store_select import StoreChoice, opened_store, store_options

REASON_WORDS = {
    "followup": "follow-up",
    "low_rating": "lowest rating",
    "recognition": "shout-out",
    "digest": "weekly digest",
}


@click.command()
@survey_option
@store_options
@click.option("--retry", is_flag=True, help="Queue every failed alert again, with a fresh 48 hours of tries.")
@click.option(
    "--held",
    is_flag=True,
    help="Only the alerts a burst's summary message counted (kept a week), each as its message reads.",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def alerts(survey_path: Path, store_choice: StoreChoice, retry: bool, held: bool, fmt: str) -> None:
    """Alerts not yet delivered to the webhook in [alerts]: pending (being tried, with backoff for 48 hours),
    failed (given up) and held (counted in a burst's summary). Exit 1 when any has failed, so a cron job
    can tell."""
    survey = load_survey(survey_path)
    with opened_store(survey, store_choice) as store:
        queued = store.retry_alerts(survey.id, time.time()) if retry else 0
        waiting = store.alerts(survey.id)
        if held:
            shown = held_messages(store, survey, [a for a in waiting if a.state == ALERT_HELD])
    if held:
        if fmt == "json":
            click.echo(json.dumps(shown, indent=2, ensure_ascii=False, sort_keys=True))
        elif not shown:
            click.echo("No held alerts: no burst was summarised in the last week.")
        else:
            click.echo("\n\n".join(item["text"] for item in shown))
        return
    if retry:
        noun = "alert" if queued == 1 else "alerts"
        click.echo(
            f"Queued {queued} failed {noun} again: `wowcard serve` or the deployed collector sends "
            "them within a minute.",
            err=fmt == "json",
        )
    items = [alert_json(a) for a in waiting]
    if fmt == "json":
        click.echo(json.dumps(items, indent=2, ensure_ascii=False, sort_keys=True))
    elif not items:
        click.echo("No alerts waiting: every alert was delivered.")
    else:
        click.echo(alerts_text(items, survey.time_zone), nl=False)
    failed = sum(1 for item in items if item["state"] == "failed")
    if failed:
        raise click.ClickException(
            f"{failed} alert{'s' if failed != 1 else ''} failed for good; fix the webhook, then run "
            "`wowcard alerts --retry`"
        )


def held_messages(store: Store, survey: Survey, held: list[Alert]) -> list[dict[str, Any]]:
    """Each held alert as its message would have read (built from the stored answer now, as the sender
    does), oldest first; an answer deleted since is left out."""
    definition = survey.definition()
    found = []
    for alert in held:
        response = store.get(survey.id, alert.response_id)
        if response is not None:
            found.append(payload(response, definition, alert.reasons))
    return found


def alert_json(alert: Any) -> dict[str, Any]:
    return {
        "response_id": alert.response_id,
        "reasons": list(alert.reasons),
        "received_at": alert.received_at,
        "state": alert.state,
        "attempts": alert.attempts,
        "next_attempt": _iso(alert.due) if alert.state == "pending" else None,
        "last_error": alert.last_error,
    }


def alerts_text(items: list[dict[str, Any]], time_zone: str) -> str:
    zone = ZoneInfo(time_zone)

    def local(text: str) -> str:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(zone).strftime("%Y-%m-%d %H:%M")

    noun = "alert" if len(items) == 1 else "alerts"
    lines = [f"{len(items)} {noun} not yet delivered:"]
    for item in items:
        why = ", ".join(REASON_WORDS.get(r, r) for r in item["reasons"])
        tries = f"{item['attempts']} attempt{'s' if item['attempts'] != 1 else ''}"
        if item["state"] == "pending":
            state = f"pending, {tries}, next {local(item['next_attempt'])}"
        elif item["state"] == ALERT_HELD:
            state = "held: counted in a burst's summary; wowcard alerts --held"
        else:
            state = f"failed after {tries}"
        lines.append(f"  {item['response_id']}  answered {local(item['received_at'])}  {why}  ({state})")
        if item["last_error"]:
            lines.append(f"      last: {item['last_error']}")
    return "\n".join(lines) + "\n"


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


COMMANDS = [alerts]
