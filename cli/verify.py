"""`wowcard verify`: recount the tallies of a range of days from the raw responses, list every counter that
differs, and (with repair) rewrite the tallies from the recount and check again. The command only prints.
"""

from __future__ import annotations

from dataclasses import dataclass

from .collector.store import Store
from .report import Difference, Period, by_day_and_location, differences, recount


@dataclass(frozen=True, slots=True)
class TallyCheck:
    responses: int  # raw responses recounted
    differences: tuple[Difference, ...]  # before any repair
    repaired: bool  # the recount was written
    left: tuple[Difference, ...]  # still differing after the repair (empty when it worked)


def check(store: Store, survey: str, period: Period, *, repair: bool = False) -> TallyCheck:
    """Compare the tallies of `period` with a recount of its responses; with `repair`, when they differ,
    replace the tallies by the recount and compare again."""
    first, last = period.since.isoformat(), period.until.isoformat()
    items = recount(store.responses(survey, first, last))
    recounted = by_day_and_location(items)
    found = tuple(differences(store.tallies(survey, first, last), recounted))
    responses = sum(c.get("n", 0) for c in recounted.values())
    if not found or not repair:
        return TallyCheck(responses, found, False, found)
    store.replace_tallies(survey, first, last, items)
    left = tuple(differences(store.tallies(survey, first, last), recounted))
    return TallyCheck(responses, found, True, left)
