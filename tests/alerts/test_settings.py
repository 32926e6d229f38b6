"""The survey.toml settings of this feature: `[alerts]`, `[fairness]` and `followup_goal_hours`. Mistakes are
errors naming the field (unknown keys too), the webhook never reaches the public definition nor an error
message, and a survey without these settings keeps the version it had before they existed."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from alerts.stand_ins import SECRET
from conftest import SURVEY_TOML

from wowcard.collector import survey as survey_model
from wowcard.collector.survey import SurveyError

LITERAL = f"https://hooks.slack.com/services/{SECRET}"


def parse(extra: str) -> survey_model.Survey:
    data = tomllib.loads(SURVEY_TOML.replace('logo = "logo.svg"\n', "") + extra)
    return survey_model.parse(data)


def error(extra: str) -> SurveyError:
    with pytest.raises(SurveyError) as raised:
        parse(extra)
    return raised.value


def test_without_the_new_settings_a_survey_keeps_its_published_version() -> None:
    definition = parse("").definition()
    assert definition.version == "712d40e77520"  # what it compiled to before alerts and fairness existed
    assert "alerts" not in definition.to_json() and "recognition_limit" not in definition.to_json()
    assert (definition.alerts, definition.recognition_limit) == ((), 2)


def test_alerts_name_the_kinds_in_the_definition_and_keep_the_webhook_out_of_it() -> None:
    survey = parse(f'\n[alerts]\nwebhook = "{LITERAL}"\non = ["low_rating"]\n')
    definition = survey.definition()

    assert survey.alerts is not None and survey.alerts.webhook == LITERAL
    assert definition.alerts == ("low_rating",)
    assert definition.to_json()["alerts"] == ["low_rating"]
    for shown in (definition.dumps(), repr(survey), repr(definition)):
        assert SECRET not in shown and "hooks.slack.com" not in shown
    again = survey_model.Definition.from_json(definition.to_json())
    assert again == definition


def test_alerts_default_to_both_kinds_and_read_the_url_from_the_environment() -> None:
    survey = parse('\n[alerts]\nwebhook = "env:WOWCARD_WEBHOOK"\n')
    assert survey.alerts is not None
    assert (survey.alerts.on, survey.alerts.webhook_env) == (("followup", "low_rating"), "WOWCARD_WEBHOOK")
    assert "WOWCARD_WEBHOOK" not in survey.definition().dumps()


@pytest.mark.parametrize(
    "webhook",
    [f"http://hooks.example.com/{SECRET}", f"htps://hooks.slack.com/{SECRET}", f"env:1{SECRET}", ""],
)
def test_a_webhook_that_is_neither_a_variable_nor_an_https_url_is_refused_without_echoing_it(
    webhook: str,
) -> None:
    refused = error(f'\n[alerts]\nwebhook = "{webhook}"\n')
    assert refused.path == "alerts.webhook"
    assert 'must be "env:NAME"' in refused.message
    assert SECRET not in str(refused)


@pytest.mark.parametrize(
    ("extra", "path", "words"),
    [
        ("\n[alerts]\non = []\n", "alerts.webhook", "is required"),
        ('\n[alerts]\nwebhook = "env:W"\non = ["angry"]\n', "alerts.on[0]", '"angry" is not one of'),
        ('\n[alerts]\nwebhook = "env:W"\non = []\n', "alerts.on", "must not be empty"),
        ('\n[alerts]\nwebhook = "env:W"\nchannel = "#shop"\n', "alerts.channel", "is not a known field"),
        (
            "\n[fairness]\nsame_staff_per_device_per_day = 0\n",
            "fairness.same_staff_per_device_per_day",
            "is 0",
        ),
        ("\n[fairness]\nper_day = 3\n", "fairness.per_day", "is not a known field"),
    ],
)
def test_mistakes_in_the_new_tables_name_the_field(extra: str, path: str, words: str) -> None:
    refused = error(extra)
    assert refused.path == path and words in refused.message


def test_the_fairness_limit_and_the_follow_up_goal_are_read(tmp_path: Path) -> None:
    text = SURVEY_TOML.replace('logo = "logo.svg"\n', "")
    survey = survey_model.parse(
        tomllib.loads(
            "followup_goal_hours = 4\n" + text + "\n[fairness]\nsame_staff_per_device_per_day = 3\n"
        )
    )
    assert (survey.followup_goal_hours, survey.recognition_limit) == (4, 3)
    assert survey.definition().to_json()["recognition_limit"] == 3
    with pytest.raises(SurveyError, match="followup_goal_hours: is 0"):
        survey_model.parse(tomllib.loads("followup_goal_hours = 0\n" + text))
