"""Surveys to print cards from: the example with a public address, and one whose every name is as long as
survey.toml allows."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import LOGO_SVG, SURVEY_TOML

from wowcard.collector import survey as survey_model

SITE_URL = "https://survey.example.com"


def at_length(text: str, length: int, joiner: str = " ") -> str:
    """`text` repeated and cut to exactly `length` characters, never ending in the joiner."""
    out = (text + joiner) * (length // len(text) + 2)
    out = out[:length]
    return out[:-1] + "x" if out.endswith(joiner) else out


def slug(text: str) -> str:
    """An id as long as survey.toml allows (40)."""
    return at_length(text, 40, "-")


# Every owner text a card prints, at the longest survey.toml accepts (collector/survey.py).
LONG = {
    "brand": at_length(
        "The Extraordinarily Long-Named Family Bakery, Coffee Roasting & Community Kitchen", 80
    ),
    "tagline": at_length(
        "Roasting, baking and brewing by hand since 1987 on the old quay, with beans from growers"
        " we know by name and flour from the mill next door",
        120,
    ),
    "title": at_length(
        "Did anyone on our team go above and beyond, and exceed every expectation you had when you"
        " came in to see us today?",
        120,
    ),
    "location": at_length(
        "Unit 14b, Upper Riverside Retail Quarter, Harbourside Regeneration District North", 80
    ),
    "staff": at_length("Wolfeschlegelsteinhausenbergerdorff Maximiliana Alexandrova-Smythe", 60),
}
# The widest Latin capitals, with nowhere to break a line.
WIDE = {"brand": "W" * 80, "tagline": "M" * 120, "title": "W" * 120, "location": "W" * 80, "staff": "M" * 60}


def long_survey_toml(texts: dict[str, str], site_url: str = SITE_URL) -> str:
    """A survey whose owner texts are `texts`, with two locations and a staff member working at both."""
    return f'''\
id = "{slug("harbour-extraordinarily-long-survey-id")}"
site_url = "{site_url}"
title = "{texts["title"]}"

[brand]
name = "{texts["brand"]}"
tagline = "{texts["tagline"]}"
primary = "#f4d03f"
logo = "logo.svg"

[[locations]]
id = "{slug("upper-riverside-retail-quarter-unit-14b")}"
name = "{texts["location"]}"

[[locations]]
id = "{slug("second-location-with-an-id-of-forty")}"
name = "{texts["location"]}"

[[staff]]
id = "{slug("wolfeschlegelsteinhausenbergerdorff-max")}"
name = "{texts["staff"]}"
locations = ["{slug("upper-riverside-retail-quarter-unit-14b")}",
             "{slug("second-location-with-an-id-of-forty")}"]
'''


@pytest.fixture
def published_file(survey_dir: Path) -> Path:
    """The example survey with its public address set."""
    path = survey_dir / "survey.toml"
    path.write_text(f'site_url = "{SITE_URL}"\n' + SURVEY_TOML, encoding="utf-8")
    return path


@pytest.fixture
def published(published_file: Path) -> survey_model.Survey:
    return survey_model.load(published_file)


def write_survey(folder: Path, toml: str) -> Path:
    folder.mkdir()
    (folder / "logo.svg").write_text(LOGO_SVG, encoding="utf-8")
    path = folder / "survey.toml"
    path.write_text(toml, encoding="utf-8")
    return path


@pytest.fixture(params=["long", "wide"])
def long_file(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Every card text at its maximum length: believable words, then the widest letters without a space."""
    return write_survey(tmp_path / request.param, long_survey_toml(LONG if request.param == "long" else WIDE))


@pytest.fixture
def long_survey(long_file: Path) -> survey_model.Survey:
    return survey_model.load(long_file)
