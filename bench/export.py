"""`wowcard export` of up to a year of responses from SQLite: rows per second and peak memory, for a month,
half a year and the whole year, to show the export streams (memory stays flat as the row count grows).

    .venv/bin/python bench/export.py                      # generates 1,000,000 responses (bench/report.py)
    .venv/bin/python bench/export.py --db /tmp/year1m.db  # reuse a file that bench/report.py --db kept
    .venv/bin/python bench/export.py --responses 200000 --format jsonl

Peak memory is Python's own allocations during the export (tracemalloc, which slows Python down about 2x, so
rows/s are shown for a separate run without it) and the process's peak resident size (ru_maxrss), which
only ever grows: if it does not grow from the month to the year, the export did not hold rows.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import FIRST_DAY, definition, generate  # noqa: E402  (bench/report.py, beside this file)

from wowcard import export  # noqa: E402
from wowcard.collector.store_sqlite import SqliteStore  # noqa: E402


def run_export(store: SqliteStore, survey: str, days: int, fmt: str, measure: bool) -> tuple[int, float, int]:
    """Export `days` days to /dev/null; returns (rows, seconds, tracemalloc peak bytes or 0)."""
    until = (FIRST_DAY + timedelta(days=days - 1)).isoformat()
    if measure:
        tracemalloc.start()
    started = time.perf_counter()
    with open(os.devnull, "w", encoding="utf-8", newline="") as sink:
        rows = export.export(store.responses(survey, FIRST_DAY.isoformat(), until), sink, fmt)
    seconds = time.perf_counter() - started
    peak = 0
    if measure:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return rows, seconds, peak


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--db", type=Path, default=None, help="SQLite file to create (or reuse if it exists)")
    parser.add_argument("--format", choices=export.EXPORT_FORMATS, default="csv")
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory(prefix="wowcard-bench-")
    path = args.db or Path(folder.name) / "year.db"
    if not path.exists():
        started = time.perf_counter()
        generate(path, args.responses, args.days)
        seconds = time.perf_counter() - started
        print(f"generated {args.responses:,} responses over {args.days} days in {seconds:.1f} s")
    survey = definition().survey
    store = SqliteStore(path)
    try:
        print(f"export --format {args.format} to /dev/null from {path}")
        for days in (max(args.days // 12, 1), max(args.days // 2, 1), args.days):
            rows, seconds, peak = run_export(store, survey, days, args.format, measure=True)
            print(
                f"  {days:3d} days: {rows:9,} rows, peak Python memory {peak / 2**20:5.1f} MiB "
                f"(tracemalloc), process peak RSS so far {max_rss_mib():6.1f} MiB"
            )
        rows, seconds, _ = run_export(store, survey, args.days, args.format, measure=False)
        print(f"  without tracemalloc: {rows:,} rows in {seconds:.1f} s = {rows / seconds:,.0f} rows/s")
    finally:
        store.close()
        folder.cleanup()


if __name__ == "__main__":
    main()
