"""The Click commands, one module per job. Each command parses options, calls one library function, prints."""

from __future__ import annotations

import click

from . import alerts, cards, collect, deploy, digest, i18n, importing, results, site

COMMANDS: list[click.Command] = [
    *site.COMMANDS,
    *results.COMMANDS,
    *importing.COMMANDS,
    *alerts.COMMANDS,
    *digest.COMMANDS,
    *collect.COMMANDS,
    *cards.COMMANDS,
    *deploy.COMMANDS,
    *i18n.COMMANDS,
]
