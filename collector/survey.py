"""The survey definition: the owner's `survey.toml` parsed into a typed model, and compiled to the public
JSON definition (with a content version) that the collector validates answers against.

Standard library only: the Lambda imports this module too.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?\Z")
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}\Z")
LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?\Z")
# Path segments the site layout uses next to location ids (DESIGN.md "Requests, versions and URLs").
RESERVED_LOCATION_IDS = frozenset({"thanks", "error", "api", "cards", "s", "survey.json"})
RATINGS = ("people", "process", "product")
REVIEW_URL = re.compile(r"^https://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:\d+)?(/\S*)?\Z")  # a public page: https only
QUESTIONS = ("who", "what", "ratings", "promises", "comment", "contact")
RATING_SCALE = (1, 5)
DEFAULT_STORE = "sqlite:.wowcard/responses.db"
DEFAULT_LANGUAGES = ("en",)
DEFAULT_TITLE = "Did anyone exceed your expectations today?"
DEFAULT_THANK_YOU = "Thank you! We read every answer."
# What `[alerts] on` may name: a follow-up request and a lowest (1) People/Process/Product rating alert the
# owner at once; "recognition" shouts out a staff member a customer recognised (fairly: never a flagged
# self-vote); "digest" sends the week's huddle message every Monday at 08:00 in the survey's time zone.
ALERT_KINDS = ("followup", "low_rating", "recognition", "digest")
# The default of `on` (what it was before recognition and the digest existed, so published versions stay).
DEFAULT_ALERTS_ON = ("followup", "low_rating")
# Fair recognition: more recognitions than this of one staff member from one device in one day are flagged.
DEFAULT_RECOGNITION_LIMIT = 2
DEFAULT_ADDRESS_LIMIT = 10  # fairness.py: recognitions of one staff member from one network a day
DEFAULT_FOLLOWUP_GOAL_HOURS = 24
WEBHOOK_FROM_ENV = re.compile(r"^env:([A-Za-z_][A-Za-z0-9_]{0,127})\Z")


class SurveyError(Exception):
    """A survey definition the owner must fix: which file, which field, what is wrong."""

    def __init__(self, path: str, message: str, file: str | Path | None = None):
        # A path holds the owner's TOML keys and a file name may hold anything: both are shown escaped, so
        # the message stays one line and never carries a terminal escape.
        self.path = printable(path)
        self.message = message
        self.file = printable(str(file)) if file is not None else None
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.file}: " if self.file else ""
        field_path = f"{self.path}: " if self.path else ""
        return f"{where}{field_path}{self.message}"


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def printable(text: str) -> str:
    """`text` with every character that is not printable (line breaks, ESC, other control and format
    characters) written as a TOML escape (\\n, \\u001b): what the owner would write in survey.toml."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in text)


def quoted(value: str) -> str:
    """A value from survey.toml as an error message shows it: in double quotes, escaped as in TOML."""
    return '"' + "".join(_ESCAPES.get(ch) or (ch if ch.isprintable() else _escape(ch)) for ch in value) + '"'


def _escape(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    return f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}"


def control_character(text: str, allow_line_breaks: bool = False) -> str | None:
    """The first control character in `text` as "U+001B", or None. Tab, line feed and carriage return are
    allowed with `allow_line_breaks`."""
    allowed = "\t\n\r" if allow_line_breaks else ""
    for ch in text:
        if (ch < " " and ch not in allowed) or "\x7f" <= ch <= "\x9f":
            return f"U+{ord(ch):04X}"
    return None


@dataclass(frozen=True, slots=True)
class Brand:
    name: str
    primary: str
    background: str = "#ffffff"
    tagline: str = ""
    logo: Path | None = None


@dataclass(frozen=True, slots=True)
class Location:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Staff:
    id: str
    name: str
    locations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Promise:
    id: str
    text: str


@dataclass(frozen=True, slots=True)
class Questions:
    who: bool = True
    what: bool = True
    ratings: bool = True
    promises: bool = True
    comment: bool = True
    contact: bool = True


@dataclass(frozen=True, slots=True)
class Alerts:
    """`[alerts]`: where and when the owner hears about an answer at once. `webhook` is a secret ("env:NAME",
    read from the environment when an alert is sent, or the URL itself): it is kept out of the compiled
    Definition, out of repr() and out of every message."""

    webhook: str = field(repr=False)
    on: tuple[str, ...] = DEFAULT_ALERTS_ON

    @property
    def webhook_env(self) -> str | None:
        """The environment variable the webhook URL is read from, or None for a literal URL."""
        found = WEBHOOK_FROM_ENV.match(self.webhook)
        return found.group(1) if found else None


@dataclass(frozen=True, slots=True)
class Survey:
    """Everything `survey.toml` says. Paths are absolute, resolved against the survey file's folder."""

    id: str
    brand: Brand
    locations: tuple[Location, ...]
    staff: tuple[Staff, ...] = ()
    promises: tuple[Promise, ...] = ()
    questions: Questions = field(default_factory=Questions)
    title: str = DEFAULT_TITLE
    thank_you: str = DEFAULT_THANK_YOU
    time_zone: str = "UTC"
    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    site_url: str | None = None
    review_url: str | None = None  # one public review page, linked from every thank-you page
    store: str = DEFAULT_STORE
    retention_days: int = 365
    shards: int = 4
    output: Path = Path("build")
    source: Path | None = None
    alerts: Alerts | None = None
    recognition_limit: int = DEFAULT_RECOGNITION_LIMIT
    address_limit: int = DEFAULT_ADDRESS_LIMIT
    followup_goal_hours: int = DEFAULT_FOLLOWUP_GOAL_HOURS
    # `[limits] waf = true`: `wowcard deploy` puts a WAF web ACL with a per-client rate limit in front of the
    # stage's CloudFront (costs about 6 USD a month; docs/deploy.md). Not part of the compiled definition.
    waf: bool = False
    # Owner texts given per language (`text.es = "…"`): field path → language → text. The fields above hold
    # the default language's; `text()` picks another.
    translations: dict[str, dict[str, str]] = field(default_factory=dict, hash=False)

    @property
    def folder(self) -> Path:
        return self.source.parent if self.source else Path.cwd()

    def location(self, location_id: str) -> Location:
        return next(loc for loc in self.locations if loc.id == location_id)

    def staff_at(self, location_id: str) -> tuple[Staff, ...]:
        return tuple(s for s in self.staff if location_id in s.locations)

    def text(self, path: str, language: str, fallback: str) -> str:
        """The owner's text at a field path (as errors name it: "promises[0].text") in one language;
        `fallback` (the field's own value) where it is not given per language."""
        return self.translations.get(path, {}).get(language, fallback)

    def definition(self) -> Definition:
        return Definition.compile(self)


@dataclass(frozen=True, slots=True)
class Definition:
    """The compiled, public definition: what the collector needs to validate an answer and reports need to
    name things. No secrets and no owner paths. `version` is a hash of the content, so the same survey.toml
    always compiles to the same version and every change gets a new one.

    `alerts` (which answers alert, never where to), `recognition_limit` and `address_limit` were added later;
    they are written only when they differ from their defaults, so a survey published before keeps its
    version."""

    survey: str
    version: str
    time_zone: str
    shards: int
    languages: tuple[str, ...]
    questions: Questions
    locations: tuple[Location, ...]
    staff: tuple[Staff, ...]
    promises: tuple[Promise, ...]
    retention_days: int
    site_url: str | None
    alerts: tuple[str, ...] = ()
    recognition_limit: int = DEFAULT_RECOGNITION_LIMIT
    address_limit: int = DEFAULT_ADDRESS_LIMIT

    @classmethod
    def compile(cls, survey: Survey) -> Definition:
        unversioned = cls(
            survey=survey.id,
            version="",
            time_zone=survey.time_zone,
            shards=survey.shards,
            languages=survey.languages,
            questions=survey.questions,
            locations=survey.locations,
            staff=survey.staff,
            promises=survey.promises,
            retention_days=survey.retention_days,
            site_url=survey.site_url,
            alerts=survey.alerts.on if survey.alerts else (),
            recognition_limit=survey.recognition_limit,
            address_limit=survey.address_limit,
        )
        body = unversioned.to_json()
        del body["version"]
        canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return replace(unversioned, version=hashlib.sha256(canonical.encode()).hexdigest()[:12])

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Definition:
        return cls(
            survey=data["survey"],
            version=data["version"],
            time_zone=data["time_zone"],
            shards=int(data["shards"]),
            languages=tuple(data["languages"]),
            questions=Questions(**data["questions"]),
            locations=tuple(Location(**loc) for loc in data["locations"]),
            staff=tuple(Staff(s["id"], s["name"], tuple(s["locations"])) for s in data["staff"]),
            promises=tuple(Promise(**p) for p in data["promises"]),
            retention_days=int(data["retention_days"]),
            site_url=data.get("site_url"),
            alerts=tuple(data.get("alerts") or ()),
            recognition_limit=int(data.get("recognition_limit", DEFAULT_RECOGNITION_LIMIT)),
            address_limit=int(data.get("address_limit", DEFAULT_ADDRESS_LIMIT)),
        )

    def to_json(self) -> dict[str, Any]:
        body = {
            "survey": self.survey,
            "version": self.version,
            "time_zone": self.time_zone,
            "shards": self.shards,
            "languages": list(self.languages),
            "questions": {q: getattr(self.questions, q) for q in QUESTIONS},
            "locations": [{"id": loc.id, "name": loc.name} for loc in self.locations],
            "staff": [{"id": s.id, "name": s.name, "locations": list(s.locations)} for s in self.staff],
            "promises": [{"id": p.id, "text": p.text} for p in self.promises],
            "retention_days": self.retention_days,
            "site_url": self.site_url,
        }
        if self.alerts:
            body["alerts"] = list(self.alerts)
        if self.recognition_limit != DEFAULT_RECOGNITION_LIMIT:
            body["recognition_limit"] = self.recognition_limit
        if self.address_limit != DEFAULT_ADDRESS_LIMIT:
            body["address_limit"] = self.address_limit
        return body

    def dumps(self) -> str:
        """Canonical JSON: sorted keys, no whitespace variance, so builds are byte-identical."""
        return json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False, indent=1) + "\n"

    @property
    def default_language(self) -> str:
        return self.languages[0]

    def location_ids(self) -> frozenset[str]:
        return frozenset(loc.id for loc in self.locations)

    def staff_ids_at(self, location_id: str) -> frozenset[str]:
        return frozenset(s.id for s in self.staff if location_id in s.locations)

    def promise_ids(self) -> frozenset[str]:
        return frozenset(p.id for p in self.promises)


# --- parsing ---------------------------------------------------------------------------------------------


def load(path: str | Path) -> Survey:
    """Read and validate a survey.toml; every problem is a SurveyError naming the file and field."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SurveyError("", "no such file (run `wowcard init` to create one)", path) from None
    except OSError as exc:
        raise SurveyError("", f"cannot read: {exc.strerror}", path) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SurveyError("", "is not UTF-8 text", path) from None
    except tomllib.TOMLDecodeError as exc:
        raise SurveyError("", f"is not valid TOML: {exc}", path) from None
    try:
        return parse(data, folder=path.resolve().parent, source=path.resolve())
    except SurveyError as exc:
        raise SurveyError(exc.path, exc.message, path) from None


def parse(data: dict[str, Any], folder: Path | None = None, source: Path | None = None) -> Survey:
    """Validate an already-decoded TOML document."""
    folder = folder or Path.cwd()
    top = _Table(data, "")
    survey_id = top.slug("id")
    languages = tuple(top.list_of("languages", str, default=list(DEFAULT_LANGUAGES), non_empty=True))
    for i, lang in enumerate(languages):
        if not LANGUAGE.match(lang):
            raise SurveyError(
                f"languages[{i}]", f'{quoted(lang)} is not a language code such as "en" or "pt-BR"'
            )
    _no_duplicates(languages, "languages", lambda x: x)
    top.languages = languages  # before any text that may be given per language
    brand = _brand(top.table("brand", required=True), folder)
    locations = tuple(_location(t) for t in top.tables("locations", required=True))
    _no_duplicates(locations, "locations", lambda x: x.id)
    known_locations = [loc.id for loc in locations]
    staff = tuple(_staff(t, known_locations) for t in top.tables("staff"))
    _no_duplicates(staff, "staff", lambda x: x.id)
    promises = tuple(Promise(t.slug("id"), t.localized("text", 200)) for t in top.tables("promises"))
    _no_duplicates(promises, "promises", lambda x: x.id)
    questions = _questions(top.table("questions"))
    store_table = top.table("store")
    store = store_table.string("url", default=DEFAULT_STORE)
    if not re.match(r"^(sqlite:.+|dynamodb:[A-Za-z0-9_.-]{3,255})\Z", store):
        raise SurveyError(
            "store.url", f'{quoted(store)} is not a store; use "sqlite:PATH" or "dynamodb:TABLE"'
        )
    store_table.done()
    time_zone = top.string("time_zone", default="UTC")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SurveyError(
            "time_zone", f'{quoted(time_zone)} is not an IANA time zone such as "Europe/London"'
        ) from None
    site_url = top.string("site_url", default=None)
    if site_url is not None:
        if not re.match(r"^https?://[A-Za-z0-9.-]+(:\d+)?(/[A-Za-z0-9._~/-]*)?\Z", site_url):
            raise SurveyError(
                "site_url", f'{quoted(site_url)} is not a URL such as "https://survey.example.com"'
            )
        site_url = site_url.rstrip("/")
    review_url = top.string("review_url", default=None)
    if review_url is not None and not REVIEW_URL.match(review_url):
        raise SurveyError(
            "review_url",
            f'{quoted(review_url)} is not an https:// URL such as "https://g.page/r/your-shop/review"',
        )
    alerts_table = top.table("alerts")
    alerts = _alerts(alerts_table) if "alerts" in top.data else None
    limits_table = top.table("limits")
    waf = limits_table.boolean("waf", default=False)
    limits_table.done()
    survey = Survey(
        id=survey_id,
        brand=brand,
        locations=locations,
        staff=staff,
        promises=promises,
        questions=questions,
        title=top.localized("title", 120, default=DEFAULT_TITLE),
        thank_you=top.localized("thank_you", 400, default=DEFAULT_THANK_YOU),
        time_zone=time_zone,
        languages=languages,
        site_url=site_url,
        review_url=review_url,
        store=store,
        retention_days=top.integer("retention_days", 1, 3650, default=365),
        shards=top.integer("shards", 1, 64, default=4),
        output=folder / top.string("output", default="build"),
        source=source,
        translations=top.translations,
        alerts=alerts,
        waf=waf,
        **_fairness(top.table("fairness")),
        followup_goal_hours=top.integer(
            "followup_goal_hours", 1, 24 * 90, default=DEFAULT_FOLLOWUP_GOAL_HOURS
        ),
    )
    top.done()
    return survey


def _brand(t: _Table, folder: Path) -> Brand:
    logo = t.string("logo", default=None)
    logo_path = None
    if logo is not None:
        logo_path = folder / logo
        if logo_path.suffix.lower() != ".svg":
            raise SurveyError(
                "brand.logo", f"{quoted(logo)} is not an SVG file; the page inlines the logo as SVG"
            )
        if not logo_path.is_file():
            raise SurveyError(
                "brand.logo", f"{quoted(logo)} does not exist (looked in {printable(str(folder))})"
            )
    brand = Brand(
        name=t.localized("name", 80, name=True),
        primary=t.colour("primary"),
        background=t.colour("background", default="#ffffff"),
        tagline=t.localized("tagline", 120, default=""),
        logo=logo_path,
    )
    t.done()
    return brand


def _location(t: _Table) -> Location:
    loc = Location(t.slug("id"), t.localized("name", 80, name=True))
    if loc.id in RESERVED_LOCATION_IDS:
        raise SurveyError(
            f"{t.path}.id", f"{quoted(loc.id)} is reserved by the site layout; choose another id"
        )
    t.done()
    return loc


def _staff(t: _Table, known_locations: list[str]) -> Staff:
    if "location" in t.data and "locations" in t.data:
        raise SurveyError(t.path, 'give either "location" or "locations", not both')
    if "location" in t.data:
        where, locations = f"{t.path}.location", [t.string("location")]
    else:
        where, locations = f"{t.path}.locations", t.list_of("locations", str, non_empty=True)
    for i, loc in enumerate(locations):
        if loc not in known_locations:
            path = where if "location" in t.data else f"{where}[{i}]"
            raise SurveyError(path, f"unknown location {quoted(loc)}; known: {', '.join(known_locations)}")
    staff = Staff(t.slug("id"), t.localized("name", 60, name=True), tuple(dict.fromkeys(locations)))
    t.done()
    return staff


def _questions(t: _Table) -> Questions:
    questions = Questions(**{q: t.boolean(q, default=True) for q in QUESTIONS})
    t.done()
    return questions


def _alerts(t: _Table) -> Alerts | None:
    """`[alerts]`, or None when the table is absent. The webhook's value never appears in an error: it may
    be the secret URL itself."""
    webhook = t.string("webhook")
    if not (WEBHOOK_FROM_ENV.match(webhook) or webhook_url_problem(webhook) is None):
        raise SurveyError(
            f"{t.path}.webhook",
            'must be "env:NAME" (the URL is read from that environment variable) or an https:// URL '
            "(http:// only on localhost); its value is not shown because it may be a secret",
        )
    on = t.list_of("on", str, default=list(DEFAULT_ALERTS_ON), non_empty=True)
    for i, kind in enumerate(on):
        if kind not in ALERT_KINDS:
            raise SurveyError(f"{t.path}.on[{i}]", f"{quoted(kind)} is not one of {', '.join(ALERT_KINDS)}")
    _no_duplicates(on, f"{t.path}.on", lambda x: x)
    t.done()
    return Alerts(webhook=webhook, on=tuple(on))


def webhook_url_problem(url: str) -> str | None:
    """What is wrong with a webhook URL, or None. The message never repeats the URL."""
    if re.match(r"^https://[A-Za-z0-9.-]+(:\d+)?(/\S*)?\Z", url):
        return None
    if re.match(r"^http://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?(/\S*)?\Z", url):
        return None
    return "is not an https:// URL (http:// only on localhost)"


def _fairness(t: _Table) -> dict[str, int]:
    limits = {
        "recognition_limit": t.integer(
            "same_staff_per_device_per_day", 1, 1000, default=DEFAULT_RECOGNITION_LIMIT
        ),
        "address_limit": t.integer(
            "same_staff_per_address_per_day", 1, 100000, default=DEFAULT_ADDRESS_LIMIT
        ),
    }
    t.done()
    return limits


def _no_duplicates(items: Iterable[Any], path: str, key: Callable[[Any], str]) -> None:
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        k = key(item)
        if k in seen:
            raise SurveyError(f"{path}[{i}]", f"duplicate id {quoted(k)} (first used at {path}[{seen[k]}])")
        seen[k] = i


_MISSING = object()


class _Table:
    """One TOML table being read: typed getters that raise SurveyError with the field path, and `done()`
    that rejects any key nobody asked for (typos must not pass silently)."""

    def __init__(self, data: Any, path: str, parent: _Table | None = None):
        if not isinstance(data, dict):
            raise SurveyError(path, f"must be a table, not {_type_name(data)}")
        self.data = data
        self.path = path
        self.seen: set[str] = set()
        # Shared by a document's tables: its languages (set once read) and the per-language texts found.
        self.languages: tuple[str, ...] = parent.languages if parent else DEFAULT_LANGUAGES
        self.translations: dict[str, dict[str, str]] = parent.translations if parent else {}

    def _where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def _get(self, key: str, default: Any) -> Any:
        self.seen.add(key)
        if key in self.data:
            return self.data[key]
        if default is _MISSING:
            raise SurveyError(self._where(key), "is required")
        return default

    def string(self, key: str, default: Any = _MISSING, folded: bool = False) -> Any:
        """A string field. Control characters (an ESC would reach the owner's terminal; XML, so every card's
        SVG, forbids them) are refused; tabs and line breaks too, except in a text whose white space is
        `folded` to single spaces."""
        value = self._get(key, default)
        if value is not default and not isinstance(value, str):
            raise SurveyError(self._where(key), f"must be a string, not {_type_name(value)}")
        if isinstance(value, str):
            found = control_character(value, allow_line_breaks=folded)
            if found is not None:
                raise SurveyError(self._where(key), f"contains a control character ({found}); remove it")
        return value

    def text(self, key: str, max_length: int, default: Any = _MISSING) -> str:
        value = self.string(key, default, folded=True)
        if value is default:
            return value
        value = " ".join(value.split())
        if not value:
            raise SurveyError(self._where(key), "must not be empty")
        if len(value) > max_length:
            raise SurveyError(
                self._where(key), f"is {len(value)} characters; at most {max_length} are allowed"
            )
        return value

    def localized(self, key: str, max_length: int, default: Any = _MISSING, name: bool = False) -> str:
        """A text customers read: one string, or one per survey language (`text.en = "…"`, `text.es = "…"`).
        Returns the default language's text; every language's goes into `translations` under the field
        path. One string serves every language for a name (`name=True`: a brand, a place, a person); a
        sentence needs one per language unless the survey has one language or it is the built-in `default`
        (which wowcard translates itself)."""
        value = self._get(key, default)
        where = self._where(key)
        languages = self.languages
        if not isinstance(value, dict):
            text = self.text(key, max_length, default)
            if name or text == default or len(languages) == 1:
                return text
            raise SurveyError(
                f"{where}.{languages[1]}",
                f"missing: the survey's languages are {', '.join(languages)}, so this text needs one per "
                f'language, e.g. {key}.{languages[0]} = "…" and {key}.{languages[1]} = "…"',
            )
        for lang in value:
            if lang not in languages:
                known = ", ".join(languages)
                raise SurveyError(f"{where}.{lang}", f"{quoted(lang)} is not one of the languages ({known})")
        per_language = _Table(value, where, self)
        texts = {}
        for lang in languages:
            if lang not in value:
                raise SurveyError(
                    f"{where}.{lang}",
                    f"missing: the survey's languages are {', '.join(languages)}, so this text needs "
                    f'a version in "{lang}" too',
                )
            texts[lang] = per_language.text(lang, max_length)
        self.translations[where] = texts
        return texts[languages[0]]

    def slug(self, key: str) -> str:
        value = self.string(key)
        if not SLUG.match(value):
            raise SurveyError(
                self._where(key),
                f"{quoted(value)} is not a URL-safe id: use 1-40 lowercase letters, digits and inner hyphens",
            )
        return value

    def colour(self, key: str, default: Any = _MISSING) -> str:
        value = self.string(key, default)
        if not HEX_COLOUR.match(value):
            raise SurveyError(self._where(key), f'{quoted(value)} is not a colour such as "#0b5d6b"')
        return value.lower()

    def boolean(self, key: str, default: Any = _MISSING) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise SurveyError(self._where(key), f"must be true or false, not {_type_name(value)}")
        return value

    def integer(self, key: str, low: int, high: int, default: Any = _MISSING) -> int:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise SurveyError(self._where(key), f"must be a whole number, not {_type_name(value)}")
        if not low <= value <= high:
            raise SurveyError(self._where(key), f"is {value}; allowed: {low} to {high}")
        return value

    def list_of(self, key: str, kind: type, default: Any = _MISSING, non_empty: bool = False) -> list[Any]:
        value = self._get(key, default)
        if not isinstance(value, list):
            raise SurveyError(self._where(key), f"must be a list, not {_type_name(value)}")
        if non_empty and not value:
            raise SurveyError(self._where(key), "must not be empty")
        for i, item in enumerate(value):
            if not isinstance(item, kind):
                raise SurveyError(
                    f"{self._where(key)}[{i}]", f"must be a {kind.__name__}, not {_type_name(item)}"
                )
        return value

    def table(self, key: str, required: bool = False) -> _Table:
        value = self._get(key, _MISSING if required else {})
        return _Table(value, self._where(key), self)

    def tables(self, key: str, required: bool = False) -> list[_Table]:
        value = self._get(key, _MISSING if required else [])
        where = self._where(key)
        if not isinstance(value, list):
            raise SurveyError(where, f"must be an array of tables ([[{key}]]), not {_type_name(value)}")
        if required and not value:
            raise SurveyError(where, f"needs at least one [[{key}]] table")
        return [_Table(item, f"{where}[{i}]", self) for i, item in enumerate(value)]

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.seen)
        if unknown:
            allowed = ", ".join(sorted(self.seen))
            raise SurveyError(self._where(unknown[0]), f"is not a known field; allowed here: {allowed}")


def _type_name(value: Any) -> str:
    return {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)
