"""`wowcard init`: an example survey that builds as is, never written over an owner's own without --force."""

from __future__ import annotations

import tomllib
from pathlib import Path

from click.testing import CliRunner

from wowcard.__main__ import cli


def test_init_writes_a_commented_example_survey_that_builds_as_is(tmp_path: Path):
    target = tmp_path / "shop"
    result = CliRunner().invoke(cli, ["init", str(target)])
    assert result.exit_code == 0, result.output
    assert f"wrote {target / 'survey.toml'}" in result.output
    assert (
        f"cd {target}" in result.output
        and "wowcard build" in result.output
        and "wowcard serve" in result.output
    )
    text = (target / "survey.toml").read_text()
    assert text.count("\n#") > 20  # explained, not just data
    data = tomllib.loads(text)
    assert len(data["locations"]) == 2 and len(data["staff"]) == 5 and len(data["promises"]) == 3
    assert data["store"]["url"] == "sqlite:.wowcard/responses.db"
    assert set(data["questions"]) == {"who", "what", "ratings", "promises", "comment", "contact"}
    assert data["brand"]["primary"] and data["brand"]["logo"] == "logo.svg" and data["retention_days"] == 365
    assert (target / "logo.svg").read_text().startswith("<svg")

    built = CliRunner().invoke(cli, ["build", "-s", str(target / "survey.toml")])
    assert built.exit_code == 0, built.output
    assert (target / "build" / "tidewater" / "station" / "s" / "kofi" / "index.html").is_file()


def test_the_example_survey_speaks_english_and_spanish(tmp_path: Path):
    assert CliRunner().invoke(cli, ["init", str(tmp_path)]).exit_code == 0
    data = tomllib.loads((tmp_path / "survey.toml").read_text())
    assert data["languages"] == ["en", "es"]
    assert set(data["thank_you"]) == set(data["brand"]["tagline"]) == {"en", "es"}
    assert all(set(promise["text"]) == {"en", "es"} for promise in data["promises"])
    assert CliRunner().invoke(cli, ["build", "-s", str(tmp_path / "survey.toml")]).exit_code == 0
    page = (tmp_path / "build" / "tidewater" / "station" / "es" / "s" / "kofi" / "index.html").read_text()
    assert '<html lang="es" dir="ltr">' in page
    assert "Me arreglaron la bici el mismo día" in page and ">Enviar</button>" in page


def test_init_defaults_to_the_current_folder(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "survey.toml").is_file() and "cd " not in result.output


def test_init_refuses_to_overwrite_a_survey_without_force(tmp_path: Path):
    (tmp_path / "survey.toml").write_text('id = "mine"\n')
    result = CliRunner().invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 2
    assert "survey.toml already exists; use --force to overwrite" in result.output
    assert (tmp_path / "survey.toml").read_text() == 'id = "mine"\n'
    assert not (tmp_path / "logo.svg").exists()

    forced = CliRunner().invoke(cli, ["init", "--force", str(tmp_path)])
    assert forced.exit_code == 0
    assert 'id = "tidewater"' in (tmp_path / "survey.toml").read_text()


def test_init_into_a_file_is_refused(tmp_path: Path):
    (tmp_path / "taken").write_text("")
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "taken")])
    assert result.exit_code == 2 and "is a file" in result.output
