"""`wowcard destroy`: delete a stage's app stack (pages, API, Lambda, CloudFront, its WAF web ACL and its
secrets); with --delete-data, also the survey's data stack and table, only when no other stage uses them and
the owner typed the survey id back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from ..aws_templates import Names
from ..aws_waf_stack import WAF_REGION
from .aws import Aws, DeployError, Say, Steps
from .secrets import delete_stage_secrets
from .site_sync import empty_bucket
from .stacks import Wait, delete_stack, describe_stack, outputs_of

DESTROY_RERUN = "Running `wowcard destroy` again is safe: it continues where this stopped."


def other_stages(cfn: Any, names: Names) -> list[str]:
    """App stacks of the same survey in this region, other than this stage's (found by their tags)."""
    found = []
    for page in cfn.get_paginator("describe_stacks").paginate():
        for stack in page.get("Stacks", []):
            tags = {t["Key"]: t["Value"] for t in stack.get("Tags", [])}
            if (
                tags.get("wowcard:survey") == names.survey
                and tags.get("wowcard:role") == "app"
                and stack["StackName"] != names.app_stack
                and stack["StackStatus"] != "DELETE_COMPLETE"
            ):
                found.append(stack["StackName"])
    return sorted(found)


def destroy(
    survey_id: str,
    aws: Aws,
    stage: str,
    confirm: Callable[[str], bool],
    type_back: Callable[[str], str],
    delete_data: bool = False,
    say: Say = print,
    wait: Wait | None = None,
) -> list[str]:
    """Delete the stage's app stack after `confirm`; with `delete_data`, also the survey's data stack and its
    table, only when no other stage uses them and `type_back` returns the survey id. Returns what was
    deleted."""
    names = Names(survey_id, stage)
    wait = wait or Wait()
    cfn, s3 = aws.client("cloudformation"), aws.client("s3")
    steps = Steps(say, 3 if delete_data else 2, DESTROY_RERUN)
    with steps.step("Look up the deployment"):
        app = describe_stack(cfn, names.app_stack)
        data = describe_stack(cfn, names.data_stack) if delete_data else None
        others = other_stages(cfn, names) if delete_data else []
    if others:
        raise DeployError(
            "",
            f"the data of survey {survey_id} is still used by {', '.join(others)}: destroy "
            "those stages first. Nothing was deleted.",
        )
    if app is None and data is None:
        say(
            f"There is no stage {stage} of survey {survey_id} in {aws.region}"
            + (" and no data stack" if delete_data else "")
            + ": nothing to delete."
        )
        return []
    table = outputs_of(data or {}).get("TableName", names.table)
    if app is not None and not confirm(
        f"Delete {names.app_stack} in {aws.region} (its pages, API, Lambda and CloudFront)? "
        f"The responses stay in {table}."
    ):
        raise DeployError("", "nothing was deleted")
    if data is not None:
        answer = type_back(
            f"This deletes table {table}: every response of survey {survey_id}, with its backups, for good.\n"
            f"Type the survey id ({survey_id}) to confirm"
        )
        if answer.strip() != survey_id:
            raise DeployError("", f'"{answer.strip()}" is not the survey id: nothing was deleted')
    deleted = []
    with steps.step(f"App stack {names.app_stack}"):
        if app is None:
            say("      already gone")
        else:
            pages = outputs_of(app).get("PagesBucket")
            if pages:
                say(f"      removed {empty_bucket(s3, pages)} objects from the pages bucket")
            delete_stack(cfn, names.app_stack, say, wait)
            deleted.append(names.app_stack)
        waf_cfn = aws.client("cloudformation", WAF_REGION)
        if describe_stack(waf_cfn, names.waf_stack) is not None:
            delete_stack(waf_cfn, names.waf_stack, say, wait)  # after the distribution that used it
            deleted.append(names.waf_stack)
        for parameter in delete_stage_secrets(aws.client("ssm"), names):
            say(f"      removed SSM parameter {parameter}")
    if data is not None:
        with steps.step(f"Data stack {names.data_stack} and table {table}"):
            artifacts = outputs_of(data).get("ArtifactsBucket")
            if artifacts:
                say(f"      removed {empty_bucket(s3, artifacts)} bundles from the artifacts bucket")
            delete_stack(cfn, names.data_stack, say, wait)  # the table is retained by its policy...
            delete_table(aws.client("dynamodb"), table, say)  # ...so it goes explicitly, last
            deleted += [names.data_stack, table]
    return deleted


def delete_table(dynamodb: Any, table: str, say: Say) -> None:
    try:
        dynamodb.update_table(TableName=table, DeletionProtectionEnabled=False)
        dynamodb.get_waiter("table_exists").wait(TableName=table)
        dynamodb.delete_table(TableName=table)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            say(f"      table {table} was already gone")
            return
        raise
    dynamodb.get_waiter("table_not_exists").wait(TableName=table)
    say(f"      deleted table {table}")
