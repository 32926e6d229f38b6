"""The collector's configuration: environment variables read once at import, and the store made on first use.

Nothing slow happens here at import time (the Lambda pays for every import on a cold start): the store, and
with it any boto3 client, is opened by the first request that needs it and then kept for the life of the
process (Chalice's `get_store()` pattern). `wowcard serve` and the tests change the settings with
`configure()`, which closes the store it replaces.

| variable                         | default                      | meaning                                  |
|----------------------------------|------------------------------|------------------------------------------|
| WOWCARD_STORE                    | sqlite:.wowcard/responses.db | `sqlite:PATH` or `dynamodb:TABLE`        |
| WOWCARD_STORE_FOLDER             | the working directory        | where a relative `sqlite:` path starts   |
| WOWCARD_AWS_REGION               | boto3's (AWS_REGION)         | region of the DynamoDB table             |
| WOWCARD_AWS_ENDPOINT_URL         | none                         | another DynamoDB endpoint (moto_server)  |
| WOWCARD_AWS_PROFILE              | none                         | a named AWS profile (never in Lambda)    |
| WOWCARD_DEFINITION_CACHE_SECONDS | 60                           | how long a published definition is kept  |
| WOWCARD_REDIRECT_BASE            | the definition's site_url    | base of form redirects ("": same origin) |
| WOWCARD_ALERTS_SURVEY            | none                         | the survey whose alerts the schedule     |
|                                  |                              | sends (AWS)                              |
| WOWCARD_ALERTS_WEBHOOK           | none                         | where the webhook URL is: `ssm:NAME` on  |
|                                  |                              | AWS (never the URL itself in a template) |
| WOWCARD_ORIGIN_SECRET            | none (every request allowed) | `ssm:NAME`: only requests carrying a     |
|                                  |                              | secret listed there are answered (AWS)   |
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .survey import DEFAULT_STORE

if TYPE_CHECKING:
    from .alerts import Sender
    from .definitions import Definitions
    from .origin import OriginGuard
    from .store import Store

log = logging.getLogger("wowcard.collector")

DEFAULT_DEFINITION_CACHE_SECONDS = 60.0


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Settings:
    store_url: str = DEFAULT_STORE
    store_folder: str = "."
    aws_region: str | None = None
    aws_endpoint_url: str | None = None
    aws_profile: str | None = None
    definition_cache_seconds: float = DEFAULT_DEFINITION_CACHE_SECONDS
    # None: redirect to the definition's site_url; "" (what `wowcard serve` sets): same origin, relative.
    redirect_base: str | None = None
    # Where "now" comes from: days are cut from the server's receive time; tests set their own clock.
    clock: Callable[[], datetime] = field(default=utc_now, compare=False)
    # The scheduled alert sender (AWS): which survey, and where its webhook URL is ("ssm:NAME").
    alerts_survey: str | None = None
    alerts_webhook: str | None = field(default=None, repr=False)
    # Where the origin secrets are ("ssm:NAME", see origin.py); None: no check (`wowcard serve`, tests).
    origin_secret: str | None = field(default=None, repr=False)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        return cls(
            store_url=environ.get("WOWCARD_STORE") or DEFAULT_STORE,
            store_folder=environ.get("WOWCARD_STORE_FOLDER") or os.getcwd(),
            aws_region=environ.get("WOWCARD_AWS_REGION") or None,
            aws_endpoint_url=environ.get("WOWCARD_AWS_ENDPOINT_URL") or None,
            aws_profile=environ.get("WOWCARD_AWS_PROFILE") or None,
            definition_cache_seconds=_seconds(environ.get("WOWCARD_DEFINITION_CACHE_SECONDS")),
            redirect_base=environ.get("WOWCARD_REDIRECT_BASE"),
            alerts_survey=environ.get("WOWCARD_ALERTS_SURVEY") or None,
            alerts_webhook=environ.get("WOWCARD_ALERTS_WEBHOOK") or None,
            origin_secret=environ.get("WOWCARD_ORIGIN_SECRET") or None,
        )


def _seconds(value: str | None) -> float:
    if value in (None, ""):
        return DEFAULT_DEFINITION_CACHE_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 86400:
        log.warning(
            "WOWCARD_DEFINITION_CACHE_SECONDS=%r is not a number of seconds from 0 to 86400; using %s",
            value,
            DEFAULT_DEFINITION_CACHE_SECONDS,
        )
        return DEFAULT_DEFINITION_CACHE_SECONDS
    return seconds


settings = Settings.from_environ(os.environ)

_lock = threading.Lock()
_store: Store | None = None
_definitions: Definitions | None = None
_salts: dict[str, bytes] = {}
_sender: Sender | None = None
_guard: OriginGuard | None = None


def get_store() -> Store:
    """The store of the current settings, opened on first use and shared by every request and thread."""
    global _store
    with _lock:
        if _store is None:
            from .store import open_store

            current = settings
            _store = open_store(
                current.store_url,
                current.store_folder,
                region=current.aws_region,
                endpoint_url=current.aws_endpoint_url,
                profile=current.aws_profile,
            )
        return _store


def get_definitions() -> Definitions:
    """The cache of published definitions in front of the store."""
    global _definitions
    with _lock:
        if _definitions is None:
            from .definitions import Definitions

            _definitions = Definitions(get_store, settings.definition_cache_seconds)
        return _definitions


def get_fairness_salt(survey: str) -> bytes:
    """The survey's fairness salt: read (or made) once, then kept; it never changes."""
    with _lock:
        salt = _salts.get(survey)
    if salt is None:
        salt = get_store().fairness_salt(survey)
        with _lock:
            _salts[survey] = salt
    return salt


def get_sender() -> Sender | None:
    """The alert sender the scheduled handler runs, or None when no alerts are configured (AWS: the
    environment names the survey and where its webhook is). Kept while the store is (it caches the webhook
    URL read from SSM)."""
    global _sender
    current = settings
    if not current.alerts_survey or not current.alerts_webhook:
        return None
    store = get_store()
    with _lock:
        if _sender is None or _sender.store is not store:
            from .alerts import Sender, webhook_source

            webhook = webhook_source(current.alerts_webhook, region=current.aws_region)
            _sender = Sender(store=store, survey=current.alerts_survey, webhook=webhook)
        return _sender


def get_origin_guard() -> OriginGuard | None:
    """The origin-secret check of the current settings (made on first use, then kept with its cache), or
    None when the settings name no secret."""
    global _guard
    current = settings
    if current.origin_secret is None:
        return None
    with _lock:
        if _guard is None:
            from .origin import guard_from

            _guard = guard_from(current.origin_secret, current.aws_region, current.aws_endpoint_url)
        return _guard


def now() -> datetime:
    return settings.clock()


def configure(**changes: Any) -> Settings:
    """Replace some settings (names as in `Settings`); the store and cache of the old settings are closed."""
    global settings
    close()
    with _lock:
        settings = replace(settings, **changes)
        return settings


def close() -> None:
    """Close the store (at shutdown, or before the settings change); the next request opens it again."""
    global _store, _definitions, _sender, _guard
    with _lock:
        store, _store, _definitions, _sender, _guard = _store, None, None, None, None
        _salts.clear()
    if store is not None:
        store.close()
