"""What the collector's routes do: a request in, a reply out (status, JSON body, headers). No Chalice here, so
the same steps read plainly and the app module stays a list of routes.

Posting an answer: size check (413) → content type (415) → decode → the survey (404) → honeypot (success,
nothing stored) → the definition version the page was built from (400 malformed, 409 not published) →
validation and the record (`answers.record`) → the survey's rules from its LATEST published definition (so
a page built before a rule changed still follows it): the answer's alert (alerts.py) and, for a
recognition, the day's device and network keys (fairness.py) → one store transaction (`store.put`) → the
reply:

- the page's script (JSON sent as text/plain or application/json): 201 `{"id", "status": "stored",
  "contact_dropped"}`, 200 with `"status": "duplicate"` for an id already stored, 4xx `{"error", "field"}`
  (the 409 adds `"code": "version_not_published"`);
- the no-JavaScript form: 303 See Other to `<base>/<survey>/thanks/<lang>/` (`#contact-dropped` when a contact
  came without consent), or for an answer no honest page can make to `<base>/<survey>/error/<lang>/#<field>`.

Whatever fails inside (the store after its retries, a bug) is answered 503 with Retry-After: the page keeps
the answer queued and sends it again; never a 500, never a traceback in a reply. A form post (no script to
keep it) is sent to the error page instead, `#request`, which asks the customer to send it again.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import alerts, answers, config, fairness
from .store import Record, StoreError, StoreUnavailable
from .survey import SLUG, Definition

log = logging.getLogger("wowcard.collector")

RETRY_AFTER_SECONDS = 5
NO_STORE = {"Cache-Control": "no-store"}
ALLOWED_METHODS = "POST, OPTIONS"
ALLOWED_HEADERS = "Content-Type"
PREFLIGHT_MAX_AGE = "600"
# The 409's `code`: the answer is good but the page's definition version is not published (yet). The page
# keeps it queued and sends it again; it is not a network problem.
VERSION_NOT_PUBLISHED = "version_not_published"


@dataclass(frozen=True, slots=True)
class Incoming:
    """The parts of an HTTP request the collector reads. `client` and `user_agent` only ever enter the
    double-tap hash of a no-JavaScript post and, without a device token, the day's keyed device hash of fair
    recognition; they are never stored."""

    survey: str
    body: bytes = b""
    content_type: str | None = None
    content_length: str | None = None
    origin: str | None = None
    client: str = ""
    user_agent: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: Any = None  # a JSON-able value, a str sent as it is, or None for an empty body
    headers: dict[str, str] = field(default_factory=dict)


def error(
    status: int,
    message: str,
    field_name: str | None = None,
    headers: dict[str, str] | None = None,
    code: str | None = None,
) -> Reply:
    """`{"error", "field"}`, and `"code"` (stable, for machines) where a page must tell one case apart."""
    body: dict[str, Any] = {"error": message, "field": field_name}
    if code is not None:
        body["code"] = code
    return Reply(status, body, {**NO_STORE, **(headers or {})})


def unavailable(retry_after: int = RETRY_AFTER_SECONDS) -> Reply:
    return error(
        503,
        "the collector cannot store answers just now; send it again later",
        None,
        {"Retry-After": str(retry_after)},
    )


# --- POST /s/{survey}/responses -------------------------------------------------------------------------


def submit(incoming: Incoming, received_at: datetime) -> Reply:
    try:
        return _submit(incoming, received_at)
    except StoreUnavailable as exc:
        log.error("store unavailable for survey %s (answered 503): %s", incoming.survey, exc)
        return _unavailable_for(incoming, exc.retry_after)
    except StoreError as exc:
        log.error("store error for survey %s: %s", incoming.survey, exc)
        return _unavailable_for(incoming)
    except Exception:
        log.exception("unexpected error while storing an answer to survey %s", incoming.survey)
        return _unavailable_for(incoming)


def _unavailable_for(incoming: Incoming, retry_after: int = RETRY_AFTER_SECONDS) -> Reply:
    """503 + Retry-After for the page's script (it keeps the answer queued and sends it again). A browser
    posting the form without JavaScript would show a 503's JSON as it is: it is sent to the error page
    instead, whose general message asks to send the answer again ("#request": the page has no message of
    its own for "try again later"). Without a published definition to build that URL from, 503 it is."""
    if answers.media_type(incoming.content_type) != answers.FORM:
        return unavailable(retry_after)
    try:
        latest = _latest(incoming.survey)
        if latest is None:
            return unavailable(retry_after)
        try:
            fields = answers.decode(incoming.body, incoming.content_type).fields
        except answers.InvalidResponse:
            fields = {}
    except Exception:
        log.warning("no error page to send a form post to for survey %s; answered 503", incoming.survey)
        return unavailable(retry_after)
    return _redirect(_page(latest, "error", fields) + "#request", _cors_headers(incoming.origin, latest))


def _submit(incoming: Incoming, received_at: datetime) -> Reply:
    too_large = _too_large(incoming)
    if too_large is not None:
        return too_large
    kind = answers.media_type(incoming.content_type)
    if kind != answers.FORM and kind not in answers.JSON_TYPES:
        return error(415, f"content type must be {answers.FORM}, application/json or text/plain")
    submission: answers.Submission | answers.InvalidResponse
    try:
        submission = answers.decode(incoming.body, incoming.content_type)
    except answers.InvalidResponse as exc:
        submission = exc
    latest = _latest(incoming.survey)
    if latest is None:
        return error(404, f"there is no published survey {incoming.survey!r}", "survey")
    cors = _cors_headers(incoming.origin, latest)
    is_form = kind == answers.FORM
    if isinstance(submission, answers.InvalidResponse):
        return _rejected(submission, is_form, latest, {}, cors)
    fields = submission.fields
    if answers.is_honeypot(fields):
        return _accepted(_honeypot_id(incoming, fields), True, False, is_form, latest, fields, cors)
    try:
        version = answers.requested_version(fields)
    except answers.InvalidResponse as exc:
        return _rejected(exc, is_form, latest, fields, cors)
    definition = config.get_definitions().version(incoming.survey, version)
    if definition is None:
        if is_form:
            return _redirect(_page(latest, "error", fields) + "#v", cors)
        message = f"version {version} of survey {incoming.survey!r} is not published; send it again later"
        return error(409, message, "v", cors, code=VERSION_NOT_PUBLISHED)
    cors = {**_cors_headers(incoming.origin, definition), **cors}
    # A version just published is often the new latest: its rules apply to its very first answer (the cache
    # dropped the latest it held when it met the version).
    latest = _latest(incoming.survey) or latest
    # An answer without an id (the no-JavaScript form) gets one made from its request, keyed with the
    # survey's secret salt so the stored id does not give the client address away.
    secret = None if fields.get("id") else config.get_fairness_salt(incoming.survey)
    try:
        answers.refuse_made_here(fields)
        record = answers.record(
            submission, definition, received_at, incoming.client, incoming.user_agent, secret=secret
        )
    except answers.InvalidResponse as exc:
        return _rejected(exc, is_form, definition, fields, cors)
    record = with_rules(record, latest, submission.fields, incoming)
    stored = config.get_store().put(record)
    dropped = answers.contact_dropped(fields)
    return _accepted(record.id, stored, dropped, is_form, definition, fields, cors)


def with_rules(record: Record, rules: Definition, fields: dict[str, Any], incoming: Incoming) -> Record:
    """The record with what the survey's rules add: why it alerts the owner (if it does), and for a
    recognition the day's device and network keys and the limits the store counts them against."""
    response = record.response
    device = network = None
    if fairness.applies(response):
        salt = config.get_fairness_salt(record.survey)
        token = fields.get("device") or None
        if not fairness.shared_device(response):
            device = fairness.device_key(
                salt, record.survey, record.day, token, incoming.client, incoming.user_agent
            )
        if incoming.client:  # answers not sent over a network (an import) have no address to count
            network = fairness.network_key(salt, record.survey, record.day, incoming.client)
    return replace(
        record,
        alert=alerts.reasons(response, rules.alerts),
        device=device,
        limit=rules.recognition_limit,
        network=network,
        network_limit=rules.address_limit,
    )


def _too_large(incoming: Incoming) -> Reply | None:
    limit = answers.MAX_BODY_BYTES
    declared = (incoming.content_length or "").strip()
    if (declared.isdigit() and int(declared) > limit) or len(incoming.body) > limit:
        return error(413, f"the body is larger than {limit} bytes", None)
    return None


def _latest(survey: str) -> Definition | None:
    if not SLUG.match(survey):
        return None
    return config.get_definitions().latest(survey)


def _accepted(
    response_id: str,
    stored: bool,
    contact_dropped: bool,
    is_form: bool,
    definition: Definition,
    fields: dict[str, Any],
    cors: dict[str, str],
) -> Reply:
    if is_form:
        return _redirect(
            _page(definition, "thanks", fields) + ("#contact-dropped" if contact_dropped else ""), cors
        )
    body = {
        "id": response_id,
        "status": "stored" if stored else "duplicate",
        "contact_dropped": contact_dropped,
    }
    return Reply(201 if stored else 200, body, {**NO_STORE, **cors})


def _rejected(
    exc: answers.InvalidResponse,
    is_form: bool,
    definition: Definition,
    fields: dict[str, Any],
    cors: dict[str, str],
) -> Reply:
    if is_form and exc.status == 400:
        # The error page explains the fields of the request format; any other name (chosen by whoever
        # sent the request) becomes "request" and never reaches the Location header.
        anchor = exc.field if exc.field in answers.FIELDS else "request"
        return _redirect(_page(definition, "error", fields) + "#" + anchor, cors)
    return error(exc.status, exc.message, exc.field, cors)


def _redirect(location: str, cors: dict[str, str]) -> Reply:
    return Reply(303, None, {**NO_STORE, **cors, "Location": location})


def _page(definition: Definition, page: str, fields: dict[str, Any]) -> str:
    """The pre-rendered thank-you or error page in the language the customer answered in."""
    base = config.settings.redirect_base
    if base is None:
        base = definition.site_url or ""
    elif base == "":
        base = site_path(definition.site_url)  # same origin as the pages: keep only site_url's path
    lang = fields.get("lang")
    if lang not in definition.languages:
        lang = definition.default_language
    return f"{base.rstrip('/')}/{definition.survey}/{page}/{lang}/"


def site_path(site_url: str | None) -> str:
    """The path part of site_url ("" or "/surveys"): where the pages live on their origin."""
    return urlsplit(site_url).path.rstrip("/") if site_url else ""


def _honeypot_id(incoming: Incoming, fields: dict[str, Any]) -> str:
    """A bot gets the answer a person would get, so it learns nothing; nothing is stored."""
    given = fields.get("id")
    if isinstance(given, str) and answers.TOKEN.match(given):
        return given
    return "f-" + hashlib.sha256(incoming.survey.encode() + b"\0" + incoming.body).hexdigest()[:32]


# --- CORS: only for the owner's own site, when the pages are hosted apart from the API ------------------


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def _cors_headers(request_origin: str | None, definition: Definition) -> dict[str, str]:
    allowed = _origin(definition.site_url)
    if allowed is None or not request_origin or request_origin.strip().lower() != allowed:
        return {}
    return {"Access-Control-Allow-Origin": allowed, "Vary": "Origin"}


# --- the scheduled alert sender (AWS: every minute) -----------------------------------------------------


def send_alerts(time_left: Callable[[], float] | None = None) -> dict[str, int]:
    """One sweep of the alert outbox. Never raises: what fails is logged (never the webhook's URL), and the
    next run a minute later tries again; an alert claimed and never settled is taken again after its lease."""
    sender = config.get_sender()
    if sender is None:
        log.warning("alerts are not configured: WOWCARD_ALERTS_SURVEY and WOWCARD_ALERTS_WEBHOOK are needed")
        return {}
    try:
        return asdict(sender.sweep(time_left=time_left))
    except StoreError as exc:
        log.error("could not sweep the alert outbox of survey %s: %s", sender.survey, exc)
    except Exception:
        log.exception("unexpected error while sending the alerts of survey %s", sender.survey)
    return {}


# --- OPTIONS /s/{survey}/responses -----------------------------------------------------------------------


def preflight(incoming: Incoming) -> Reply:
    try:
        latest = _latest(incoming.survey)
    except Exception:
        log.exception("unexpected error while answering a preflight for survey %s", incoming.survey)
        return unavailable()
    if latest is None:
        return error(404, f"there is no published survey {incoming.survey!r}", "survey")
    cors = _cors_headers(incoming.origin, latest)
    if cors:
        cors.update(
            {
                "Access-Control-Allow-Methods": ALLOWED_METHODS,
                "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
            }
        )
    return Reply(204, None, {**cors, "Allow": ALLOWED_METHODS})


# --- GET /healthz, GET /openapi.json ---------------------------------------------------------------------


def origin_refusal(presented: str | None) -> Reply | None:
    """None when the request may go on: no origin secret is configured, or it carries a current one; else
    403 (sent around CloudFront), or 503 when the secrets cannot be read right now (the page retries)."""
    from .origin import SecretUnavailable

    try:
        guard = config.get_origin_guard()
        if guard is None or guard.allows(presented):
            return None
    except SecretUnavailable as exc:
        log.error("origin secret unavailable (answered 503): %s", exc)
        return unavailable()
    except Exception:  # this check runs outside every other handler: never a 500, the page sends again
        log.exception("origin secret check failed (answered 503)")
        return unavailable()
    return error(403, "this API answers only through the survey's own site", None)


def health() -> Reply:
    """Cheap on purpose: it answers that the function runs, without a store read per probe."""
    engine = config.settings.store_url.split(":", 1)[0]
    return Reply(200, {"status": "ok", "store": engine}, dict(NO_STORE))


@functools.cache
def openapi_text() -> str:
    return Path(__file__).with_name("openapi.json").read_text(encoding="utf-8")


def openapi() -> Reply:
    return Reply(200, openapi_text(), {"Content-Type": "application/json", "Cache-Control": "max-age=300"})


# --- Chalice's own error answers (405, 415, 500) in the collector's shape ---------------------------------


def uniform(status: int, body: Any, headers: dict[str, Any]) -> Reply | None:
    """The reply to send instead of one Chalice made itself, or None to keep Chalice's. Chalice answers
    `{"Code", "Message"}`; clients read `{"error", "field"}`, and a 500 becomes 503 + Retry-After."""
    ours = isinstance(body, dict) and {"error", "field"} <= set(body) <= {"error", "field", "code"}
    if status >= 500 and not ours:
        return unavailable()
    if status >= 400 and isinstance(body, dict) and set(body) == {"Code", "Message"}:
        kept = {
            k: v for k, v in headers.items() if k.lower() in ("allow",) or k.lower().startswith("access-")
        }
        return error(status, str(body["Message"]), None, kept)
    return None
