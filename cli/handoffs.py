"""Hand-offs: a printed URL is forever. The pages a survey once had (from the previous build's manifest and
every published definition version), which ones it no longer writes, and how the build reports them.

A survey page of a person or location that left survey.toml is replaced by a hand-off page in the survey's
brand and the page's language (Site.handoffs and Site.handoff_job in build.py render them), which sends the
customer on to the location's survey, or, for a location that closed, to the survey's locations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .collector import survey as survey_model

# A survey page of the layout: <location>/[<lang>/][s/<staff>/ | kiosk/]index.html
PRINTED_PAGE = re.compile(
    r"^(?P<location>[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?)/"
    r"(?:(?P<lang>[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?)/)?"
    r"(?:s/(?P<staff>[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?)/|kiosk/)?index\.html\Z"
)
# The thank-you and error page of a language: where the collector and the pages of that language send a
# customer, also after the language left (a page open in a phone's tab, an answer queued on it).
LANGUAGE_PAGE = re.compile(
    r"^(?P<kind>thanks|error)/(?P<lang>[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?)/index\.html\Z"
)


@dataclass(frozen=True, slots=True)
class Handoff:
    """A page once written (and maybe printed) that the survey no longer has: where it is, whose it was,
    its language if the survey still has it, and the locations whose survey it sends the customer to."""

    path: str
    url: str
    reason: str  # who or what left, as the build reports it
    location: str
    lang: str | None
    targets: tuple[str, ...]


def printed_paths(definitions: Iterable[survey_model.Definition]) -> set[str]:
    """Every survey page (location, language, staff and kiosk pages) the given definition versions had, and
    the thank-you and error page of each of their languages."""
    paths: set[str] = set()
    for definition in definitions:
        paths.update(
            f"{kind}/{lang}/index.html" for kind in ("thanks", "error") for lang in definition.languages
        )
        for location in definition.locations:
            staff = sorted(definition.staff_ids_at(location.id))
            for prefix in [f"{location.id}/"] + [f"{location.id}/{lang}/" for lang in definition.languages]:
                paths.update({f"{prefix}index.html", f"{prefix}kiosk/index.html"})
                paths.update(f"{prefix}s/{person}/index.html" for person in staff)
    return paths


def handoff_lines(handoffs: Iterable[Handoff]) -> list[str]:
    """One line per person, location or language that left: how many pages hand off, and to where."""
    groups: dict[str, list[Handoff]] = {}
    for handoff in handoffs:
        groups.setdefault(handoff.reason, []).append(handoff)
    lines = []
    for reason, items in sorted(groups.items()):
        count = f"{len(items)} page" + ("s" if len(items) != 1 else "")
        example = min(items, key=lambda h: (len(h.url), h.url)).url
        lines.append(f"{reason}: {count} (e.g. {example}) → the survey of {', '.join(items[0].targets)}")
    return lines
