"""SQLite store figures: put rate from one thread and from 16 threads (the pool with its in-process write
lock, against one shared connection and against connections that race in SQLite's busy handler), and the
read of a year of tallies (and a full export) over a large generated data set.

    .venv/bin/python bench/store_write.py                       # 2,000 puts, 1,000,000 responses
    .venv/bin/python bench/store_write.py --puts 500 --responses 100000

Prints figures only; every loop is bounded by the counts given.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from report import FIRST_DAY, definition, responses  # bench/report.py, beside this file  # noqa: E402

from wowcard.collector import tally
from wowcard.collector.store import Record
from wowcard.collector.store_sqlite import SqliteStore

SURVEY = "bench"  # bench/report.py's survey: its definition and its generated responses


def records(count: int, days: int, seed: int = 7, prefix: str = "r") -> Iterator[Record]:
    """Believable responses spread over `days` days from FIRST_DAY, with the counters answers.record adds."""
    for response in responses(definition(), count, days, seed=seed, prefix=prefix):
        yield Record(response, tally.increments(response))


def put_rate(path: Path, batch: list[Record], threads: int, connections: int, write_lock: bool) -> float:
    store = SqliteStore(path, connections=connections)
    if not write_lock:
        store._write_lock = contextlib.nullcontext()  # type: ignore[assignment]
    store.put(batch[0])  # create the schema outside the timing
    todo = batch[1:]
    chunks = [todo[n::threads] for n in range(threads)]

    def work(mine: list[Record]) -> None:
        for record in mine:
            store.put(record)

    started = time.perf_counter()
    workers = [threading.Thread(target=work, args=(chunk,)) for chunk in chunks]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    store.close()
    return len(todo) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--puts", type=int, default=2000, help="puts per write-rate run")
    parser.add_argument("--responses", type=int, default=1_000_000, help="size of the read data set")
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=Path.cwd()) as folder:
        base = Path(folder)
        print(f"SQLite put (one transaction each, WAL, synchronous=FULL), {args.puts} puts per run:")
        runs = [
            ("1 thread", 1, 8, True),
            ("16 threads, pool of 8 + write lock (the default)", 16, 8, True),
            ("16 threads, one shared connection", 16, 1, True),
            ("16 threads, pool of 16, no write lock (busy handler)", 16, 16, False),
        ]
        for n, (label, threads, connections, lock) in enumerate(runs):
            batch = list(records(args.puts, 30, seed=n, prefix=f"w{n}-"))
            rate = put_rate(base / f"write-{n}.db", batch, threads, connections, lock)
            print(f"  {label:<55} {rate:8.0f} puts/s")

        path = base / "year.db"
        store = SqliteStore(path)
        started = time.perf_counter()
        loaded = store.put_many(records(args.responses, args.days), batch=20_000)
        print(f"\nloaded {loaded:,} responses over {args.days} days in {time.perf_counter() - started:.1f} s")
        with store._connection() as conn:
            items = conn.execute("SELECT COUNT(*) FROM tallies").fetchone()[0]
        until = (FIRST_DAY + timedelta(days=args.days - 1)).isoformat()
        for label, location in (("all locations", None), ("one location", "quay")):
            best = float("inf")
            for _ in range(3):
                started = time.perf_counter()
                rows = store.tallies(SURVEY, FIRST_DAY.isoformat(), until, location=location)
                best = min(best, time.perf_counter() - started)
            total = sum(row.counts.get("n", 0) for row in rows)
            print(
                f"tallies() for a year, {label}: {best * 1000:.0f} ms, {len(rows)} rows summing n={total:,}"
            )
        print(f"tally items read: {items:,} (days x locations x shards x fields), raw responses: {loaded:,}")
        started = time.perf_counter()
        streamed = sum(1 for _ in store.responses(SURVEY, FIRST_DAY.isoformat(), until))
        print(f"responses() streamed {streamed:,} rows in {time.perf_counter() - started:.1f} s")
        store.close()


if __name__ == "__main__":
    main()
