"""Names of people and locations across every published definition version: a person who left keeps the
name they had in reports, and the build knows which printed pages lead to a hand-off.

Later versions win: a person renamed and then removed shows by their last name. Standard library only (the
Lambda may import it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .survey import Definition, Location, Staff


@dataclass(frozen=True, slots=True)
class Names:
    """Id → the name last published for it, for staff and for locations."""

    staff: Mapping[str, str] = field(default_factory=dict)
    locations: Mapping[str, str] = field(default_factory=dict)


def readable(bodies: Iterable[Definition | Mapping[str, Any]]) -> list[Definition]:
    """The published definitions (as `Store.definitions` gives them) that parse; one that does not (written
    by hand, or by a tool) names nobody and is skipped rather than failing a report or a build."""
    found = []
    for body in bodies:
        if isinstance(body, Definition):
            found.append(body)
            continue
        try:
            found.append(Definition.from_json(dict(body)))
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
    return found


def published_names(definitions: Iterable[Definition | Mapping[str, Any]]) -> Names:
    """The names in `definitions` (oldest first, as `Store.definitions` gives them; compiled or as JSON)."""
    staff: dict[str, str] = {}
    locations: dict[str, str] = {}
    for definition in readable(definitions):
        staff.update((s.id, s.name) for s in definition.staff)
        locations.update((loc.id, loc.name) for loc in definition.locations)
    return Names(staff, locations)


@dataclass(frozen=True, slots=True)
class Remembered(Definition):
    """A definition that also knows the names of people and locations that left (`published_names`)."""

    former: Names = field(default_factory=Names, compare=False)


def remembered(current: Definition, published: Iterable[Definition | Mapping[str, Any]]) -> Remembered:
    """`current` with the names every published version gave: what reports name departed ids by."""
    values = {name: getattr(current, name) for name in Definition.__dataclass_fields__}
    return Remembered(**values, former=published_names(published))


def staff_name(definition: Definition, staff_id: str) -> str:
    """The current name of a staff member, else the last one published, else the id."""
    former = definition.former.staff if isinstance(definition, Remembered) else {}
    return _name(definition.staff, former, staff_id)


def location_name(definition: Definition, location_id: str) -> str:
    """The current name of a location, else the last one published, else the id."""
    former = definition.former.locations if isinstance(definition, Remembered) else {}
    return _name(definition.locations, former, location_id)


def _name(current: Iterable[Staff | Location], former: Mapping[str, str], item_id: str) -> str:
    found = next((item.name for item in current if item.id == item_id), None)
    return found if found is not None else former.get(item_id, item_id)
