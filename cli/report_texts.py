"""What customers wrote, for the report: every comment and story of the report's period, read from the
responses of that period that carry one (`Store.texts`: texts are not tallied), and the order an owner reads
them in (worst first).
`report.gather` attaches them; the numbers stay in `report`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from . import i18n
from .collector import tally
from .collector.digest import severity
from .collector.store import received_epoch
from .collector.survey import RATINGS, Definition
from .report import location_name, staff_name

UNNAMED_LABEL = "I didn't catch their name"


def _who(definition: Definition, staff_id: str | None) -> str | None:
    if not staff_id:
        return None
    return UNNAMED_LABEL if staff_id == tally.UNNAMED_STAFF else staff_name(definition, staff_id)


def _followup_status(response: Mapping[str, Any]) -> str | None:
    if not response.get("followup"):
        return None
    return "done" if response.get("done_at") else "open"


# A report lists at most this many texts (worst first) and stories per person (newest first), and says how
# many there were: a year of answers must not make a report of megabytes.
SAID_LIMIT = 200
STORIES_PER_PERSON = 20


def _language(names: dict[str, str], code: str | None) -> str | None:
    if code is None:
        return None
    if code not in names:
        names[code] = i18n.language_name(code, "en")
    return names[code]


def attach_texts(
    report: dict[str, Any], definition: Definition, responses: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """Add what customers wrote, from the responses of the report's period that carry words (the caller
    reads `Store.texts` of those days: texts are not tallied, so this read grows with the period's texts,
    never with its answers without words nor with the history):

    - `stories`: every "what did they do" of a recognition, per person in leaderboard order and the unnamed
      ones ("I didn't catch their name") last, newest first; flagged recognitions only if the report
      includes them;
    - `said`: every response with a comment or a story, worst first (`severity`), with its wow answer,
      ratings, location, day, language and follow-up status.

    At most SAID_LIMIT texts and STORIES_PER_PERSON stories per person are listed; `said_total` and
    `stories_total` (per staff id) say how many there were. Redacted responses have no words left and are
    skipped. Texts are kept as stored; every output makes them safe to show (`safe_text`)."""
    since, until = report["period"]["since"], report["period"]["until"]
    only = report["location"]["id"] if report["location"] else None
    kept, read = [], 0
    for r in responses:
        read += 1
        in_report = since <= r["day"] <= until and only in (None, r["location"])
        if in_report and (r.get("what") or r.get("comment")):
            kept.append(r)
    report["responses_read"] = read
    stories = [
        {
            "staff": r["staff"],
            "name": _who(definition, r["staff"]),
            "location": r["location"],
            "location_name": location_name(definition, r["location"]),
            "day": r["day"],
            "received_at": r["received_at"],
            "lang": r.get("lang"),
            "what": r["what"],
        }
        for r in kept
        if r.get("wow") == "yes"
        and r.get("what")
        and r.get("staff")
        and (report["include_flagged"] or not r.get("flagged"))
    ]
    rank = {e["id"]: i for i, e in enumerate(report["staff"])}
    last = len(rank)
    stories.sort(key=lambda s: -received_epoch(s["received_at"]))
    stories.sort(
        key=lambda s: (
            last + 1 if s["staff"] == tally.UNNAMED_STAFF else rank.get(s["staff"], last),
            s["name"].casefold(),
        )
    )
    kept.sort(key=severity)  # raw responses carry what severity reads: sort first, build only what is listed
    languages: dict[str, str] = {}  # a name per code, looked up once
    said = [
        {
            "id": r["id"],
            "location": r["location"],
            "location_name": location_name(definition, r["location"]),
            "day": r["day"],
            "received_at": r["received_at"],
            "lang": r.get("lang"),
            "language": _language(languages, r.get("lang")),
            "wow": r.get("wow"),
            **{name: r.get(name) for name in RATINGS},
            "staff": r.get("staff"),
            "staff_name": _who(definition, r.get("staff")),
            "what": r.get("what"),
            "comment": r.get("comment"),
            "followup": _followup_status(r),
        }
        for r in kept[:SAID_LIMIT]
    ]
    totals: dict[str, int] = {}
    listed = []
    for story in stories:
        totals[story["staff"]] = totals.get(story["staff"], 0) + 1
        if totals[story["staff"]] <= STORIES_PER_PERSON:
            listed.append(story)
    report["stories"] = listed
    report["stories_total"] = totals
    report["said"] = said
    report["said_total"] = len(kept)
    return report
