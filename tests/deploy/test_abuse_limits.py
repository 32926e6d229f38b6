"""What keeps abuse and its bill small, and leaves evidence: CloudFront sends the origin secret the API
requires; `[limits] waf = true` in survey.toml adds a WAF web ACL (in us-east-1, as CloudFront requires)
with a per-client rate-based rule; API Gateway can write access logs on a new account; reserving Lambda
concurrency is an opt-in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner
from cloudformation_checks import cfn_lint, sam_translate

from wowcard import deploy, package
from wowcard.__main__ import cli
from wowcard.aws_templates import Limits, Names
from wowcard.aws_waf_stack import WAF_RATE_LIMIT, WAF_REGION, waf_template
from wowcard.collector.survey import SurveyError, load

NAMES = Names("harbour", "prod")


@pytest.fixture(scope="module")
def app(packaged: package.Package) -> dict[str, Any]:
    return packaged.load(package.APP_TEMPLATE)


def test_cloudfront_sends_the_origin_secret_which_the_template_never_shows(app: dict[str, Any]) -> None:
    config = app["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    (api_origin,) = [o for o in config["Origins"] if o["Id"] == "api"]
    assert api_origin["OriginCustomHeaders"] == [
        {"HeaderName": "x-wowcard-origin", "HeaderValue": {"Ref": "OriginSecret"}}
    ]
    secret = app["Parameters"]["OriginSecret"]
    assert secret["NoEcho"] is True and "Default" not in secret
    assert config["WebACLId"] == {"Fn::If": ["HasWaf", {"Ref": "WebAclArn"}, {"Ref": "AWS::NoValue"}]}
    assert app["Parameters"]["WebAclArn"]["Default"] == ""


def test_the_waf_web_acl_is_for_cloudfront_and_limits_each_client_on_the_api(tmp_path: Path) -> None:
    template = waf_template(NAMES)
    path = tmp_path / "waf.json"
    path.write_text(json.dumps(template), encoding="utf-8")

    assert cfn_lint(path) == []
    acl = template["Resources"]["WebAcl"]["Properties"]
    assert acl["Scope"] == "CLOUDFRONT" and acl["DefaultAction"] == {"Allow": {}}
    (rule,) = acl["Rules"]
    assert rule["Action"] == {"Block": {}}
    rate = rule["Statement"]["RateBasedStatement"]
    assert (rate["AggregateKeyType"], rate["Limit"]) == ("IP", WAF_RATE_LIMIT)
    match = rate["ScopeDownStatement"]["ByteMatchStatement"]
    assert (match["PositionalConstraint"], match["SearchString"]) == ("STARTS_WITH", "/api/")
    assert template["Outputs"]["WebAclArn"]["Value"] == {"Fn::GetAtt": ["WebAcl", "Arn"]}
    assert WAF_REGION == "us-east-1"


def test_api_gateway_gets_its_logging_role_from_the_data_stack(packaged: package.Package) -> None:
    data = packaged.load(package.DATA_TEMPLATE)
    account = data["Resources"]["ApiGatewayAccount"]
    assert account["Properties"]["CloudWatchRoleArn"] == {"Fn::GetAtt": ["ApiGatewayLogsRole", "Arn"]}
    role = data["Resources"]["ApiGatewayLogsRole"]
    # retained: the account's setting must never point at a role that was deleted with one survey's stack
    assert role["DeletionPolicy"] == account["DeletionPolicy"] == "Retain"
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}


def test_reserving_concurrency_is_an_opt_in_that_also_caps_the_alert_sender(tmp_path: Path) -> None:
    pkg = package.package(NAMES, tmp_path, Limits(reserved_concurrency=5))
    translated = sam_translate(pkg.load(package.APP_TEMPLATE))
    assert translated["Resources"]["APIHandler"]["Properties"]["ReservedConcurrentExecutions"] == 5
    assert translated["Resources"]["SendAlerts"]["Properties"]["ReservedConcurrentExecutions"] == 1


def test_the_deploy_command_reserves_nothing_unless_asked(survey_file: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["package", "-s", str(survey_file), str(tmp_path / "pkg")])
    assert result.exit_code == 0, result.output
    template = json.loads((tmp_path / "pkg" / package.APP_TEMPLATE).read_text())
    assert "ReservedConcurrentExecutions" not in template["Resources"]["APIHandler"]["Properties"]
    args = ["package", "-s", str(survey_file), "--reserved-concurrency", "0", str(tmp_path / "zero")]
    assert CliRunner().invoke(cli, args).exit_code == 0  # what older docs advised: still "no reservation"
    template = json.loads((tmp_path / "zero" / package.APP_TEMPLATE).read_text())
    assert "ReservedConcurrentExecutions" not in template["Resources"]["APIHandler"]["Properties"]


# --- [limits] waf in survey.toml ----------------------------------------------------------------------------


def with_limits(survey_file: Path, text: str) -> Path:
    survey_file.write_text(survey_file.read_text() + f"\n[limits]\n{text}\n", encoding="utf-8")
    return survey_file


def test_limits_waf_is_off_unless_the_survey_asks(survey_file: Path) -> None:
    assert load(survey_file).waf is False
    assert load(with_limits(survey_file, "waf = true")).waf is True


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ('waf = "yes"', "limits.waf", "must be true or false, not a string"),
        ("wafs = true", "limits.wafs", "is not a known field; allowed here: waf"),
    ],
)
def test_a_wrong_limits_table_names_the_field(survey_file: Path, text: str, field: str, message: str) -> None:
    with pytest.raises(SurveyError) as failure:
        load(with_limits(survey_file, text))
    assert failure.value.path == field and message in failure.value.message
    result = CliRunner().invoke(cli, ["deploy", "-s", str(survey_file), "--dry-run"])
    assert result.exit_code == 2 and field in result.output


def test_a_deploy_with_waf_makes_the_web_acl_in_us_east_1_and_hands_it_to_cloudfront(
    account: Any, survey_file: Path, stub_cloudformation: Any
) -> None:
    survey = load(with_limits(survey_file, "waf = true"))
    virginia = boto3.session.Session(region_name="us-east-1").client("cloudformation")
    account.aws.clients["cloudformation@us-east-1"] = virginia
    waf = stub_cloudformation(virginia)
    acl = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/wowcard-harbour-prod-waf/abc"
    waf.missing(NAMES.waf_stack)
    waf.applies(NAMES.waf_stack, "CREATE", [("Add", "AWS::WAFv2::WebACL", "WebAcl")], {"WebAclArn": acl})
    account.first_deploy(NAMES)

    deploy.deploy(survey, account.aws, "prod", say=account.say, wait=account.wait)

    waf.done()
    account.cloudformation.done()
    assert "[6/9] WAF web ACL wowcard-harbour-prod-waf (us-east-1, as CloudFront requires)" in account.lines
    assert "      add WAF web ACL WebAcl" in account.lines
    (app_change,) = [
        c for c in account.cloudformation.called("CreateChangeSet") if c["StackName"] == NAMES.app_stack
    ]
    assert {"ParameterKey": "WebAclArn", "ParameterValue": acl} in app_change["Parameters"]
