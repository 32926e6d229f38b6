"""`wowcard i18n`: the catalogs of the built-in texts, for translators (update, check) and owners who bring
a language of their own (init --into their theme folder)."""

from __future__ import annotations

from pathlib import Path

import click

from ..options import InputError


@click.group()
def i18n() -> None:
    """Translation catalogs of the texts customers read (gettext .pot/.po)."""


@i18n.command()
def update() -> None:
    """Rewrite the .pot from the templates and carry new texts into every shipped .po."""
    from .. import i18n_extract

    for path in i18n_extract.update():
        click.echo(f"wrote {path}")


@i18n.command()
def check() -> None:
    """Exit 1 if the .pot or a shipped .po is out of date (changes nothing)."""
    from .. import i18n_extract

    stale = i18n_extract.check()
    for path in stale:
        click.echo(f"out of date: {path}", err=True)
    if stale:
        raise click.ClickException("run `wowcard i18n update` and commit the catalogs")
    click.echo("every catalog is up to date")


@i18n.command()
@click.argument("language")
@click.option(
    "--into",
    "theme",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="A theme folder (e.g. templates/ beside survey.toml) instead of the package.",
)
def init(language: str, theme: Path | None) -> None:
    """Start an empty catalog for LANGUAGE (a BCP 47 code such as it or pt-BR) to translate."""
    from .. import i18n_extract

    try:
        po = i18n_extract.init(language, theme)
    except i18n_extract.CatalogError as exc:
        raise InputError(str(exc)) from None
    click.echo(f"wrote {po}")


COMMANDS = [i18n]
