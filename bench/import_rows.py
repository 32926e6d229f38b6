"""`wowcard import` speed on SQLite: rows per second to read and validate a CSV of paper cards, to store
them (response + tally increments, exactly once), and to import the same file again (every row a duplicate).

    .venv/bin/python bench/import_rows.py                 # 20,000 rows
    .venv/bin/python bench/import_rows.py --rows 100000

Uses `wowcard init`'s example survey in a temporary folder; prints figures only.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from wowcard import importer, scaffold
from wowcard.collector import survey as survey_model
from wowcard.collector.store import open_store
from wowcard.collector.store_sqlite import SqliteStore


def cards_csv(definition: survey_model.Definition, rows: int, seed: int = 5) -> str:
    """Believable paper cards over the last year: every column filled some of the time."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(importer.COLUMNS[:-1])
    first = date(2025, 1, 6)
    promises = sorted(definition.promise_ids())
    for _ in range(rows):
        location = rng.choice(definition.locations).id
        wow = rng.choice(["yes", "yes", "no", ""])
        staff = sorted(definition.staff_ids_at(location)) + ["_"]
        writer.writerow(
            [
                (first + timedelta(days=rng.randrange(330))).isoformat(),
                location,
                wow,
                rng.choice(staff) if wow == "yes" else "",
                "Helped me choose" if wow == "yes" and rng.random() < 0.5 else "",
                *(rng.choice(["", "3", "4", "5"]) for _ in survey_model.RATINGS),
                ";".join(rng.sample(promises, rng.randrange(len(promises) + 1))),
                "A comment, with a comma" if rng.random() < 0.2 else "",
                "",
            ]
        )
    return out.getvalue()


@dataclass(frozen=True)
class Figures:
    rows: int
    read: float  # rows per second: read and validate the whole file
    store: float  # rows per second: store them (SQLite batches, put_many)
    whole: float  # rows per second: the whole import
    again: float  # rows per second: the same file again, every row a duplicate
    one_by_one: float  # rows per second: store them with one put (one commit) each, the naive way


def measure(rows: int, one_by_one_rows: int = 2_000) -> Figures:
    with tempfile.TemporaryDirectory() as folder:
        scaffold.init(Path(folder))
        survey = survey_model.load(Path(folder) / "survey.toml")
        definition = survey.definition()
        cards = Path(folder) / "cards.csv"
        cards.write_text(cards_csv(definition, rows), encoding="utf-8")
        store = open_store(survey.store, survey.folder)
        store.publish(definition.to_json())
        now = datetime.now(UTC)

        started = time.perf_counter()
        plan = importer.plan(cards, definition, now=now)
        read = time.perf_counter() - started
        started = time.perf_counter()
        first = importer.write(store, plan)
        stored = time.perf_counter() - started
        started = time.perf_counter()
        again = importer.write(store, importer.plan(cards, definition, now=now))
        repeat = time.perf_counter() - started
        store.close()
        assert first.stored == rows and again.stored == 0

        naive = SqliteStore(Path(folder) / "one-by-one.db")
        some = plan.records[:one_by_one_rows]
        started = time.perf_counter()
        for record in some:
            naive.put(record)
        one_by_one = len(some) / (time.perf_counter() - started)
        naive.close()
    return Figures(rows, rows / read, rows / stored, rows / (read + stored), rows / repeat, one_by_one)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    f = measure(args.rows)
    print(f"import of {f.rows:,} rows into SQLite:")
    print(f"  read and validate   {f.read:>10,.0f} rows/s")
    print(f"  store               {f.store:>10,.0f} rows/s  (batches of put_many)")
    print(f"  whole import        {f.whole:>10,.0f} rows/s  ({f.rows / f.whole:.2f} s)")
    print(f"  same file again     {f.again:>10,.0f} rows/s  (stored 0: duplicates)")
    print(f"  one put per row     {f.one_by_one:>10,.0f} rows/s  (the naive way, one commit each)")


if __name__ == "__main__":
    main()
