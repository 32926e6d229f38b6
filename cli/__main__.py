"""The `wowcard` command: a Click group whose commands live in `wowcard.commands.*`."""

from __future__ import annotations

import click

from . import __version__
from .commands import COMMANDS


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wowcard")
def cli() -> None:
    """Wow cards as software: survey pages, QR cards, an exactly-once collector and reports."""


for command in COMMANDS:
    cli.add_command(command)


def main() -> None:
    cli(prog_name="wowcard")


if __name__ == "__main__":
    main()
