"""`wowcard serve`: the survey pages and the very same Chalice collector, from one origin on this machine.

`/api/…` goes to the collector's Chalice `app` through `chalice.local.LocalGateway` (the `/api` prefix is
stripped, as API Gateway's stage `api` does behind CloudFront); every other path is a file of the built site.
The store is the survey's `[store]` (SQLite beside survey.toml by default). Before serving, the current
definition is published and the pages are rebuilt when they are missing or older than their sources.

With `[alerts]` in survey.toml a background thread sends the alerts the collector queued (one outbox entry per
qualifying answer, written with the response): it sweeps the outbox every second, so an alert reaches the
webhook within a few seconds of the answer, and never while the customer waits for theirs. The webhook URL
is read from the owner's environment ("env:NAME") when an alert is sent.

No client can take the server from the others (cli/serve_limits.py, docs/serve.md): a bounded number of
connections (idle ones give way first, one address holds at most a quarter), a deadline for each request
however slowly it drips, a rate limit per client address (429 with Retry-After), every body read or the
connection closed and ambiguous framing refused (no request smuggling), and a descriptor kept in reserve to
answer 503 when the process runs out. Pages are gzip-compressed for browsers that take it, as CloudFront does.

This module prepares (the store, the published definition, fresh pages) and runs the server; what answers a
request is serve_requests.py, what accepts connections serve_http.py, the alert sender serve_alerts.py, the
limits serve_limits.py.

Shutting down (Ctrl-C, SIGTERM) stops accepting, lets every request in flight finish (a response is stored
in one transaction or not at all), closes idle connections, lets an alert being sent finish, and then closes
the store: nothing is lost (an alert not yet sent stays in the outbox for the next start).
"""

from __future__ import annotations

import errno
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .collector import config
from .collector.survey import Survey
from .serve_alerts import AlertWorker
from .serve_http import HTTPServer
from .serve_limits import Limits
from .serve_requests import make_gateway


class ServeError(Exception):
    """The server could not start (the port is taken, the store cannot be opened): exit 1 with this text."""


# --- preparing: the store, the published definition, fresh pages ----------------------------------------


@dataclass(frozen=True, slots=True)
class Prepared:
    site: Path  # the build output folder served at /
    published: bool  # the current definition was new to the store
    rebuilt: str | None  # why the pages were built, or None when they were fresh


def store_folder(survey: Survey) -> str:
    return str(survey.folder)


def prepare(survey: Survey, build: bool = True) -> Prepared:
    """Point the collector at the survey's store, publish the current definition, build stale pages."""
    from .collector.store import StoreError

    config.configure(store_url=survey.store, store_folder=store_folder(survey), redirect_base="")
    try:
        published = config.get_store().publish(survey.definition().to_json())
    except StoreError as exc:
        raise ServeError(f"cannot open the store {survey.store}: {exc}") from None
    site = survey.output
    reason = stale_reason(survey, site) if build else None
    if reason is not None:
        from .build import build_site

        build_site(survey)
    return Prepared(site=site, published=published, rebuilt=reason)


def stale_reason(survey: Survey, site: Path) -> str | None:
    """Why the built pages must be rebuilt before serving, or None when they are fresh."""
    manifest = site / survey.id / "survey.json"
    try:
        built = json.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return "the pages were not built yet"
    except (OSError, ValueError):
        return f"{manifest} is unreadable"
    if not isinstance(built, dict) or built.get("version") != survey.definition().version:
        return "survey.toml changed since the last build"
    outputs = [p for p in (site / survey.id).rglob("*") if p.is_file()]
    oldest_output = min(p.stat().st_mtime for p in outputs)
    for source in _sources(survey):
        if source.stat().st_mtime > oldest_output:
            return f"{source.name} is newer than the pages"
    return None


def _sources(survey: Survey) -> Iterator[Path]:
    if survey.source is not None:
        yield survey.source
    if survey.brand.logo is not None and survey.brand.logo.is_file():
        yield survey.brand.logo
    theme = survey.folder / "templates"
    packaged = Path(str(resources.files("wowcard.site_templates")))
    for folder in (theme, packaged):
        if folder.is_dir():
            yield from (p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


# --- running --------------------------------------------------------------------------------------------


class Server:
    """One origin: the built pages and the collector. `start()` serves in a thread; `stop()` shuts down
    cleanly (call it from another thread than the one serving)."""

    def __init__(
        self,
        survey: Survey,
        host: str = "127.0.0.1",
        port: int = 8000,
        site: Path | None = None,
        alerts: AlertWorker | None = None,
        limits: Limits | None = None,
        rate_clock: Callable[[], float] = time.monotonic,
    ):
        from .collector.app import app

        self.survey = survey
        # The alert sender, when survey.toml has [alerts] (tests pass their own, with a fast clock).
        self.alerts = alerts if alerts is not None else (AlertWorker(survey) if survey.alerts else None)
        site = survey.output if site is None else site
        try:
            self.httpd = HTTPServer(
                (host, port), site, make_gateway(app), survey, limits or Limits(), rate_clock
            )
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ServeError(
                    f"port {port} on {host} is already in use; "
                    "stop the other server or choose another with --port"
                ) from None
            raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        self._thread: threading.Thread | None = None
        self._stopped = threading.Lock()

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def host(self) -> str:
        """The address listened on. socketserver types it for every socket family (a Unix socket's name may
        be bytes); an IPv4 or IPv6 socket's is always a str."""
        host = self.httpd.server_address[0]
        assert isinstance(host, str)
        return host

    @property
    def url(self) -> str:
        host = self.host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def location_urls(self, base: str | None = None) -> list[tuple[str, str]]:
        prefix, base = self.httpd.prefix, base or self.url
        return [(loc.name, f"{base}{prefix}/{self.survey.id}/{loc.id}/") for loc in self.survey.locations]

    def network_urls(self) -> list[str]:
        """Where phones on the network reach this server (none when it listens on loopback only)."""
        from .lan import network_addresses, url_host

        return [f"http://{url_host(address)}:{self.port}" for address in network_addresses(self.host)]

    def start(self) -> Server:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2}, name="wowcard-serve", daemon=True
        )
        self._thread.start()
        if self.alerts is not None:
            self.alerts.start()
        return self

    def stop(self) -> None:
        """Stop accepting, finish requests in flight, close idle connections, then close the store."""
        if not self._stopped.acquire(blocking=False):
            return
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join()
        self.httpd.connections.close_idle()
        self.httpd.server_close()  # joins every request thread
        if self.alerts is not None:
            self.alerts.stop()
        config.close()


@contextmanager
def running(
    survey: Survey,
    host: str = "127.0.0.1",
    port: int = 0,
    build: bool = True,
    alerts: AlertWorker | None = None,
    limits: Limits | None = None,
    rate_clock: Callable[[], float] = time.monotonic,
) -> Iterator[Server]:
    """Prepare and serve in a background thread for the duration of the block (tests, benchmarks)."""
    server = Server(survey, host, port, alerts=alerts, limits=limits, rate_clock=rate_clock)
    try:
        prepare(survey, build=build)
    except BaseException:
        server.httpd.server_close()
        raise
    server.start()
    try:
        yield server
    finally:
        server.stop()
