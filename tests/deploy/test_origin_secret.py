"""The API answers only requests that came through the survey's own CloudFront: without the origin secret, or
with a wrong one, 403 JSON before anything else runs; with the secret kept in SSM, the right one is served. A
rotation keeps every request working: old and new are both accepted while CloudFront switches, and the old
one stops working once the rotation ends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from chalice.test import Client
from moto import mock_aws

from wowcard import deploy
from wowcard.aws_templates import Names
from wowcard.collector import config
from wowcard.collector.app import app
from wowcard.collector.origin import CACHE_SECONDS, HEADER, REREAD_SECONDS, OriginGuard, SecretUnavailable
from wowcard.collector.store_dynamodb import create_table
from wowcard.deploy.secrets import finish_rotation, prepare_origin_secret

REGION = "eu-west-2"
NAMES = Names("harbour", "prod")
PARAMETER = NAMES.origin_parameter


@pytest.fixture
def api(aws_credentials: None, definition: Any) -> Iterator[tuple[Any, Any]]:
    """The collector as the Lambda runs it: DynamoDB, and the origin secrets in SSM (both moto)."""
    with mock_aws():
        create_table(boto3.client("dynamodb", region_name=REGION), "wowcard-harbour")
        ssm = boto3.client("ssm", region_name=REGION)
        ssm.put_parameter(Name=PARAMETER, Value="right-secret-0123456789", Type="SecureString")
        original = config.settings
        config.configure(
            store_url="dynamodb:wowcard-harbour",
            redirect_base="",
            aws_region=REGION,
            origin_secret=f"ssm:{PARAMETER}",
        )
        try:
            config.get_store().publish(definition.to_json())
            with Client(app) as client:
                yield client, ssm
        finally:
            config.close()
            config.settings = original


def answer(client: Any, definition: Any, **headers: str) -> Any:
    body = json.dumps({"v": definition.version, "id": "resp-origin-1", "location": "quay", "wow": "no"})
    headers = {"Content-Type": "text/plain", **headers}
    return client.http.post("/s/harbour/responses", headers=headers, body=body.encode())


def test_a_request_around_cloudfront_is_refused_with_403_json(api: tuple[Any, Any], definition: Any) -> None:
    client, _ = api
    for headers in ({}, {HEADER: "wrong-secret-0123456789"}, {HEADER: ""}):
        for response in (answer(client, definition, **headers), client.http.get("/healthz", headers=headers)):
            assert response.status_code == 403
            assert response.headers["Content-Type"] == "application/json"
            assert json.loads(response.body) == {
                "error": "this API answers only through the survey's own site",
                "field": None,
            }
    assert config.get_store().get("harbour", "resp-origin-1") is None  # nothing ran behind the check


def test_a_request_through_cloudfront_is_served(api: tuple[Any, Any], definition: Any) -> None:
    client, _ = api
    response = answer(client, definition, **{HEADER: "right-secret-0123456789"})
    assert response.status_code == 201, response.body
    assert config.get_store().get("harbour", "resp-origin-1") is not None


def test_when_the_secrets_cannot_be_read_the_answer_is_503_so_the_page_retries(
    api: tuple[Any, Any], definition: Any
) -> None:
    client, ssm = api
    ssm.delete_parameter(Name=PARAMETER)
    response = answer(client, definition, **{HEADER: "right-secret-0123456789"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"


def test_an_unexpected_failure_of_the_check_is_503_never_a_500(
    api: tuple[Any, Any], definition: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The check runs outside every other handler of the app: whatever breaks in it, the page must retry.
    def broken() -> None:
        raise RuntimeError("an SSM answer nobody expected")

    client, _ = api
    monkeypatch.setattr(config, "get_origin_guard", broken)
    response = answer(client, definition, **{HEADER: "right-secret-0123456789"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert config.get_store().get("harbour", "resp-origin-1") is None


# --- rotation, on the Lambda's side (an injected clock) ---------------------------------------------------


class Parameter:
    """The SSM parameter as the Lambda reads it, counting reads."""

    def __init__(self, value: str):
        self.value = value
        self.reads = 0

    def __call__(self) -> str:
        self.reads += 1
        if self.value is None:
            raise SecretUnavailable("SSM parameter: ThrottlingException")
        return self.value


def test_during_a_rotation_old_and_new_are_accepted_and_after_it_only_the_new() -> None:
    now = [0.0]
    parameter = Parameter("old-secret")
    guard = OriginGuard(parameter, clock=lambda: now[0])
    assert guard.allows("old-secret") and not guard.allows("new-secret")
    assert parameter.reads == 1  # read once, then cached

    parameter.value = "new-secret old-secret"  # `deploy --rotate-origin-secret`, before CloudFront switches
    now[0] += REREAD_SECONDS
    assert guard.allows("new-secret")  # an edge already sends the new one: one re-read finds it
    assert guard.allows("old-secret")  # edges not yet switched still get through
    assert parameter.reads == 2

    parameter.value = "new-secret"  # the stack update is complete: the rotation ends
    now[0] += CACHE_SECONDS
    assert guard.allows("new-secret")
    assert not guard.allows("old-secret")
    assert parameter.reads == 3


def test_a_flood_of_wrong_secrets_does_not_become_a_flood_of_ssm_reads() -> None:
    now = [0.0]
    parameter = Parameter("the-secret")
    guard = OriginGuard(parameter, clock=lambda: now[0])
    for _ in range(1000):
        assert not guard.allows("a-guess")
    assert parameter.reads == 1
    now[0] += REREAD_SECONDS
    assert not guard.allows("a-guess") and not guard.allows("another-guess")
    assert parameter.reads == 2


def test_an_ssm_failure_keeps_the_secrets_already_read() -> None:
    now = [0.0]
    parameter = Parameter("the-secret")
    guard = OriginGuard(parameter, clock=lambda: now[0])
    assert guard.allows("the-secret")
    parameter.value = None
    now[0] += CACHE_SECONDS
    assert guard.allows("the-secret")


# --- rotation, on the deploy's side -------------------------------------------------------------------------


def test_the_first_deploy_makes_a_secret_and_later_ones_keep_it(aws_credentials: None) -> None:
    with mock_aws():
        ssm = boto3.client("ssm", region_name=REGION)
        first = prepare_origin_secret(ssm, NAMES, rotate=False)
        again = prepare_origin_secret(ssm, NAMES, rotate=False)
        stored = ssm.get_parameter(Name=PARAMETER, WithDecryption=True)["Parameter"]
    assert first.changed and not again.changed
    assert again.current == first.current and len(first.current) >= 32
    assert stored["Type"] == "SecureString" and stored["Value"] == first.current


def test_a_rotation_lists_both_until_cloudfront_has_switched_then_only_the_new(aws_credentials: None) -> None:
    with mock_aws():
        ssm = boto3.client("ssm", region_name=REGION)
        old = prepare_origin_secret(ssm, NAMES, rotate=False).current
        rotation = prepare_origin_secret(ssm, NAMES, rotate=True)
        during = ssm.get_parameter(Name=PARAMETER, WithDecryption=True)["Parameter"]["Value"]
        # an interrupted run leaves both listed; the next deploy sends the new one and finishes the rotation
        resumed = prepare_origin_secret(ssm, NAMES, rotate=False)
        assert finish_rotation(ssm, NAMES, resumed)
        after = ssm.get_parameter(Name=PARAMETER, WithDecryption=True)["Parameter"]["Value"]
    assert rotation.current != old
    assert during.split() == [rotation.current, old]
    assert resumed.current == rotation.current
    assert after == rotation.current


def test_a_deploy_sends_the_secret_to_cloudfront_as_a_hidden_parameter_and_finishes_a_rotation(
    account: Any, survey: Any
) -> None:
    data, app_outputs = account.first_deploy(NAMES)
    deploy.deploy(survey, account.aws, "prod", say=account.say, wait=account.wait)
    ssm = account.aws.client("ssm")
    old = ssm.get_parameter(Name=PARAMETER, WithDecryption=True)["Parameter"]["Value"]
    account.cloudformation.exists(NAMES.data_stack, data)
    account.cloudformation.no_changes(NAMES.data_stack)
    account.cloudformation.exists(NAMES.app_stack, app_outputs)
    account.cloudformation.applies(NAMES.app_stack, "UPDATE", [], app_outputs)

    deploy.deploy(
        survey, account.aws, "prod", deploy.Options(rotate_origin_secret=True), account.say, account.wait
    )

    account.cloudformation.done()
    sent = [
        {p["ParameterKey"]: p.get("ParameterValue") for p in c["Parameters"]}["OriginSecret"]
        for c in account.cloudformation.called("CreateChangeSet")
        if c["StackName"] == NAMES.app_stack
    ]
    new = ssm.get_parameter(Name=PARAMETER, WithDecryption=True)["Parameter"]["Value"]
    assert sent == [old, new] and new != old
    assert " " not in new  # the rotation ended with the stack update
    assert any("the old one is now refused" in line for line in account.lines)
    assert not any(old in line or new in line for line in account.lines)  # never printed


def test_the_collector_role_may_make_exactly_the_ssm_calls_the_check_makes(
    api: tuple[Any, Any], definition: Any, packaged: Any
) -> None:
    client, _ = api
    calls: list[tuple[str, str]] = []
    ssm = boto3.client("ssm", region_name=REGION)
    ssm.meta.events.register(
        "provide-client-params.ssm", lambda params, model, **_: calls.append((model.name, params["Name"]))
    )
    guard = config.get_origin_guard()
    assert guard is not None
    guard.read.client = ssm  # the client the check makes on first use, with a recorder on it

    answer(client, definition, **{HEADER: "right-secret-0123456789"})
    answer(client, definition, **{HEADER: "wrong-secret-0123456789"})

    assert calls == [("GetParameter", PARAMETER)]
    role = packaged.load("app.json")["Resources"]["ApiHandlerRole"]["Properties"]["Policies"][0]
    statements = {s["Sid"]: s for s in role["PolicyDocument"]["Statement"]}
    granted = statements["OriginSecret"]
    assert granted["Action"] == ["ssm:GetParameter"]
    assert [r["Fn::Sub"].rsplit(":parameter", 1)[1] for r in granted["Resource"]] == [PARAMETER]
