"""The embedded store: one SQLite file in WAL mode, durable (synchronous=FULL), for `wowcard serve`, the demo
and a shop that self-hosts. It keeps the Store contract of store.py exactly like the DynamoDB engine.

Tables:

| table       | key                                   | holds                                             |
|-------------|---------------------------------------|---------------------------------------------------|
| definitions | (survey, version); rowid: publish order | compiled definition JSON; latest = highest rowid |
| responses   | (survey, id)                          | a column per `store.RESPONSE_FIELDS`; indexes by  |
|             |                                       | day, stories, follow-ups, personal (redaction) and|
|             |                                       | texts (only rows with a story or comment: reports)|
| tallies     | (survey, day, location, shard, field) | count; WITHOUT ROWID: a date range is one walk    |
| outbox      | (survey, id)                          | a pending (or failed) alert per qualifying answer; |
|             |                                       | no other index: it holds only alerts not yet sent |
| recognitions| (survey, day, device, staff)          | fair recognition: count per day's device key (and |
|             |                                       | per day's network key, in the same column)        |
| digests     | (survey, week)                        | the weekly digest claimed once per ISO week       |
| secrets     | survey                                | the random salt of device keys and form answer ids|

A put is one `BEGIN IMMEDIATE` transaction: look for the id and its aliases, count the recognition against
its device and network (and flag it past a limit), insert the response, upsert its counters (`count = count +
excluded.count`), and insert its alert into the outbox when it has one. Threads share a small pool of
connections; writers inside this process queue on a lock (cheaper than SQLite's sleeping busy handler), and a
writer in another process that holds the database is waited for by busy_timeout, then by jittered retries
(retry.py), then StoreUnavailable.

This module holds the schema, the connections and responses and tallies; the parts that mirror the DynamoDB
engine's are their own modules: sqlite_definitions.py, sqlite_outbox.py (alerts and the weekly digest) and
sqlite_fairness.py (recognition counters and the salt).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from . import tally
from .retry import Retry, describe
from .sqlite_definitions import SqliteDefinitions
from .sqlite_fairness import SqliteFairness, count_recognition
from .sqlite_outbox import SqliteOutbox, insert_alert
from .store import PERSONAL_FIELDS, RESPONSE_FIELDS, Record, StoreError, TallyRow, check_fields, check_recount

T = TypeVar("T")

BOOLEAN_FIELDS = frozenset({"has_story", "has_comment", "followup", "flagged"})
INTEGER_FIELDS = BOOLEAN_FIELDS | {"shard", "people", "process", "product"}
NOT_NULL = frozenset({"id", "survey", "version", "received_at", "day", "shard", "location", "lang"})
COLUMNS = ", ".join(RESPONSE_FIELDS)
HOLDS_PERSONAL = " OR ".join(f"{name} IS NOT NULL" for name in PERSONAL_FIELDS)
HOLDS_TEXT = "what IS NOT NULL OR comment IS NOT NULL"  # redaction clears both: a redacted row has none
COLUMN_DEFINITIONS = ",\n    ".join(
    f"{name} {'INTEGER' if name in INTEGER_FIELDS else 'TEXT'}{' NOT NULL' if name in NOT_NULL else ''}"
    for name in RESPONSE_FIELDS
)

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS definitions (
    survey TEXT NOT NULL,
    version TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (survey, version)
);
CREATE TABLE IF NOT EXISTS responses (
    {COLUMN_DEFINITIONS},
    PRIMARY KEY (survey, id)
);
CREATE INDEX IF NOT EXISTS responses_by_day ON responses (survey, day, received_at, id);
CREATE INDEX IF NOT EXISTS responses_stories ON responses (survey, staff, received_at, id)
    WHERE has_story = 1 AND what IS NOT NULL;
CREATE INDEX IF NOT EXISTS responses_followups ON responses (survey, received_at, id) WHERE followup = 1;
CREATE INDEX IF NOT EXISTS responses_personal ON responses (survey, day)
    WHERE redacted_at IS NULL AND ({HOLDS_PERSONAL});
CREATE INDEX IF NOT EXISTS responses_texts ON responses (survey, day, received_at, id)
    WHERE {HOLDS_TEXT};
CREATE TABLE IF NOT EXISTS tallies (
    survey TEXT NOT NULL,
    day TEXT NOT NULL,
    location TEXT NOT NULL,
    shard INTEGER NOT NULL,
    field TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (survey, day, location, shard, field)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outbox (
    survey TEXT NOT NULL,
    id TEXT NOT NULL,
    shard INTEGER NOT NULL,
    reasons TEXT NOT NULL,
    received_at TEXT NOT NULL,
    state TEXT NOT NULL,
    due REAL NOT NULL,
    since REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    lease TEXT,
    lease_until REAL,
    PRIMARY KEY (survey, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS recognitions (
    survey TEXT NOT NULL,
    day TEXT NOT NULL,
    device TEXT NOT NULL,
    staff TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (survey, day, device, staff)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS digests (
    survey TEXT NOT NULL,
    week TEXT NOT NULL,
    claimed_at REAL NOT NULL,
    PRIMARY KEY (survey, week)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS secrets (
    survey TEXT PRIMARY KEY,
    salt BLOB NOT NULL
);
"""

UPSERT_COUNT = (
    "INSERT INTO tallies (survey, day, location, shard, field, count) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (survey, day, location, shard, field) DO UPDATE SET count = count + excluded.count"
)
INSERT_RESPONSE = f"INSERT INTO responses ({COLUMNS}) VALUES ({', '.join('?' * len(RESPONSE_FIELDS))})"
SELECT_RESPONSE = f"SELECT {COLUMNS} FROM responses"


def create_private(path: Path) -> None:
    """Make the store's folders (0700) and its empty database file (0600) where they do not exist yet: it
    holds customers' contact details. SQLite gives the -wal and -shm files the database file's mode. What
    exists already keeps the mode its owner gave it (a shared folder, a store made before)."""
    missing = [folder for folder in (path.parent, *path.parent.parents) if not folder.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600))
    except FileExistsError:
        pass


class SqliteStore(SqliteDefinitions, SqliteOutbox, SqliteFairness):
    """The Store contract on one SQLite file. Safe to share between threads; `close()` when done."""

    def __init__(
        self,
        path: str | Path,
        *,
        connections: int = 8,
        busy_timeout_ms: int = 2000,
        retry: Retry | None = None,
        page_size: int = 1000,
    ):
        self.path = Path(path)
        self.busy_timeout_ms = busy_timeout_ms
        self.retry = retry or Retry(attempts=4, base=0.05, cap=0.5, deadline=6.0, retry_after=2)
        self.page_size = page_size
        self._slots = threading.BoundedSemaphore(connections)
        self._idle: list[sqlite3.Connection] = []
        self._pool_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._schema_lock = threading.Lock()
        self._ready = False
        self._closed = False
        self._counters_kept_from: dict[str, str] = {}  # survey → oldest day of recognition counters kept

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r})"

    # --- connections ---------------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        try:
            create_private(self.path)
            conn = sqlite3.connect(
                self.path,
                timeout=self.busy_timeout_ms / 1000,
                isolation_level=None,  # explicit BEGIN IMMEDIATE / COMMIT below
                check_same_thread=False,  # the pool hands a connection to one thread at a time
            )
        except OSError as exc:
            raise StoreError(
                f"cannot create the folder of the SQLite store {self.path}: {exc.strerror}"
            ) from None
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the SQLite store {self.path}: {exc}") from None
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            if not self._ready:
                with self._schema_lock:
                    if not self._ready:
                        conn.executescript(f"BEGIN IMMEDIATE;\n{SCHEMA}\nCOMMIT;")
                        self._ready = True
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.close()
            raise
        return conn

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        if self._closed:
            raise StoreError(f"the SQLite store {self.path} is closed")
        with self._slots:
            with self._pool_lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                conn = self._open()
            try:
                yield conn
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                with self._pool_lock:
                    if self._closed:
                        conn.close()
                    else:
                        self._idle.append(conn)

    def _run(self, what: str, work: Callable[[sqlite3.Connection], T], write: bool, synced: bool = True) -> T:
        """Do `work` on a pooled connection, retrying a busy database; other SQLite errors → StoreError.
        `synced=False`: a write that may be lost on a power cut (not on a crash of the process), committed
        without waiting for the disk; only the alert sender's claims and settlements, which at worst send
        an alert twice."""

        def attempt() -> T:
            with self._connection() as conn:
                if not write:
                    return work(conn)
                with self._write_lock:
                    if not synced:
                        conn.execute("PRAGMA synchronous = NORMAL")
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        result = work(conn)
                        conn.execute("COMMIT")
                    except BaseException:
                        if conn.in_transaction:
                            conn.execute("ROLLBACK")
                        raise
                    finally:
                        if not synced:
                            conn.execute("PRAGMA synchronous = FULL")
                    return result

        try:
            return self.retry.run(attempt, _busy, f"the SQLite store {self.path}")
        except sqlite3.Error as exc:
            raise StoreError(f"the SQLite store {self.path} could not {what}: {describe(exc)}") from exc

    def _fetch(self, what: str, sql: str, args: Iterable[Any]) -> list[Any]:
        return self._run(what, lambda conn: conn.execute(sql, tuple(args)).fetchall(), write=False)

    def close(self) -> None:
        with self._pool_lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    # --- the write path ------------------------------------------------------------------------------

    def put(self, record: Record) -> bool:
        forget = self._forget_counters_before(record)
        return self._run("store a response", lambda conn: _insert(conn, record, forget), write=True)

    def put_many(self, records: Iterable[Record], batch: int = 5000) -> int:
        """SQLite only: store many records, `batch` per transaction, each exactly as `put` would (for
        imports, demo data and benchmarks). Returns how many were new."""
        stored = 0
        chunk: list[Record] = []

        def flush() -> int:
            records = [(record, self._forget_counters_before(record)) for record in chunk]
            return self._run(
                "store responses", lambda conn: sum(_insert(conn, r, forget) for r, forget in records), True
            )

        for record in records:
            chunk.append(record)
            if len(chunk) >= batch:
                stored += flush()
                chunk = []
        if chunk:
            stored += flush()
        return stored

    # --- reading -------------------------------------------------------------------------------------

    def tallies(self, survey: str, since: str, until: str, location: str | None = None) -> list[TallyRow]:
        sql = "SELECT day, location, field, SUM(count) FROM tallies WHERE survey = ? AND day BETWEEN ? AND ?"
        args: list[Any] = [survey, since, until]
        if location is not None:
            sql += " AND location = ?"
            args.append(location)
        sql += " GROUP BY day, location, field HAVING SUM(count) <> 0 ORDER BY day, location"
        found = self._fetch("read tallies", sql, args)
        rows: list[TallyRow] = []
        for day, loc, name, count in found:
            if not rows or rows[-1].day != day or rows[-1].location != loc:
                rows.append(TallyRow(day, loc, {}))
            rows[-1].counts[name] = count
        return rows

    def responses(self, survey: str, since: str, until: str) -> Iterator[dict[str, Any]]:
        """Streamed in pages of `page_size` by keyset pagination: no connection is held between pages."""
        return self._days("read responses", survey, since, until, "")

    def texts(self, survey: str, since: str, until: str) -> Iterator[dict[str, Any]]:
        """Walks the partial index responses_texts, which holds only the rows with a story or a comment:
        the responses without text are never read, however many there are."""
        return self._days("read texts", survey, since, until, f" AND ({HOLDS_TEXT})")

    def _days(self, what: str, survey: str, since: str, until: str, only: str) -> Iterator[dict[str, Any]]:
        # The cursor is a row value so SQLite seeks straight to it in the index: every page costs the same,
        # the millionth as the first.
        sql = (
            f"{SELECT_RESPONSE} WHERE survey = ? AND (day, received_at, id) > (?, ?, ?) AND day <= ?{only} "
            "ORDER BY day, received_at, id LIMIT ?"
        )
        after: tuple[str, str, str] = (since, "", "")
        while True:
            page = self._fetch(what, sql, (survey, *after, until, self.page_size))
            for row in page:
                yield _response(row)
            if len(page) < self.page_size:
                return
            last = _response(page[-1])
            after = (last["day"], last["received_at"], last["id"])

    def get(self, survey: str, response_id: str) -> dict[str, Any] | None:
        row = self._run("read a response", lambda conn: _select(conn, survey, response_id), write=False)
        return _response(row) if row else None

    def stories(self, survey: str, staff: str, limit: int) -> list[dict[str, Any]]:
        """Newest first; a redacted response has no words left, so it is no longer a story."""
        if limit <= 0:
            return []
        sql = (
            f"{SELECT_RESPONSE} WHERE survey = ? AND staff = ? AND has_story = 1 AND what IS NOT NULL "
            "ORDER BY received_at DESC, id DESC LIMIT ?"
        )
        found = self._fetch("read stories", sql, (survey, staff, limit))
        return [_response(row) for row in found]

    def followups(self, survey: str, include_done: bool = False) -> list[dict[str, Any]]:
        sql = f"{SELECT_RESPONSE} WHERE survey = ? AND followup = 1"
        if not include_done:
            sql += " AND done_at IS NULL"
        sql += " ORDER BY received_at DESC, id DESC"
        found = self._fetch("read follow-ups", sql, (survey,))
        return [_response(row) for row in found]

    # --- changes the owner makes ---------------------------------------------------------------------

    def close_followup(self, survey: str, response_id: str, done_at: str, note: str | None) -> bool:
        """True: closed now. False: no such response, no follow-up was asked for, or it was already closed."""

        def work(conn: sqlite3.Connection) -> bool:
            row = _select(conn, survey, response_id)
            if row is None:
                return False
            response = _response(row)
            if not response["followup"] or response["done_at"]:
                return False
            kept_note = (note or None) if response["redacted_at"] is None else None
            conn.execute(
                "UPDATE responses SET done_at = ?, note = ? WHERE survey = ? AND id = ?",
                (done_at, kept_note, survey, response_id),
            )
            _add(
                conn, survey, response["day"], response["location"], response["shard"], {"followups_done": 1}
            )
            return True

        return self._run("close a follow-up", work, write=True)

    def delete(self, survey: str, response_id: str) -> bool:
        def work(conn: sqlite3.Connection) -> bool:
            row = _select(conn, survey, response_id)
            if row is None:
                return False
            response = _response(row)
            conn.execute("DELETE FROM responses WHERE survey = ? AND id = ?", (survey, response_id))
            conn.execute("DELETE FROM outbox WHERE survey = ? AND id = ?", (survey, response_id))
            minus = tally.negate(tally.increments(response))
            _add(conn, survey, response["day"], response["location"], response["shard"], minus)
            return True

        return self._run("delete a response", work, write=True)

    def redact(self, survey: str, before_day: str, redacted_at: str) -> int:
        cleared = ", ".join(f"{name} = NULL" for name in PERSONAL_FIELDS)
        sql = (
            f"UPDATE responses SET {cleared}, redacted_at = ? "
            f"WHERE survey = ? AND day < ? AND redacted_at IS NULL AND ({HOLDS_PERSONAL})"
        )
        args = (redacted_at, survey, before_day)
        return self._run("redact responses", lambda conn: conn.execute(sql, args).rowcount, write=True)

    def replace_tallies(
        self, survey: str, since: str, until: str, counts: dict[tuple[str, str, int], dict[str, int]]
    ) -> None:
        check_recount(since, until, counts)
        rows = [
            (survey, day, location, shard, name, value)
            for (day, location, shard), fields in counts.items()
            for name, value in fields.items()
            if value
        ]

        def work(conn: sqlite3.Connection) -> None:
            conn.execute(
                "DELETE FROM tallies WHERE survey = ? AND day BETWEEN ? AND ?", (survey, since, until)
            )
            conn.executemany(UPSERT_COUNT, rows)

        self._run("replace tallies", work, write=True)


def _busy(exc: BaseException) -> bool:
    name = getattr(exc, "sqlite_errorname", "") or ""
    return isinstance(exc, sqlite3.OperationalError) and name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


def _insert(conn: sqlite3.Connection, record: Record, forget_counters_before: str | None = None) -> bool:
    seen = conn.execute("SELECT 1 FROM responses WHERE survey = ? AND id = ?", (record.survey, record.id))
    if seen.fetchone() or _alias_seen(conn, record):
        return False
    if record.counters():
        record = count_recognition(conn, record, forget_counters_before)
    conn.execute(INSERT_RESPONSE, _row(record.response))
    _add(conn, record.survey, record.day, record.location, record.shard, record.increments)
    if record.alert:
        insert_alert(conn, record.pending_alert())
    return True


def _alias_seen(conn: sqlite3.Connection, record: Record) -> bool:
    if not record.aliases:
        return False
    marks = ", ".join("?" * len(record.aliases))
    sql = (
        f"SELECT 1 FROM responses WHERE survey = ? AND id IN ({marks})"
        " AND received_at >= ? AND received_at <= ? LIMIT 1"
    )
    since, until = record.aliases_since or "", record.aliases_until or "~"
    return conn.execute(sql, (record.survey, *record.aliases, since, until)).fetchone() is not None


def _add(
    conn: sqlite3.Connection, survey: str, day: str, location: str, shard: int, counts: dict[str, int]
) -> None:
    conn.executemany(
        UPSERT_COUNT, [(survey, day, location, shard, name, n) for name, n in counts.items() if n]
    )
    if any(n < 0 for n in counts.values()):
        conn.execute(
            "DELETE FROM tallies WHERE survey = ? AND day = ? AND location = ? AND shard = ? AND count = 0",
            (survey, day, location, shard),
        )


def _select(conn: sqlite3.Connection, survey: str, response_id: str) -> tuple[Any, ...] | None:
    return conn.execute(f"{SELECT_RESPONSE} WHERE survey = ? AND id = ?", (survey, response_id)).fetchone()


def _row(response: dict[str, Any]) -> tuple[Any, ...]:
    check_fields(response)
    values = []
    for name in RESPONSE_FIELDS:
        value = response.get(name)
        if name == "promises":
            value = json.dumps(list(value or ()))
        elif name in BOOLEAN_FIELDS:
            value = int(bool(value))
        values.append(value)
    return tuple(values)


def _response(row: tuple[Any, ...]) -> dict[str, Any]:
    response = dict(zip(RESPONSE_FIELDS, row, strict=True))
    response["promises"] = json.loads(response["promises"] or "[]")
    for name in BOOLEAN_FIELDS:
        response[name] = bool(response[name])
    return response
