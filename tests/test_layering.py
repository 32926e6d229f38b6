"""Dependencies point down: the collector (what the Lambda runs) imports only the stdlib and boto3."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import wowcard.collector

BLOCKED = ["click", "jinja2", "rich", "segno", "wowcard.commands", "wowcard.__main__"]


def collector_modules() -> list[str]:
    folder = Path(wowcard.collector.__file__).parent
    return sorted(f"wowcard.collector.{p.stem}" for p in folder.glob("*.py") if p.stem != "__init__")


def test_every_collector_module_imports_with_the_cli_libraries_blocked() -> None:
    modules = collector_modules()
    code = (
        "import sys\n"
        f"for name in {BLOCKED!r}: sys.modules[name] = None\n"
        f"for name in {modules!r}: __import__(name)\n"
        "print('ok', len(sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")


def test_collector_sources_never_name_the_cli_packages() -> None:
    folder = Path(wowcard.collector.__file__).parent
    for path in folder.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        bad = re.findall(
            r"^\s*(?:from|import) (click|jinja2|rich|segno|wowcard(?!\.collector)\S*)", text, re.M
        )
        assert not bad, f"{path.name} imports {bad}"
