"""`wowcard serve` and `wowcard publish`: collect answers on this machine, publish a survey definition."""

from __future__ import annotations

import shlex
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click

from ..options import InputError, load_survey, survey_option
from ..serve_limits import MAX_CONNECTIONS, RATE_PER_MINUTE, Limits
from ..store_select import StoreChoice, describe, opened_store, resolve, store_options


@click.command()
@survey_option
@store_options
def publish(survey_path: Path, store_choice: StoreChoice) -> None:
    """Store the survey's compiled definition beside its responses, so the collector accepts answers from
    pages built from it. Every published version is kept: pages already on phones keep working."""
    from ..publishing import publish as publish_definition

    survey = load_survey(survey_path)
    url, folder = resolve(store_choice, survey)
    with opened_store(survey, store_choice, must_exist=False) as store:
        published = publish_definition(store, survey.definition())
    click.echo(published.sentence(describe(url, folder)))


@click.command()
@survey_option
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on (0: any free port; the URL printed says which).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (0.0.0.0 lets phones on your network answer).",
)
@click.option(
    "--max-connections",
    type=click.IntRange(1, 100_000),
    default=MAX_CONNECTIONS,
    show_default=True,
    help="Connections served at once; more are answered 503 at once.",
)
@click.option(
    "--rate-limit",
    type=click.IntRange(0, 1_000_000),
    default=RATE_PER_MINUTE,
    show_default=True,
    help="Requests per minute from one client address (a shop's Wi-Fi is one address); 0: no limit.",
)
def serve(survey_path: Path, port: int, host: str, max_connections: int, rate_limit: int) -> None:
    """Serve the survey pages and the collector from one origin, storing answers in the survey's [store]
    (SQLite beside survey.toml by default). Publishes the current definition and rebuilds stale pages first.
    Ctrl-C stops it; answers already received are kept."""
    from .. import serve as serving

    survey = load_survey(survey_path)
    stop = threading.Event()  # Ctrl-C or SIGTERM from here on means: stop cleanly, whatever is under way
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        limits = Limits(max_connections=max_connections, rate_per_minute=rate_limit)
        server = serving.Server(survey, host, port, limits=limits)
    except serving.ServeError as exc:
        raise click.ClickException(str(exc)) from None
    from ..build_result import BuildError

    try:
        prepared = serving.prepare(survey)
    except serving.ServeError as exc:
        server.httpd.server_close()
        raise click.ClickException(str(exc)) from None
    except BuildError as exc:
        server.httpd.server_close()
        raise InputError(str(exc)) from None
    server.start()
    if prepared.rebuilt:
        click.echo(f"built the pages into {prepared.site} ({prepared.rebuilt})")
    definition = survey.definition()
    state = "published" if prepared.published else "already published"
    url, folder = resolve(StoreChoice(), survey)
    click.echo(f"{survey.id} version {definition.version} {state} to the {describe(url, folder)}")
    click.echo(f"\nServing {survey.brand.name} on {server.url}/ — open a survey page:")
    width = max(len(name) for name, _ in server.location_urls())
    for name, page in server.location_urls():
        click.echo(f"  {name.ljust(width)}  {page}")
    _network(server, host, width)
    if server.httpd.file_limit is not None:
        click.echo(
            f"At most {server.httpd.max_connections} connections at once: this process may open "
            f"{server.httpd.file_limit} files (raise it with `ulimit -n`)."
        )
    click.echo(f"\nCollector API: {server.url}/api/healthz (OpenAPI: {server.url}/api/openapi.json)")
    click.echo(f"Pull the results:  wowcard results -s {shlex.quote(str(survey_path))}")
    click.echo("Ctrl-C stops the server; answers already received are kept.")
    while not stop.wait(1.0):
        pass
    click.echo("\nStopping: finishing requests in flight…")
    server.stop()
    click.echo("Stopped; every answer received is stored.")


def _network(server: Any, host: str, width: int) -> None:
    """The pages at this machine's network addresses, and a QR code of the first for the owner's phone."""
    from ..lan import WILDCARDS, print_qr

    bases = server.network_urls()
    if not bases:
        if host in WILDCARDS:
            click.echo("\nNo network address found: connect this machine to the shop's network to reach it.")
        return
    click.echo("\nOn your network (phones on the same Wi-Fi):")
    for base in bases:
        for name, page in server.location_urls(base):
            click.echo(f"  {name.ljust(width)}  {page}")
    first = server.location_urls(bases[0])[0][1]
    click.echo(f"\nScan with your phone to open {first}")
    print_qr(first, sys.stdout)


COMMANDS = [serve, publish]
