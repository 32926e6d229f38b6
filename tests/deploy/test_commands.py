"""`wowcard package`, `wowcard deploy` and `wowcard destroy` as a person runs them: what they print, what they
ask, and their exit codes. (AWS is the moto/Stubber account of conftest, handed to the command in place of
the one boto3's chain would make.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from wowcard import deploy
from wowcard.__main__ import cli
from wowcard.aws_templates import Names

NAMES = Names("harbour", "prod")


@pytest.fixture
def wowcard(account: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run the CLI with the fake account standing in for the boto3 chain's."""
    connected: list[tuple[Any, Any]] = []

    def connect(region: str | None = None, profile: str | None = None) -> deploy.Aws:
        connected.append((region, profile))
        return account.aws

    monkeypatch.setattr(deploy, "connect", connect)  # what the deploy commands call
    monkeypatch.setattr(deploy.aws, "connect", connect)  # what --stage on the reading commands calls

    def invoke(*args: str, input: str | None = None) -> Any:
        return CliRunner().invoke(cli, list(args), input=input)

    invoke.connected = connected
    return invoke


def test_package_writes_the_templates_the_bundle_and_how_to_deploy_them(
    survey_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["package", "-s", str(survey_file), "--stage", "staging", str(out)])

    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["README.txt", "app.json", "data.json", "deployment.zip"]
    assert f"wrote {out / 'app.json'}  (app stack wowcard-harbour-staging)" in result.output
    assert "KB)" in result.output
    app = json.loads((out / "app.json").read_text())
    assert app["Resources"]["APIHandler"]["Properties"]["FunctionName"] == "wowcard-harbour-staging"


def test_package_with_a_bad_stage_is_an_input_error(survey_file: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["package", "-s", str(survey_file), "--stage", "data", str(tmp_path)])
    assert result.exit_code == 2
    assert 'Error: --stage: stage "data" is not allowed' in result.output


def test_deploy_prints_progress_then_the_survey_urls_and_what_to_do_next(
    wowcard: Any, account: Any, survey_file: Path
) -> None:
    data, app = account.first_deploy(NAMES)

    result = wowcard("deploy", "-s", str(survey_file), "--region", "eu-west-2")

    assert result.exit_code == 0, result.output
    assert wowcard.connected == [("eu-west-2", None)]
    site = app["SiteURL"]
    assert "[6/8] App stack wowcard-harbour-prod" in result.stderr
    assert result.stdout.splitlines()[1:4] == [
        f"Survey harbour is live (prod, eu-west-2) at {site}/harbour/",
        f"  {site}/harbour/quay/",
        f"  {site}/harbour/mill/",
    ]
    assert f'Add site_url = "{site}" to {survey_file}' in result.stdout
    assert f"wowcard results -s {survey_file} --stage prod --region eu-west-2" in result.stdout
    assert f"wowcard cards -s {survey_file} --stage prod --region eu-west-2" in result.stdout


def test_results_and_cards_find_the_deployed_stage_from_its_stack(
    wowcard: Any, account: Any, survey_file: Path, tmp_path: Path
) -> None:
    data, app = account.first_deploy(NAMES)
    assert wowcard("deploy", "-s", str(survey_file), "--region", "eu-west-2").exit_code == 0
    account.cloudformation.exists(NAMES.app_stack, app)

    result = wowcard("results", "-s", str(survey_file), "--stage", "prod", "--format", "json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["responses"] == 0
    account.cloudformation.exists(NAMES.app_stack, app)
    out = tmp_path / "cards"
    result = wowcard(
        "cards", "-s", str(survey_file), "--stage", "prod", "--format", "html", "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    sheet = next(out.glob("cards-*.html")).read_text(encoding="utf-8")
    assert f"{app['SiteURL']}/harbour/quay/?src=card" in sheet


def test_a_stage_that_is_not_deployed_is_reported_with_what_to_run(
    wowcard: Any, account: Any, survey_file: Path
) -> None:
    account.cloudformation.missing(NAMES.app_stack)

    result = wowcard("results", "-s", str(survey_file), "--stage", "prod")

    assert result.exit_code == 1
    assert "run `wowcard deploy --stage prod`" in result.output
    assert "Traceback" not in result.output


def test_store_and_stage_together_are_an_input_error(wowcard: Any, survey_file: Path) -> None:
    result = wowcard("results", "-s", str(survey_file), "--stage", "prod", "--store", "sqlite:x.db")
    assert result.exit_code == 2
    assert "--store and --stage" in result.output


def test_deploy_dry_run_prints_the_plan(wowcard: Any, account: Any, survey_file: Path) -> None:
    account.cloudformation.missing(NAMES.data_stack)
    account.cloudformation.missing(NAMES.app_stack)

    result = wowcard("deploy", "-s", str(survey_file), "--dry-run")

    assert result.exit_code == 0, result.output
    assert "Dry run: nothing was created or changed." in result.stderr
    assert result.stdout == ""
    assert account.uploads == []


def test_a_failed_deploy_exits_1_naming_the_step(wowcard: Any, account: Any, survey_file: Path) -> None:
    account.cloudformation.stub.add_client_error(
        "describe_stacks",
        "AccessDenied",
        "User: arn:aws:iam::123456789012:user/ann is not authorized to "
        "perform: cloudformation:DescribeStacks",
        403,
    )

    result = wowcard("deploy", "-s", str(survey_file))

    assert result.exit_code == 1
    assert (
        "Error: step 3/8 (Data stack wowcard-harbour-data) failed: AWS answered AccessDenied: User:"
        in result.output
    )
    assert "deploying needs CloudFormation, IAM, S3" in result.output
    assert "Traceback" not in result.output


def test_deploy_rejects_a_budget_email_that_is_not_one(survey_file: Path) -> None:
    result = CliRunner().invoke(cli, ["deploy", "-s", str(survey_file), "--budget-email", "ann.example.com"])
    assert result.exit_code == 2
    assert '--budget-email: "ann.example.com" is not an email address' in result.output


def test_deploy_without_a_region_exits_2_and_says_how_to_give_one(
    aws_credentials: None, monkeypatch: pytest.MonkeyPatch, survey_file: Path
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    result = CliRunner().invoke(cli, ["deploy", "-s", str(survey_file), "--dry-run"])
    assert result.exit_code == 2
    assert "no AWS region: pass --region" in result.output


def test_destroy_asks_and_a_no_exits_1_with_nothing_deleted(
    wowcard: Any, account: Any, survey_file: Path
) -> None:
    app = account.provision_app(NAMES)
    account.cloudformation.exists(NAMES.app_stack, app)

    result = wowcard("destroy", "-s", str(survey_file), input="n\n")

    assert result.exit_code == 1
    assert "Delete wowcard-harbour-prod in eu-west-2" in result.output
    assert "nothing was deleted" in result.output


def test_destroy_with_delete_data_asks_for_the_survey_id_even_with_yes(
    wowcard: Any, account: Any, survey_file: Path
) -> None:
    data, app = account.provision_data(NAMES), account.provision_app(NAMES)
    cf = account.cloudformation
    cf.exists(NAMES.app_stack, app)
    cf.exists(NAMES.data_stack, data)
    cf.all_stacks([])
    cf.deletes(NAMES.app_stack)
    cf.deletes(NAMES.data_stack)

    result = wowcard("destroy", "-s", str(survey_file), "--yes", "--delete-data", input="harbour\n")

    assert result.exit_code == 0, result.output
    assert "Type the survey id (harbour) to confirm" in result.stderr
    assert "Delete wowcard-harbour-prod" not in result.stderr  # --yes skipped only that question
    assert result.stdout.splitlines() == [
        "deleted wowcard-harbour-prod",
        "deleted wowcard-harbour-data",
        "deleted wowcard-harbour",
    ]
    assert "wowcard-harbour" not in account.dynamodb.list_tables()["TableNames"]
