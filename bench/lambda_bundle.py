"""The Lambda's share of a cold start that we control: the size of the deployment zip that `wowcard package`
writes (app.py, Chalice's runtime and the part of wowcard/collector/ the Lambda runs; boto3 comes from the
Lambda runtime) and the time to import the collector app in a fresh interpreter that sees only that bundle
and the standard library (`python -I -S`), median of several runs: from source as the zip ships it (the
Lambda's read-only file system keeps no bytecode cache, so every cold start compiles), and precompiled for
comparison.

    .venv/bin/python bench/lambda_bundle.py [--runs 9]
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from wowcard import package
from wowcard.aws_templates import Names

MEASURE = (
    "import sys, time\n"
    "sys.path.insert(0, {bundle!r})\n"
    "start = time.perf_counter()\n"
    "import app\n"
    "elapsed = time.perf_counter() - start\n"
    "heavy = sorted(m for m in ('boto3', 'botocore', 'sqlite3', 'click', 'jinja2') if m in sys.modules)\n"
    "print(elapsed, len(sys.modules), ','.join(heavy))\n"
)


def packaged_bundle(folder: Path) -> Path:
    """The bundle `wowcard package` writes (the very bytes `wowcard deploy` uploads)."""
    return package.package(Names("bench", "prod"), folder).bundle


def bundle_files() -> dict[str, bytes]:
    """Zip path → content of the packaged bundle."""
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(packaged_bundle(Path(tmp))) as zf:
            return {info.filename: zf.read(info) for info in zf.infolist() if not info.is_dir()}


def measure(bundle: Path, runs: int, write_bytecode: bool) -> tuple[list[float], str, str]:
    flags = ["-I", "-S"] + ([] if write_bytecode else ["-B"])
    timings, modules, heavy = [], "", ""
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, *flags, "-c", MEASURE.format(bundle=str(bundle))],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.split()
        timings.append(float(out[0]))
        modules, heavy = out[1], (out[2] if len(out) > 2 else "")
    return timings, heavy, modules


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        archive = packaged_bundle(Path(tmp) / "package")
        size = archive.stat().st_size
        with zipfile.ZipFile(archive) as zf:
            files = {info.filename: zf.read(info) for info in zf.infolist() if not info.is_dir()}
            bundle = Path(tmp) / "bundle"
            zf.extractall(bundle)
        cold, heavy, modules = measure(bundle, args.runs, write_bytecode=False)
        compileall.compile_dir(bundle, quiet=1)
        warm, _, _ = measure(bundle, args.runs, write_bytecode=True)

    raw = sum(len(data) for data in files.values())
    ours = sum(len(data) for name, data in files.items() if name.startswith("wowcard/"))
    print(
        f"Lambda bundle: {len(files)} files, {raw:,} bytes raw ({ours:,} of them wowcard/collector), "
        f"{size:,} bytes zipped"
    )
    for label, timings in (("from source, as shipped", cold), ("precompiled .pyc", warm)):
        print(
            f"import of the collector app, {label} (python -I -S, {args.runs} runs): "
            f"median {statistics.median(timings) * 1000:.1f} ms, min {min(timings) * 1000:.1f} ms, "
            f"max {max(timings) * 1000:.1f} ms"
        )
    print(f"modules loaded: {modules}; heavy modules loaded at import: {heavy or 'none'}")


if __name__ == "__main__":
    main()
