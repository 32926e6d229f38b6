"""Type-check the package `wowcard` with mypy, under the import names it really has (scripts/test runs this).

    .venv/bin/python scripts/typecheck.py            check everything [tool.mypy] names; exit 1 on an error
    .venv/bin/python scripts/typecheck.py --strict   extra arguments go to mypy

pyproject.toml's package-dir spreads `wowcard` over folders whose names are not its import names (cli/ is
`wowcard`, collector/ is `wowcard.collector`). mypy run on the folders would call them `cli` and `collector`,
and cli/'s relative `from .collector import survey` would then find nothing; nor can mypy follow the editable
install's import hook. So this links the folders into .mypy_cache/tree exactly as package-dir maps them (read
from pyproject.toml, so it cannot drift), runs mypy on the package there, and prints each error under the
folder path a person edits (cli/build.py, not .mypy_cache/tree/wowcard/build.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TREE = Path(".mypy_cache/tree")  # relative to ROOT: the prefix mypy prints, and [tool.mypy] mypy_path


def package_dirs(root: Path) -> dict[str, str]:
    """package-dir from pyproject.toml: import package -> folder, parents before their subpackages."""
    with open(root / "pyproject.toml", "rb") as f:
        mapping = tomllib.load(f)["tool"]["setuptools"]["package-dir"]
    return dict(sorted(mapping.items(), key=lambda item: item[0].count(".")))


def link_tree(root: Path, packages: dict[str, str]) -> dict[str, str]:
    """Rebuild root/TREE from packages; return each linked path prefix -> the folder it stands for."""
    tree = root / TREE
    shutil.rmtree(tree, ignore_errors=True)
    prefixes = {}
    for package, folder in packages.items():
        target = tree / package.replace(".", "/")
        target.parent.mkdir(parents=True, exist_ok=True)
        relative_to_parent = os.path.relpath(root / folder, target.parent)
        if any(other.startswith(package + ".") for other in packages):
            # A subpackage lives in another folder: a real directory holding this folder's entries, so the
            # subpackage's link can sit beside them.
            target.mkdir()
            for entry in sorted((root / folder).iterdir()):
                if entry.name != "__pycache__":
                    (target / entry.name).symlink_to(os.path.relpath(entry, target))
        else:
            target.symlink_to(relative_to_parent, target_is_directory=True)
        prefixes[f"{TREE / package.replace('.', '/')}/"] = f"{folder}/"
    return prefixes


def real_path(line: str, prefixes: dict[str, str]) -> str:
    """A line of mypy's output with a linked path turned back into the folder path it stands for."""
    # Longest prefix first: .mypy_cache/tree/wowcard/collector/ before .mypy_cache/tree/wowcard/.
    for linked, folder in sorted(prefixes.items(), key=lambda item: len(item[0]), reverse=True):
        if line.startswith(linked):
            return folder + line[len(linked) :]
    return line


def main(arguments: list[str], root: Path = ROOT) -> int:
    """mypy with root's [tool.mypy] settings over the linked tree; its exit code (0 clean, 1 type errors)."""
    prefixes = link_tree(root, package_dirs(root))
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", *arguments], cwd=root, stdout=subprocess.PIPE, text=True, check=False
    )
    for line in mypy.stdout.splitlines():
        print(real_path(line, prefixes))
    return mypy.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
