"""Tallies: the flat counters a stored response adds to its day's row, and how readers add rows up.

The field names below are frozen with the request format (DESIGN.md): later features fill the reserved ones
(`flagged:<staff>` for fair recognition, `followups_done` when a follow-up is closed) rather than adding a
second contract. `increments()` reads only fields that redaction keeps, so `wowcard verify` recounts the same
numbers from redacted responses.

| field              | counts                                                             |
|--------------------|--------------------------------------------------------------------|
| n                  | responses                                                          |
| wow_yes / wow_no   | answers to the wow question (unanswered: neither)                  |
| staff:<id>         | recognitions of a staff member (wow = yes only); `staff:_` unnamed |
| flagged:<id>       | of those, recognitions flagged by the fairness rules (reserved)    |
| people:<1-5> …     | People / Process / Product rating distributions                    |
| promise:<id>       | promises the customer would repeat                                 |
| comments           | responses with a comment                                           |
| stories            | wow = yes with "what did they do" filled in                        |
| followups          | contact given with consent                                         |
| followups_done     | of those, closed by the owner (reserved)                           |
| lang:<code>        | responses per page language                                        |
| src:<tag>          | responses per card / sign / receipt … (absent without JavaScript)  |
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from .survey import RATINGS

UNNAMED_STAFF = "_"


def increments(response: Mapping[str, Any]) -> dict[str, int]:
    """The counters one stored response adds. Pure: the same response always gives the same counters."""
    inc: dict[str, int] = {"n": 1, f"lang:{response['lang']}": 1}
    if response.get("src"):
        inc[f"src:{response['src']}"] = 1
    wow = response.get("wow")
    if wow == "yes":
        inc["wow_yes"] = 1
        staff = response.get("staff")
        if staff:
            inc[f"staff:{staff}"] = 1
            if response.get("flagged"):
                inc[f"flagged:{staff}"] = 1
        if response.get("has_story"):
            inc["stories"] = 1
    elif wow == "no":
        inc["wow_no"] = 1
    for rating in RATINGS:
        value = response.get(rating)
        if value:
            inc[f"{rating}:{value}"] = 1
    for promise in response.get("promises") or ():
        inc[f"promise:{promise}"] = 1
    if response.get("has_comment"):
        inc["comments"] = 1
    if response.get("followup"):
        inc["followups"] = 1
        if response.get("done_at"):
            inc["followups_done"] = 1
    return inc


def negate(counts: Mapping[str, int]) -> dict[str, int]:
    return {k: -v for k, v in counts.items()}


def add(total: dict[str, int], counts: Mapping[str, int]) -> dict[str, int]:
    """Add `counts` into `total` in place (and return it); zero fields are dropped."""
    for key, value in counts.items():
        new = total.get(key, 0) + value
        if new:
            total[key] = new
        else:
            total.pop(key, None)
    return total


def sum_counts(rows: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for row in rows:
        add(total, row)
    return total


def shard_of(response_id: str, shards: int) -> int:
    """Which tally shard a response writes to: spread by a hash of its id, so no key is hot (invariant 4)."""
    return int.from_bytes(hashlib.sha256(response_id.encode()).digest()[:4], "big") % shards
