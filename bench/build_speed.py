"""Build speed for a chain: a generated survey of 5,000 locations with two staff each (30,004 pages), built
twice (a fresh folder, then a rebuild over it). Target: at least 2,000 pages/s.
Run: .venv/bin/python bench/build_speed.py [LOCATIONS]"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from wowcard import build
from wowcard.collector import survey as survey_model


def chain_toml(locations: int) -> str:
    lines = ['id = "chain"', "[brand]", 'name = "Chain Coffee"', 'primary = "#0b5d6b"', 'logo = "logo.svg"']
    lines += ['[[promises]]\nid = "fresh"\ntext = "Fresh every morning"']
    for i in range(locations):
        lines.append(f'[[locations]]\nid = "shop-{i:05d}"\nname = "Shop {i:05d}"')
    for i in range(locations):
        for j in range(2):
            lines.append(
                f'[[staff]]\nid = "s{i:05d}-{j}"\nname = "Barista {i}-{j}"\nlocation = "shop-{i:05d}"'
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    locations = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "survey.toml"
        source.write_text(chain_toml(locations), encoding="utf-8")
        (Path(folder) / "logo.svg").write_text(
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><circle cx="32" cy="32" r="30" '
            'fill="#0b5d6b"/></svg>'
        )
        started = time.perf_counter()
        survey = survey_model.load(source)
        parsed = time.perf_counter() - started
        print(f"{locations:,} locations, {len(survey.staff):,} staff: survey.toml parsed in {parsed:.2f} s")
        for run in ("fresh build", "rebuild"):
            started, cpu = time.perf_counter(), time.process_time()
            result = build.build_site(survey, out=Path(folder) / "site")
            took, cpu = time.perf_counter() - started, time.process_time() - cpu
            pages = len(result.pages)
            print(
                f"{run}: {pages:,} pages in {took:.2f} s = {pages / took:,.0f} pages/s "
                f"(CPU {cpu:.2f} s, all threads); largest {result.largest.gzipped:,} bytes gzipped"
            )
    print(f"load average while running: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores, shared)")


if __name__ == "__main__":
    main()
