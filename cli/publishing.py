"""Publishing a survey's compiled definition to a store, so the collector accepts answers from pages built
from it: what `wowcard publish` does, and what `wowcard build` does to the survey's own store when that is a
SQLite file already there (the store `wowcard serve` uses). A running serve then accepts the new pages'
answers at once: the collector looks a version it has not seen up in the store on the spot.

`wowcard build` never creates a store and never reaches AWS: a DynamoDB `[store]` is published by `wowcard
publish` or `wowcard deploy`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .collector.survey import Definition, Survey

if TYPE_CHECKING:
    from .collector.store import Store


@dataclass(frozen=True, slots=True)
class Published:
    survey: str
    version: str
    new: bool  # stored for the first time
    was_latest: bool  # it was the latest version already

    def sentence(self, where: str) -> str:
        name = f"{self.survey} version {self.version}"
        if self.new:
            return f"published {name} to the {where}"
        if not self.was_latest:
            return f"{name} was already published to the {where}; it is the latest version again"
        return f"{name} was already published to the {where}; nothing changed"


def publish(store: Store, definition: Definition) -> Published:
    """Store the definition and make it the survey's latest (every version stays published)."""
    latest = store.definition(definition.survey)
    new = store.publish(definition.to_json())
    was_latest = latest is not None and latest["version"] == definition.version
    return Published(definition.survey, definition.version, new, was_latest)


def local_store(survey: Survey) -> Path | None:
    """The survey's own store when it is a SQLite file that exists already, else None."""
    kind, _, where = survey.store.partition(":")
    if kind != "sqlite" or not where or where == ":memory:":
        return None
    path = Path(where).expanduser()
    path = path if path.is_absolute() else survey.folder / path
    return path if path.is_file() else None
