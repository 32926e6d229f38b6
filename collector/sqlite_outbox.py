"""The alert outbox in SQLite: alerts waiting to be sent (inserted by a put, in its transaction), claimed by a
sender with a lease and settled by conditional updates; and the weekly digest, claimed once per ISO week."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from typing import Any

from .store import ALERT_FAILED, ALERT_HELD, ALERT_PENDING, HELD_KEEP_SECONDS, Alert, digest_alert

INSERT_ALERT = (
    "INSERT OR REPLACE INTO outbox (survey, id, shard, reasons, received_at, state, due, since, attempts) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)"
)
ALERT_COLUMNS = "survey, id, shard, reasons, received_at, state, due, since, attempts, last_error, lease"


class SqliteOutbox:
    """The outbox part of SqliteStore: the outbox table holds only alerts not yet sent."""

    # Provided by SqliteStore: a unit of work on a pooled connection (retried), and a read.
    _run: Callable[..., Any]
    _fetch: Callable[..., list[Any]]

    def due_alerts(self, survey: str, now: float, limit: int) -> list[Alert]:
        sql = (
            f"SELECT {ALERT_COLUMNS} FROM outbox WHERE survey = ? AND state = ? AND due <= ? "
            "AND (lease_until IS NULL OR lease_until <= ?) ORDER BY due, id LIMIT ?"
        )
        found = self._fetch("read due alerts", sql, (survey, ALERT_PENDING, now, now, max(limit, 0)))
        return [alert_of(row) for row in found]

    def claim_alert(self, alert: Alert, now: float, lease_seconds: float) -> Alert | None:
        lease = uuid.uuid4().hex

        def work(conn: sqlite3.Connection) -> Alert | None:
            claimed = conn.execute(
                "UPDATE outbox SET lease = ?, lease_until = ? WHERE survey = ? AND id = ? AND state = ? "
                "AND due <= ? AND (lease_until IS NULL OR lease_until <= ?)",
                (lease, now + lease_seconds, alert.survey, alert.response_id, ALERT_PENDING, now, now),
            )
            if claimed.rowcount != 1:
                return None
            row = conn.execute(
                f"SELECT {ALERT_COLUMNS} FROM outbox WHERE survey = ? AND id = ?",
                (alert.survey, alert.response_id),
            ).fetchone()
            return alert_of(row)

        return self._run("claim an alert", work, write=True, synced=False)

    def alert_sent(self, alert: Alert) -> bool:
        sql = "DELETE FROM outbox WHERE survey = ? AND id = ? AND lease = ?"
        args = (alert.survey, alert.response_id, alert.lease)
        return self._run(
            "mark an alert sent", lambda conn: conn.execute(sql, args).rowcount == 1, write=True, synced=False
        )

    def alert_failed(self, alert: Alert, error: str, retry_at: float | None) -> bool:
        state = ALERT_PENDING if retry_at is not None else ALERT_FAILED
        sql = (
            "UPDATE outbox SET state = ?, due = COALESCE(?, due), attempts = attempts + 1, last_error = ?, "
            "lease = NULL, lease_until = NULL WHERE survey = ? AND id = ? AND lease = ?"
        )
        args = (state, retry_at, error, alert.survey, alert.response_id, alert.lease)
        return self._run("record a failed alert", lambda conn: conn.execute(sql, args).rowcount == 1, True)

    def alert_held(self, alert: Alert, now: float) -> bool:
        def work(conn: sqlite3.Connection) -> bool:
            held = conn.execute(
                "UPDATE outbox SET state = ?, due = ?, lease = NULL, lease_until = NULL "
                "WHERE survey = ? AND id = ? AND lease = ?",
                (ALERT_HELD, now, alert.survey, alert.response_id, alert.lease),
            )
            # Held alerts older than a week go now (DynamoDB's TTL does the same there).
            conn.execute(
                "DELETE FROM outbox WHERE survey = ? AND state = ? AND due <= ?",
                (alert.survey, ALERT_HELD, now - HELD_KEEP_SECONDS),
            )
            return held.rowcount == 1

        return self._run("hold an alert", work, write=True, synced=False)

    def alerts(self, survey: str) -> list[Alert]:
        sql = f"SELECT {ALERT_COLUMNS} FROM outbox WHERE survey = ? ORDER BY received_at, id"
        return [alert_of(row) for row in self._fetch("read alerts", sql, (survey,))]

    def claim_digest(self, survey: str, week: str, now: float, queue: bool = True) -> bool:
        def work(conn: sqlite3.Connection) -> bool:
            claimed = conn.execute(
                "INSERT OR IGNORE INTO digests (survey, week, claimed_at) VALUES (?, ?, ?)",
                (survey, week, now),
            )
            if claimed.rowcount != 1:
                return False
            if queue:
                insert_alert(conn, digest_alert(survey, week, now))
            return True

        return self._run("claim the weekly digest", work, write=True)

    def retry_alerts(self, survey: str, now: float) -> int:
        sql = (
            "UPDATE outbox SET state = ?, due = ?, since = ?, attempts = 0, lease = NULL, lease_until = NULL "
            "WHERE survey = ? AND state = ?"
        )
        args = (ALERT_PENDING, now, now, survey, ALERT_FAILED)
        return self._run("queue failed alerts again", lambda conn: conn.execute(sql, args).rowcount, True)


def insert_alert(conn: sqlite3.Connection, alert: Alert) -> None:
    """Queue an alert not yet attempted (replacing a settled one of the same id)."""
    row = (alert.survey, alert.response_id, alert.shard, ",".join(alert.reasons), alert.received_at)
    conn.execute(INSERT_ALERT, (*row, alert.state, alert.due, alert.since))


def alert_of(row: tuple[Any, ...]) -> Alert:
    survey, rid, shard, reasons, received_at, state, due, since, attempts, last_error, lease = row
    return Alert(
        survey=survey,
        response_id=rid,
        shard=int(shard),
        reasons=tuple(r for r in reasons.split(",") if r),
        received_at=received_at,
        state=state,
        due=float(due),
        since=float(since),
        attempts=int(attempts),
        last_error=last_error,
        lease=lease,
    )
