"""Page weight of the example survey (`wowcard init`): raw and gzipped bytes per page kind, and what the
inlined assets weigh. Gzip is level 9, as `gzip -9c` measures it. Run: .venv/bin/python bench/page_size.py"""

from __future__ import annotations

import tempfile
from pathlib import Path

from wowcard import build, scaffold
from wowcard.collector import survey as survey_model


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        scaffold.init(Path(folder))
        survey = survey_model.load(Path(folder) / "survey.toml")
        result = build.build_site(survey, out=Path(folder) / "site")
        site = build.Site.prepare(survey, None, None)
    print(
        f"example survey '{survey.id}': {len(result.pages)} pages; "
        f"budget {build.BUDGET:,} bytes gzipped per page"
    )
    print(f"{'page kind':<10} {'pages':>5} {'raw bytes':>10} {'gzipped':>8}   example")
    for kind in ("location", "language", "staff", "thanks", "error"):
        pages = [page for page in result.pages if page.kind == kind]
        largest = max(pages, key=lambda page: page.gzipped)
        print(f"{kind:<10} {len(pages):>5} {largest.raw:>10,} {largest.gzipped:>8,}   {largest.path}")
    print("inlined assets, gzipped on their own:")
    for asset, size in site.asset_sizes.items():
        print(f"  {asset.split(' (')[0]:<12} {size:>6,}")


if __name__ == "__main__":
    main()
