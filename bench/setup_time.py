"""Set-up time from a clean clone, as a newcomer meets it: `scripts/demo` until it prints "Serving", and
`scripts/test`'s install step (everything before pytest collects a test), each with the package caches warm
(what a second clone on the same machine sees) and cold (empty uv and pip caches: every package downloaded).

    python3 bench/setup_time.py            # warm and cold: about a minute on 2 cores, most of it downloads
    python3 bench/setup_time.py --warm     # warm only

It clones the committed HEAD of this checkout (uncommitted changes are not measured) into a temporary folder
for every run. Uses only the standard library: it is run with the machine's Python, before any venv exists.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def clean_clone(into: Path) -> Path:
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(into)], check=True)
    return into


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_until_serving(clone: Path, env: dict[str, str], limit: float = 600) -> float:
    """Seconds from starting scripts/demo to its "Serving" line; the server is then stopped."""
    env = {**env, "PORT": str(free_port())}
    start = time.perf_counter()
    proc = subprocess.Popen(
        ["bash", "scripts/demo"], cwd=clone, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if "Serving" in line:
                return time.perf_counter() - start
            if time.perf_counter() - start > limit:
                break
        raise RuntimeError(f"scripts/demo never said Serving (exit {proc.poll()})")
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def test_install(clone: Path, env: dict[str, str]) -> float:
    """Seconds scripts/test spends before pytest runs a test (`--version` stops pytest at once)."""
    start = time.perf_counter()
    subprocess.run(["bash", "scripts/test", "--version"], cwd=clone, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(cache: str, caches: Path | None) -> dict[str, float]:
    env = dict(os.environ)
    if caches is not None:  # cold: empty caches that only this run fills
        env["UV_CACHE_DIR"] = str(caches / "uv")
        env["PIP_NO_CACHE_DIR"] = "1"
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        figures["scripts/demo until Serving"] = demo_until_serving(clean_clone(Path(tmp) / "demo"), env)
    with tempfile.TemporaryDirectory() as tmp:
        figures["scripts/test install step"] = test_install(clean_clone(Path(tmp) / "test"), env)
    for what, seconds in figures.items():
        print(f"{what:30} cache {cache:5} {seconds:6.1f} s", file=sys.stderr)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warm", action="store_true", help="measure with warm caches only")
    args = parser.parse_args()
    measure("warm", None)  # fills the caches if they were empty, so the next run is warm
    rows = {"warm": measure("warm", None)}
    if not args.warm:
        with tempfile.TemporaryDirectory() as caches:
            rows["cold"] = measure("cold", Path(caches))
    print("| set-up from a clean clone | " + " | ".join(f"cache {c}" for c in rows) + " |")
    print("|---|" + "---:|" * len(rows))
    for what in rows["warm"]:
        print(f"| {what} | " + " | ".join(f"{rows[c][what]:.1f} s" for c in rows) + " |")


if __name__ == "__main__":
    main()
