"""`deploy` from nothing to working pages, against moto (S3, DynamoDB, STS) with CloudFormation answered by
the Stubber: change sets printed in words, the bundle and pages uploaded once, the definition published;
re-running changes nothing; a second survey leaves the first alone; --dry-run changes nothing; failures say
where and why."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest

from wowcard import deploy
from wowcard.aws_templates import Names
from wowcard.build import build_site
from wowcard.collector.store import open_store
from wowcard.collector.survey import Survey, load

NAMES = Names("harbour", "prod")


def run(account: Any, survey: Survey, **options: Any) -> deploy.Deployment:
    return deploy.deploy(
        survey, account.aws, "prod", deploy.Options(**options), say=account.say, wait=account.wait
    )


def published(account: Any, table: str, survey_id: str) -> dict[str, Any] | None:
    store = open_store(f"dynamodb:{table}", region="eu-west-2")
    return store.definition(survey_id)


def built_keys(survey: Survey, tmp_path: Path, site_url: str) -> set[str]:
    result = build_site(replace(survey, site_url=site_url), out=tmp_path / "expected")
    return set(deploy.built_files(result))


def test_a_first_deploy_creates_both_stacks_publishes_and_uploads_every_page(
    account: Any, survey: Survey, tmp_path: Path
) -> None:
    data, app = account.first_deploy(NAMES)

    done = run(account, survey)

    account.cloudformation.done()
    site = app["SiteURL"]
    assert done.site_url == site
    assert done.survey_urls == [f"{site}/harbour/quay/", f"{site}/harbour/mill/"]
    # the change sets, in words, before they ran
    assert "      add DynamoDB table Table" in account.lines
    assert "      add CloudFront distribution Distribution" in account.lines
    assert [line for line in account.lines if line.startswith("[")] == [
        "[1/8] AWS account",
        "[2/8] Package the collector",
        "[3/8] Data stack wowcard-harbour-data",
        "[4/8] Lambda bundle",
        "[5/8] Secrets",
        "[6/8] App stack wowcard-harbour-prod",
        "[7/8] Survey definition",
        "[8/8] Pages",
    ]
    # the app stack got the data stack's table, its template carries the bundle's S3 location
    (create_app,) = [
        c for c in account.cloudformation.called("CreateChangeSet") if c["StackName"] == NAMES.app_stack
    ]
    assert {"ParameterKey": "TableName", "ParameterValue": "wowcard-harbour"} in create_app["Parameters"]
    code = json.loads(create_app["TemplateBody"])["Resources"]["APIHandler"]["Properties"]["CodeUri"]
    assert code["Bucket"] == data["ArtifactsBucket"]
    assert account.s3.head_object(Bucket=code["Bucket"], Key=code["Key"])["ContentLength"] < 120 * 1024
    assert {"Key": "wowcard:survey", "Value": "harbour"} in create_app["Tags"]
    # the definition the pages were built from is published, with the site's address
    definition = published(account, data["TableName"], "harbour")
    assert definition is not None and definition["site_url"] == site and definition["version"] == done.version
    assert done.published is True


def test_the_pages_bucket_holds_exactly_the_built_pages_with_the_right_headers(
    account: Any, survey: Survey, tmp_path: Path
) -> None:
    _, app = account.first_deploy(NAMES)
    run(account, survey)

    objects = account.objects(app["PagesBucket"])
    assert set(objects) == built_keys(survey, tmp_path, app["SiteURL"])
    assert "harbour/quay/index.html" in objects and "harbour/quay/s/maya/index.html" in objects
    assert "harbour/.wowcard-manifest.json" not in objects
    page, definition = objects["harbour/quay/index.html"], objects["harbour/survey.json"]
    assert page["ContentType"] == "text/html; charset=utf-8"
    assert page["CacheControl"] == "public, max-age=300"
    assert definition["ContentType"] == "application/json"
    # nothing precompressed: CloudFront compresses per viewer, so no object needs a Content-Encoding
    assert all(o["ContentEncoding"] is None for o in objects.values())
    local = tmp_path / "expected" / "harbour" / "quay" / "index.html"
    body = account.s3.get_object(Bucket=app["PagesBucket"], Key="harbour/quay/index.html")["Body"].read()
    assert body == local.read_bytes()


def test_deploying_again_with_nothing_changed_changes_nothing(account: Any, survey: Survey) -> None:
    data, app = account.first_deploy(NAMES)
    first = run(account, survey)
    uploaded_first = list(account.uploads)
    before = account.objects(app["PagesBucket"])
    account.unchanged_deploy(NAMES, data, app)
    account.lines.clear()

    second = run(account, survey)

    account.cloudformation.done()
    executed = account.cloudformation.called("ExecuteChangeSet")
    assert len(executed) == 2  # the first run's two; the second run executed none
    emptied = [c["StackName"] for c in account.cloudformation.called("DeleteChangeSet")]
    assert emptied == [NAMES.data_stack, NAMES.app_stack]  # the empty change sets are cleaned up
    assert account.uploads == uploaded_first  # no bundle, no page uploaded again
    assert account.removals == []
    assert account.objects(app["PagesBucket"]) == before
    assert (second.published, second.stacks_changed, second.pages.changed) == (False, False, False)
    assert second.version == first.version
    assert "      wowcard-harbour-data: no changes" in account.lines
    assert "      wowcard-harbour-prod: no changes" in account.lines
    assert f"      0 to upload, 0 to remove, {len(before)} unchanged" in account.lines
    # the same template went up both times: packaging is deterministic
    bodies = [
        c["TemplateBody"]
        for c in account.cloudformation.called("CreateChangeSet")
        if c["StackName"] == NAMES.app_stack
    ]
    assert bodies[0] == bodies[1]
    params = account.cloudformation.called("CreateChangeSet")[-1]["Parameters"]
    assert {"ParameterKey": "BudgetEmail", "UsePreviousValue": True} in params  # a budget set once is kept


def test_stale_pages_are_removed_and_other_objects_in_the_bucket_kept(account: Any, survey: Survey) -> None:
    data, app = account.first_deploy(NAMES)
    run(account, survey)
    bucket = app["PagesBucket"]
    account.s3.put_object(Bucket=bucket, Key="harbour/closed-branch/index.html", Body=b"<p>old</p>")
    account.s3.put_object(Bucket=bucket, Key="robots.txt", Body=b"User-agent: *\n")
    account.unchanged_deploy(NAMES, data, app)

    done = run(account, survey)

    assert account.removals == ["harbour/closed-branch/index.html"]
    assert done.pages.delete == ["harbour/closed-branch/index.html"] and done.pages.upload == []
    keys = set(account.objects(bucket))
    assert "robots.txt" in keys and "harbour/closed-branch/index.html" not in keys


def test_a_changed_survey_is_published_and_its_pages_replaced(account: Any, survey: Survey) -> None:
    data, app = account.first_deploy(NAMES)
    first = run(account, survey)
    account.unchanged_deploy(NAMES, data, app)
    uploads = len(account.uploads)
    changed = replace(survey, retention_days=180)

    second = run(account, changed)

    assert second.version != first.version and second.published is True
    assert published(account, data["TableName"], "harbour")["version"] == second.version
    assert second.pages.upload and len(account.uploads) - uploads == len(second.pages.upload)
    assert not any(key.startswith("lambda/") for key in account.uploads[uploads:])  # same code, same bundle


def test_the_page_of_someone_who_left_stays_in_the_bucket_as_a_hand_off(account: Any, survey: Survey) -> None:
    data, app = account.first_deploy(NAMES)
    run(account, survey)  # tom's staff card is printed with this version
    account.unchanged_deploy(NAMES, data, app)
    without_tom = replace(survey, staff=tuple(s for s in survey.staff if s.id != "tom"))

    second = run(account, without_tom)

    assert "harbour/quay/s/tom/index.html" not in second.pages.delete
    page = account.s3.get_object(Bucket=app["PagesBucket"], Key="harbour/quay/s/tom/index.html")
    body = page["Body"].read()
    assert b"This page has moved" in body and b'href="/harbour/quay/"' in body


def test_a_second_survey_in_the_same_account_leaves_the_first_alone(
    account: Any, survey: Survey, tmp_path: Path
) -> None:
    _, harbour_app = account.first_deploy(NAMES)
    run(account, survey)
    harbour_pages = account.objects(harbour_app["PagesBucket"])
    harbour_definition = published(account, "wowcard-harbour", "harbour")
    folder = tmp_path / "lighthouse"
    folder.mkdir()
    (folder / "survey.toml").write_text(
        survey.source.read_text().replace('id = "harbour"', 'id = "lighthouse"')
    )
    (folder / "logo.svg").write_text((survey.folder / "logo.svg").read_text())
    lighthouse = load(folder / "survey.toml")
    other = Names("lighthouse", "prod")
    _, lighthouse_app = account.first_deploy(other)
    earlier = len(account.cloudformation.calls)

    done = run(account, lighthouse)

    account.cloudformation.done()
    touched = {params["StackName"] for _, params in account.cloudformation.calls[earlier:]}
    assert touched == {"wowcard-lighthouse-data", "wowcard-lighthouse-prod"}
    assert account.objects(harbour_app["PagesBucket"]) == harbour_pages
    assert published(account, "wowcard-harbour", "harbour") == harbour_definition
    assert published(account, "wowcard-lighthouse", "harbour") is None
    assert published(account, "wowcard-lighthouse", "lighthouse")["version"] == done.version
    assert all(key.startswith("lighthouse/") for key in account.objects(lighthouse_app["PagesBucket"]))


# --- the plan -----------------------------------------------------------------------------------------------


def test_a_dry_run_on_an_empty_account_creates_nothing(account: Any, survey: Survey) -> None:
    account.cloudformation.missing(NAMES.data_stack)
    account.cloudformation.missing(NAMES.app_stack)
    buckets = account.s3.list_buckets()["Buckets"]

    run(account, survey, dry_run=True)

    account.cloudformation.done()
    assert {name for name, _ in account.cloudformation.calls} == {"DescribeStacks"}
    assert account.uploads == [] and account.s3.list_buckets()["Buckets"] == buckets
    assert account.dynamodb.list_tables()["TableNames"] == []
    out = account.output
    assert "      would be created" in out
    assert "would be uploaded" in out and "would be published once CloudFront's address is known" in out
    assert out.endswith("Dry run: nothing was created or changed.")
    ssm = account.aws.client("ssm")
    assert ssm.describe_parameters()["Parameters"] == []  # no secret made either


def test_a_dry_run_walks_the_very_steps_a_deploy_walks(account: Any, survey: Survey) -> None:
    def steps() -> list[str]:
        return [line for line in account.lines if line.startswith("[")]

    account.cloudformation.missing(NAMES.data_stack)
    account.cloudformation.missing(NAMES.app_stack)
    run(account, survey, dry_run=True)
    planned = steps()
    account.lines.clear()
    account.first_deploy(NAMES)
    run(account, survey)

    assert planned == steps() and len(planned) == 8


def test_a_dry_run_after_a_deploy_finds_nothing_to_do(account: Any, survey: Survey) -> None:
    data, app = account.first_deploy(NAMES)
    run(account, survey)
    sent = {c["StackName"]: c for c in account.cloudformation.called("CreateChangeSet")}
    cf = account.cloudformation
    cf.exists(NAMES.data_stack, data)
    cf.template(NAMES.data_stack, sent[NAMES.data_stack]["TemplateBody"])
    shown = [  # as CloudFormation shows them: a NoEcho parameter's value is masked
        {"ParameterKey": "TableName", "ParameterValue": NAMES.table},
        {"ParameterKey": "OriginSecret", "ParameterValue": "****"},
        {"ParameterKey": "WebAclArn", "ParameterValue": ""},
    ]
    cf.exists(NAMES.app_stack, app, parameters=shown)
    cf.template(NAMES.app_stack, sent[NAMES.app_stack]["TemplateBody"])
    account.lines.clear()
    uploads = list(account.uploads)

    run(account, survey, dry_run=True)

    cf.done()
    assert account.uploads == uploads
    assert account.lines.count("      unchanged") == 2  # both stacks
    assert any(
        line.endswith(
            "origin secret unchanged in SSM parameter /wowcard/harbour/prod/origin-secret (SecureString)"
        )
        for line in account.lines
    )
    assert any(line.endswith("already uploaded") for line in account.lines)
    assert any(line.endswith("is already published") for line in account.lines)
    assert any(line.startswith("      0 to upload, 0 to remove") for line in account.lines)


# --- failures -----------------------------------------------------------------------------------------------


def test_a_failed_app_stack_says_which_step_why_and_that_rerunning_is_safe(
    account: Any, survey: Survey
) -> None:
    data = account.provision_data(NAMES)
    cf = account.cloudformation
    cf.missing(NAMES.data_stack)
    cf.applies(NAMES.data_stack, "CREATE", [("Add", "AWS::DynamoDB::Table", "Table")], data)
    cf.missing(NAMES.app_stack)
    cf.rolls_back(
        NAMES.app_stack,
        [("Add", "AWS::Lambda::Function", "APIHandler")],
        "APIHandler",
        "AWS::Lambda::Function",
        'Resource handler returned message: "Specified '
        "ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
        'below its minimum value of [10]."',
    )

    with pytest.raises(deploy.DeployError) as failure:
        run(account, survey)

    message = str(failure.value)
    assert message.startswith(
        "step 6/8 (App stack wowcard-harbour-prod) failed: wowcard-harbour-prod was "
        "rolled back: Lambda function APIHandler: Resource handler returned message"
    )
    assert "running `wowcard deploy` again is safe" in message
    assert failure.value.exit_code == 1
    assert published(account, data["TableName"], "harbour") is None  # later steps never ran


def test_a_change_that_would_replace_the_table_is_refused_before_it_runs(
    account: Any, survey: Survey
) -> None:
    data = account.provision_data(NAMES)
    cf = account.cloudformation
    cf.exists(NAMES.data_stack, data)
    cf.refused(NAMES.data_stack, [("Modify", "AWS::DynamoDB::Table", "Table", "True")])

    with pytest.raises(deploy.DeployError, match="refused to replace DynamoDB table Table") as failure:
        run(account, survey)

    cf.done()
    assert "step 3/8" in str(failure.value)
    assert cf.called("ExecuteChangeSet") == []


def test_a_stack_left_by_a_failed_first_deploy_is_deleted_and_created_again(
    account: Any, survey: Survey
) -> None:
    data, app = account.provision_data(NAMES), account.provision_app(NAMES)
    cf = account.cloudformation
    cf.exists(NAMES.data_stack, {}, status="ROLLBACK_COMPLETE")
    cf.deletes(NAMES.data_stack)
    cf.applies(NAMES.data_stack, "CREATE", [("Add", "AWS::DynamoDB::Table", "Table")], data)
    cf.missing(NAMES.app_stack)
    cf.applies(NAMES.app_stack, "CREATE", [("Add", "AWS::Lambda::Function", "APIHandler")], app)

    run(account, survey)

    cf.done()
    assert any("left over from a first deploy that failed" in line for line in account.lines)


def test_without_credentials_the_first_step_says_how_to_get_them(
    account: Any, survey: Survey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    aws = deploy.Aws(boto3.session.Session(region_name="eu-west-2"))

    with pytest.raises(deploy.DeployError) as failure:
        deploy.deploy(survey, aws, "prod", say=account.say)

    assert str(failure.value).startswith(
        "step 1/8 (AWS account) failed: no AWS credentials found: run `aws configure`"
    )


def test_without_a_region_deploy_asks_for_one(aws_credentials: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(deploy.AwsSetupError, match="no AWS region: pass --region") as failure:
        deploy.connect()
    assert failure.value.exit_code == 2


# --- what other commands read -------------------------------------------------------------------------------


def test_stage_outputs_finds_the_table_and_urls_of_a_deployed_stage(account: Any) -> None:
    app = account.provision_app(NAMES)
    account.cloudformation.exists(NAMES.app_stack, app)

    found = deploy.stage_outputs("harbour", "prod", aws=account.aws)

    assert found == {
        "region": "eu-west-2",
        "table": "wowcard-harbour",
        "store_url": "dynamodb:wowcard-harbour",
        "site_url": app["SiteURL"],
        "api_url": app["ApiURL"],
        "pages_bucket": app["PagesBucket"],
        "distribution_id": app["DistributionId"],
    }


def test_stage_outputs_of_a_stage_never_deployed_says_how_to_deploy_it(account: Any) -> None:
    account.cloudformation.missing("wowcard-harbour-staging")
    with pytest.raises(
        deploy.DeployError,
        match="stage staging of survey harbour is not deployed in eu-west-2: "
        "run `wowcard deploy --stage staging`",
    ):
        deploy.stage_outputs("harbour", "staging", aws=account.aws)
