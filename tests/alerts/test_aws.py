"""Alerts on AWS: the Chalice scheduled handler sends what the collector queued, reading the webhook from an
SSM SecureString by name; the packaged app runs it every minute under a least-privilege role; `wowcard
deploy` writes the URL into SSM and nowhere else. moto stands in for DynamoDB and SSM; cfn-lint and AWS's own
SAM translator check the template."""

from __future__ import annotations

import dataclasses
import functools
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import chalice.test
import pytest
from alerts.stand_ins import SECRET, WEBHOOK_ENV, Receiver, answer
from chalice.local import LambdaContext
from chalice.test import Client
from moto import mock_aws

from wowcard import deploy, package
from wowcard.aws_templates import (
    ALERTS_HANDLER,
    ALERTS_TABLE_ACTIONS,
    ALERTS_TIMEOUT_SECONDS,
    COLLECTOR_TABLE_ACTIONS,
    DIGEST_INDEXES,
    Limits,
    Names,
    chalice_config,
)
from wowcard.collector import app as collector_app
from wowcard.collector import config, digest
from wowcard.collector.store_dynamodb import create_table
from wowcard.collector.survey import Definition, Survey

REGION = "eu-west-2"
TABLE = "wowcard-harbour"
NAMES = Names("harbour", "prod")
PARAMETER = "/wowcard/harbour/prod/alerts-webhook"
CFN_LINT = Path(sys.executable).with_name("cfn-lint")
TRANSACTION_PARTS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


class Calls:
    """Every DynamoDB call a client makes, as the IAM actions it needs."""

    def __init__(self) -> None:
        self.actions: set[str] = set()

    def record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "TransactWriteItems":
            self.actions |= {
                f"dynamodb:{TRANSACTION_PARTS[part]}" for item in params["TransactItems"] for part in item
            }
        elif "IndexName" in params:
            self.actions.add(f"dynamodb:{model.name} index/{params['IndexName']}")
        else:
            self.actions.add(f"dynamodb:{model.name}")


@pytest.fixture
def on_aws(
    aws_credentials: None,
    alert_definition: Definition,
    receiver: Receiver,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Any, Calls]]:
    """The collector and its alert sender configured as the templates configure the two Lambdas, on moto,
    with the Chalice configuration the package ships (the sender's 60 s timeout)."""
    # Chalice's test client gives every invocation 3 s to live whatever the function's timeout; give the
    # sender the remaining time its deployed timeout gives it.
    monkeypatch.setattr(
        chalice.test,
        "LambdaContext",
        functools.partial(LambdaContext, max_runtime_ms=ALERTS_TIMEOUT_SECONDS * 1000),
    )
    project = tmp_path / "project"
    (project / ".chalice").mkdir(parents=True)
    (project / ".chalice" / "config.json").write_text(json.dumps(chalice_config(NAMES, Limits())))
    with mock_aws():
        create_table(boto3.client("dynamodb", region_name=REGION), TABLE)
        ssm = boto3.client("ssm", region_name=REGION)
        ssm.put_parameter(Name=PARAMETER, Value=receiver.url, Type="SecureString")
        original = config.settings
        config.configure(
            store_url=f"dynamodb:{TABLE}",
            redirect_base="",
            aws_region=REGION,
            alerts_survey="harbour",
            alerts_webhook=f"ssm:{PARAMETER}",
        )
        try:
            store = config.get_store()
            store.publish(alert_definition.to_json())  # the owner's deploy does this, with the owner's rights
            calls = Calls()
            store.client.meta.events.register("provide-client-params.dynamodb", calls.record)
            with Client(collector_app.app, stage_name=NAMES.stage, project_dir=str(project)) as client:
                yield client, calls
        finally:
            config.close()
            config.settings = original


def post(client: Any, body: dict[str, Any]) -> Any:
    text = json.dumps(body)
    return client.http.post(
        "/s/harbour/responses",
        headers={"Content-Type": "text/plain", "Content-Length": str(len(text))},
        body=text.encode(),
    )


def test_the_scheduled_handler_sends_what_the_collector_queued_reading_the_webhook_from_ssm(
    on_aws: tuple[Any, Calls], alert_definition: Definition, receiver: Receiver
) -> None:
    client, calls = on_aws
    assert post(client, answer(alert_definition, people=1, device="phone-0001-token")).status_code == 201
    assert (
        post(client, answer(alert_definition, id="resp-fine0001", device="phone-0001-token")).status_code
        == 201
    )
    collecting = set(calls.actions)
    calls.actions.clear()

    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    result = client.lambda_.invoke(ALERTS_HANDLER, event)

    assert result.payload == {
        "sent": 1,
        "retrying": 0,
        "failed": 0,
        "taken": 0,
        "gone": 0,
        "held": 0,
        "summaries": 0,
    }
    assert receiver.ids() == ["resp-0001abcd"]
    assert collecting <= set(COLLECTOR_TABLE_ACTIONS)  # the outbox and the fairness counter need no more
    assert calls.actions <= set(ALERTS_TABLE_ACTIONS)
    again = client.lambda_.invoke(ALERTS_HANDLER, event)
    assert again.payload["sent"] == 0


def test_the_scheduled_handler_sends_last_weeks_digest_once_with_only_the_actions_its_role_allows(
    on_aws: tuple[Any, Calls], alert_survey: Survey, make_record: Any, receiver: Receiver
) -> None:
    client, calls = on_aws
    on = (*alert_survey.alerts.on, "recognition", "digest")
    with_digest = dataclasses.replace(alert_survey, alerts=dataclasses.replace(alert_survey.alerts, on=on))
    store = config.get_store()
    store.publish(with_digest.definition().to_json())  # `wowcard deploy` publishes the new survey.toml
    week = digest.due_week(alert_survey.time_zone, datetime.now(UTC))
    wednesday = digest.week_monday(week) + timedelta(days=2)
    store.put(make_record(f"{wednesday}T10:00:00Z", id="resp-lastweek1"))
    store.put(make_record(f"{wednesday}T11:00:00Z", id="resp-lastweek2", wow="no", staff=None, people=2,
                          what=None, comment="Too loud"))  # fmt: skip
    calls.actions.clear()
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )

    first = client.lambda_.invoke(ALERTS_HANDLER, event).payload
    config.get_sender()._digest_week = None  # a new Lambda: nothing in memory, the store remembers
    second = client.lambda_.invoke(ALERTS_HANDLER, event).payload

    (body,) = [b for b in receiver.bodies if "digest" in b]
    assert body["digest"]["week"] == week and body["digest"]["responses"] == 2
    assert 'Maya (Quay Street), 1: "Remembered my usual order"' in body["text"]
    assert 'comment: "Too loud"' in body["text"]
    assert (first["sent"], second["sent"]) == (1, 0)
    allowed = set(ALERTS_TABLE_ACTIONS) | {f"dynamodb:Query index/{index}" for index in DIGEST_INDEXES}
    assert "dynamodb:PutItem" in calls.actions and calls.actions <= allowed


def test_the_webhook_is_read_from_ssm_once_and_kept_for_a_while(
    on_aws: tuple[Any, Calls], alert_definition: Definition, receiver: Receiver
) -> None:
    client, _ = on_aws
    sender = config.get_sender()
    assert sender is not None
    reads: list[str] = []
    sender.webhook()  # the SSM client is made on first use
    sender.webhook.client.meta.events.register(
        "provide-client-params.ssm.GetParameter", lambda params, **_: reads.append(params["Name"])
    )
    sender.webhook._value = None  # forget it, as a new Lambda would
    for _ in range(3):
        assert sender.webhook() == receiver.url
    assert reads == [PARAMETER]


def test_without_the_ssm_parameter_alerts_wait_and_the_error_names_the_parameter(
    on_aws: tuple[Any, Calls], alert_definition: Definition, receiver: Receiver
) -> None:
    client, _ = on_aws
    boto3.client("ssm", region_name=REGION).delete_parameter(Name=PARAMETER)
    post(client, answer(alert_definition, people=1))

    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    assert client.lambda_.invoke(ALERTS_HANDLER, event).payload["retrying"] == 1
    (waiting,) = config.get_store().alerts("harbour")
    assert (
        waiting.last_error
        == f"the webhook could not be read from SSM parameter {PARAMETER}: ParameterNotFound"
    )


# --- the packaged app -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("alerts-package")
    pkg = package.package(NAMES, out, alerts=True)
    return {"folder": out, "app": pkg.load(package.APP_TEMPLATE), "pkg": pkg}


def test_the_packaged_app_sends_alerts_every_minute_from_a_webhook_named_not_given(
    packaged: dict[str, Any],
) -> None:
    resources = packaged["app"]["Resources"]
    sender = resources["SendAlerts"]["Properties"]
    assert sender["Handler"] == f"app.{ALERTS_HANDLER}"
    assert sender["FunctionName"] == "wowcard-harbour-prod-alerts"
    assert sender["Timeout"] == 60
    assert "ReservedConcurrentExecutions" not in sender  # reserving is opt-in (a new account has none)
    (schedule,) = sender["Events"].values()
    assert schedule == {"Type": "Schedule", "Properties": {"Schedule": "rate(1 minute)", "State": "ENABLED"}}
    assert sender["Environment"]["Variables"] == {
        "WOWCARD_STORE": {"Fn::Sub": "dynamodb:${TableName}"},
        "WOWCARD_ALERTS_SURVEY": "harbour",
        "WOWCARD_ALERTS_WEBHOOK": f"ssm:{PARAMETER}",
    }
    assert "WOWCARD_ALERTS_WEBHOOK" not in resources["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert resources["AlertsLogs"]["Properties"]["LogGroupName"] == "/aws/lambda/wowcard-harbour-prod-alerts"


def test_the_alert_sender_may_read_one_parameter_and_only_settle_the_outbox(packaged: dict[str, Any]) -> None:
    resources = packaged["app"]["Resources"]
    (policy,) = resources["SendAlertsRole"]["Properties"]["Policies"]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert set(statements) == {"Outbox", "DigestIndexes", "Logs", "Webhook", "DecryptWebhook"}
    assert statements["Outbox"]["Action"] == list(ALERTS_TABLE_ACTIONS)
    table = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TableName}"
    assert statements["DigestIndexes"] == {
        "Sid": "DigestIndexes",
        "Effect": "Allow",
        "Action": ["dynamodb:Query"],
        "Resource": [{"Fn::Sub": f"{table}/index/{index}"} for index in DIGEST_INDEXES],
    }
    assert statements["Outbox"]["Resource"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TableName}"}
    ]
    parameter = {
        "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter" + PARAMETER
    }
    assert (statements["Webhook"]["Action"], statements["Webhook"]["Resource"]) == (
        ["ssm:GetParameter"],
        [parameter],
    )
    decrypt = statements["DecryptWebhook"]
    assert decrypt["Action"] == ["kms:Decrypt"]
    assert decrypt["Condition"] == {
        "StringEquals": {
            "kms:ViaService": {"Fn::Sub": "ssm.${AWS::Region}.amazonaws.com"},
            "kms:EncryptionContext:PARAMETER_ARN": parameter,
        }
    }
    api_policy = json.dumps(resources["ApiHandlerRole"]["Properties"]["Policies"])
    assert PARAMETER not in api_policy  # the collector reads only its origin secret


def test_the_package_with_alerts_passes_cfn_lint_before_and_after_the_sam_transform(
    packaged: dict[str, Any], tmp_path: Path
) -> None:
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    template = json.loads(json.dumps(packaged["app"]))
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = {"Bucket": "wowcard-bundles", "Key": "l.zip"}
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=REGION))
    translated = translator.translate(template, {}, get_managed_policy_map=lambda: {})
    rules = [r for r in translated["Resources"].values() if r["Type"] == "AWS::Events::Rule"]
    assert [(r["Properties"]["ScheduleExpression"], r["Properties"]["State"]) for r in rules] == [
        ("rate(1 minute)", "ENABLED")
    ]
    plain = tmp_path / "translated.json"
    plain.write_text(json.dumps(translated), encoding="utf-8")
    result = subprocess.run(
        [
            str(CFN_LINT),
            "--format",
            "parseable",
            "--regions",
            REGION,
            "us-east-1",
            "--",
            str(packaged["pkg"].app_template),
            str(plain),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip() == "", result.stdout


def test_no_template_or_file_of_the_package_holds_the_webhook(
    packaged: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(WEBHOOK_ENV, f"https://hooks.slack.com/services/{SECRET}")
    for path in Path(packaged["folder"]).iterdir():
        assert SECRET.encode() not in path.read_bytes()


def test_without_alerts_the_schedule_is_disabled_and_no_parameter_may_be_read(tmp_path: Path) -> None:
    app = package.package(NAMES, tmp_path, alerts=False).load(package.APP_TEMPLATE)
    sender = app["Resources"]["SendAlerts"]["Properties"]
    assert [e["Properties"]["State"] for e in sender["Events"].values()] == ["DISABLED"]
    assert "WOWCARD_ALERTS_WEBHOOK" not in sender["Environment"]["Variables"]
    assert "ssm:" not in json.dumps(app["Resources"]["SendAlertsRole"])


def test_the_alert_function_name_fits_lambdas_64_characters() -> None:
    assert Names("harbour", "prod").alerts_function == "wowcard-harbour-prod-alerts"
    longest = {Names("s" * 40, "p" * 12).alerts_function, Names("s" * 40, "p" * 11 + "q").alerts_function}
    assert len(longest) == 2 and all(len(name) <= 64 for name in longest)


# --- deploy: the URL into SSM, nowhere else ----------------------------------------------------------------


def test_deploy_stores_the_webhook_from_the_environment_as_a_securestring_once(
    aws_credentials: None, alert_survey: Survey, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"https://hooks.slack.com/services/{SECRET}"
    monkeypatch.setenv(WEBHOOK_ENV, url)
    with mock_aws():
        ssm = boto3.client("ssm", region_name=REGION)
        found = deploy.webhook_url(alert_survey)

        assert found == url
        assert deploy.store_webhook(ssm, NAMES, found) is True
        assert deploy.store_webhook(ssm, NAMES, found) is False  # deploying again changes nothing
        stored = ssm.get_parameter(Name=PARAMETER, WithDecryption=True)["Parameter"]
        assert (stored["Type"], stored["Value"], stored["Version"]) == ("SecureString", url, 1)
        assert deploy.delete_webhook(ssm, NAMES) is True
        assert deploy.delete_webhook(ssm, NAMES) is False


@pytest.mark.parametrize("value", [None, "http://hooks.example.com/" + SECRET])
def test_deploy_refuses_a_missing_or_plain_http_webhook_without_showing_it(
    alert_survey: Survey, monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv(WEBHOOK_ENV, raising=False)
    else:
        monkeypatch.setenv(WEBHOOK_ENV, value)
    with pytest.raises(deploy.AwsSetupError) as refused:
        deploy.webhook_url(alert_survey)
    assert refused.value.exit_code == 2
    assert WEBHOOK_ENV in str(refused.value) and SECRET not in str(refused.value)
