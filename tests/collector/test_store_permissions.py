"""The SQLite store holds customers' contact details, so no other user of the machine may read it: the folders
it creates are 0700 and the database with its -wal and -shm files 0600, whatever the umask. Folders and
files that exist already keep the mode their owner gave them."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from wowcard.collector.store_sqlite import SqliteStore


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """Umask 0: without explicit modes, files would come out 0666 and folders 0777."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def opened(path: Path, definition) -> SqliteStore:
    store = SqliteStore(path)
    store.publish(definition.to_json())  # a write: the -wal and -shm files exist while the store is open
    return store


def test_a_new_store_is_readable_by_its_owner_only(tmp_path: Path, definition, open_umask):
    path = tmp_path / "shop" / ".wowcard" / "responses.db"
    store = opened(path, definition)
    try:
        assert mode(tmp_path / "shop") == 0o700 and mode(tmp_path / "shop" / ".wowcard") == 0o700
        files = {p.name: mode(p) for p in path.parent.iterdir()}
        assert files == {"responses.db": 0o600, "responses.db-wal": 0o600, "responses.db-shm": 0o600}
    finally:
        store.close()


def test_in_a_folder_that_exists_only_the_store_is_made_private(tmp_path: Path, definition, open_umask):
    (tmp_path / "shared").mkdir(mode=0o755)
    os.chmod(tmp_path / "shared", 0o755)
    path = tmp_path / "shared" / "responses.db"
    store = opened(path, definition)
    try:
        assert mode(tmp_path / "shared") == 0o755
        assert {p.name: mode(p) for p in path.parent.iterdir()} == {
            "responses.db": 0o600,
            "responses.db-wal": 0o600,
            "responses.db-shm": 0o600,
        }
    finally:
        store.close()


def test_a_store_made_before_keeps_the_mode_its_owner_gave_it(tmp_path: Path, definition):
    path = tmp_path / "responses.db"
    SqliteStore(path).close()
    opened(path, definition).close()
    os.chmod(path, 0o640)  # the owner's choice: a backup user in the group may read it
    store = opened(path, definition)
    try:
        assert mode(path) == 0o640
        assert store.definition(definition.survey) is not None
    finally:
        store.close()
