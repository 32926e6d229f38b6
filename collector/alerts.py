"""Alerts: an answer the owner should hear about now (a follow-up request, a lowest People / Process / Product
rating) is posted to a chat webhook within a minute, without ever slowing or endangering the customer's
answer.

How: the collector writes an outbox entry in the SAME transaction as the response (store.py), so a stored
qualifying answer always has exactly one pending alert and a duplicate adds none. After the customer has
been answered, a sender sweeps the outbox: `wowcard serve` runs one in a background thread every second; on
AWS a Chalice scheduled handler runs every minute. The sender claims each due alert with a conditional
write (a lease of LEASE_SECONDS), posts it, then deletes it only if its lease still holds, so overlapping
sweeps send each alert once. A receiver that fails or times out is tried again after 30 s, 1 min, 2 min …
doubling up to one hour, for 48 hours; then the alert is "failed" and `wowcard alerts --retry` queues it
again. Sends are paced the way chat webhooks ask (about one a second, bursts of ten): a rush of alerts
queues instead of being refused with 429, and delivering never takes the collector's share of the CPU.

The payload is JSON: `text`, one human-readable message that Slack, Teams, Discord and Mattermost incoming
webhooks show as it is (customer text folded to one line, with no way to mention @channel or make a link),
and `response`, the answer itself for programs. It is built from the stored response when sent: the outbox
keeps no copy of what the customer wrote, and a response redacted or deleted meanwhile is sent as it is now.

The webhook URL is a secret (it lets anyone post to the owner's chat). It is read when an alert is sent:
from an environment variable ("env:NAME"), from an SSM SecureString parameter ("ssm:NAME", on AWS, cached
for a few minutes), or given literally. It never appears in a log line or an error: those say "the
webhook" and what went wrong (a status, a timeout).

Shout-outs: with "recognition" in `[alerts] on`, an answer that recognises a staff member (wow = yes naming
them) puts a shout-out in the same outbox, in the same transaction: the person, the location and the story.
A recognition flagged by fair recognition (fairness.py) is never shouted out: the store drops the reason in
the transaction that flags it, and the sender checks the stored answer again before sending.

Bursts are coalesced: past ALERTS_PER_MINUTE messages of a survey in a minute, the due alerts are not sent
one by one but counted in ONE summary message (the count, the reasons, and `wowcard alerts --held` to see
them), at most one summary every SUMMARY_SECONDS; those alerts are kept as "held" for a week. So 200 alerts
posted at once cost 10 messages and a summary, and an alert that arrives after them is told within
SUMMARY_SECONDS, on its own or in the next summary, instead of minutes later behind the burst. The count of a
minute is kept by the sender in memory: a sender that restarts in a burst may send ALERTS_PER_MINUTE more.

The weekly digest (digest.py) travels the same outbox: with "digest" in `[alerts] on`, each sweep claims
the due week once (a conditional write in the store), and the sender posts it like an alert.
"""

from __future__ import annotations

import http
import http.client
import json
import logging
import os
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from . import digest, fairness, ssm
from .chat import safe as _safe
from .store import RECOGNITION, Alert, Store, StoreError
from .survey import ALERT_KINDS, RATINGS, WEBHOOK_FROM_ENV, Definition, webhook_url_problem

log = logging.getLogger("wowcard.alerts")
# Chalice sets its app's logger ("wowcard") to ERROR; a failed attempt is worth a line (a warning) in the
# Lambda's log and on `wowcard serve`'s console.
log.setLevel(logging.WARNING)

LOWEST_RATING = 1
LEASE_SECONDS = 120.0  # longer than a send can take (TIMEOUT_SECONDS per socket operation)
TIMEOUT_SECONDS = 5.0
FIRST_RETRY_SECONDS = 30.0
MAX_RETRY_SECONDS = 3600.0
GIVE_UP_SECONDS = 48 * 3600.0
SSM_CACHE_SECONDS = 300.0
# Chat webhooks take about one message a second with short bursts (Slack documents "1 per second, short
# bursts >1 allowed"); a burst of alerts is paced to that rather than answered 429.
SENDS_PER_SECOND = 1.0
BURST = 10
# Past this many messages of a survey in a minute, a burst is told in one summary (at most one per
# SUMMARY_SECONDS), so an alert after it is never stuck behind it.
ALERTS_PER_MINUTE = 10
SUMMARY_SECONDS = 30.0
# Alerts read and claimed at a time for a summary (each is claimed and settled on its own), and ids a summary
# lists (the latest; its count tells them all): a flood of thousands is one summary, not one per 1,000.
SUMMARY_MAX = 1000
LAMBDA_MARGIN_SECONDS = 5.0  # what a summary keeps of a Lambda's time beyond one send, to settle its alerts
DEFINITION_SECONDS = 300.0  # how long a sender keeps the latest definition (for the digest's schedule)
RATING_NAMES = {"people": "People", "process": "Process", "product": "Product"}
REASON_WORDS = {
    "followup": ("follow-up request", "follow-up requests"),
    "low_rating": ("lowest rating", "lowest ratings"),
    RECOGNITION: ("shout-out", "shout-outs"),
}


class DeliveryError(Exception):
    """One attempt to deliver failed. The message names "the webhook", never its URL."""


# --- which answers alert ---------------------------------------------------------------------------------


def reasons(response: Mapping[str, Any], on: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Why an answer alerts the owner, in ALERT_KINDS order; empty when it does not."""
    found = []
    if "followup" in on and response.get("followup"):
        found.append("followup")
    if "low_rating" in on and any(response.get(name) == LOWEST_RATING for name in RATINGS):
        found.append("low_rating")
    if RECOGNITION in on and fairness.applies(response) and not response.get("flagged"):
        found.append(RECOGNITION)
    return tuple(kind for kind in ALERT_KINDS if kind in found)


# --- the retry schedule ----------------------------------------------------------------------------------


def retry_delay(attempts: int) -> float:
    """The wait after the `attempts`-th failed attempt: 30 s, 60 s, 120 s … at most one hour."""
    return min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0))


def next_attempt(alert: Alert, now: float) -> float | None:
    """When to try a just-failed alert again, or None: its 48 hours are over, give up."""
    when = now + retry_delay(alert.attempts + 1)
    return None if when - alert.since > GIVE_UP_SECONDS else when


# --- the payload -----------------------------------------------------------------------------------------


def payload(
    response: Mapping[str, Any], definition: Definition | None, why: tuple[str, ...]
) -> dict[str, Any]:
    """The JSON posted to the webhook: a readable `text` and the `response` itself."""
    location, staff = response.get("location"), response.get("staff")
    answer = {
        "id": response["id"],
        "survey": response["survey"],
        "location": location,
        "location_name": _location_name(definition, location),
        "staff": staff,
        "staff_name": _staff_name(definition, staff),
        "wow": response.get("wow"),
        "what": response.get("what"),
        "ratings": {name: response.get(name) for name in RATINGS},
        "comment": response.get("comment"),
        "contact": response.get("contact"),
        "followup": bool(response.get("followup")),
        "done_at": response.get("done_at"),  # the follow-up was closed before the alert went out
        "received_at": response["received_at"],
        "reasons": list(why),
    }
    return {"text": text(answer, definition.time_zone if definition else "UTC"), "response": answer}


def text(answer: Mapping[str, Any], time_zone: str) -> str:
    """The message a person reads. An answer that only recognises someone is a shout-out; one that also
    alerts the owner is the alert, with the shout-out as its last line."""
    local = _local(answer["received_at"], time_zone)
    alerting = tuple(reason for reason in answer["reasons"] if reason != RECOGNITION)
    if not alerting:
        return shout_out(answer) + f" ({local} {time_zone})"
    headline = {
        ("followup",): "A customer asked to be contacted",
        ("low_rating",): "A customer gave a lowest rating",
        ("followup", "low_rating"): "A customer gave a lowest rating and asked to be contacted",
    }.get(alerting, "A customer answered")
    lines = [f"{headline} at {_safe(answer['location_name'])} ({local} {time_zone})"]
    if answer["staff_name"]:
        lines.append(f"Staff: {_safe(answer['staff_name'])}")
    lines.append(f"Wow: {answer['wow'] or 'not answered'}")
    rated = [f"{RATING_NAMES[n]} {v}" for n, v in answer["ratings"].items() if v is not None]
    if rated:
        lines.append("Ratings: " + ", ".join(rated))
    if answer["what"]:
        lines.append(f"What they did: {_safe(answer['what'])}")
    if answer["comment"]:
        lines.append(f"Comment: {_safe(answer['comment'])}")
    if answer["contact"]:
        lines.append(f"Contact: {_safe(answer['contact'])}")
    if answer["followup"] and not answer["done_at"]:
        lines.append(f"When done: wowcard followups done {answer['id']}")
    elif answer["followup"]:
        lines.append("The follow-up is already closed.")
    if RECOGNITION in answer["reasons"]:
        lines.append(shout_out(answer))
    return "\n".join(lines)


def shout_out(answer: Mapping[str, Any]) -> str:
    """ "Shout-out: Maya at Quay Street was recognised by a customer: "…"" (the story when there is one)."""
    who, where = _safe(answer["staff_name"]), _safe(answer["location_name"])
    line = f"Shout-out: {who} at {where} was recognised by a customer"
    return line + (f': "{_safe(answer["what"])}"' if answer["what"] else "")


def summary(held: list[Alert], time_zone: str) -> dict[str, Any]:
    """The one message that tells a burst of alerts: how many, why, when, and the command that lists them."""
    reasons = Counter(reason for alert in held for reason in alert.reasons)
    first, last = min(a.received_at for a in held), max(a.received_at for a in held)
    why = ", ".join(
        f"{reasons[kind]} {REASON_WORDS[kind][reasons[kind] != 1]}" for kind in REASON_WORDS if reasons[kind]
    )
    noun = "alert" if len(held) == 1 else "alerts"
    start, end = _local(first, time_zone)[11:], _local(last, time_zone)[11:]
    span = start if start == end else f"{start}–{end}"
    body = (
        f"{len(held)} more {noun} in a burst ({_local(first, time_zone)[:10]} {span} {time_zone}): {why}. "
        "Held back rather than sent one by one, to keep this channel readable. "
        "See them: wowcard alerts --held"
    )
    return {
        "text": body,
        "summary": {
            "count": len(held),
            "reasons": dict(sorted(reasons.items())),
            "first_received_at": first,
            "last_received_at": last,
            # the latest SUMMARY_MAX (a program lists them all with `wowcard alerts --held`)
            "ids": sorted(a.response_id for a in sorted(held, key=_received)[-SUMMARY_MAX:]),
        },
    }


def _received(alert: Alert) -> tuple[str, str]:
    return alert.received_at, alert.response_id


def _local(received_at: str, time_zone: str) -> str:
    received = datetime.fromisoformat(received_at.replace("Z", "+00:00"))
    return received.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%d %H:%M")


def _location_name(definition: Definition | None, location: str | None) -> str:
    if definition is not None:
        for loc in definition.locations:
            if loc.id == location:
                return loc.name
    return location or ""


def _staff_name(definition: Definition | None, staff: str | None) -> str | None:
    if not staff or staff == "_":
        return None
    if definition is not None:
        for s in definition.staff:
            if s.id == staff:
                return s.name
    return staff


# --- sending ---------------------------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook answers, it does not redirect: a 3xx is a failure (and the body is never re-sent)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener: urllib.request.OpenerDirector | None = None


def _open(request: urllib.request.Request, timeout: float) -> Any:
    """One opener (and one TLS context, whose certificates take longer to load than a post) for every
    alert, made on first use rather than at import."""
    global _opener
    if _opener is None:
        _opener = urllib.request.build_opener(
            _NoRedirects, urllib.request.HTTPSHandler(context=ssl.create_default_context())
        )
    return _opener.open(request, timeout=timeout)


def post_json(url: str, body: Mapping[str, Any], timeout: float = TIMEOUT_SECONDS) -> None:
    """POST `body` as JSON; any 2xx is delivered. Every failure is a DeliveryError that names the webhook
    only by "the webhook"."""
    problem = webhook_url_problem(url)
    if problem is not None:
        raise DeliveryError(f"the webhook {problem}")
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "wowcard-alerts"},
    )
    try:
        with _open(request, timeout) as reply:
            reply.read(64 * 1024)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise DeliveryError(f"the webhook answered {exc.code} {_phrase(exc.code)}") from None
    except urllib.error.URLError as exc:
        raise DeliveryError(f"the webhook could not be reached ({_reason(exc.reason, timeout)})") from None
    except (TimeoutError, OSError, http.client.HTTPException, ValueError) as exc:
        # ValueError: a host name the IDNA codec refuses, say; its text may quote the URL, so only its type.
        raise DeliveryError(f"the webhook could not be reached ({_reason(exc, timeout)})") from None


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def _reason(reason: Any, timeout: float) -> str:
    """Why a connection failed, from the error's type and code alone: never its text, which may hold the
    host or the URL."""
    if isinstance(reason, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(reason, ssl.SSLError):
        return f"TLS error {reason.reason or type(reason).__name__}"
    if isinstance(reason, http.client.HTTPException):
        return f"{type(reason).__name__}: the connection ended without an answer"
    if isinstance(reason, OSError) and reason.errno is not None and reason.strerror:
        return reason.strerror
    if isinstance(reason, BaseException):
        return type(reason).__name__
    return "connection failed"


# --- where the webhook URL comes from --------------------------------------------------------------------


def webhook_source(
    spec: str, environ: Mapping[str, str] | None = None, region: str | None = None
) -> Callable[[], str]:
    """The webhook URL, looked up when an alert is sent: "env:NAME" (the environment), "ssm:NAME" (an SSM
    SecureString parameter) or the URL itself."""
    found = WEBHOOK_FROM_ENV.match(spec)
    if found:
        return EnvironmentWebhook(found.group(1), os.environ if environ is None else environ)
    if spec.startswith("ssm:"):
        return SsmWebhook(spec[len("ssm:") :], region=region)
    return LiteralWebhook(spec)


@dataclass(frozen=True)
class LiteralWebhook:
    url: str = field(repr=False)

    def __call__(self) -> str:
        return self.url


@dataclass
class EnvironmentWebhook:
    name: str
    environ: Mapping[str, str] = field(repr=False)

    def __call__(self) -> str:
        value = self.environ.get(self.name, "").strip()
        if not value:
            raise DeliveryError(f"the webhook is not set: the environment variable {self.name} is empty")
        return value


@dataclass
class SsmWebhook:
    """An SSM SecureString parameter, read by name on first use and kept for SSM_CACHE_SECONDS (an owner's
    new URL reaches a warm Lambda within minutes, and the Lambda does not call SSM for every alert)."""

    name: str
    region: str | None = None
    endpoint_url: str | None = None
    clock: Callable[[], float] = time.monotonic
    client: Any = None
    _value: str | None = field(default=None, repr=False)
    _read_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __call__(self) -> str:
        with self._lock:
            if self._value is not None and self.clock() - self._read_at < SSM_CACHE_SECONDS:
                return self._value
            self._value, self._read_at = self._read(), self.clock()
            return self._value

    def _read(self) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            if self.client is None:
                self.client = ssm.client(self.region, self.endpoint_url)
            value = ssm.read(self.client, self.name).strip()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "an error")
            raise DeliveryError(
                f"the webhook could not be read from SSM parameter {self.name}: {code}"
            ) from None
        except BotoCoreError as exc:
            raise DeliveryError(
                f"the webhook could not be read from SSM parameter {self.name}: {type(exc).__name__}"
            ) from None
        if not value:
            raise DeliveryError(f"the webhook is not set: SSM parameter {self.name} is empty")
        return value


# --- the sweep -------------------------------------------------------------------------------------------


@dataclass
class Sweep:
    """What one sweep did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    taken: int = 0  # claimed by another sender first
    gone: int = 0  # nothing left to tell: the response was deleted, or a digest's week had no answers
    held: int = 0  # counted in a summary message (a burst) instead of sent one by one
    summaries: int = 0

    def add(self, outcome: str, count: int = 1) -> None:
        setattr(self, outcome, getattr(self, outcome) + count)


@dataclass
class Sender:
    """Delivers one survey's due alerts, shout-outs and digests. Between sweeps it keeps only a cache of
    definitions and the count of messages of the last minute, so any number of senders (threads,
    overlapping Lambda runs) may sweep the same outbox."""

    store: Store
    survey: str
    webhook: Callable[[], str]
    clock: Callable[[], float] = time.time
    send: Callable[[str, Mapping[str, Any], float], None] = post_json
    timeout: float = TIMEOUT_SECONDS
    lease_seconds: float = LEASE_SECONDS
    rate: float = SENDS_PER_SECOND
    burst: int = BURST
    per_minute: int = ALERTS_PER_MINUTE
    summary_every: float = SUMMARY_SECONDS
    sleep: Callable[[float], None] = time.sleep
    _definitions: dict[str, Definition | None] = field(default_factory=dict, repr=False)
    _latest: tuple[float, Definition | None] | None = field(default=None, repr=False)
    _tokens: float = field(default=BURST, repr=False)
    _refilled: float | None = field(default=None, repr=False)
    _messages: deque[float] = field(default_factory=deque, repr=False)  # sent in the last minute
    _summary_at: float | None = field(default=None, repr=False)
    _digest_week: str | None = field(default=None, repr=False)  # the last week seen claimed

    def sweep(self, limit: int = 50, time_left: Callable[[], float] | None = None, rounds: int = 20) -> Sweep:
        """Queue the weekly digest when it is due, then deliver what is due, `limit` at a time, until nothing
        due is left (at most `rounds` times); stop early when `time_left()` (seconds) could not cover one more
        send (a Lambda's remaining time). Past `per_minute` messages a minute, the rest is one summary."""
        done = Sweep()
        try:
            self.schedule_digest()
        except StoreError as exc:  # alerts still go out; the next sweep claims the week
            log.error("could not queue the weekly digest of survey %s: %s", self.survey, exc)
        for _ in range(rounds):
            due = self.store.due_alerts(self.survey, self.clock(), limit)
            over = False
            for alert in due:
                if digest.digest_week(alert.response_id) is None and not self._may_send():
                    over = True
                    continue
                if not self._pace(time_left):
                    return done
                done.add(self.deliver(alert))
            if over and not self._summarise(done, time_left):
                break  # a summary went out less than `summary_every` ago: the next one tells these
            if len(due) < limit:
                break
        return done

    def schedule_digest(self) -> str | None:
        """With "digest" in `[alerts] on`, claim the due week's digest once (the store's conditional write
        makes it once per week whoever asks); the week claimed now, or None."""
        latest = self._latest_definition()
        if latest is None or "digest" not in latest.alerts:
            return None
        now = self.clock()
        week = digest.due_week(latest.time_zone, datetime.fromtimestamp(now, UTC))
        if week == self._digest_week:
            return None
        claimed = digest.schedule(self.store, self.survey, latest.time_zone, now)
        self._digest_week = week
        return claimed

    def _may_send(self) -> bool:
        """Whether one more message fits in the last minute's `per_minute`."""
        now = self.clock()
        while self._messages and self._messages[0] <= now - 60:
            self._messages.popleft()
        return len(self._messages) < self.per_minute

    def _summarise(self, done: Sweep, time_left: Callable[[], float] | None) -> bool:
        """Tell every alert due now in one message and keep them as held; False when a summary went out less
        than `summary_every` ago (they stay pending for the next one). A flood larger than SUMMARY_MAX is
        claimed SUMMARY_MAX at a time, as long as the time left (a Lambda's) allows, so an alert that came
        after it is in this summary rather than one `summary_every` later per thousand."""
        now = self.clock()
        if self._summary_at is not None and now - self._summary_at < self.summary_every:
            return False
        claimed: list[Alert] = []
        while True:
            due = self.store.due_alerts(self.survey, now, SUMMARY_MAX)
            burst = [alert for alert in due if digest.digest_week(alert.response_id) is None]
            taken = [c for c in (self.store.claim_alert(a, now, self.lease_seconds) for a in burst) if c]
            done.add("taken", len(burst) - len(taken))
            claimed += taken
            if len(due) < SUMMARY_MAX or not taken:
                break
            if time_left is not None and time_left() < self.timeout + 2 * LAMBDA_MARGIN_SECONDS:
                break
        if not claimed or not self._pace(time_left):
            return False
        latest = self._latest_definition()
        body = summary(claimed, latest.time_zone if latest else "UTC")
        self._summary_at = self.clock()
        self._messages.append(self._summary_at)
        try:
            self.send(self.webhook(), body, self.timeout)
        except DeliveryError as exc:
            for alert in claimed:
                done.add(self._failed(alert, str(exc)))
            return False
        for alert in claimed:
            self.store.alert_held(alert, self.clock())
        done.add("held", len(claimed))
        done.add("summaries")
        return True

    def _pace(self, time_left: Callable[[], float] | None) -> bool:
        """Wait for the next send's turn (a token bucket: `burst` at once, then `rate` a second). False: the
        time left (a Lambda's) cannot cover the wait and one more send."""
        now = self.clock()
        if self._refilled is not None:
            self._tokens = min(float(self.burst), self._tokens + (now - self._refilled) * self.rate)
        self._refilled = now
        wait = max(0.0, (1 - self._tokens) / self.rate)
        if time_left is not None and time_left() < wait + self.timeout + 2:
            return False
        if wait:
            self.sleep(wait)
            self._tokens, self._refilled = 1.0, max(now + wait, self.clock())
        self._tokens -= 1
        return True

    def deliver(self, alert: Alert) -> str:
        """Claim, send, settle one alert (or a week's digest): "sent", "retrying", "failed", "taken" or
        "gone"."""
        claimed = self.store.claim_alert(alert, self.clock(), self.lease_seconds)
        if claimed is None:
            return "taken"
        try:
            body = self._body(claimed)
            if body is None:
                self.store.alert_sent(claimed)  # deleted meanwhile, or nothing to tell: settled
                return "gone"
            self._messages.append(self.clock())
            self.send(self.webhook(), body, self.timeout)
        except DeliveryError as exc:
            return self._failed(claimed, str(exc))
        if not self.store.alert_sent(claimed):
            log.warning("alert for response %s was sent, but its lease had run out", claimed.response_id)
        return "sent"

    def _body(self, alert: Alert) -> dict[str, Any] | None:
        """What to post for an outbox entry, built from the store now; None when there is nothing to tell."""
        week = digest.digest_week(alert.response_id)
        if week is not None:
            latest = self._latest_definition()
            if latest is None:
                return None
            try:
                found = digest.compute(self.store, latest, week, datetime.fromtimestamp(self.clock(), UTC))
            except StoreError as exc:  # tried again with backoff, like a webhook that failed
                raise DeliveryError(f"the digest of {week} could not be read: {exc}") from None
            return digest.payload(found) if found.responses else None
        response = self.store.get(alert.survey, alert.response_id)
        if response is None:
            return None
        why = alert.reasons
        if response.get("flagged"):  # fair recognition flagged it: no shout-out
            why = tuple(reason for reason in why if reason != RECOGNITION)
        if not why:
            return None
        return payload(response, self._definition(response.get("version")), why)

    def _failed(self, alert: Alert, error: str) -> str:
        retry_at = next_attempt(alert, self.clock())
        self.store.alert_failed(alert, error, retry_at)
        attempt = alert.attempts + 1
        if retry_at is None:
            log.error(
                "alert for response %s failed after %d attempts over 48 hours: %s "
                "(`wowcard alerts --retry` queues it again)",
                alert.response_id,
                attempt,
                error,
            )
            return "failed"
        wait = retry_at - self.clock()
        log.warning(
            "alert for response %s: attempt %d failed: %s; next attempt in %d s",
            alert.response_id,
            attempt,
            error,
            round(wait),
        )
        return "retrying"

    def _definition(self, version: str | None) -> Definition | None:
        if not version:
            return None
        if version not in self._definitions:
            found = self.store.definition(self.survey, version)
            self._definitions[version] = Definition.from_json(found) if found else None
        return self._definitions[version]

    def _latest_definition(self) -> Definition | None:
        """The survey's latest published definition, read again every DEFINITION_SECONDS."""
        now = self.clock()
        if self._latest is None or now - self._latest[0] >= DEFINITION_SECONDS or now < self._latest[0]:
            found = self.store.definition(self.survey)
            self._latest = (now, Definition.from_json(found) if found else None)
        return self._latest[1]
