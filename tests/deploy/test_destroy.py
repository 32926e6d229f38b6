"""`destroy`: the app stack only after a yes; the data only with --delete-data, the survey id typed back and
no other stage still using it. Responses survive everything else."""

from __future__ import annotations

from typing import Any

import pytest

from wowcard import deploy
from wowcard.aws_templates import Names
from wowcard.collector.store import open_store

NAMES = Names("harbour", "prod")


def deployed(account: Any, definition: Any) -> tuple[dict[str, str], dict[str, str]]:
    """Both stacks' resources as a deploy leaves them: a published survey, a page, a bundle."""
    data, app = account.provision_data(NAMES), account.provision_app(NAMES)
    open_store(f"dynamodb:{data['TableName']}", region="eu-west-2").publish(definition.to_json())
    account.s3.put_object(Bucket=app["PagesBucket"], Key="harbour/quay/index.html", Body=b"<p>hi</p>")
    account.s3.put_object(Bucket=data["ArtifactsBucket"], Key="lambda/prod/abc.zip", Body=b"PK")
    return data, app


def destroy(account: Any, answers: list[Any], delete_data: bool = False) -> tuple[list[str], list[str]]:
    asked: list[str] = []

    def reply(question: str) -> Any:
        asked.append(question)
        return answers.pop(0)

    deleted = deploy.destroy(
        "harbour", account.aws, "prod", reply, reply, delete_data, say=account.say, wait=account.wait
    )
    return deleted, asked


def table_exists(account: Any, name: str) -> bool:
    return name in account.dynamodb.list_tables()["TableNames"]


def test_destroy_asks_first_and_a_no_deletes_nothing(account: Any, definition: Any) -> None:
    data, app = deployed(account, definition)
    account.cloudformation.exists(NAMES.app_stack, app)

    with pytest.raises(deploy.DeployError, match="nothing was deleted"):
        destroy(account, [False])

    account.cloudformation.done()
    assert [name for name, _ in account.cloudformation.calls] == ["DescribeStacks"]
    assert account.objects(app["PagesBucket"])


def test_destroy_deletes_the_app_stack_and_keeps_every_response(account: Any, definition: Any) -> None:
    data, app = deployed(account, definition)
    account.cloudformation.exists(NAMES.app_stack, app)
    account.cloudformation.deletes(NAMES.app_stack)

    deleted, asked = destroy(account, [True])

    account.cloudformation.done()
    assert deleted == ["wowcard-harbour-prod"]
    assert asked == [
        "Delete wowcard-harbour-prod in eu-west-2 (its pages, API, Lambda and CloudFront)? "
        "The responses stay in wowcard-harbour."
    ]
    assert account.objects(app["PagesBucket"]) == {}  # emptied, or CloudFormation could not delete it
    assert open_store("dynamodb:wowcard-harbour", region="eu-west-2").definition("harbour") is not None
    assert account.objects(data["ArtifactsBucket"])


def test_delete_data_needs_the_survey_id_typed_back(account: Any, definition: Any) -> None:
    data, app = deployed(account, definition)
    cf = account.cloudformation
    cf.exists(NAMES.app_stack, app)
    cf.exists(NAMES.data_stack, data)
    cf.all_stacks([])

    with pytest.raises(deploy.DeployError, match='"harbor" is not the survey id: nothing was deleted'):
        destroy(account, [True, "harbor"], delete_data=True)

    assert cf.called("DeleteStack") == []
    assert table_exists(account, "wowcard-harbour") and account.objects(app["PagesBucket"])


def test_delete_data_removes_the_table_after_both_stacks(account: Any, definition: Any) -> None:
    data, app = deployed(account, definition)
    cf = account.cloudformation
    cf.exists(NAMES.app_stack, app)
    cf.exists(NAMES.data_stack, data)
    cf.all_stacks([])
    cf.deletes(NAMES.app_stack)
    cf.deletes(NAMES.data_stack)

    deleted, asked = destroy(account, [True, "harbour"], delete_data=True)

    cf.done()
    assert deleted == ["wowcard-harbour-prod", "wowcard-harbour-data", "wowcard-harbour"]
    assert "Type the survey id (harbour) to confirm" in asked[1]
    assert not table_exists(account, "wowcard-harbour")  # protected from deletion until destroy lifted it
    assert account.objects(data["ArtifactsBucket"]) == {}


def test_delete_data_is_refused_while_another_stage_uses_it(account: Any, definition: Any) -> None:
    data, app = deployed(account, definition)
    cf = account.cloudformation
    cf.exists(NAMES.app_stack, app)
    cf.exists(NAMES.data_stack, data)
    staging = {
        "StackName": "wowcard-harbour-staging",
        "StackStatus": "UPDATE_COMPLETE",
        "CreationTime": "2025-03-01T00:00:00Z",
        "Tags": [{"Key": "wowcard:survey", "Value": "harbour"}, {"Key": "wowcard:role", "Value": "app"}],
    }
    other_survey = {
        **staging,
        "StackName": "wowcard-harbour-north-prod",
        "Tags": [
            {"Key": "wowcard:survey", "Value": "harbour-north"},
            {"Key": "wowcard:role", "Value": "app"},
        ],
    }
    cf.all_stacks([staging, other_survey])

    with pytest.raises(
        deploy.DeployError, match="still used by wowcard-harbour-staging: destroy those stages"
    ):
        destroy(account, [], delete_data=True)

    assert cf.called("DeleteStack") == []
    assert table_exists(account, "wowcard-harbour")


def test_destroying_a_stage_that_is_not_there_says_so(account: Any) -> None:
    account.cloudformation.missing(NAMES.app_stack)

    deleted, asked = destroy(account, [])

    assert (deleted, asked) == ([], [])
    assert account.lines[-1] == "There is no stage prod of survey harbour in eu-west-2: nothing to delete."
