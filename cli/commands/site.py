"""`wowcard init` and `wowcard build`: scaffold a survey, render its static site."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..collector import names
from ..collector.survey import Definition, Survey
from ..options import InputError, load_survey, survey_option

if TYPE_CHECKING:
    from ..collector.survey import Survey


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=Path("."))
@click.option("--force", is_flag=True, help="Overwrite an existing survey.toml and logo.")
def init(directory: Path, force: bool) -> None:
    """Create a commented survey.toml (and a logo) for an example business in DIRECTORY."""
    from .. import scaffold

    try:
        written = scaffold.init(directory, force=force)
    except scaffold.ScaffoldError as exc:
        raise InputError(str(exc)) from None
    for path in written:
        click.echo(f"wrote {path}")
    click.echo("\nNext steps:")
    if directory.resolve() != Path.cwd().resolve():
        click.echo(f"  cd {directory}")
    click.echo("  wowcard build      # render the survey pages into build/")
    click.echo("  wowcard serve      # serve the pages locally and collect the answers")


@click.command()
@survey_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: the survey's `output`, build/ beside survey.toml).",
)
@click.option(
    "--collector-url",
    default=None,
    metavar="URL",
    help="Where pages post answers (default: the same origin, /api/s/<survey>/responses).",
)
@click.option(
    "--templates",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="A theme folder overriding templates by file name (default: templates/ beside survey.toml).",
)
@click.option(
    "--publish/--no-publish",
    default=True,
    show_default=True,
    help="Publish the definition to the survey's [store] when it is a SQLite file already there, so a "
    "running `wowcard serve` accepts the new pages' answers at once (never creates a store, never AWS).",
)
def build(
    survey_path: Path, out: Path | None, collector_url: str | None, templates: Path | None, publish: bool
) -> None:
    """Render the survey pages, thank-you and error pages and survey.json."""
    from .. import build as site_build
    from ..build_result import BuildError

    survey = load_survey(survey_path)
    try:
        result = site_build.build_site(
            survey,
            out=out,
            collector_url=collector_url,
            templates=templates,
            progress=True,
            published=published_definitions(survey),
        )
    except BuildError as exc:
        raise InputError(str(exc)) from None
    click.echo(result.summary())
    if publish:
        _publish_locally(survey)


def _publish_locally(survey: Survey) -> None:
    """Publish to the survey's own SQLite store if it exists (what `wowcard serve` collects into)."""
    from ..collector.store import StoreError, open_store
    from ..publishing import local_store
    from ..publishing import publish as publish_definition

    path = local_store(survey)
    if path is None:
        return
    where = f"SQLite store {path}"
    try:
        store = open_store(f"sqlite:{path}")
        try:
            published = publish_definition(store, survey.definition())
        finally:
            store.close()
    except (StoreError, OSError, sqlite3.Error) as exc:
        raise click.ClickException(
            f"the pages are built, but the definition could not be published to the {where}: {exc}; "
            "run `wowcard publish` before answers from the new pages can be accepted"
        ) from None
    click.echo(published.sentence(where))


def published_definitions(survey: Survey) -> list[Definition]:
    """The survey's published versions from its own SQLite store, when there is one on this machine: with the
    previous build's manifest, they tell the build which printed pages need a hand-off page. A store that
    cannot be read is said on stderr and the build goes on from the manifest alone."""
    import sqlite3

    from ..collector.store import StoreError, open_store
    from ..store_select import sqlite_path

    kind, _, where = survey.store.partition(":")
    if kind != "sqlite" or not sqlite_path(where, survey.folder).is_file():
        return []
    try:
        store = open_store(survey.store, survey.folder)
        try:
            return names.readable(store.definitions(survey.id))
        finally:
            store.close()
    except (StoreError, sqlite3.Error, OSError) as exc:
        click.echo(f"note: could not read the published versions in {survey.store} ({exc})", err=True)
        return []


COMMANDS = [init, build]
