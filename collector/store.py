"""The Store contract that both engines (SQLite, DynamoDB) keep, the records they exchange, and their errors.

Invariants (DESIGN.md "Storage"): a response id is stored at most once and a repeat is answered as success;
a response and its tally increments are written in one transaction; reports read tallies, never raw
responses; tallies are sharded by a hash of the response id and readers add the shards up.

Two more things ride in the response's transaction (so they are exact, and a duplicate adds neither):
- the alert outbox: an answer that should alert the owner at once (or be shouted out to the team) gets exactly
  one pending alert, which a sender (alerts.py) claims with a lease, delivers after the customer was answered,
  and then deletes (or, in a burst, counts in a summary and keeps as "held" for a week);
- fair recognition: per-device and per-network, per-day, per-staff counters; a recognition past either of the
  survey's limits is stored and counted, but flagged (`flagged: True`, tallied as `flagged:<staff>` too).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from . import tally

# A stored response is a plain dict (JSON-safe) with these keys; `tally.increments()` reads it.
RESPONSE_FIELDS = (
    "id",  # response id: the page's, or the server's hash for a no-JavaScript post
    "survey",
    "version",  # definition version the page was built from
    "received_at",  # server receive time, UTC, ISO 8601 with "Z"
    "day",  # yyyy-mm-dd of received_at in the survey's time zone
    "shard",
    "location",
    "lang",
    "src",  # card / sign / receipt …, or None
    "wow",  # "yes", "no" or None (not answered)
    "staff",  # staff id, "_" for "I didn't catch their name", or None
    "what",  # what they did (personal: redacted)
    "people",
    "process",
    "product",  # ratings 1-5 or None
    "promises",  # list of promise ids
    "comment",  # personal: redacted
    "contact",  # personal: redacted; only kept with consent
    "has_story",  # counted flags that survive redaction
    "has_comment",
    "followup",  # contact given with consent: the owner should call back
    "flagged",  # fair recognition: past the limit of recognitions of one staff member from one device a day
    "done_at",  # follow-up closed at (UTC ISO) or None
    "note",  # the owner's note when closing a follow-up
    "redacted_at",  # when retention removed the personal fields, or None
)
PERSONAL_FIELDS = ("what", "comment", "contact", "note")


class StoreError(Exception):
    """The store could not do what was asked (unreachable, throttled past the retries, misconfigured)."""


class StoreUnavailable(StoreError):
    """Retries ran out: the collector answers 503 with Retry-After and the page keeps the answer queued."""

    def __init__(self, message: str, retry_after: int = 5):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Record:
    """One response ready to store, with the counters it adds (computed once, by `tally.increments`)."""

    response: dict[str, Any]
    increments: dict[str, int]
    # Other ids whose presence means this response is already stored (a no-JavaScript double tap: the ids
    # the same post had in each of the 10 seconds before and after: under load the later of two taps may be
    # stored first), when received between `aliases_since` and `aliases_until` (`received_at` strings; None:
    # whenever). Checked in the same transaction as the put.
    aliases: tuple[str, ...] = ()
    aliases_since: str | None = None
    aliases_until: str | None = None
    # Fair recognition: the day's keyed hash of the device (fairness.py), or None when the answer recognises
    # no staff member. The store counts it per (day, device, staff) in the same transaction and flags the
    # recognition when `limit` were counted already. The same for the network it came from (`network`,
    # `network_limit`): flagged when either key has reached its limit.
    device: str | None = None
    limit: int = 0
    network: str | None = None
    network_limit: int = 0
    # Why this answer alerts the owner at once ("followup", "low_rating"); empty: it does not. The store
    # writes one pending alert in the same transaction.
    alert: tuple[str, ...] = ()

    @property
    def survey(self) -> str:
        return self.response["survey"]

    @property
    def id(self) -> str:
        return self.response["id"]

    @property
    def shard(self) -> int:
        return self.response["shard"]

    @property
    def day(self) -> str:
        return self.response["day"]

    @property
    def location(self) -> str:
        return self.response["location"]

    @property
    def received_epoch(self) -> float:
        return received_epoch(self.response["received_at"])

    def counters(self) -> list[tuple[str, int]]:
        """The recognition counters this record adds one to, each with its limit (0: no limit)."""
        keys = [(self.device, self.limit), (self.network, self.network_limit)]
        return [(key, limit) for key, limit in keys if key is not None]

    def pending_alert(self) -> Alert:
        """The outbox entry of this record's alert: pending, due (and tried since) when it was received."""
        received = self.received_epoch
        return Alert(
            self.survey,
            self.id,
            self.shard,
            self.alert,
            self.response["received_at"],
            due=received,
            since=received,
        )

    def flagged(self) -> Record:
        """The same record with its recognition flagged: `flagged: True` and the increments that follow. A
        flagged recognition is never shouted out: its "recognition" alert goes (other reasons stay)."""
        response = {**self.response, "flagged": True}
        alert = tuple(reason for reason in self.alert if reason != RECOGNITION)
        return replace(self, response=response, increments=tally.increments(response), alert=alert)


def received_epoch(received_at: str) -> float:
    """Seconds since the epoch of a stored `received_at` ("…Z")."""
    from datetime import datetime

    return datetime.fromisoformat(received_at.replace("Z", "+00:00")).timestamp()


def iso_time(epoch: float) -> str:
    """A stored time ("…Z", microseconds) from seconds since the epoch."""
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


ALERT_PENDING = "pending"
ALERT_FAILED = "failed"
ALERT_HELD = "held"  # counted in a summary message during a burst instead of sent on its own
HELD_KEEP_SECONDS = 7 * 86400  # a held alert stays listed (`wowcard alerts --held`) for a week
RECOGNITION = "recognition"  # the alert reason of a shout-out
DIGEST_PREFIX = "digest:"  # outbox id of a week's digest, "digest:2025-W10" (never a response id)


@dataclass(frozen=True, slots=True)
class Alert:
    """One outbox entry: the response to tell the owner about and where its delivery stands. Times are
    seconds since the epoch. The payload is built from the stored response when it is sent, so the outbox
    holds no copy of what the customer wrote."""

    survey: str
    response_id: str
    shard: int
    reasons: tuple[str, ...]
    received_at: str
    # "pending" (to send), "failed" (gave up; `wowcard alerts --retry`) or "held" (counted in a summary)
    state: str = ALERT_PENDING
    due: float = 0.0  # the next attempt may start then; for a held alert, when it was held
    since: float = 0.0  # this run of attempts began then (the answer, or the last --retry)
    attempts: int = 0
    last_error: str | None = None
    lease: str | None = None  # the claim of the sender holding it, when claimed


def digest_alert(survey: str, week: str, now: float) -> Alert:
    """The outbox entry of an ISO week's digest ("2025-W10"): in shard 0, due now."""
    return Alert(survey, DIGEST_PREFIX + week, 0, ("digest",), iso_time(now), due=now, since=now)


def check_fields(response: dict[str, Any]) -> None:
    """An engine stores only the fields of RESPONSE_FIELDS: anything else is a caller's mistake."""
    unknown = sorted(set(response) - set(RESPONSE_FIELDS))
    if unknown:
        raise StoreError(f"{unknown[0]} is not a field of a stored response")


def check_recount(since: str, until: str, counts: dict[tuple[str, str, int], dict[str, int]]) -> None:
    """A recount for `replace_tallies` holds only days of the range it replaces."""
    for day, _location, _shard in counts:
        if not since <= day <= until:
            raise ValueError(f"recount for {day} is outside {since}..{until}")


@dataclass(frozen=True, slots=True)
class TallyRow:
    """The counters of one day at one location, already summed over shards."""

    day: str
    location: str
    counts: dict[str, int] = field(default_factory=dict)


class Store(Protocol):
    # --- survey definitions (every published version is kept) ---
    def publish(self, definition: dict[str, Any]) -> bool:
        """Store a compiled definition under (survey, version) and make it the latest, always: publishing
        an older version again (a survey.toml reverted) makes it the latest again. Returns False when that
        version was already published (its stored body is kept; only which version is latest may change)."""

    def definition(self, survey: str, version: str | None = None) -> dict[str, Any] | None:
        """The compiled definition of that version, or the latest published when version is None."""

    def definitions(self, survey: str) -> list[dict[str, Any]]:
        """Every published version of the survey, oldest first, the latest last: what was ever printed
        (names of people and locations that left, their pages). SQLite orders by when each version last
        became the latest; DynamoDB by when each was first published, the latest moved to the end."""

    # --- the write path ---
    def put(self, record: Record) -> bool:
        """Store the response and add its increments in ONE transaction. True: stored now. False: that id
        (or one of its aliases) was already stored; nothing changed. Raises StoreUnavailable after retries."""

    # --- reading (reports: tallies and texts; raw responses only for export, verify, stories, follow-ups) ---
    def tallies(self, survey: str, since: str, until: str, location: str | None = None) -> list[TallyRow]:
        """Tally rows for days since..until inclusive (yyyy-mm-dd), summed over shards, sorted by
        (day, location). Cost: days x locations x shards items, whatever the number of responses."""

    def responses(self, survey: str, since: str, until: str) -> Iterator[dict[str, Any]]:
        """Raw responses received on days since..until, in (day, received_at, id) order, streamed."""

    def texts(self, survey: str, since: str, until: str) -> Iterator[dict[str, Any]]:
        """Responses of days since..until with a `what` or `comment` (not redacted nor expired), in (day,
        received_at, id) order. Cost: the period's texts, never the responses without."""

    def get(self, survey: str, response_id: str) -> dict[str, Any] | None: ...

    def stories(self, survey: str, staff: str, limit: int) -> list[dict[str, Any]]:
        """The latest `limit` responses recognising `staff` with a story (newest first)."""

    def followups(self, survey: str, include_done: bool = False) -> list[dict[str, Any]]:
        """Responses whose customer asked to be contacted, newest first; open ones only by default."""

    # --- changes the owner makes ---
    def close_followup(self, survey: str, response_id: str, done_at: str, note: str | None) -> bool:
        """Mark a follow-up done (adds `followups_done` to its day's tally in the same transaction)."""

    # --- the alert outbox (written by `put`; read and changed by the sender and `wowcard alerts`) ---
    def due_alerts(self, survey: str, now: float, limit: int) -> list[Alert]:
        """Pending alerts due by `now` that no sender holds, oldest first, at most `limit`."""

    def claim_alert(self, alert: Alert, now: float, lease_seconds: float) -> Alert | None:
        """Take a due, unclaimed alert for `lease_seconds` (a conditional write): the claimed alert with its
        `lease`, or None when another sender took it first or it is gone."""

    def alert_sent(self, alert: Alert) -> bool:
        """Delivered: remove it, if `alert.lease` still holds it. False: the lease was lost meanwhile."""

    def alert_failed(self, alert: Alert, error: str, retry_at: float | None) -> bool:
        """A failed attempt: due again at `retry_at`, or given up ("failed") when None; the lease is released.
        False: the lease was lost meanwhile."""

    def alert_held(self, alert: Alert, now: float) -> bool:
        """Counted in a summary message: kept as "held" (never sent on its own) for HELD_KEEP_SECONDS, if
        `alert.lease` still holds it. False: the lease was lost meanwhile."""

    def alerts(self, survey: str) -> list[Alert]:
        """Every alert not yet delivered on its own (pending, failed, and held less than a week), oldest
        answer first."""

    def retry_alerts(self, survey: str, now: float) -> int:
        """Queue every failed alert again, due now, with a fresh 48 hours of attempts. Returns how many."""

    # --- the weekly digest ---
    def claim_digest(self, survey: str, week: str, now: float, queue: bool = True) -> bool:
        """Claim the digest of an ISO week ("2025-W10") for the survey, once ever (a conditional write), and
        with `queue` put its outbox entry (`DIGEST_PREFIX + week`, due now) in the same transaction. True:
        claimed now; False: that week was claimed before (by any sender, or `wowcard digest`)."""

    # --- fair recognition ---
    def fairness_salt(self, survey: str) -> bytes:
        """The survey's random secret for the daily device keys: made once, then always the same."""

    def delete(self, survey: str, response_id: str) -> bool:
        """Remove a response (and an alert still pending for it) and subtract its increments in one
        transaction. False if it did not exist."""

    def redact(self, survey: str, before_day: str, redacted_at: str) -> int:
        """Remove the personal fields of responses received before that day; counts stay. Returns how many."""

    def replace_tallies(
        self, survey: str, since: str, until: str, counts: dict[tuple[str, str, int], dict[str, int]]
    ) -> None:
        """Replace every tally item of days since..until with `counts`, keyed (day, location, shard): the
        recount from raw responses that `wowcard verify --repair` writes back."""

    def close(self) -> None: ...


def open_store(
    url: str,
    folder: str | Path | None = None,
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    profile: str | None = None,
) -> Store:
    """The store a `[store]` URL names: "sqlite:PATH" (PATH relative to `folder`, default the working
    directory) or "dynamodb:TABLE" (region, endpoint and profile as boto3 takes them). Engines are imported
    here, so the Lambda never loads SQLite code nor `wowcard serve` boto3. Nothing is opened yet: the SQLite
    file (and its folder) is created, or the DynamoDB client made, on first use."""
    kind, _, where = url.partition(":")
    if kind == "sqlite" and where and where != ":memory:":
        from .store_sqlite import SqliteStore

        path = Path(where).expanduser()
        if not path.is_absolute():
            path = Path(folder if folder is not None else Path.cwd()) / path
        return SqliteStore(path)
    if kind == "dynamodb" and where:
        from .store_dynamodb import DynamoStore

        return DynamoStore(where, region=region, endpoint_url=endpoint_url, profile=profile)
    raise StoreError(f'"{url}" is not a store: use "sqlite:PATH" (a file) or "dynamodb:TABLE"')
