"""Nothing secret reaches a public file: the built pages, survey.json, printed cards, the packaged templates
and the OpenAPI document never hold the store's URL or table, a webhook, AWS keys or ARNs, or the owner's
local paths — even when survey.toml and the environment are full of them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from wowcard.__main__ import cli
from wowcard.collector import collect
from wowcard.collector import survey as survey_model

TABLE = "wowcard-prod-secret-7f3a9c"
WEBHOOK = "https://hooks.slack.com/services/T0SECRET/B0SECRET/xoxbWebhookSecret42"
ACCESS_KEY = "AKIAIOSFODNN7SECRET1"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"
SECRET_PATTERNS = [
    re.compile(rb"AKIA[0-9A-Z]{16}"),
    re.compile(rb"arn:aws[a-z-]*:"),
    re.compile(rb"(?i)aws_secret_access_key|aws_session_token"),
    re.compile(rb"https://hooks\.(slack|zapier)\.com"),
    re.compile(rb"xox[abpr]-"),
    re.compile(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(rb"execute-api\.[a-z0-9-]+\.amazonaws\.com"),
    re.compile(rb"dynamodb:|sqlite:|\.wowcard/"),
]
PUBLIC_DEFINITION_KEYS = {
    "survey", "version", "time_zone", "shards", "languages", "questions", "locations", "staff", "promises",
    "retention_days", "site_url", "alerts", "recognition_limit", "address_limit",
}  # fmt: skip


@pytest.fixture
def secret_survey(survey_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example survey on a production table with a webhook, AWS keys in the environment."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("WOWCARD_STORE", f"dynamodb:{TABLE}")
    toml = survey_dir / "survey.toml"
    text = toml.read_text(encoding="utf-8")
    text = text.replace("shards = 4\n", 'shards = 4\nsite_url = "https://survey.harbour.example"\n', 1)
    text += f'\n[store]\nurl = "dynamodb:{TABLE}"\n\n[alerts]\nwebhook = "{WEBHOOK}"\n'
    toml.write_text(text, encoding="utf-8")
    return toml


def secrets_in(data: bytes, owner_folder: Path) -> list[str]:
    found = [p.pattern.decode() for p in SECRET_PATTERNS if p.search(data)]
    for literal in (TABLE, WEBHOOK, "T0SECRET", ACCESS_KEY, SECRET_KEY, str(owner_folder)):
        if literal.encode() in data:
            found.append(literal)
    return found


def test_no_secret_in_any_built_page_or_printed_card(secret_survey: Path) -> None:
    runner = CliRunner()
    built = runner.invoke(cli, ["build", "-s", str(secret_survey)])
    assert built.exit_code == 0, built.output
    for fmt in ("svg", "html"):
        cards = runner.invoke(cli, ["cards", "-s", str(secret_survey), "--format", fmt, "--per", "staff"])
        assert cards.exit_code == 0, cards.output
    files = [p for p in (secret_survey.parent / "build").rglob("*") if p.is_file()]
    assert len(files) > 20
    leaks = {str(p.relative_to(secret_survey.parent)): secrets_in(p.read_bytes(), secret_survey.parent)
             for p in files}  # fmt: skip
    assert {name: found for name, found in leaks.items() if found} == {}
    assert WEBHOOK not in built.output and TABLE not in built.output


def test_survey_json_and_the_published_definition_hold_only_public_fields(secret_survey: Path) -> None:
    survey = survey_model.load(secret_survey)
    definition = survey.definition().to_json()
    assert set(definition) <= PUBLIC_DEFINITION_KEYS
    text = json.dumps(definition)
    assert secrets_in(text.encode(), secret_survey.parent) == []
    assert "hooks.slack.com" not in repr(survey) and WEBHOOK not in str(survey.alerts)


def test_a_survey_toml_error_never_repeats_the_webhook(survey_dir: Path) -> None:
    toml = survey_dir / "survey.toml"
    toml.write_text(
        toml.read_text() + '\n[alerts]\nwebhook = "http://hooks.example/T0SECRET/plain-http"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["build", "-s", str(toml)])
    assert result.exit_code == 2
    assert "alerts.webhook" in result.output and "T0SECRET" not in result.output


def test_no_secret_or_endpoint_in_the_packaged_templates_and_openapi_document() -> None:
    from wowcard import site_templates

    folder = Path(site_templates.__file__).parent
    # Everything that ends up in a page, a card or a report (example_survey.toml is the owner's own file).
    shipped = [
        p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".toml"
    ]
    shipped.append(Path(collect.__file__).parent / "openapi.json")
    leaks = {p.name: found for p in shipped if (found := secrets_in(p.read_bytes(), Path("/nonexistent")))}
    assert leaks == {}
    for page in folder.glob("*.js"):
        script = page.read_text(encoding="utf-8")
        assert not re.search(r"https?://(?!www\.w3\.org)", script), f"{page.name} names an absolute URL"
        assert not re.search(r"(?i)(api[_-]?key|secret|authorization|bearer)\b", script), (
            f"{page.name} holds a key"
        )
