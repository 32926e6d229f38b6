"""The weekly digest against awkward clocks: a survey time zone whose clocks jump over Monday 08:00 (it never
happens) or fall back across it (it happens twice), with the sender restarted at every turn, on both stores;
and two senders racing on one SQLite file. Each week's digest is posted exactly once, at the first moment
the survey's wall clock shows Monday 08:00 or later."""

from __future__ import annotations

import dataclasses
import struct
import threading
import zoneinfo
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alerts.stand_ins import Clock, Receiver

from wowcard.collector import digest
from wowcard.collector.alerts import LiteralWebhook, Sender
from wowcard.collector.store_sqlite import SqliteStore
from wowcard.collector.survey import Definition, Survey

SURVEY = "harbour"
ZONE = "Wowcard_Test_Monday_Eight"
HOUR = 3600
# Monday 17 March 2025 07:30 UTC, 07:30 on the zone's standard time (UTC+0): clocks jump to 08:30 summer
# time (UTC+1), so 08:00 that Monday never happens. Monday 31 March 07:30 UTC, 08:30 summer time: clocks fall
# back to 07:30, so 08:00 that Monday happens twice (07:00 and 08:00 UTC).
SPRING = int(datetime(2025, 3, 17, 7, 30, tzinfo=UTC).timestamp())
AUTUMN = int(datetime(2025, 3, 31, 7, 30, tzinfo=UTC).timestamp())


def tzif(transitions: list[tuple[int, int]], types: list[tuple[int, int, str]]) -> bytes:
    """A version 1 TZif file (RFC 8536): `transitions` (UTC seconds, index into `types`), `types`
    (UTC offset in seconds, is summer time, abbreviation)."""
    names, positions = b"", []
    for _, _, name in types:
        positions.append(len(names))
        names += name.encode("ascii") + b"\0"
    counts = struct.pack(">6l", 0, 0, 0, len(transitions), len(types), len(names))
    body = b"".join(struct.pack(">l", at) for at, _ in transitions) + bytes(kind for _, kind in transitions)
    body += b"".join(
        struct.pack(">lBB", offset, dst, at) for (offset, dst, _), at in zip(types, positions, strict=True)
    )
    return b"TZif" + b"\0" * 16 + counts + body + names


@pytest.fixture
def monday_eight_zone(tmp_path: Path) -> Iterator[str]:
    """A time zone (by name, as survey.toml gives it) whose clocks change across Monday 08:00."""
    folder = tmp_path / "zoneinfo"
    folder.mkdir()
    (folder / ZONE).write_bytes(tzif([(SPRING, 1), (AUTUMN, 0)], [(0, 0, "MST"), (HOUR, 1, "MDT")]))
    zoneinfo.reset_tzpath(to=[str(folder), *zoneinfo.TZPATH])
    zoneinfo.ZoneInfo.clear_cache(only_keys=[ZONE])
    yield ZONE
    zoneinfo.reset_tzpath()
    zoneinfo.ZoneInfo.clear_cache(only_keys=[ZONE])


def with_digest(survey: Survey, time_zone: str) -> Definition:
    alerts = dataclasses.replace(survey.alerts, on=(*survey.alerts.on, "digest"))
    return dataclasses.replace(survey, time_zone=time_zone, alerts=alerts).definition()


def utc(text: str) -> float:
    return datetime.fromisoformat(text + "+00:00").timestamp()


def test_the_zone_really_skips_and_repeats_monday_eight(monday_eight_zone: str) -> None:
    zone = zoneinfo.ZoneInfo(monday_eight_zone)
    seen = [
        datetime.fromtimestamp(t, UTC).astimezone(zone).strftime("%H:%M")
        for t in range(SPRING - HOUR, SPRING + HOUR, 1800)
    ]
    assert seen == ["06:30", "07:00", "08:30", "09:00"]  # 08:00 on 17 March never shows
    shows = [t for t in range(AUTUMN - 2 * HOUR, AUTUMN + 2 * HOUR, 1800)
             if datetime.fromtimestamp(t, UTC).astimezone(zone).strftime("%H:%M") == "08:00"]  # fmt: skip
    assert len(shows) == 2  # 08:00 on 31 March shows twice


# The survey's clock at each sweep, and the week whose digest that sweep posts (None: nothing new).
SWEEPS = [
    ("2025-03-17T07:29:00", "2025-W10"),  # 07:29 standard time: week 10 is the one still due
    ("2025-03-17T07:30:00", "2025-W11"),  # 08:30 summer time: the first moment past 08:00
    ("2025-03-17T09:00:00", None),
    ("2025-03-24T06:59:00", None),  # 07:59 summer time
    ("2025-03-24T07:00:00", "2025-W12"),  # 08:00 summer time
    ("2025-03-31T06:59:00", None),  # 07:59 summer time
    ("2025-03-31T07:00:00", "2025-W13"),  # 08:00 summer time, the first time
    ("2025-03-31T07:30:00", None),  # 07:30 standard time: the clock fell back before 08:00
    ("2025-03-31T08:00:00", None),  # 08:00 standard time, the second time
    ("2025-03-31T12:00:00", None),
]


def test_each_week_is_posted_once_when_monday_eight_is_skipped_or_repeated_across_restarts(
    store: Any, alert_survey: Survey, make_record: Any, receiver: Receiver, monday_eight_zone: str
) -> None:
    store.publish(with_digest(alert_survey, monday_eight_zone).to_json())
    for week, day in enumerate(("2025-03-05", "2025-03-12", "2025-03-19", "2025-03-26"), start=10):
        store.put(make_record(f"{day}T12:00:00Z", id=f"resp-week{week}"))
    clock = Clock("2025-03-17T07:29:00Z")
    running = Sender(store, SURVEY, LiteralWebhook(receiver.url), clock=clock)
    for at, week in SWEEPS:
        clock.now = utc(at)
        before = len(receiver.bodies)
        restarted = Sender(store, SURVEY, LiteralWebhook(receiver.url), clock=clock)
        restarted.sweep()
        running.sweep()
        posted = [b["digest"]["week"] for b in receiver.bodies[before:] if "digest" in b]
        assert posted == ([week] if week else []), at


def sweep_at_once(sender: Sender, start: threading.Barrier) -> None:
    start.wait()
    sender.sweep()


def test_two_senders_racing_on_one_sqlite_file_post_each_week_once(
    tmp_path: Path, alert_survey: Survey, make_record: Any, receiver: Receiver
) -> None:
    path = tmp_path / "responses.db"
    first, second = SqliteStore(path), SqliteStore(path)
    first.publish(with_digest(alert_survey, "Europe/London").to_json())
    weeks = [digest.iso_week(date(2025, 3, 3) + timedelta(weeks=i)) for i in range(8)]
    for i, week in enumerate(weeks):
        monday = digest.week_monday(week)
        first.put(make_record(f"{monday.isoformat()}T12:00:00Z", id=f"resp-race{i:04d}"))
    clock = Clock("2025-03-17T08:00:00Z")
    senders = [Sender(s, SURVEY, LiteralWebhook(receiver.url), clock=clock) for s in (first, second)]
    for week in weeks:
        clock.now = utc(f"{digest.week_monday(week).isoformat()}T08:00:00") + 7 * 24 * HOUR
        start = threading.Barrier(2)
        threads = [threading.Thread(target=sweep_at_once, args=(s, start)) for s in senders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    posted = [b["digest"]["week"] for b in receiver.bodies if "digest" in b]
    assert posted == weeks
    first.close()
    second.close()
