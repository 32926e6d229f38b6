"""survey.toml as the owner meets it through `wowcard build`: a good one builds, and every kind of mistake is
one line naming the file, the field path and what is allowed, with exit code 2 and no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from wowcard.__main__ import cli


def build(survey_file: Path, *args: str):
    return CliRunner().invoke(cli, ["build", "-s", str(survey_file), *args])


def edit(survey_file: Path, old: str, new: str) -> None:
    text = survey_file.read_text(encoding="utf-8")
    assert old in text, f"the example survey no longer contains {old!r}"
    survey_file.write_text(text.replace(old, new, 1), encoding="utf-8")


def assert_survey_error(result, survey_file: Path, field: str, *words: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    message = result.output.strip()
    assert message.startswith("Error: "), message
    assert len(message.splitlines()) == 1, message
    assert str(survey_file) in message
    assert f": {field}: " in message, message
    for word in words:
        assert word in message, message


def test_the_example_survey_builds(survey_file: Path):
    result = build(survey_file)
    assert result.exit_code == 0, result.output
    assert "wrote 24 pages and survey.json" in result.output


@pytest.mark.parametrize(
    ("old", "new", "field", "words"),
    [
        (
            'tagline = "Roasted on the quay"',
            'tagline = "Roasted on the quay"\ncolour = "#ff0000"',
            "brand.colour",
            ("not a known field", "allowed here", "primary"),
        ),
        ('id = "harbour"', 'id = "Harbour Coffee"', "id", ("not a URL-safe id", "lowercase letters")),
        ('id = "li"', 'id = "sam"', "staff[4]", ('duplicate id "sam"', "staff[3]")),
        ('id = "mill"', 'id = "quay"', "locations[1]", ('duplicate id "quay"',)),
        (
            'location = "quay"',
            'location = "pier"',
            "staff[0].location",
            ('unknown location "pier"', "quay, mill"),
        ),
        ('primary = "#0b5d6b"', 'primary = "teal"', "brand.primary", ('"teal" is not a colour', "#0b5d6b")),
        ('time_zone = "Europe/London"', 'time_zone = "Europe/Londres"', "time_zone", ("IANA time zone",)),
        ('logo = "logo.svg"', 'logo = "brand/logo.svg"', "brand.logo", ("does not exist",)),
        ('logo = "logo.svg"', 'logo = "logo.png"', "brand.logo", ("not an SVG file",)),
        ('id = "mill"', 'id = "thanks"', "locations[1].id", ("reserved by the site layout",)),
        ("retention_days = 365", "retention_days = 0", "retention_days", ("1 to 3650",)),
        ("comment = true", 'comment = "yes"', "questions.comment", ("true or false",)),
        (
            'id = "harbour"',
            'id = "harbour"\nlanguages = ["it"]',
            "languages[0]",
            ('"it" has no built-in page texts', "available: ar, de, en, es, fr, pt, zh-Hans"),
        ),
        (
            'id = "harbour"',
            'id = "harbour"\nlanguages = ["english"]',
            "languages[0]",
            ("not a language code",),
        ),
        ("[store]", '[store]\nurl = "postgres://x"', "store.url", ('"sqlite:PATH" or "dynamodb:TABLE"',)),
        (
            "retention_days = 365",
            'retention_days = 365\nreview_url = "http://g.page/r/harbour/review"',
            "review_url",
            ("not an https:// URL",),
        ),
        (
            "retention_days = 365",
            'retention_days = 365\nreview_url = "https://g.page/r/a review"',
            "review_url",
            ("not an https:// URL",),
        ),
    ],
    ids=[
        "unknown key",
        "bad slug",
        "duplicate staff id",
        "duplicate location id",
        "unknown staff location",
        "bad colour",
        "bad time zone",
        "missing logo",
        "logo not svg",
        "reserved location id",
        "retention out of range",
        "question not boolean",
        "language without texts",
        "bad language code",
        "bad store url",
        "review link not https",
        "review link with a space",
    ],
)
def test_a_mistake_in_survey_toml_is_one_line_naming_file_and_field(survey_file, old, new, field, words):
    if old == "[store]":
        survey_file.write_text(
            survey_file.read_text() + '\n[store]\nurl = "postgres://x"\n', encoding="utf-8"
        )
    else:
        edit(survey_file, old, new)
    assert_survey_error(build(survey_file), survey_file, field, *words)


def test_a_file_that_is_not_toml_is_refused_naming_the_file(survey_file: Path):
    survey_file.write_text('id = "harbour\n[brand\n', encoding="utf-8")
    result = build(survey_file)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"{survey_file}: is not valid TOML" in result.output


def test_a_missing_survey_file_says_how_to_make_one(tmp_path: Path):
    result = build(tmp_path / "survey.toml")
    assert result.exit_code == 2
    assert "no such file (run `wowcard init` to create one)" in result.output


def test_brand_colours_without_enough_contrast_fail_with_ratio_and_nearest_shade(survey_file: Path):
    edit(survey_file, 'primary = "#0b5d6b"', 'primary = "#f5c400"')
    result = build(survey_file)
    assert_survey_error(
        result, survey_file, "brand.primary", "#f5c400", "#ffffff", "4.5:1", "nearest passing shade"
    )
    assert "1.6" in result.output  # the measured ratio, 1.64:1
