"""Fair recognition in SQLite: the recognitions table counts a put's recognition per day, device (or network)
and staff member in the put's transaction, flagging it past a limit; old days are forgotten; and the salt."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from . import fairness
from .store import Record

UPSERT_RECOGNITION = (
    "INSERT INTO recognitions (survey, day, device, staff, count) VALUES (?, ?, ?, ?, 1) "
    "ON CONFLICT (survey, day, device, staff) DO UPDATE SET count = count + 1"
)


class SqliteFairness:
    """The fairness part of SqliteStore."""

    # Provided by SqliteStore: a unit of work on a pooled connection (retried), and its state.
    _run: Callable[..., Any]
    _counters_kept_from: dict[str, str]  # survey → oldest day of recognition counters kept

    def fairness_salt(self, survey: str) -> bytes:
        def work(conn: sqlite3.Connection) -> bytes:
            conn.execute(
                "INSERT OR IGNORE INTO secrets (survey, salt) VALUES (?, ?)", (survey, fairness.new_salt())
            )
            return bytes(conn.execute("SELECT salt FROM secrets WHERE survey = ?", (survey,)).fetchone()[0])

        return self._run("read the fairness salt", work, write=True)

    def _forget_counters_before(self, record: Record) -> str | None:
        """The day before which this survey's recognition counters can go, once per new day seen."""
        if not record.counters():
            return None
        oldest = (date.fromisoformat(record.day) - timedelta(days=fairness.KEEP_DAYS)).isoformat()
        if self._counters_kept_from.get(record.survey, "") >= oldest:
            return None
        self._counters_kept_from[record.survey] = oldest
        return oldest


def count_recognition(conn: sqlite3.Connection, record: Record, forget_before: str | None) -> Record:
    """Count the recognition against its device and network; the record comes back flagged when either had
    reached its limit."""
    if forget_before is not None:
        conn.execute("DELETE FROM recognitions WHERE survey = ? AND day < ?", (record.survey, forget_before))
    over = False
    for counter, limit in record.counters():
        key = (record.survey, record.day, counter, record.response["staff"])
        found = conn.execute(
            "SELECT count FROM recognitions WHERE survey = ? AND day = ? AND device = ? AND staff = ?", key
        ).fetchone()
        conn.execute(UPSERT_RECOGNITION, key)
        over = over or bool(limit and found is not None and found[0] >= limit)
    return record.flagged() if over else record
