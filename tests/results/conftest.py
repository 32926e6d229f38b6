"""Fixtures for the results tests: the example survey with one more location that has no staff, and its
store on each engine (a real SQLite file where survey.toml's [store] points, DynamoDB in moto in-process),
with the definition published as `wowcard deploy` / `serve` would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import LOGO_SVG, SURVEY_TOML  # the example survey of tests/conftest.py
from store_engines import ENGINES, Engine, running

from wowcard.__main__ import cli
from wowcard.collector import survey as survey_model

KIOSK = """
[[locations]]
id = "kiosk"
name = "Harbour <Kiosk>"
"""


@pytest.fixture
def shop_file(survey_dir: Path) -> Path:
    """harbour's survey.toml plus a kiosk where no staff work (only unnamed recognitions can land there)."""
    path = survey_dir / "survey.toml"
    path.write_text(path.read_text(encoding="utf-8") + KIOSK, encoding="utf-8")
    return path


@pytest.fixture
def shop(shop_file: Path) -> survey_model.Survey:
    return survey_model.load(shop_file)


@pytest.fixture
def shop_definition(shop: survey_model.Survey) -> survey_model.Definition:
    return shop.definition()


@dataclass
class Backend:
    """A store and the options that make the CLI read it."""

    name: str
    store: Any
    survey_file: Path
    options: list[str]

    def run(self, *args: str, input: str | None = None) -> Result:
        """`wowcard COMMAND -s survey.toml [store options] ARGS…` through Click's runner."""
        command, *rest = args
        return CliRunner().invoke(
            cli, [command, "-s", str(self.survey_file), *self.options, *rest], input=input
        )


@contextmanager
def open_backend(engine: Engine, survey_file: Path) -> Iterator[Backend]:
    """The survey's store on one engine, its definition published as `wowcard deploy` / `serve` would."""
    store = engine.open()
    store.publish(survey_model.load(survey_file).definition().to_json())
    try:
        yield Backend(engine.name, store, survey_file, engine.options)
    finally:
        store.close()


@pytest.fixture
def backend(engine: Engine, shop_file: Path) -> Iterator[Backend]:
    """An empty store of the survey, on each engine in turn. moto mocks do not nest: a test module uses
    either this or `shared_backend`, never both."""
    with open_backend(engine, shop_file) as opened:
        yield opened


@pytest.fixture(scope="module", params=ENGINES)
def shared_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    """One store per engine for a whole module of tests that only read (loading moto is the slow part)."""
    folder = tmp_path_factory.mktemp("harbour")
    (folder / "survey.toml").write_text(SURVEY_TOML + KIOSK, encoding="utf-8")
    (folder / "logo.svg").write_text(LOGO_SVG, encoding="utf-8")
    with pytest.MonkeyPatch.context() as monkeypatch, running(request.param, folder, monkeypatch) as engine:
        with open_backend(engine, folder / "survey.toml") as opened:
            yield opened
