"""What `wowcard build` tells its owner: the pages it wrote and their sizes against the page budget
(BuildResult and its summary), and BuildError, which names the file and the field to change.

The budget is what arrives in the first round trip of a new connection: every page, gzipped, fits in it.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path

from .handoffs import Handoff, handoff_lines

BUDGET = 14_600  # bytes gzipped: what arrives in the first round trip of a new connection


class BuildError(Exception):
    """A survey the site cannot be built from; names the file and the field (or asset) to change."""

    def __init__(self, message: str, path: str = "", file: str | Path | None = None):
        self.message = message
        self.path = path
        self.file = shown(Path(file)) if file is not None else None
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.file}: " if self.file else ""
        field_path = f"{self.path}: " if self.path else ""
        return f"{where}{field_path}{self.message}"


@dataclass(frozen=True, slots=True)
class Page:
    """One written page: its path under the output folder, its kind and its size raw and gzipped."""

    path: str
    kind: str
    raw: int
    gzipped: int


@dataclass(slots=True)
class BuildResult:
    out: Path
    survey: str
    pages: list[Page] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    handoffs: list[Handoff] = field(default_factory=list)
    definition: Path | None = None

    @property
    def folder(self) -> Path:
        return self.out / self.survey

    @property
    def largest(self) -> Page:
        return max(self.pages, key=lambda page: (page.gzipped, page.path))

    def summary(self) -> str:
        largest = self.largest
        lines = [
            f"wrote {len(self.pages):,} pages and survey.json to {shown(self.folder)}/",
            f"largest page: {largest.path}, {largest.gzipped:,} bytes gzipped (budget {BUDGET:,})",
        ]
        if self.removed:
            lines.append(
                f"removed {len(self.removed)} stale files of locations or staff no longer in the survey"
            )
        if self.handoffs:
            lines.append(
                f"{len(self.handoffs)} printed pages of people, locations or languages that left now "
                "hand off to a survey page:"
            )
            lines += [f"  {line}" for line in handoff_lines(self.handoffs)]
        return "\n".join(lines)


def shown(path: Path) -> str:
    """A path as the owner would type it: relative to the working folder when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def gzipped_size(data: bytes) -> int:
    """Bytes after `gzip -9`: a 10-byte header, DEFLATE at level 9, an 8-byte trailer."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    return len(compressor.compress(data) + compressor.flush())
