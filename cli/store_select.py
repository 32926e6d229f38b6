"""Which store a reading or maintenance command talks to: the `store_options` decorator every such command
wears, and `opened_store()`, which opens it and turns store failures into one clear sentence.

The choice, in order: an explicit `--store sqlite:PATH|dynamodb:TABLE` (a relative PATH is relative to the
working directory, as the user typed it), else `--stage NAME` (the table of that deployed stage, read from
its CloudFormation outputs: no state file on a laptop), else `[store] url` of survey.toml (a relative PATH
is relative to survey.toml). A malformed URL is input the user can fix (exit 2); a store that cannot be
reached is a failed operation (exit 1), DESIGN.md "Exit codes".
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .options import InputError

if TYPE_CHECKING:
    from .collector.store import Store
    from .collector.survey import Survey

STORE_URL = re.compile(r"^(sqlite:.+|dynamodb:[A-Za-z0-9_.-]{3,255})$")


@dataclass(frozen=True, slots=True)
class StoreChoice:
    """What the store options said; `url` None means "the survey's own store"."""

    url: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    profile: str | None = None
    stage: str | None = None


def store_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add --store, --stage, --region, --endpoint-url and --profile to a command; it receives them as one
    `store_choice: StoreChoice` keyword argument."""

    @functools.wraps(func)
    def wrapper(
        *args: Any,
        store_url: str | None,
        region: str | None,
        endpoint_url: str | None,
        profile: str | None,
        stage: str | None,
        **kwargs: Any,
    ) -> Any:
        if store_url is not None and stage is not None:
            raise InputError("--store and --stage name two stores; give one of them")
        choice = StoreChoice(
            url=store_url, region=region, endpoint_url=endpoint_url, profile=profile, stage=stage
        )
        return func(*args, store_choice=choice, **kwargs)

    options = [
        click.option(
            "--store",
            "store_url",
            metavar="sqlite:PATH|dynamodb:TABLE",
            default=None,
            help="Read this store instead of the survey's [store] url.",
        ),
        click.option(
            "--stage",
            metavar="NAME",
            default=None,
            help="The store of this deployed stage (`wowcard deploy --stage NAME`), found from its stack.",
        ),
        click.option("--region", default=None, help="AWS region of the DynamoDB table."),
        click.option(
            "--endpoint-url",
            default=None,
            metavar="URL",
            help="Another DynamoDB endpoint (a local moto_server or DynamoDB Local).",
        ),
        click.option("--profile", default=None, help="A named AWS profile for DynamoDB."),
    ]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


def deployed(choice: StoreChoice, survey: Survey) -> StoreChoice:
    """Turn `--stage NAME` into the deployed stage's table and region (read from its stack outputs);
    any other choice is returned as it is."""
    if choice.stage is None:
        return choice
    outputs = _stage_outputs(survey.id, choice.stage, choice.region, choice.profile)
    return replace(choice, url=outputs["store_url"], region=outputs["region"], stage=None)


def deployed_site_url(choice: StoreChoice, survey: Survey) -> str:
    """The public URL (CloudFront) of the deployed stage `choice.stage`: where printed cards should point."""
    assert choice.stage is not None
    return _stage_outputs(survey.id, choice.stage, choice.region, choice.profile)["site_url"]


def _stage_outputs(survey_id: str, stage: str, region: str | None, profile: str | None) -> dict[str, str]:
    from .deploy import AwsSetupError, DeployError, stage_outputs

    try:
        return stage_outputs(survey_id, stage, region=region, profile=profile)
    except AwsSetupError as exc:
        raise InputError(str(exc)) from None
    except DeployError as exc:
        raise click.ClickException(str(exc)) from None


def resolve(choice: StoreChoice, survey: Survey) -> tuple[str, Path]:
    """The store URL and the folder a relative `sqlite:` path is relative to. Raises InputError (exit 2)
    for a URL that is neither sqlite:PATH nor dynamodb:TABLE."""
    choice = deployed(choice, survey)
    if choice.url is not None:
        if not STORE_URL.match(choice.url):
            raise InputError(f'--store: "{choice.url}" is not a store; use sqlite:PATH or dynamodb:TABLE')
        return choice.url, Path.cwd()
    return survey.store, survey.folder


def describe(url: str, folder: Path) -> str:
    """The store as a person reads it: the SQLite file's path, or the DynamoDB table."""
    kind, _, where = url.partition(":")
    if kind == "sqlite":
        return f"SQLite store {sqlite_path(where, folder)}"
    return f"DynamoDB table {where}"


def sqlite_path(where: str, folder: Path) -> Path:
    path = Path(where).expanduser()
    return path if path.is_absolute() else folder / path


@contextmanager
def opened_store(survey: Survey, choice: StoreChoice, *, must_exist: bool = True) -> Iterator[Store]:
    """Open the chosen store for the duration of a command and close it after. A store that cannot be
    opened or fails while in use ends the command with exit 1 and a sentence naming the store; a SQLite
    file that does not exist yet is reported rather than silently created (when `must_exist`)."""
    from .collector.store import StoreError, open_store

    choice = deployed(choice, survey)
    url, folder = resolve(choice, survey)
    name = describe(url, folder)
    if must_exist and url.startswith("sqlite:") and not sqlite_path(url[len("sqlite:") :], folder).is_file():
        raise click.ClickException(
            f"{name} does not exist: nothing has been collected there yet (check [store] in survey.toml "
            "or --store)"
        )
    try:
        store = open_store(
            url, str(folder), region=choice.region, endpoint_url=choice.endpoint_url, profile=choice.profile
        )
    except (StoreError, OSError, sqlite3.Error) as exc:
        raise click.ClickException(f"cannot open the {name}: {exc}") from None
    try:
        yield store
    except (StoreError, sqlite3.Error) as exc:
        raise click.ClickException(f"the {name} failed: {exc}") from None
    except Exception as exc:
        if _is_aws_error(exc):
            raise click.ClickException(f"the {name} could not be read: {exc}") from None
        raise
    finally:
        store.close()


def _is_aws_error(exc: Exception) -> bool:
    """botocore's errors (no credentials, endpoint unreachable, access denied, no such table), recognised
    without importing botocore for commands that never touch AWS."""
    return type(exc).__module__.startswith(("botocore", "boto3"))
