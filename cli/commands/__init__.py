"""The Click commands, one module per job. Each command parses options, calls one library function, prints."""

from __future__ import annotations

import click

from . import alerts, cards, collect, deploy, i18n, results, site

COMMANDS: list[click.Command] = [
    *site.COMMANDS,
    *results.COMMANDS,
    *alerts.COMMANDS,
    *collect.COMMANDS,
    *cards.COMMANDS,
    *deploy.COMMANDS,
    *i18n.COMMANDS,
]
