"""Follow-ups: customers who asked to be contacted. What the owner reads before calling back (why they asked:
the wow answer, the ratings, the promises, what they wrote, language, location, when, status), and the rules
for closing one (`close`). `wowcard followups` only parses, calls these and prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from . import i18n
from .collector.safe_text import safe_text
from .collector.store import Store
from .collector.survey import RATINGS, Definition
from .report import instant, location_name, staff_name
from .report_model import RATING_LABELS, hours

NOTE_LIMIT = 500


class FollowupError(Exception):
    """A follow-up that cannot be closed; `fixable` when the owner typed something wrong (exit 2), else the
    state of the store says no (exit 1)."""

    def __init__(self, message: str, *, fixable: bool) -> None:
        super().__init__(message)
        self.fixable = fixable


def status(response: dict[str, Any]) -> str:
    return "done" if response.get("done_at") else "open"


def followup_json(response: dict[str, Any], definition: Definition) -> dict[str, Any]:
    """One follow-up as `wowcard followups --format json` lists it: who to call and why. Texts as stored."""
    staff = response.get("staff")
    texts = {p.id: p.text for p in definition.promises}
    lang = response.get("lang")
    return {
        "id": response["id"],
        "status": status(response),
        "location": response["location"],
        "location_name": location_name(definition, response["location"]),
        "received_at": response["received_at"],
        "day": response["day"],
        "lang": lang,
        "language": i18n.language_name(lang, "en") if lang else None,
        "wow": response.get("wow"),
        **{name: response.get(name) for name in RATINGS},
        "promises": [texts.get(p, p) for p in response.get("promises") or ()],
        "staff": staff,
        "staff_name": staff_name(definition, staff) if staff and staff != "_" else None,
        "what": response.get("what"),
        "comment": response.get("comment"),
        "contact": response.get("contact"),
        "done_at": response.get("done_at"),
        "note": response.get("note"),
    }


def why(item: dict[str, Any]) -> str:
    """The answer in one line: "wow no · People 1 · Process 3 · Spanish"."""
    parts = [f"wow {item['wow'] or '–'}"]
    parts += [f"{RATING_LABELS[name]} {item[name]}" for name in RATINGS if item[name] is not None]
    if item["language"]:
        parts.append(item["language"])
    return " · ".join(parts)


def followups_text(items: list[dict[str, Any]], time_zone: str) -> str:
    """One block per follow-up, newest first: when, where, who, status; why they asked; the contact and what
    they said. Every text goes through `safe_text`, so a comment cannot drive the terminal."""
    zone = ZoneInfo(time_zone)
    blocks = []
    for item in items:
        received = instant(item["received_at"]).astimezone(zone)
        state = f"done {item['done_at'][:10]}" if item["done_at"] else "open"
        head = [received.strftime("%Y-%m-%d %H:%M"), item["location_name"], item["staff_name"] or "", state]
        lines = ["  ·  ".join(safe_text(part) for part in head if part) + f"  (id {safe_text(item['id'])})"]
        lines.append(f"    answer: {safe_text(why(item))}")
        lines.append(f"    contact: {safe_text(item['contact'] or '(removed by retention)')}")
        if item["promises"]:
            lines.append(f"    would repeat: {safe_text('; '.join(item['promises']))}")
        for label, key in (("said", "comment"), ("wow", "what"), ("note", "note")):
            if item[key]:
                lines.append(f"    {label}: {safe_text(item[key])}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def clean_note(note: str | None) -> str | None:
    """The owner's note as kept: one line, at most NOTE_LIMIT characters (longer is refused, not cut)."""
    note = " ".join(note.split()) if note else None
    if note is not None and len(note) > NOTE_LIMIT:
        raise FollowupError(
            f"--note is {len(note)} characters; at most {NOTE_LIMIT} are allowed", fixable=True
        )
    return note or None


@dataclass(frozen=True, slots=True)
class Closed:
    response_id: str
    hours: float  # from the answer to closing it
    goal_hours: int

    @property
    def within_goal(self) -> bool:
        return self.hours <= self.goal_hours

    def message(self) -> str:
        verdict = "within" if self.within_goal else "over"
        return (
            f"Closed the follow-up of response {self.response_id}: {hours(self.hours)} after the answer "
            f"({verdict} the {self.goal_hours} h goal)."
        )


def close(
    store: Store, survey: str, response_id: str, note: str | None, now: datetime, goal_hours: int
) -> Closed:
    """Close the follow-up of one response at `now`, with the owner's note. Refused (FollowupError) for an
    unknown response, one that asked for no follow-up, or one already closed (also when it was closed
    between our read and our write)."""
    kept = clean_note(note)
    response = store.get(survey, response_id)
    if response is None:
        raise FollowupError(
            f'no response "{response_id}" in survey {survey} (see `wowcard followups`)', fixable=True
        )
    if not response.get("followup"):
        raise FollowupError(f'response "{response_id}" did not ask to be contacted', fixable=True)
    if response.get("done_at"):
        raise FollowupError(
            f'the follow-up of response "{response_id}" was already closed at {response["done_at"]}',
            fixable=False,
        )
    if not store.close_followup(survey, response_id, now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), kept):
        raise FollowupError(f'the follow-up of response "{response_id}" was closed meanwhile', fixable=False)
    waited = (now - instant(response["received_at"])).total_seconds() / 3600
    return Closed(response_id, waited, goal_hours)
