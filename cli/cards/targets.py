"""Where a card points: the public page of a location or staff member, tagged with its source."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..collector.survey import Location, Staff, Survey

PER = ("location", "staff")
SOURCES = ("card", "sign", "receipt")


class NoPublicUrl(Exception):
    """The survey has no public address yet, so a QR code would point nowhere."""

    def __init__(self, survey: Survey):
        where = f"{survey.source}: " if survey.source else ""
        super().__init__(
            f"{where}site_url is not set, so the cards' QR codes would point nowhere.\n"
            "Set it to the address where the survey pages are published, for example\n"
            '    site_url = "https://survey.example.com"\n'
            "in survey.toml, or deploy the pages with `wowcard deploy` and run `wowcard cards --stage NAME`."
        )


@dataclass(frozen=True, slots=True)
class Target:
    """One page a card or sign points at."""

    location: Location
    staff: Staff | None
    path: str  # relative to site_url, e.g. "harbour/quay/s/maya/"; the build writes path + "index.html"
    url: str  # what the QR code holds: site_url + "/" + path + "?src=…"

    @property
    def short_url(self) -> str:
        """The address to print for people who type: no scheme, no query."""
        return short_url(self.url)


def page_path(survey_id: str, location_id: str, staff_id: str | None = None, lang_dir: str = "") -> str:
    path = f"{survey_id}/{location_id}/" + (f"{lang_dir}/" if lang_dir else "")
    return f"{path}s/{staff_id}/" if staff_id else path


def language_folder(survey: Survey, languages: Sequence[str]) -> str:
    """Where the pages of a card's language are: none for the default language's address (whose script
    follows the phone's language, so a bilingual card points there too), else the language's folder."""
    if len(languages) != 1 or languages[0] == survey.languages[0]:
        return ""
    return languages[0]


def short_url(url: str) -> str:
    return re.sub(r"^[a-z]+://", "", url).split("?", 1)[0]


def public_site_url(survey: Survey, site_url: str | None = None) -> str:
    """The address the pages are published at: an explicit one (a deployed stage) or survey.toml's."""
    url = site_url or survey.site_url
    if not url:
        raise NoPublicUrl(survey)
    return url.rstrip("/")


def targets(survey: Survey, per: str, src: str, site_url: str, languages: Sequence[str] = ()) -> list[Target]:
    """The cards to print, in survey order: one per location, or one per staff member per location, pointing
    at the pages in the cards' language (see language_folder)."""
    lang_dir = language_folder(survey, languages)
    found = []
    for location in survey.locations:
        people: Sequence[Staff | None] = survey.staff_at(location.id) if per == "staff" else (None,)
        for person in people:
            path = page_path(survey.id, location.id, person.id if person else None, lang_dir)
            found.append(Target(location, person, path, f"{site_url}/{path}?src={src}"))
    return found


def kiosk_targets(survey: Survey, site_url: str, languages: Sequence[str] = ()) -> list[Target]:
    """The kiosk page of each location, for a tablet on the counter; the page tags its answers itself."""
    lang_dir = language_folder(survey, languages)
    found = []
    for location in survey.locations:
        path = page_path(survey.id, location.id, lang_dir=lang_dir) + "kiosk/"
        found.append(Target(location, None, path, f"{site_url}/{path}"))
    return found
