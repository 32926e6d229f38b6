"""Survey definitions in SQLite: every published version kept in the definitions table, the latest the one
with the highest rowid (publishing an older version again moves it there)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any


class SqliteDefinitions:
    """The definitions part of SqliteStore."""

    # Provided by SqliteStore: a unit of work on a pooled connection (retried), and a read.
    _run: Callable[..., Any]
    _fetch: Callable[..., list[Any]]

    def publish(self, definition: dict[str, Any]) -> bool:
        body = json.dumps(definition, sort_keys=True, ensure_ascii=False)

        def work(conn: sqlite3.Connection) -> bool:
            survey, version = definition["survey"], definition["version"]
            cur = conn.execute(
                "INSERT OR IGNORE INTO definitions (survey, version, body) VALUES (?, ?, ?)",
                (survey, version, body),
            )
            if cur.rowcount == 1:
                return True
            # Published before: it becomes the latest again (the latest is the highest rowid).
            conn.execute(
                "UPDATE definitions SET rowid = (SELECT max(rowid) + 1 FROM definitions) "
                "WHERE survey = ? AND version = ? AND rowid < (SELECT max(rowid) FROM definitions "
                "WHERE survey = ?)",
                (survey, version, survey),
            )
            return False

        return self._run("publish a survey definition", work, write=True)

    def definition(self, survey: str, version: str | None = None) -> dict[str, Any] | None:
        args: tuple[str, ...]
        if version is None:
            sql, args = "SELECT body FROM definitions WHERE survey = ? ORDER BY rowid DESC LIMIT 1", (survey,)
        else:
            sql, args = "SELECT body FROM definitions WHERE survey = ? AND version = ?", (survey, version)
        found = self._fetch("read a survey definition", sql, args)
        return json.loads(found[0][0]) if found else None

    def definitions(self, survey: str) -> list[dict[str, Any]]:
        sql = "SELECT body FROM definitions WHERE survey = ? ORDER BY rowid"
        return [json.loads(body) for (body,) in self._fetch("read the survey definitions", sql, (survey,))]
