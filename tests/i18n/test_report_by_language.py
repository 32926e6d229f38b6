"""Each answer records the language of the page it came from, and `wowcard results --by language` counts them
as the raw rows do, in the owner's language (English) whatever the customers' languages."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from wowcard.__main__ import cli
from wowcard.collector import answers
from wowcard.collector import survey as survey_model
from wowcard.collector.store import open_store

# page language → answers sent from it; None: an answer without `lang` (counted as the default language)
SENT = {"es": 7, "ar": 4, "zh-Hans": 3, "en": 2, None: 2, "fr": 1}


def send_answers(survey: survey_model.Survey) -> Path:
    definition = survey.definition()
    store = open_store(survey.store, survey.folder)
    store.publish(definition.to_json())
    now = datetime.now(UTC) - timedelta(hours=1)
    n = 0
    for lang, count in SENT.items():
        for _ in range(count):
            body = {"id": f"lang-test-{n:04d}", "v": definition.version, "location": "quay", "wow": "yes"}
            if lang:
                body["lang"] = lang
            submission = answers.decode(json.dumps(body).encode(), "text/plain;charset=UTF-8")
            record = answers.record(submission, definition, now + timedelta(seconds=n), "192.0.2.1", "phone")
            assert store.put(record) is True
            n += 1
    store.close()
    return survey.folder / ".wowcard" / "responses.db"


def raw_languages(database: Path) -> Counter:
    with sqlite3.connect(database) as conn:
        return Counter(dict(conn.execute("SELECT lang, COUNT(*) FROM responses GROUP BY lang").fetchall()))


def test_results_by_language_agree_with_the_raw_rows(
    multilingual: survey_model.Survey, multilingual_file: Path
):
    database = send_answers(multilingual)
    raw = raw_languages(database)
    assert raw == Counter({"es": 7, "ar": 4, "en": 4, "zh-Hans": 3, "fr": 1})  # no lang: the default, en

    result = CliRunner().invoke(
        cli, ["results", "-s", str(multilingual_file), "--by", "language", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    groups = {g["key"]: g for g in report["groups"]}
    assert list(groups) == ["en", "es", "fr", "de", "pt", "zh-Hans", "ar"]  # every survey language, in order
    assert {key: g["count"] for key, g in groups.items()} == {lang: raw.get(lang, 0) for lang in groups}
    total = sum(raw.values())
    assert report["responses"] == total == sum(SENT.values())
    for key, group in groups.items():
        assert group["share"] == round(raw.get(key, 0) / total, 4), key


def test_the_report_and_the_cli_stay_in_the_owners_language(
    multilingual: survey_model.Survey, multilingual_file: Path
):
    send_answers(multilingual)
    table = CliRunner().invoke(cli, ["results", "-s", str(multilingual_file), "--by", "language"])
    assert table.exit_code == 0, table.output
    assert "Language" in table.output and "Responses" in table.output
    assert "Idioma" not in table.output and "اللغة" not in table.output
    assert "Spanish" in table.output and "Arabic" in table.output  # languages named, not coded
    built = CliRunner().invoke(cli, ["build", "-s", str(multilingual_file)])
    assert built.exit_code == 0 and built.output.startswith("wrote 96 pages and survey.json")
