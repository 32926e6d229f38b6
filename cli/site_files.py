"""Writing a built site safely: regular files only, never through a symbolic link, and only what wowcard
wrote is ever removed.

A link anywhere from the output folder down (the folder itself, a subfolder, a page) stops the build with
BuildError naming it, because following it would write or delete outside the folder; files are opened with
O_NOFOLLOW besides. A manifest of the files wowcard wrote lets the next build remove what it no longer writes
without touching anything else in the folder. Unchanged files are left untouched. Large builds draw a
progress bar on a terminal.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from .build_result import BUDGET, BuildError, gzipped_size

MANIFEST = ".wowcard-manifest.json"
# Open files never through a link (Windows has no such flag; the lstat checks still hold), bytes as they are.
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


class Writer:
    """Writes regular files under the survey's folder, never through a symbolic link: a link anywhere from the
    output folder down (the folder itself, a subfolder, a page) stops the build with BuildError naming it,
    because following it would write or delete outside the folder. Folders are checked and made once;
    unchanged files are left untouched."""

    def __init__(self, out: Path, survey_id: str):
        self.out = out
        self.folder = out / survey_id
        self.made: set[Path] = set()
        self._lock = threading.Lock()
        if not _real_folder(out):
            out.mkdir(parents=True, exist_ok=True)
        self._folder_ready(self.folder)

    def write_pages(self, pages: list[tuple[str, bytes]]) -> list[tuple[int, int]]:
        """Write each page that is within the budget; the raw and gzipped sizes of all of them."""
        sizes = []
        for relative, data in pages:
            gzipped = gzipped_size(data)
            if gzipped <= BUDGET:
                self.write(relative, data)
            sizes.append((len(data), gzipped))
        return sizes

    def write(self, relative: str, data: bytes) -> None:
        path = self.folder / relative
        self._folder_ready(path.parent)
        if _regular_file(path) and _read(path) == data:
            return
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | NOFOLLOW, 0o666)
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)

    def read(self, relative: str) -> bytes | None:
        path = self.folder / relative
        return _read(path) if _regular_file(path) else None

    def remove(self, relative: str) -> bool:
        """Remove a file this build wrote before: only a regular file, reached through real folders."""
        path = self.folder / relative
        for parent in reversed(path.parents):
            if parent == self.folder or self.folder in parent.parents:
                if not _real_folder(parent):
                    return False
        if not _regular_file(path):
            return False
        path.unlink()
        return True

    def _folder_ready(self, folder: Path) -> None:
        if folder in self.made:
            return
        with self._lock:
            for parent in [*reversed(folder.parents), folder]:
                if parent == self.folder or self.folder in parent.parents:
                    if not _real_folder(parent):
                        parent.mkdir(exist_ok=True)
                        _real_folder(parent)
            self.made.add(folder)


def _refused(path: Path, what: str) -> BuildError:
    try:  # not _shown(): resolving would name the link's target instead of the link
        shown = str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        shown = str(path.absolute())
    return BuildError(
        f"{shown} {what}; `wowcard build` writes only regular files inside its output folder and never "
        "follows a link out of it. Remove it, or build into a real folder with --out."
    )


def _real_folder(path: Path) -> bool:
    """True for a real folder, False for nothing there; BuildError for a link or anything else."""
    return _exists_as(path, stat.S_ISDIR, "is in the way of a folder the build writes")


def _regular_file(path: Path) -> bool:
    """True for a regular file, False for nothing there; BuildError for a link or anything else."""
    return _exists_as(path, stat.S_ISREG, "is not a regular file")


def _exists_as(path: Path, kind: Callable[[int], bool], otherwise: str) -> bool:
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(mode):
        raise _refused(path, "is a symbolic link")
    if not kind(mode):
        raise _refused(path, otherwise)
    return True


def _read(path: Path) -> bytes | None:
    try:
        with os.fdopen(os.open(path, os.O_RDONLY | NOFOLLOW), "rb") as file:
            return file.read()
    except OSError:
        return None


def read_manifest(writer: Writer) -> list[str]:
    try:
        files = json.loads(writer.read(MANIFEST) or b"")["files"]
    except (ValueError, KeyError, TypeError):
        return []
    # Only plain relative paths inside the folder: a hand-edited manifest must not delete anything else.
    return [
        f for f in files if isinstance(f, str) and f and not f.startswith("/") and ".." not in f.split("/")
    ]


def write_manifest(writer: Writer, files: list[str]) -> None:
    body = {
        "note": "files written by `wowcard build`; the next build removes those it no longer writes",
        "files": files,
    }
    writer.write(MANIFEST, (json.dumps(body, indent=1, sort_keys=True) + "\n").encode("utf-8"))


def remove_stale(writer: Writer, stale: set[str]) -> list[str]:
    folder = writer.folder
    removed = []
    for relative in sorted(stale):
        path = folder / relative
        if not writer.remove(relative):
            continue
        removed.append(relative)
        parent = path.parent
        while parent != folder and folder in parent.parents:
            try:
                parent.rmdir()  # only succeeds when empty: other tools' files keep their folders
            except OSError:
                break
            parent = parent.parent
    return removed


class _ProgressBar:
    def __init__(self, total: int):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(
            TextColumn("rendering pages"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.task = self.progress.add_task("pages", total=total)
        self.progress.start()

    def advance(self, pages: int) -> None:
        self.progress.advance(self.task, pages)

    def close(self) -> None:
        self.progress.stop()


def progress_bar(total: int) -> _ProgressBar | None:
    return _ProgressBar(total) if sys.stderr.isatty() else None
