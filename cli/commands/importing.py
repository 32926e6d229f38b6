"""`wowcard import FILE.csv`: paper cards and history into the survey's store (see `wowcard.importer`)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from ..collector import names
from ..collector.survey import printable
from ..options import InputError, load_survey, survey_option
from ..store_select import StoreChoice, describe, opened_store, resolve, store_options


@click.command("import")
@survey_option
@store_options
@click.argument("csv_file", metavar="FILE.csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--src",
    "source",
    default="paper",
    show_default=True,
    metavar="TAG",
    help="Where the answers came from, for rows without a src column.",
)
@click.option("--dry-run", is_flag=True, help="Check every row and say what would be stored; store nothing.")
def import_answers(
    survey_path: Path, store_choice: StoreChoice, csv_file: Path, source: str, dry_run: bool
) -> None:
    """Import answers from a CSV file (paper wow cards, history): columns date, location, wow, staff, what,
    people, process, product, promises (ids separated by ;), comment, lang, src. Every row is checked first;
    one bad row and nothing is stored (exit 2). Importing the same file again stores nothing new."""
    from .. import importer

    survey = load_survey(survey_path)
    definition = survey.definition()
    url, folder = resolve(store_choice, survey)
    where = describe(url, folder)
    with opened_store(survey, store_choice) as store:
        published = names.readable(store.definitions(survey.id))
        if definition.version not in {d.version for d in published}:
            raise InputError(
                f"{survey.id} version {definition.version} (survey.toml as it is now) is not published "
                f"to the {where}; run `wowcard publish` first, so the answers are checked against what "
                "the store knows"
            )
        try:
            plan = importer.plan(
                csv_file, definition, earlier=published[::-1], source=source, now=datetime.now(UTC)
            )
        except importer.ImportProblem as exc:
            raise InputError(str(exc)) from None
        outcome = importer.check(store, plan) if dry_run else importer.write(store, plan)
    summary = plan.summary()
    span = f" from {summary['first_day']} to {summary['last_day']}" if summary["rows"] else ""
    per_location = ", ".join(f"{loc} {n}" for loc, n in summary["locations"].items())
    verb = "would store" if dry_run else "stored"
    name = printable(str(csv_file))
    click.echo(
        f"{name}: {outcome.rows} rows{span}; {verb} {outcome.stored} answers in the {where}"
        + (f", {outcome.already} already stored" if outcome.already else "")
    )
    if per_location:
        click.echo(f"by location: {per_location}")
    if dry_run:
        click.echo("dry run: nothing was stored")


COMMANDS = [import_answers]
