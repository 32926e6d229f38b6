"""`wowcard results` over a year of responses in SQLite: how long the report takes, how many stored items it
reads, against a recount of the raw responses (what a report would cost if it read responses).

    .venv/bin/python bench/report.py                        # 1,000,000 responses over 365 days
    .venv/bin/python bench/report.py --responses 200000     # what fits a busy machine
    .venv/bin/python bench/report.py --db /tmp/year.db      # keep the file (reused by a second run)

The data is generated fast and honestly: each response is a dict of the stored shape with its tally
increments from `tally.increments`, written through the SQLite store's own schema and row encoding
(`store_sqlite.INSERT_RESPONSE`, `_row`) in large transactions, and the tallies are the sum of those
increments per (day, location, shard) written with the store's own upsert. `store.put` does the same one
response per transaction, which is too slow for a million. The raw recount at the end checks the generated
tallies against the responses (zero differences expected).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from wowcard import report, report_formats
from wowcard.collector import store_sqlite, tally
from wowcard.collector.survey import Definition, parse

SURVEY = {
    "id": "bench",
    "time_zone": "Europe/London",
    "shards": 4,
    "brand": {"name": "Bench Coffee", "primary": "#0b5d6b"},
    "locations": [
        {"id": "quay", "name": "Quay Street"},
        {"id": "mill", "name": "Old Mill"},
        {"id": "kiosk", "name": "Kiosk"},
    ],
    "staff": [
        {"id": "maya", "name": "Maya", "location": "quay"},
        {"id": "tom", "name": "Tom", "location": "quay"},
        {"id": "priya", "name": "Priya", "locations": ["quay", "mill"]},
        {"id": "sam", "name": "Sam", "location": "mill"},
        {"id": "li", "name": "Li", "location": "mill"},
    ],
    "promises": [
        {"id": "fresh", "text": "Fresh"},
        {"id": "name", "text": "Name"},
        {"id": "quick", "text": "Quick"},
    ],
}
FIRST_DAY = date(2025, 1, 1)


def definition() -> Definition:
    return parse(SURVEY).definition()


def responses(
    defn: Definition, count: int, days: int, seed: int = 7, prefix: str = "bench-"
) -> Iterator[dict[str, Any]]:
    """`count` responses of the stored shape, in day order, spread evenly over `days` days."""
    rng = random.Random(seed)
    staff_at = {loc.id: sorted(defn.staff_ids_at(loc.id)) or ["_"] for loc in defn.locations}
    locations = [loc.id for loc in defn.locations]
    for i in range(count):
        rid = f"{prefix}{i:010d}"
        day = FIRST_DAY + timedelta(days=i * days // count)
        location = rng.choice(locations)
        wow = rng.choice(("yes", "yes", "no", None))
        staff = rng.choice(staff_at[location]) if wow == "yes" and rng.random() < 0.8 else None
        what = f"story {i}" if staff and rng.random() < 0.3 else None
        comment = f"comment {i}" if rng.random() < 0.2 else None
        contact = f"c{i}@example.com" if rng.random() < 0.05 else None
        # 08:00-19:59 UTC is the same calendar day in London, summer or winter.
        seconds = rng.randrange(8 * 3600, 20 * 3600)
        yield {
            "id": rid,
            "survey": defn.survey,
            "version": defn.version,
            "received_at": f"{day}T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.000000Z",
            "day": day.isoformat(),
            "shard": tally.shard_of(rid, defn.shards),
            "location": location,
            "lang": "en",
            "src": rng.choice(("card", "receipt", None)),
            "wow": wow,
            "staff": staff,
            "what": what,
            "people": rng.choice((None, 3, 4, 5)),
            "process": rng.choice((None, 2, 4, 5)),
            "product": rng.choice((None, 1, 4, 5)),
            "promises": [p for p in ("fresh", "name", "quick") if rng.random() < 0.3],
            "comment": comment,
            "contact": contact,
            "has_story": bool(what),
            "has_comment": bool(comment),
            "followup": bool(contact),
            "flagged": False,
            "done_at": None,
            "note": None,
            "redacted_at": None,
        }


def generate(path: Path, count: int, days: int) -> Definition:
    """Fill a new SQLite store file with `count` responses and their tallies (see the module docstring)."""
    defn = definition()
    store = store_sqlite.SqliteStore(path)
    store.publish(defn.to_json())  # creates the schema
    store.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    totals: dict[tuple[str, str, int], dict[str, int]] = {}
    batch: list[tuple[Any, ...]] = []
    conn.execute("BEGIN")
    for response in responses(defn, count, days):
        key = (response["day"], response["location"], response["shard"])
        tally.add(totals.setdefault(key, {}), tally.increments(response))
        batch.append(store_sqlite._row(response))
        if len(batch) == 50_000:
            conn.executemany(store_sqlite.INSERT_RESPONSE, batch)
            batch = []
    conn.executemany(store_sqlite.INSERT_RESPONSE, batch)
    conn.executemany(
        store_sqlite.UPSERT_COUNT,
        [
            (defn.survey, day, loc, shard, name, n)
            for (day, loc, shard), c in totals.items()
            for name, n in c.items()
        ],
    )
    conn.execute("COMMIT")
    conn.close()
    return defn


def count_rows(path: Path, sql: str, *args: Any) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, args).fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--db", type=Path, default=None, help="SQLite file to create (or reuse if it exists)")
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory(prefix="wowcard-bench-")
    path = args.db or Path(folder.name) / "year.db"
    if path.exists():
        defn = definition()
        print(f"reusing {path}")
    else:
        started = time.perf_counter()
        defn = generate(path, args.responses, args.days)
        seconds = time.perf_counter() - started
        print(f"generated {args.responses:,} responses over {args.days} days in {seconds:.1f} s")
    stored = count_rows(path, "SELECT COUNT(*) FROM responses WHERE survey = ?", defn.survey)
    period = report.Period(FIRST_DAY, FIRST_DAY + timedelta(days=args.days - 1))
    first, last = period.since.isoformat(), period.until.isoformat()

    store = store_sqlite.SqliteStore(path)
    try:
        timings = []
        for _ in range(3):  # the first run also opens the connection and warms the page cache
            started = time.perf_counter()
            result = report.gather(store, defn, period, by="week")
            text = report_formats.render(result, "json")
            timings.append(time.perf_counter() - started)
        tally_rows = count_rows(
            path,
            "SELECT COUNT(*) FROM tallies WHERE survey = ? AND day BETWEEN ? AND ?",
            defn.survey,
            first,
            last,
        )
        tally_items = count_rows(
            path,
            "SELECT COUNT(*) FROM (SELECT DISTINCT day, location, shard FROM tallies "
            "WHERE survey = ? AND day BETWEEN ? AND ?)",
            defn.survey,
            first,
            last,
        )
        print(
            f"results for the whole year (gather + JSON, {len(text):,} bytes): "
            f"first {timings[0] * 1000:.0f} ms, then {min(timings[1:]) * 1000:.0f} ms"
        )
        print(
            f"  responses reported: {result['responses']:,} of {stored:,} stored; "
            f"wow rate {report_formats.percent(result['wow_rate'])}"
        )
        print(
            f"  read: {tally_items:,} tally items (day x location x shard; DynamoDB items) = "
            f"{tally_rows:,} SQLite tally rows (one per counter); "
            f"texts: {result['responses_read']:,} responses of the period"
        )

        started = time.perf_counter()
        recounted = report.recount(store.responses(defn.survey, first, last))
        raw_seconds = time.perf_counter() - started
        diffs = report.differences(
            store.tallies(defn.survey, first, last), report.by_day_and_location(recounted)
        )
        print(
            f"raw recount of the same year: {stored:,} response rows read in {raw_seconds:.1f} s "
            f"({len(diffs)} differences from the tallies)"
        )
        best = min(timings[1:])
        print(
            f"ratio: the report reads {stored / tally_items:,.0f}x fewer items than a raw recount "
            f"({stored / tally_rows:,.1f}x fewer SQLite rows) and is {raw_seconds / best:,.0f}x faster"
        )
        if diffs:
            sys.exit("the generated tallies disagree with the responses")
    finally:
        store.close()
        folder.cleanup()


if __name__ == "__main__":
    main()
