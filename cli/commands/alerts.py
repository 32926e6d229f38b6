"""`wowcard alerts`: the alerts not yet delivered to the survey's webhook (pending or failed), and `--retry`
to queue the failed ones again. Sending is the collector's job: `wowcard serve`'s background worker, or on
AWS the scheduled function that runs every minute."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from ..options import load_survey, survey_option
from ..store_select import StoreChoice, opened_store, store_options

REASON_WORDS = {"followup": "follow-up", "low_rating": "lowest rating"}


@click.command()
@survey_option
@store_options
@click.option("--retry", is_flag=True, help="Queue every failed alert again, with a fresh 48 hours of tries.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def alerts(survey_path: Path, store_choice: StoreChoice, retry: bool, fmt: str) -> None:
    """Alerts not yet delivered to the webhook in [alerts]: pending (being tried, with backoff for 48 hours)
    and failed (given up). Exit 1 when any has failed, so a cron job can tell."""
    survey = load_survey(survey_path)
    with opened_store(survey, store_choice) as store:
        queued = store.retry_alerts(survey.id, time.time()) if retry else 0
        waiting = store.alerts(survey.id)
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
        else:
            state = f"failed after {tries}"
        lines.append(f"  {item['response_id']}  answered {local(item['received_at'])}  {why}  ({state})")
        if item["last_error"]:
            lines.append(f"      last: {item['last_error']}")
    return "\n".join(lines) + "\n"


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


COMMANDS = [alerts]
