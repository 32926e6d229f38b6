"""Fixtures every test area shares: a believable survey on disk and its compiled definition."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from aws_stand_ins import fake_aws_credentials, moto_server
from store_engines import ENGINES, Engine, for_test

from wowcard.collector import survey as survey_model

SURVEY_TOML = """\
id = "harbour"
title = "Did anyone exceed your expectations today?"
time_zone = "Europe/London"
thank_you = "Thank you! Every answer is read by the team."
retention_days = 365
shards = 4

[brand]
name = "Harbour Coffee"
tagline = "Roasted on the quay"
primary = "#0b5d6b"
background = "#ffffff"
logo = "logo.svg"

[questions]
who = true
what = true
ratings = true
promises = true
comment = true
contact = true

[[promises]]
id = "fresh"
text = "Coffee roasted this week"

[[promises]]
id = "name"
text = "They know my name"

[[promises]]
id = "quick"
text = "Served in under three minutes"

[[locations]]
id = "quay"
name = "Quay Street"

[[locations]]
id = "mill"
name = "Old Mill"

[[staff]]
id = "maya"
name = "Maya"
location = "quay"

[[staff]]
id = "tom"
name = "Tom"
location = "quay"

[[staff]]
id = "priya"
name = "Priya"
locations = ["quay", "mill"]

[[staff]]
id = "sam"
name = "Sam"
location = "mill"

[[staff]]
id = "li"
name = "Li"
location = "mill"
"""

LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">'
    '<circle cx="32" cy="32" r="30" fill="#0b5d6b"/>'
    '<path d="M18 38h28v6H18z" fill="#ffffff"/></svg>\n'
)


@pytest.fixture
def survey_dir(tmp_path: Path) -> Path:
    """A folder holding survey.toml and logo.svg, as `wowcard init` would leave it."""
    folder = tmp_path / "harbour"
    folder.mkdir()
    (folder / "survey.toml").write_text(SURVEY_TOML, encoding="utf-8")
    (folder / "logo.svg").write_text(LOGO_SVG, encoding="utf-8")
    return folder


@pytest.fixture
def survey_file(survey_dir: Path) -> Path:
    return survey_dir / "survey.toml"


@pytest.fixture
def survey(survey_file: Path) -> survey_model.Survey:
    return survey_model.load(survey_file)


@pytest.fixture
def definition(survey: survey_model.Survey) -> survey_model.Definition:
    return survey.definition()


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake AWS credentials for the test (moto in-process or moto_server)."""
    fake_aws_credentials(monkeypatch)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """One moto_server for the whole session, over real HTTP on loopback; tests each use their own table."""
    with moto_server() as url:
        yield url


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An empty store on each engine in turn (tests/store_engines.py): a test that takes it, or a fixture
    built on it, runs once per engine."""
    with for_test(request) as opened:
        yield opened
