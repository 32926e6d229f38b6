"""The origin secret: on AWS the API answers only requests that came through the survey's own CloudFront.

CloudFront adds a header (`x-wowcard-origin`) holding a secret to every request it sends to API Gateway
(an origin custom header: a viewer's own header of that name is overwritten). Anyone calling the
execute-api URL directly, around CloudFront and its limits, lacks it and gets 403 before anything else runs.

The secrets live in one SSM SecureString parameter (`wowcard deploy` writes it; the template names it, never
its value): the current secret first, then, while a rotation is under way, the previous one, separated by
whitespace. Any listed secret is accepted, so requests signed with the old one (CloudFront edges not yet
updated) keep working until the rotation ends. The list is read on first use and kept for CACHE_SECONDS; a
secret not in the cached list triggers one re-read at most every REREAD_SECONDS, so a new secret is accepted
within seconds and a dropped one stops being accepted within minutes, without an SSM call per request.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import ssm

HEADER = "x-wowcard-origin"
CACHE_SECONDS = 300.0
REREAD_SECONDS = 30.0


class SecretUnavailable(Exception):
    """The secrets could not be read (SSM failed) and none are cached: answer 503, the page retries."""


@dataclass
class OriginGuard:
    """Decides whether a request carries one of the current origin secrets. `read` returns the parameter's
    value (whitespace-separated secrets)."""

    read: Callable[[], str]
    clock: Callable[[], float] = time.monotonic
    _secrets: tuple[str, ...] = field(default=(), repr=False)
    _read_at: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def allows(self, presented: str | None) -> bool:
        if not presented:
            return False
        with self._lock:
            now = self.clock()
            if self._read_at is None or now - self._read_at >= CACHE_SECONDS:
                self._refresh(now)
            if _listed(presented, self._secrets):
                return True
            if self._read_at is not None and now - self._read_at >= REREAD_SECONDS:
                self._refresh(now)  # perhaps a rotation began after the last read
                return _listed(presented, self._secrets)
            return False

    def _refresh(self, now: float) -> None:
        try:
            self._secrets = tuple(self.read().split())
        except SecretUnavailable:
            if not self._secrets:
                raise  # nothing to judge by: 503, and the next request tries again
            # keep what was read last and try again after REREAD_SECONDS
        self._read_at = now


def _listed(presented: str, secrets: tuple[str, ...]) -> bool:
    # compare_digest against every listed secret, not stopping at a match: timing says nothing
    found = False
    for secret in secrets:
        found |= hmac.compare_digest(presented.encode(), secret.encode())
    return found


@dataclass
class SsmSecrets:
    """Reads the SSM SecureString parameter holding the secrets (the client is made on first use)."""

    name: str
    region: str | None = None
    endpoint_url: str | None = None
    client: Any = None

    def __call__(self) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            if self.client is None:
                self.client = ssm.client(self.region, self.endpoint_url)
            return ssm.read(self.client, self.name)
        except (ClientError, BotoCoreError) as exc:
            raise SecretUnavailable(f"SSM parameter {self.name}: {type(exc).__name__}") from None


def guard_from(spec: str, region: str | None = None, endpoint_url: str | None = None) -> OriginGuard:
    """ "ssm:NAME" (on AWS: the parameter) or the secrets themselves (tests, a self-hosted proxy)."""
    if spec.startswith("ssm:"):
        return OriginGuard(SsmSecrets(spec[len("ssm:") :], region, endpoint_url))
    return OriginGuard(lambda: spec)
