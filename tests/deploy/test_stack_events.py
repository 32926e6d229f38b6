"""While CloudFormation works, its events are printed as they happen (resource, status, reason), each once;
the likeliest first-deploy failures end in a sentence saying what to do; Ctrl-C says what state it leaves
and how to resume, and the next run follows a stack left in progress to its end and carries on. The events
are replayed from tests/deploy/recorded/stack_events.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from wowcard import deploy
from wowcard.aws_templates import Names

NAMES = Names("harbour", "prod")
RECORDED = json.loads((Path(__file__).parent / "recorded" / "stack_events.json").read_text())


def replay(account: Any, scenario: str, outputs: dict[str, str] | None = None) -> None:
    account.cloudformation.replays(NAMES.app_stack, RECORDED[scenario], outputs)


def first_app_deploy_fails(account: Any, survey: Any, scenario: str) -> str:
    data = account.provision_data(NAMES)
    cf = account.cloudformation
    cf.missing(NAMES.data_stack)
    cf.applies(NAMES.data_stack, "CREATE", [("Add", "AWS::DynamoDB::Table", "Table")], data)
    cf.missing(NAMES.app_stack)
    cf.executes(NAMES.app_stack, "CREATE")
    replay(account, scenario)
    with pytest.raises(deploy.DeployError) as failure:
        deploy.deploy(survey, account.aws, "prod", say=account.say, wait=account.wait)
    cf.done()
    assert failure.value.exit_code == 1
    return str(failure.value)


def test_events_are_printed_as_they_happen_each_once(account: Any, survey: Any) -> None:
    first_app_deploy_fails(account, survey, "cloudfront_not_verified")

    start = account.lines.index(
        "      CloudFormation is creating wowcard-harbour-prod (CloudFront takes 5-15 minutes)"
    )
    printed = [line.strip() for line in account.lines[start + 1 :] if line.startswith("      12:00:00")]
    assert printed[:3] == [
        "12:00:00 wowcard-harbour-prod (stack) CREATE_IN_PROGRESS: User Initiated",
        "12:00:00 PagesBucket (S3 bucket) CREATE_IN_PROGRESS: Resource creation Initiated",
        "12:00:00 PagesBucket (S3 bucket) CREATE_COMPLETE",
    ]
    assert printed[-1] == "12:00:00 wowcard-harbour-prod (stack) ROLLBACK_COMPLETE"
    assert len(printed) == len(set(printed)) == 8  # the second poll repeats three events: said once
    assert account.sleeps == [1]  # one wait between the two polls


def test_an_account_not_yet_verified_for_cloudfront_is_told_to_ask_aws_support(
    account: Any, survey: Any
) -> None:
    message = first_app_deploy_fails(account, survey, "cloudfront_not_verified")

    assert "wowcard-harbour-prod was rolled back: CloudFront distribution Distribution:" in message
    assert "AWS has not yet verified this account for CloudFront" in message
    assert "open a case with AWS Support" in message and "the survey's data stack is kept" in message


def test_a_concurrency_quota_too_small_says_to_deploy_without_a_reservation(
    account: Any, survey: Any
) -> None:
    message = first_app_deploy_fails(account, survey, "concurrency_quota")

    assert "Lambda function APIHandler: Resource handler returned message" in message
    assert "deploy without --reserved-concurrency" in message


def test_access_denied_inside_cloudformation_names_the_permissions_needed(account: Any, survey: Any) -> None:
    message = first_app_deploy_fails(account, survey, "access_denied")

    assert "IAM role ApiHandlerRole: Resource handler returned message" in message  # not the cancelled one
    assert "is not authorized to perform: iam:CreateRole" in message
    assert "CloudFormation acts with your identity" in message
    assert "deploying needs CloudFormation, IAM, S3" in message
    assert "running `wowcard deploy` again is safe" in message


def test_a_stack_left_in_progress_is_followed_to_its_end_then_the_deploy_carries_on(
    account: Any, survey: Any
) -> None:
    data, app = account.provision_data(NAMES), account.provision_app(NAMES)
    cf = account.cloudformation
    cf.exists(NAMES.data_stack, data)
    cf.no_changes(NAMES.data_stack)
    cf.exists(NAMES.app_stack, app, status="UPDATE_IN_PROGRESS")  # an earlier run stopped by Ctrl-C
    replay(account, "left_in_progress", app)
    cf.no_changes(NAMES.app_stack)

    done = deploy.deploy(survey, account.aws, "prod", say=account.say, wait=account.wait)

    cf.done()
    assert done.site_url == app["SiteURL"]
    assert any("is UPDATE_IN_PROGRESS (an earlier run was interrupted" in line for line in account.lines)
    assert "      12:00:00 Distribution (CloudFront distribution) UPDATE_COMPLETE" in account.lines


def test_ctrl_c_while_cloudformation_works_says_what_it_leaves_and_how_to_resume(
    account: Any, survey: Any
) -> None:
    data = account.provision_data(NAMES)
    cf = account.cloudformation
    cf.missing(NAMES.data_stack)
    cf.executes(NAMES.data_stack, "CREATE")
    cf.exists(NAMES.data_stack, data, status="CREATE_IN_PROGRESS")
    cf.events(
        NAMES.data_stack, [(NAMES.data_stack, "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS", None)]
    )

    def ctrl_c(seconds: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(deploy.Interrupted) as stopped:
        deploy.deploy(survey, account.aws, "prod", say=account.say, wait=deploy.Wait(1, ctrl_c))

    message = str(stopped.value)
    assert stopped.value.exit_code == 130
    assert message.startswith("step 3/8 (Data stack wowcard-harbour-data) interrupted:")
    assert "interrupted while CloudFormation was creating wowcard-harbour-data" in message
    assert "CloudFormation carries on without wowcard" in message
    assert "run the same command again: it follows the stack to its end and continues" in message


def test_ctrl_c_through_the_command_exits_130_without_a_traceback(
    account: Any, survey_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from wowcard.__main__ import cli

    class Sts:  # the owner presses Ctrl-C while the first call is under way
        def get_caller_identity(self) -> Any:
            raise KeyboardInterrupt

    monkeypatch.setattr(deploy, "connect", lambda region=None, profile=None: account.aws)
    account.aws.clients["sts"] = Sts()

    result = CliRunner().invoke(cli, ["deploy", "-s", str(survey_file)])

    assert result.exit_code == 130
    assert "step 1/8 (AWS account) interrupted: stopped by Ctrl-C" in result.output
    assert "Traceback" not in result.output


def test_a_finished_status_from_before_the_change_is_not_taken_for_its_end(account: Any) -> None:
    from wowcard.deploy.stacks import StackChange, deploy_stack

    name, stack = NAMES.app_stack, "AWS::CloudFormation::Stack"
    earlier = [name, stack, "CREATE_COMPLETE", None]
    started = [name, stack, "UPDATE_IN_PROGRESS", "User Initiated"]
    ended = [name, stack, "UPDATE_COMPLETE", None]
    cf = account.cloudformation
    cf.exists(name, {"PagesBucket": "old"}, status="UPDATE_COMPLETE")
    cf.executes(name, "UPDATE")
    cf.replays(
        name,
        [
            {"status": "UPDATE_COMPLETE", "events": [earlier]},  # CloudFormation has not started yet
            {"status": "UPDATE_IN_PROGRESS", "events": [started, earlier]},
            {"status": "UPDATE_COMPLETE", "events": [ended, started, earlier]},
        ],
        {"PagesBucket": "new"},
    )
    change = StackChange(name, {"Resources": {}}, lambda exists: [], [])

    result = deploy_stack(account.aws.client("cloudformation"), change, account.say, account.wait)

    cf.done()
    assert result.outputs == {"PagesBucket": "new"} and account.sleeps == [1, 1]
