"""`wowcard init`: a commented survey.toml and an SVG logo for a believable example business, ready to
build."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .render import PACKAGE

# file written → packaged example it is copied from
FILES = {"survey.toml": "example_survey.toml", "logo.svg": "example_logo.svg"}


class ScaffoldError(Exception):
    """The folder cannot be scaffolded as asked (an existing survey without --force, a file in the way)."""


def init(directory: Path, force: bool = False) -> list[Path]:
    """Write the example files into `directory` (created if missing); returns the paths written."""
    if directory.exists() and not directory.is_dir():
        raise ScaffoldError(f"{directory} exists and is not a folder")
    if not force:
        existing = [directory / name for name in FILES if (directory / name).exists()]
        if existing:
            names = " and ".join(str(path) for path in existing)
            verb = "exists" if len(existing) == 1 else "exist"
            raise ScaffoldError(f"{names} already {verb}; use --force to overwrite")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for name, example in FILES.items():
            text = resources.files(PACKAGE).joinpath(example).read_text(encoding="utf-8")
            (directory / name).write_text(text, encoding="utf-8")
            written.append(directory / name)
    except OSError as exc:
        raise ScaffoldError(f"cannot write into {directory}: {exc.strerror}") from None
    return written
