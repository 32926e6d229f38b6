"""Fair recognition: which answers count towards the per-device limit, and the key that tells one device from
another for one day without keeping anything about it.

The rule, decided when the answer is stored (so the tallies stay exact and `wowcard verify` agrees):
a recognition (wow = yes naming a staff member; "I didn't catch their name" is not one) counts against the
device it came from, per staff member and day (in the survey's time zone). Past the survey's limit
(`[fairness] same_staff_per_device_per_day`, default 2) it is stored and counted in the totals, but flagged:
`flagged: True` on the response and `flagged:<staff>` in the tallies, off the leaderboard unless the report
includes flagged recognitions.

What "a device" is:
- with JavaScript, the page's random token from localStorage (the `device` field). The client address is
  not used at all, so a shop's Wi-Fi (many customers, one address) never matters;
- without JavaScript there is no token: the client address together with the User-Agent stands in for it.
  Two customers on one network whose phones send the very same User-Agent then count as one device.

What is kept: only `device_key()`, a keyed hash (HMAC-SHA256) of the token, or of address + User-Agent,
under a key that changes every day: HMAC-SHA256(survey salt, survey + day). The salt is 32 random bytes the
store makes once per survey and keeps beside the responses. The raw token, address and User-Agent are never
stored; a key cannot be linked to the same device's key of another day; the counters are removed after two
days (SQLite: when a later day is written; DynamoDB: by TTL).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from typing import Any

from .tally import UNNAMED_STAFF

SALT_BYTES = 32
KEEP_DAYS = 2  # counters of days older than this are removed


def new_salt() -> bytes:
    return os.urandom(SALT_BYTES)


def applies(response: Mapping[str, Any]) -> bool:
    """Whether the answer is a recognition the limit counts: wow = yes naming a staff member."""
    staff = response.get("staff")
    return response.get("wow") == "yes" and bool(staff) and staff != UNNAMED_STAFF


def daily_key(salt: bytes, survey: str, day: str) -> bytes:
    return hmac.new(salt, b"\0".join([b"wowcard-fairness", survey.encode(), day.encode()]), "sha256").digest()


def device_key(salt: bytes, survey: str, day: str, device: str | None, client: str, user_agent: str) -> str:
    """The day's key of the device an answer came from: its token's hash, or without a token (no JavaScript)
    the hash of the client address and User-Agent. 32 hex digits; nothing it was made from is kept."""
    if device:
        material = b"token\0" + device.encode()
    else:
        material = b"address\0" + client.encode() + b"\0" + hashlib.sha256(user_agent.encode()).digest()
    return hmac.new(daily_key(salt, survey, day), material, "sha256").hexdigest()[:32]
