"""From an HTTP request to a stored-response record: body decoding, the frozen request format, validation
against the definition version the page was built from, response ids and double taps.

The request format (frozen here; later features fill these fields, they never change them):

| field     | form / JSON            | meaning                                                               |
|-----------|------------------------|-----------------------------------------------------------------------|
| id        | 8-64 of [A-Za-z0-9_-]  | the page script's response id (a UUID); absent without JavaScript;    |
|           |                        | never f-… or i-…: wowcard makes those ids itself (MADE_HERE)          |
| v         | definition version     | required: the page's build; every published version is kept           |
| lang      | language code          | the page's language (default: the survey's first language)            |
| src       | card, sign, kiosk …    | where the customer found the link (script; a kiosk page's form too)   |
| device    | 8-64 of [A-Za-z0-9_-]  | random token from the page's localStorage (fair recognition)          |
| location  | location id            | required                                                              |
| wow       | yes / no               | did anyone exceed your expectations (may be skipped)                  |
| staff     | staff id or "_"        | who helped ("_": I didn't catch their name)                           |
| what      | text                   | what they did                                                         |
| people, process, product | 1-5     | ratings, each may be skipped                                          |
| promises  | promise ids            | repeated form field, or a JSON list                                   |
| comment   | text                   |                                                                       |
| contact   | text                   | kept only together with consent                                       |
| consent   | yes                    |                                                                       |
| website   | must stay empty        | honeypot: bots fill it; answered as success and not stored            |

Empty strings mean "not answered" (a form sends every text field). Unknown fields are rejected.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from . import tally
from .store import Record
from .survey import RATING_SCALE, RATINGS, Definition

MAX_BODY_BYTES = 16 * 1024
TEXT_LIMITS = {"what": 500, "comment": 1000, "contact": 200}
# "kiosk": the counter tablet's page (one device, one address, many customers: see fairness.py)
SOURCES = ("card", "sign", "receipt", "table", "email", "web", "kiosk")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,64}\Z")
HONEYPOT = "website"
FIELDS = frozenset(
    {"id", "v", "lang", "src", "device", "location", "wow", "staff", "what", "comment", "contact", "consent"}
    | set(RATINGS)
    | {"promises", HONEYPOT}
)
FORM = "application/x-www-form-urlencoded"
JSON_TYPES = ("application/json", "text/plain")
DOUBLE_TAP_WINDOW_SECONDS = 10
# Ids wowcard makes itself: "f-" for an answer sent without one (the no-JavaScript form), "i-" for an imported
# row (a hash anyone holding the paper card can compute). A client sending one could take the place of an
# answer not stored yet, so the collector refuses them; a page's own ids are UUIDs.
MADE_HERE = ("f-", "i-")


class InvalidResponse(Exception):
    """A request no honest page can make: 4xx, naming the field. Nothing is stored."""

    def __init__(self, field: str | None, message: str, status: int = 400):
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status

    def to_json(self) -> dict[str, Any]:
        return {"error": self.message, "field": self.field}


@dataclass(frozen=True, slots=True)
class Submission:
    """A decoded request body: its fields, and whether it came from the no-JavaScript form."""

    fields: dict[str, Any]
    is_form: bool
    raw: bytes


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def decode(body: bytes | None, content_type: str | None) -> Submission:
    """Decode a body by content type. Oversized bodies must be refused (413) before this is called."""
    body = body or b""
    kind = media_type(content_type)
    if len(body) > MAX_BODY_BYTES:
        raise InvalidResponse(None, f"the body is larger than {MAX_BODY_BYTES} bytes", 413)
    if kind == FORM:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidResponse(None, "the form body is not UTF-8") from None
        # Percent-escapes are decoded strictly too: "%FF" must not become U+FFFD in a stored answer.
        pairs = parse_qsl(text, keep_blank_values=True, errors="surrogateescape")
        fields: dict[str, Any] = {}
        for key, value in pairs:
            if not _is_utf8(key):
                raise InvalidResponse(None, "a field name of the form is not UTF-8")
            if not _is_utf8(value):
                raise InvalidResponse(key, f"{key} is not UTF-8 text")
            if key == "promises":
                fields.setdefault("promises", []).append(value)
            elif key in fields:
                raise InvalidResponse(key, f"{key} is given more than once")
            else:
                fields[key] = value
        return Submission(fields, True, body)
    if kind in JSON_TYPES:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidResponse(None, "the body is not UTF-8") from None
        try:
            data = json.loads(text, object_pairs_hook=_no_repeated_keys)
        except (ValueError, RecursionError):
            # RecursionError: nesting deeper than the parser's stack ([[[[…), which no page sends
            raise InvalidResponse(None, "the body is not a JSON object") from None
        if not isinstance(data, dict):
            raise InvalidResponse(None, "the body is not a JSON object")
        return Submission(data, False, body)
    raise InvalidResponse(None, f"content type must be {FORM}, application/json or text/plain", 415)


def refuse_made_here(fields: dict[str, Any]) -> None:
    """InvalidResponse when a client sends an id of a kind only wowcard makes (MADE_HERE)."""
    given = fields.get("id")
    if isinstance(given, str) and given.startswith(MADE_HERE):
        raise InvalidResponse(
            "id", f"id must not start with {' or '.join(MADE_HERE)}: wowcard makes those ids"
        )


def _is_utf8(text: str) -> bool:
    """False for text holding a byte that was not UTF-8 (kept by "surrogateescape" as a lone surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all different. json.loads keeps the last of a repeated key, so
    `"consent": "", …, "consent": "yes"` would quietly mean yes: refused, naming the key, as the form is."""
    fields: dict[str, Any] = {}
    for key, value in pairs:
        if key in fields:
            raise InvalidResponse(key, f"{key} is given more than once")
        fields[key] = value
    return fields


def is_honeypot(fields: dict[str, Any]) -> bool:
    value = fields.get(HONEYPOT)
    return bool(value) if not isinstance(value, str) else bool(value.strip())


def requested_version(fields: dict[str, Any]) -> str:
    v = fields.get("v")
    if not isinstance(v, str) or not re.match(r"^[0-9a-f]{6,64}\Z", v):
        raise InvalidResponse("v", "v must be the survey version the page was built from")
    return v


def validate(fields: dict[str, Any], definition: Definition) -> dict[str, Any]:
    """Check every field against the definition; return the answer fields of the stored response."""
    unknown = sorted(set(fields) - FIELDS)
    if unknown:
        raise InvalidResponse(unknown[0], f"{unknown[0]} is not a field of this survey")
    location = _text(fields, "location", 40)
    if location not in definition.location_ids():
        raise InvalidResponse("location", "location is not a location of this survey")
    lang = _text(fields, "lang", 16) or definition.default_language
    if lang not in definition.languages:
        raise InvalidResponse("lang", f"lang must be one of {', '.join(definition.languages)}")
    src = _text(fields, "src", 16) or None
    if src is not None and src not in SOURCES:
        raise InvalidResponse("src", f"src must be one of {', '.join(SOURCES)}")
    wow = _text(fields, "wow", 3) or None
    if wow not in (None, "yes", "no"):
        raise InvalidResponse("wow", "wow must be yes or no")
    staff = _text(fields, "staff", 40) or None
    if staff is not None and staff != tally.UNNAMED_STAFF and staff not in definition.staff_ids_at(location):
        raise InvalidResponse("staff", "staff is not a member of staff at this location")
    texts = {name: _text(fields, name, limit) for name, limit in TEXT_LIMITS.items()}
    consent = _consent(fields.get("consent"))
    ratings = {name: _rating(fields.get(name), name) for name in RATINGS}
    promises = _promises(fields.get("promises"), definition)
    for name in ("id", "device"):
        value = fields.get(name)
        if isinstance(value, str):
            _check_encodable(value, name)
        if value not in (None, "") and (not isinstance(value, str) or not TOKEN.match(value)):
            raise InvalidResponse(name, f"{name} must be 8 to 64 letters, digits, '-' or '_'")
    keep_contact = bool(texts["contact"]) and consent
    return {
        "location": location,
        "lang": lang,
        "src": src,
        "wow": wow,
        "staff": staff,
        "what": texts["what"] or None,
        **ratings,
        "promises": promises,
        "comment": texts["comment"] or None,
        "contact": texts["contact"] if keep_contact else None,
        "has_story": wow == "yes" and bool(texts["what"]),
        "has_comment": bool(texts["comment"]),
        "followup": keep_contact,
        "flagged": False,
        "done_at": None,
        "note": None,
        "redacted_at": None,
    }


def contact_dropped(fields: dict[str, Any]) -> bool:
    """A contact given without consent is not stored; the thank-you page says so."""
    contact = fields.get("contact")
    return isinstance(contact, str) and bool(contact.strip()) and not _consent(fields.get("consent"))


def record(
    submission: Submission,
    definition: Definition,
    received_at: datetime,
    client: str,
    user_agent: str,
    *,
    secret: bytes | None = None,
) -> Record:
    """Validate a submission and build the record to store: id, day, shard and tally increments. `secret`
    (the collector passes the survey's store-held salt) keys the server-made id of an answer sent without
    one; see `double_tap_ids`."""
    answer = validate(submission.fields, definition)
    aliases: tuple[str, ...] = ()
    aliases_since = aliases_until = None
    response_id = submission.fields.get("id") or None
    if response_id is None:
        response_id, aliases = double_tap_ids(
            definition.survey, submission.raw, client, user_agent, received_at, secret=secret
        )
        window = timedelta(seconds=DOUBLE_TAP_WINDOW_SECONDS)
        aliases_since = received_time(received_at - window)
        aliases_until = received_time(received_at + window)
    response = {
        "id": response_id,
        "survey": definition.survey,
        "version": definition.version,
        "received_at": received_time(received_at),
        "day": received_at.astimezone(ZoneInfo(definition.time_zone)).strftime("%Y-%m-%d"),
        "shard": tally.shard_of(response_id, definition.shards),
        **answer,
    }
    increments = tally.increments(response)
    return Record(
        response=response,
        increments=increments,
        aliases=aliases,
        aliases_since=aliases_since,
        aliases_until=aliases_until,
    )


def received_time(moment: datetime) -> str:
    """A stored `received_at`: UTC, microseconds, "Z" (its strings sort as the times do)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def double_tap_ids(
    survey: str,
    body: bytes,
    client: str,
    user_agent: str,
    received_at: datetime,
    *,
    secret: bytes | None = None,
) -> tuple[str, tuple[str, ...]]:
    """The server-made id of a no-JavaScript post: a hash of survey + body + client address + User-Agent +
    the second it arrived (server clock), and as aliases the ids the same post had in each of the 10 seconds
    before and after (two taps racing through a busy server may be stored in either order). `record()` stores
    the post with them and the times 10 s before and after it (`Record.aliases_since`, `aliases_until`): an
    alias stored with a receive time between those means the post is a repeat. So a repeat within 10 s
    (10.000 s included) is stored once, whichever is stored first, and the same answer sent again later than
    that is a new one: a sliding window of exactly `DOUBLE_TAP_WINDOW_SECONDS`, measured on the server's
    receive times. The client address only
    ever enters this hash; it is never stored.

    The id is stored, and the body can be rebuilt from the stored answer, so an unkeyed hash would let
    whoever reads the store try every address until one matches. With `secret` (the survey's random salt,
    kept in the store: what the collector passes) the hash is an HMAC-SHA256 under a key derived from it,
    which nobody without the salt can recompute. Without it (tools and tests that make records offline) the
    hash is plain SHA-256."""
    second = int(received_at.timestamp())
    key = None if secret is None else double_tap_key(secret, survey)

    def make(s: int) -> str:
        material = b"\0".join([survey.encode(), body, client.encode(), user_agent.encode(), b"%d" % s])
        if key is None:
            return "f-" + hashlib.sha256(material).hexdigest()[:32]
        return "f-" + hmac.new(key, material, "sha256").hexdigest()[:32]

    around = range(-DOUBLE_TAP_WINDOW_SECONDS, DOUBLE_TAP_WINDOW_SECONDS + 1)
    return make(second), tuple(make(second + n) for n in around if n != 0)


def double_tap_key(secret: bytes, survey: str) -> bytes:
    """The survey's key of server-made ids, apart from the fairness keys made from the same salt."""
    return hmac.new(secret, b"\0".join([b"wowcard-double-tap", survey.encode()]), "sha256").digest()


def _text(fields: dict[str, Any], name: str, limit: int) -> str:
    value = fields.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidResponse(name, f"{name} must be text")
    _check_encodable(value, name)
    # A form sends a textarea's line breaks as CRLF (HTML's form encoding), the page's script as LF; the
    # textarea's maxlength counts each as one character, and so does this limit.
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if name in TEXT_LIMITS:
        value = clean_text(value)
    value = value.strip()
    if len(value) > limit:
        raise InvalidResponse(name, f"{name} is longer than {limit} characters")
    if "\x00" in value:
        raise InvalidResponse(name, f"{name} contains a NUL character")
    return value


# What free text from a customer may not hold: C0 controls but tab and line feed, DEL, C1 controls, and the
# bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) that can make a line read in an
# order other than the one it was written in. Stripped, not refused: a customer never meets an error for
# something their keyboard inserted, and the rest of what they wrote is kept.
_UNSAFE = {c: None for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]}
_UNSAFE.update({c: None for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]})


def clean_text(text: str) -> str:
    """Free text as the collector stores it: without control characters (but newline and tab) and without
    bidi overrides. Line breaks must already be "\n"."""
    return text.translate(_UNSAFE)


def _check_encodable(value: str, name: str) -> None:
    """Refuse text that has no UTF-8 form (a lone UTF-16 surrogate, "\\ud83d" in JSON: half an emoji): no
    store can keep it, and a store error would be a 503 the page resends for ever."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidResponse(name, f"{name} holds a broken character (half of a UTF-16 pair)") from None


def _rating(value: Any, name: str) -> int | None:
    if value in (None, ""):
        return None
    low, high = RATING_SCALE
    if isinstance(value, str) and value.isdigit() and len(value) == 1:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidResponse(name, f"{name} must be a whole number from {low} to {high}")
    return value


def _consent(value: Any) -> bool:
    if value in (None, "", False):
        return False
    if value in (True, "yes", "on", "true"):
        return True
    raise InvalidResponse("consent", "consent must be yes")


def _promises(value: Any, definition: Definition) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise InvalidResponse("promises", "promises must be a list of promise ids")
    for p in value:
        _check_encodable(p, "promises")
    known = definition.promise_ids()
    chosen = [p for p in dict.fromkeys(value) if p]
    for p in chosen:
        if p not in known:
            raise InvalidResponse("promises", "promises names a promise this survey does not have")
    return sorted(chosen)
