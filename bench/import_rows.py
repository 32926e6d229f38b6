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
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from wowcard import importer, scaffold
from wowcard.collector import survey as survey_model
from wowcard.collector.store import open_store


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        scaffold.init(Path(folder))
        survey = survey_model.load(Path(folder) / "survey.toml")
        definition = survey.definition()
        cards = Path(folder) / "cards.csv"
        cards.write_text(cards_csv(definition, args.rows), encoding="utf-8")
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
    assert first.stored == args.rows and again.stored == 0
    print(f"import of {args.rows:,} rows into SQLite:")
    print(f"  read and validate   {args.rows / read:>10,.0f} rows/s")
    print(f"  store               {args.rows / stored:>10,.0f} rows/s")
    print(f"  whole import        {args.rows / (read + stored):>10,.0f} rows/s  ({read + stored:.2f} s)")
    print(f"  same file again     {args.rows / repeat:>10,.0f} rows/s  (stored {again.stored}: duplicates)")


if __name__ == "__main__":
    main()
