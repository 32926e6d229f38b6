"""The CloudFormation that `wowcard package` writes and `wowcard deploy` deploys: it passes cfn-lint, the SAM
part translates to plain CloudFormation that passes cfn-lint too, and what it says keeps the survey's data,
the bill and the customers' requests safe."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cloudformation_checks import cfn_lint, resources_of, sam_translate

from wowcard import aws_data_stack, aws_templates, package
from wowcard.aws_templates import Limits, Names, StageError
from wowcard.collector import store_dynamodb


@pytest.fixture(scope="module")
def app(packaged: package.Package) -> dict[str, Any]:
    return packaged.load(package.APP_TEMPLATE)


@pytest.fixture(scope="module")
def data(packaged: package.Package) -> dict[str, Any]:
    return packaged.load(package.DATA_TEMPLATE)


@pytest.fixture(scope="module")
def translated(app: dict[str, Any]) -> dict[str, Any]:
    return sam_translate(app)


# --- lint ---------------------------------------------------------------------------------------------------


def test_both_templates_and_the_translated_app_template_pass_cfn_lint(
    packaged: package.Package, translated: dict[str, Any], tmp_path: Path
) -> None:
    plain = tmp_path / "app.translated.json"
    plain.write_text(json.dumps(translated), encoding="utf-8")
    broken = json.loads(packaged.app_template.read_text())
    broken["Resources"]["PagesBucket"]["Properties"]["PublicReadAccess"] = True
    wrong = tmp_path / "broken.json"
    wrong.write_text(json.dumps(broken), encoding="utf-8")

    findings = cfn_lint(packaged.data_template, packaged.app_template, plain, wrong)

    assert [f for f in findings if not f.startswith(str(wrong))] == []
    # the one deliberate mistake is found, so the linter really looked
    (mistake,) = findings
    assert ":E3002:" in mistake and "PublicReadAccess" in mistake


def test_the_sam_transform_gives_one_throttled_access_logged_api_stage_and_no_reserved_concurrency(
    translated: dict[str, Any],
) -> None:
    # one stage: no deployment names a stage of its own (SAM's implicit, unthrottled "Stage")
    (stage,) = resources_of(translated, "AWS::ApiGateway::Stage").values()
    assert stage["Properties"]["StageName"] == "api"
    (deployment,) = resources_of(translated, "AWS::ApiGateway::Deployment").values()
    assert "StageName" not in deployment["Properties"]
    logs = stage["Properties"]["AccessLogSetting"]
    assert logs["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]}
    assert json.loads(logs["Format"].replace("$", "")).keys() == {
        "requestId",
        "time",
        "ip",
        "method",
        "path",
        "status",
        "bytes",
        "latencyMs",
    }
    group = translated["Resources"]["ApiAccessLogs"]["Properties"]
    assert group == {"LogGroupName": "/aws/apigateway/wowcard-harbour-prod", "RetentionInDays": 30}
    (throttle,) = stage["Properties"]["MethodSettings"]
    assert (throttle["ResourcePath"], throttle["HttpMethod"]) == ("/*", "*")
    assert throttle["ThrottlingRateLimit"] == Limits().throttle_rate
    assert throttle["ThrottlingBurstLimit"] == Limits().throttle_burst
    function = translated["Resources"]["APIHandler"]
    assert function["Type"] == "AWS::Lambda::Function"
    assert "ReservedConcurrentExecutions" not in function["Properties"]  # a new account has none to spare
    assert function["Properties"]["Code"] == {"S3Bucket": "wowcard-bundles", "S3Key": "l.zip"}
    assert function["Properties"]["Runtime"].startswith("python3.")
    (api,) = resources_of(translated, "AWS::ApiGateway::RestApi").values()
    assert api["Properties"]["EndpointConfiguration"] == {"Types": ["REGIONAL"]}


# --- the data stack -----------------------------------------------------------------------------------------


def test_the_table_is_retained_on_delete_and_on_replacement_and_protected(data: dict[str, Any]) -> None:
    table = data["Resources"]["Table"]
    assert table["Type"] == "AWS::DynamoDB::Table"
    # kept, except when the stack's first create rolls back (a retry would collide with its name)
    assert table["DeletionPolicy"] == "RetainExceptOnCreate"
    assert table["UpdateReplacePolicy"] == "Retain"
    assert table["Properties"]["DeletionProtectionEnabled"] is True
    assert table["Properties"]["TableName"] == "wowcard-harbour"


def test_the_table_has_point_in_time_recovery_ttl_and_is_on_demand(data: dict[str, Any]) -> None:
    props = data["Resources"]["Table"]["Properties"]
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["TimeToLiveSpecification"] == {
        "AttributeName": store_dynamodb.TTL_ATTRIBUTE,
        "Enabled": True,
    }
    assert props["BillingMode"] == "PAY_PER_REQUEST"


def test_the_table_is_the_one_the_store_creates_including_its_by_day_index(data: dict[str, Any]) -> None:
    props = data["Resources"]["Table"]["Properties"]
    store = store_dynamodb.table_definition()
    assert props["KeySchema"] == store["KeySchema"]
    assert props["AttributeDefinitions"] == store["AttributeDefinitions"]
    assert props["GlobalSecondaryIndexes"] == store["GlobalSecondaryIndexes"]
    assert "by_day" in [index["IndexName"] for index in props["GlobalSecondaryIndexes"]]


def test_a_table_argument_the_template_cannot_translate_fails_the_package_loudly() -> None:
    definition = {**store_dynamodb.table_definition(), "OnDemandThroughput": {"MaxReadRequestUnits": 10}}
    with pytest.raises(ValueError, match="OnDemandThroughput"):
        aws_data_stack.table_properties(definition, "wowcard-harbour", "expires_at")
    with pytest.raises(ValueError, match="on-demand"):
        aws_data_stack.table_properties({**definition, "BillingMode": "PROVISIONED"}, "t", "expires_at")


def test_the_data_stack_outputs_what_deploy_and_other_commands_read(data: dict[str, Any]) -> None:
    assert set(data["Outputs"]) == {"TableName", "TableArn", "ArtifactsBucket"}
    bucket = data["Resources"]["ArtifactsBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())


# --- IAM ----------------------------------------------------------------------------------------------------


def iam_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    statements = []
    for role in resources_of(template, "AWS::IAM::Role").values():
        for policy in role["Properties"].get("Policies", []):
            statements.extend(policy["PolicyDocument"]["Statement"])
        assert not role["Properties"].get("ManagedPolicyArns"), "no managed policies: they carry wildcards"
    return statements


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_no_iam_action_or_resource_is_a_wildcard(app: dict[str, Any], translated: dict[str, Any]) -> None:
    for template in (app, translated):
        statements = iam_statements(template)
        assert statements
        for statement in statements:
            assert statement["Effect"] == "Allow"
            for action in listed(statement["Action"]):
                assert "*" not in action, action
            for resource in listed(statement["Resource"]):
                text = resource if isinstance(resource, str) else resource["Fn::Sub"]
                assert text != "*"
                # the only stars allowed: the log streams of the collector's and the alert sender's log
                # groups, and the account's default SSM key, narrowed by conditions to one parameter
                if "*" in text:
                    assert text.endswith(
                        (
                            ":log-group:/aws/lambda/wowcard-harbour-prod:*",
                            "/wowcard-harbour-prod-alerts:*",
                            ":key/*",
                        )
                    ), text
                if text.endswith(":key/*"):
                    condition = statement["Condition"]["StringEquals"]
                    assert condition["kms:EncryptionContext:PARAMETER_ARN"]["Fn::Sub"].endswith(
                        ":parameter/wowcard/harbour/prod/origin-secret"
                    )


def test_the_collector_may_only_touch_its_own_table(app: dict[str, Any]) -> None:
    statements = iam_statements({"Resources": {"ApiHandlerRole": app["Resources"]["ApiHandlerRole"]}})
    dynamodb = [s for s in statements if any(a.startswith("dynamodb:") for a in listed(s["Action"]))]
    for statement in dynamodb:
        for resource in listed(statement["Resource"]):
            assert resource["Fn::Sub"].endswith(":table/${TableName}") or "/index/" in resource["Fn::Sub"]
    actions = {a for s in dynamodb for a in listed(s["Action"])}
    # read a definition; one transaction per answer (put, tally update, double-tap check); nothing else
    assert actions == {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:ConditionCheckItem",
    }


def test_the_role_is_chalices_with_autogen_policy_off(packaged: package.Package) -> None:
    config = aws_templates.chalice_config(Names("harbour", "prod"), Limits())
    stage = config["stages"]["prod"]
    assert stage["autogen_policy"] is False
    assert stage["api_gateway_endpoint_type"] == "REGIONAL"
    assert stage["api_gateway_stage"] == "api"


# --- the Lambda and its API ---------------------------------------------------------------------------------


def test_the_lambda_finds_its_table_and_answers_with_same_origin_redirects(app: dict[str, Any]) -> None:
    function = app["Resources"]["APIHandler"]["Properties"]
    variables = function["Environment"]["Variables"]
    assert variables["WOWCARD_STORE"] == {"Fn::Sub": "dynamodb:${TableName}"}
    assert variables["WOWCARD_REDIRECT_BASE"] == ""
    assert variables["WOWCARD_ORIGIN_SECRET"] == "ssm:/wowcard/harbour/prod/origin-secret"
    assert function["FunctionName"] == "wowcard-harbour-prod"
    assert "ReservedConcurrentExecutions" not in function
    assert app["Parameters"]["TableName"]["Default"] == "wowcard-harbour"


def test_the_api_is_regional_behind_cloudfront(app: dict[str, Any]) -> None:
    api = app["Resources"]["RestAPI"]
    assert api["Type"] == "AWS::Serverless::Api"
    assert api["Properties"]["EndpointConfiguration"] == "REGIONAL"
    assert api["Properties"]["StageName"] == "api"
    paths = api["Properties"]["DefinitionBody"]["paths"]
    assert {"/s/{survey}/responses", "/healthz", "/openapi.json"} <= set(paths)
    assert {"post", "options"} <= set(paths["/s/{survey}/responses"])


def test_no_reservation_when_the_account_has_no_concurrency_to_spare(tmp_path: Path) -> None:
    config = aws_templates.chalice_config(Names("harbour", "prod"), Limits(reserved_concurrency=None))
    assert "reserved_concurrency" not in config["stages"]["prod"]


# --- CloudFront and the pages bucket ------------------------------------------------------------------------


def distribution_config(app: dict[str, Any]) -> dict[str, Any]:
    return app["Resources"]["Distribution"]["Properties"]["DistributionConfig"]


def test_cloudfront_serves_the_api_uncached_with_post_allowed_and_without_the_viewers_host(
    app: dict[str, Any],
) -> None:
    (api,) = [b for b in distribution_config(app)["CacheBehaviors"] if b["PathPattern"] == "/api/*"]
    assert "POST" in api["AllowedMethods"] and "OPTIONS" in api["AllowedMethods"]
    assert len(api["AllowedMethods"]) == 7
    assert api["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # managed CachingDisabled
    assert api["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"  # AllViewerExceptHostHeader
    assert api["ViewerProtocolPolicy"] == "https-only"
    origins = {o["Id"]: o for o in distribution_config(app)["Origins"]}
    api_origin = origins[api["TargetOriginId"]]
    assert api_origin["DomainName"] == {"Fn::Sub": "${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
    assert api_origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert "OriginPath" not in api_origin  # /api/... reaches Chalice's stage "api" as it is


def test_cloudfront_serves_the_pages_over_https_from_the_private_bucket(app: dict[str, Any]) -> None:
    config = distribution_config(app)
    pages = config["DefaultCacheBehavior"]
    assert pages["ViewerProtocolPolicy"] == "redirect-to-https"
    assert pages["AllowedMethods"] == ["GET", "HEAD"]
    assert pages["Compress"] is True
    assert pages["CachePolicyId"] == "658327ea-f89d-4fab-a63d-7e88639e58f6"  # CachingOptimized
    origin = {o["Id"]: o for o in config["Origins"]}[pages["TargetOriginId"]]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["PagesAccess", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    oac = app["Resources"]["PagesAccess"]["Properties"]["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"]) == ("s3", "always")
    bucket = app["Resources"]["PagesBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert "WebsiteConfiguration" not in bucket


def test_only_this_distribution_may_read_the_pages_bucket(app: dict[str, Any]) -> None:
    policy = app["Resources"]["PagesBucketPolicy"]["Properties"]["PolicyDocument"]
    for statement in policy["Statement"]:
        assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}
        assert statement["Action"] in ("s3:GetObject", "s3:ListBucket")
        arn = statement["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
        assert arn.endswith(":distribution/${Distribution}")


def test_the_budget_exists_only_when_an_email_is_given(app: dict[str, Any]) -> None:
    budget = app["Resources"]["Budget"]
    assert budget["Condition"] == "HasBudget"
    assert app["Conditions"]["HasBudget"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "BudgetEmail"}, ""]}]}
    assert app["Parameters"]["BudgetEmail"]["Default"] == ""
    subscribers = budget["Properties"]["NotificationsWithSubscribers"]
    assert {s["Notification"]["NotificationType"] for s in subscribers} == {"ACTUAL", "FORECASTED"}


def test_the_app_stack_outputs_what_stage_outputs_reads(app: dict[str, Any]) -> None:
    assert {"SiteURL", "ApiURL", "DistributionId", "PagesBucket", "TableName"} <= set(app["Outputs"])


NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="needs node to run the CloudFront function's JavaScript")
def test_the_viewer_request_function_maps_folder_urls_to_their_index_pages() -> None:
    script = (
        aws_templates.INDEX_FUNCTION
        + """
var cases = [
  {uri: '/harbour/quay/', querystring: {}},
  {uri: '/harbour/quay', querystring: {src: {value: 'card'}}},
  {uri: '/harbour/survey.json', querystring: {}},
  {uri: '/', querystring: {}},
  {uri: '/harbour/quay/s/maya', querystring: {a: {value: 'x y', multiValue: [{value: 'x y'}, {value: '2'}]}}},
];
console.log(JSON.stringify(cases.map(function (r) { return handler({request: r}); })));
"""
    )
    result = subprocess.run([NODE, "-e", script], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    folder, bare, file, root, repeated = json.loads(result.stdout)
    assert folder["uri"] == "/harbour/quay/index.html"
    assert bare["statusCode"] == 301
    assert bare["headers"]["location"]["value"] == "/harbour/quay/?src=card"
    assert file["uri"] == "/harbour/survey.json"
    assert root["uri"] == "/index.html"
    assert repeated["headers"]["location"]["value"] == "/harbour/quay/s/maya/?a=x%20y&a=2"


# --- names --------------------------------------------------------------------------------------------------


def test_stack_names_come_from_the_survey_and_stage() -> None:
    names = Names("harbour", "staging")
    assert (names.data_stack, names.app_stack, names.table) == (
        "wowcard-harbour-data",
        "wowcard-harbour-staging",
        "wowcard-harbour",
    )


def test_names_fit_aws_limits_for_the_longest_survey_id_and_stage() -> None:
    names = Names("s" * 40, "p" * 12)
    assert len(names.app_stack) <= 64  # also the CloudFront function's and origin access control's name
    assert len(names.function) <= 64  # Lambda function names
    assert len(names.table) <= 255 and len(names.data_stack) <= 128


@pytest.mark.parametrize("stage", ["data", "Prod", "pr-od", "", "a" * 13, "1st"])
def test_a_stage_that_could_collide_with_another_stack_is_refused(stage: str) -> None:
    with pytest.raises(StageError, match="not allowed"):
        Names("harbour", stage)


def test_a_resource_group_defined_twice_is_a_bug_not_an_override() -> None:
    with pytest.raises(ValueError, match="Resources.PagesBucket is defined twice"):
        aws_templates.combine(aws_templates.pages_bucket(), aws_templates.pages_bucket())


def test_a_merge_that_lost_the_one_stage_setting_fails_the_package(app: dict[str, Any]) -> None:
    without = {key: value for key, value in app.items() if key != "Globals"}
    with pytest.raises(package.PackageError, match="SAM would add a second, unthrottled stage"):
        package.check_merged(without, Names("harbour", "prod"))
