"""Fair recognition: which answers count towards the day's limits, and the keys that tell one device, and one
network, from another for one day without keeping anything about them.

The rule, decided when the answer is stored (so the tallies stay exact and `wowcard verify` agrees):
a recognition (wow = yes naming a staff member; "I didn't catch their name" is not one) counts, per staff
member and day (in the survey's time zone), against two keys:

- the device it came from, limit `[fairness] same_staff_per_device_per_day` (default 2). With JavaScript the
  device is the page's random token from localStorage (the `device` field); without JavaScript (no token)
  the client address together with the User-Agent stands in for it;
- the network address it came from (an IPv4 address; for IPv6 the /64 network, which one phone can roam
  inside), limit `[fairness] same_staff_per_address_per_day` (default 10). This is what the client cannot
  choose: a fresh device token per request, or a different User-Agent on every form post, makes a new
  "device" each time, but not a new address.

A kiosk (a counter tablet, `src = kiosk`) is one device that many customers use, so its answers count
against the network key only.

Past either limit the recognition is stored and counted in the totals, but flagged: `flagged: True` on the
response and `flagged:<staff>` in the tallies, off the leaderboard unless the report includes flagged
recognitions. The limits count one staff member's recognitions, so a shop's Wi-Fi (many customers, one
address) flags nothing while its customers name different people, or name one person fewer than
`same_staff_per_address_per_day` times a day. docs/fairness.md says what this catches and what it cannot.

What is kept: only the keys, keyed hashes (HMAC-SHA256) of the token, of address + User-Agent, or of the
network, under a key that changes every day: HMAC-SHA256(survey salt, survey + day). The salt is 32 random
bytes the store makes once per survey and keeps beside the responses. The raw token, address and User-Agent
are never stored; a key cannot be linked to the same device's key of another day; the counters are removed
after two days (SQLite: when a later day is written; DynamoDB: by TTL).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
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


def shared_device(response: Mapping[str, Any]) -> bool:
    """A counter tablet (src = kiosk) is one device for every customer: only its network key counts."""
    return response.get("src") == "kiosk"


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


def network_key(salt: bytes, survey: str, day: str, client: str) -> str:
    """The day's key of the network an answer came from: the IPv4 address, or the /64 of an IPv6 address
    (privacy addresses change inside it). 32 hex digits, never the same as a device key."""
    material = b"network\0" + network(client).encode()
    return hmac.new(daily_key(salt, survey, day), material, "sha256").hexdigest()[:32]


def network(client: str) -> str:
    """The part of a client address that one phone cannot change at will."""
    try:
        address = ipaddress.ip_address(client.strip())
    except ValueError:
        return client
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
