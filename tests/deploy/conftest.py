"""Stand-ins for AWS: moto in-process for S3, DynamoDB and STS (the buckets and table the stacks would hold),
and botocore's Stubber at the CloudFormation boundary, answering call by call as CloudFormation does (moto
cannot take Chalice's Swagger 2.0 API nor the SAM transform). The package is made once per session (Chalice's
packager is the slow part)."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from wowcard import deploy, package
from wowcard.aws_templates import Names
from wowcard.collector.store_dynamodb import create_table

REGION = "eu-west-2"
ACCOUNT = "123456789012"
CREATED = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)
EVENT_IDS = itertools.count(1)

DATA_CHANGES = [("Add", "AWS::DynamoDB::Table", "Table"), ("Add", "AWS::S3::Bucket", "ArtifactsBucket")]
APP_CHANGES = [
    ("Add", "AWS::IAM::Role", "ApiHandlerRole"),
    ("Add", "AWS::Lambda::Function", "APIHandler"),
    ("Add", "AWS::ApiGateway::RestApi", "RestAPI"),
    ("Add", "AWS::S3::Bucket", "PagesBucket"),
    ("Add", "AWS::CloudFront::Distribution", "Distribution"),
]


@pytest.fixture(scope="session")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> package.Package:
    """`wowcard package` output for the example survey, stage prod."""
    return package.package(Names("harbour", "prod"), tmp_path_factory.mktemp("package"))


def _stack(
    name: str,
    status: str,
    outputs: dict[str, str],
    parameters: list[dict[str, Any]] | None = None,
    tags: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    return {
        "StackName": name,
        "StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{name}/0f1e2d3c",
        "CreationTime": CREATED,
        "StackStatus": status,
        "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()],
        "Parameters": parameters or [],
        "Tags": tags or [],
    }


def _change(action: str, kind: str, logical: str, replacement: str | None = None) -> dict[str, Any]:
    change: dict[str, Any] = {"Action": action, "LogicalResourceId": logical, "ResourceType": kind}
    if replacement:
        change["Replacement"] = replacement
    return {"Type": "Resource", "ResourceChange": change}


class FakeCloudFormation:
    """CloudFormation at the boundary: a Stubber scripted with the answers CloudFormation gives, in order.
    Every call the code makes is recorded with its parameters; a call nobody scripted fails the test."""

    def __init__(self, client: Any):
        self.client = client
        self.stub = Stubber(client)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        client.meta.events.register("before-parameter-build.cloudformation", self._record)
        self.stub.activate()

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append((model.name, copy.deepcopy(params)))

    def called(self, operation: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == operation]

    def done(self) -> None:
        self.stub.assert_no_pending_responses()

    # --- single answers --------------------------------------------------------------------------------

    def missing(self, name: str) -> None:
        self.stub.add_client_error(
            "describe_stacks",
            "ValidationError",
            f"Stack with id {name} does not exist",
            400,
            expected_params={"StackName": name},
        )

    def exists(
        self,
        name: str,
        outputs: dict[str, str],
        status: str = "CREATE_COMPLETE",
        parameters: list[dict[str, Any]] | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> None:
        self.stub.add_response(
            "describe_stacks",
            {"Stacks": [_stack(name, status, outputs, parameters, tags)]},
            {"StackName": name},
        )

    def template(self, name: str, body: str) -> None:
        self.stub.add_response(
            "get_template", {"TemplateBody": body}, {"StackName": name, "TemplateStage": "Original"}
        )

    # --- a change set from creation to its end -----------------------------------------------------------

    def _change_set(self, name: str, change_type: str) -> None:
        expected = {
            "StackName": name,
            "ChangeSetName": ANY,
            "ChangeSetType": change_type,
            "Parameters": ANY,
            "Capabilities": ANY,
            "Tags": ANY,
            "TemplateBody": ANY,
        }
        self.stub.add_response(
            "create_change_set",
            {
                "Id": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:changeSet/wowcard/1",
                "StackId": _stack(name, "", {})["StackId"],
            },
            expected,
        )

    def applies(
        self,
        name: str,
        change_type: str,
        changes: list[tuple[str, ...]],
        outputs: dict[str, str],
        final: str | None = None,
    ) -> None:
        """A change set with these changes is planned, printed, executed and waited for."""
        final = final or ("CREATE_COMPLETE" if change_type == "CREATE" else "UPDATE_COMPLETE")
        self._change_set(name, change_type)
        self.stub.add_response(
            "describe_change_set", {"Status": "CREATE_COMPLETE", "ExecutionStatus": "AVAILABLE"}
        )
        self.stub.add_response(
            "describe_change_set", {"Status": "CREATE_COMPLETE", "Changes": [_change(*c) for c in changes]}
        )
        self.stub.add_response("execute_change_set", {}, {"StackName": name, "ChangeSetName": ANY})
        self.stub.add_response(
            "describe_stacks", {"Stacks": [_stack(name, final, outputs)]}, {"StackName": name}
        )
        start = "CREATE_IN_PROGRESS" if change_type == "CREATE" else "UPDATE_IN_PROGRESS"
        self.events(
            name,
            [(name, "AWS::CloudFormation::Stack", final, None)]
            + [
                (logical, kind, final.replace("UPDATE", "CREATE") if action == "Add" else final, None)
                for action, kind, logical, *_ in changes
            ]
            + [(name, "AWS::CloudFormation::Stack", start, "User Initiated")],
        )

    def replays(self, name: str, polls: list[dict[str, Any]], outputs: dict[str, str] | None = None) -> None:
        """Recorded polls of a stack at work: each its status, then its events (newest first; an event keeps
        its id from one poll to the next)."""
        for poll in polls:
            self.exists(name, outputs or {}, status=poll["status"])
            events = poll["events"]
            page = [
                {
                    "StackId": _stack(name, "", {})["StackId"],
                    "StackName": name,
                    "Timestamp": CREATED,
                    "EventId": f"{logical}-{status}-{len(events) - i}",
                    "LogicalResourceId": logical,
                    "ResourceType": kind,
                    "ResourceStatus": status,
                    **({"ResourceStatusReason": reason} if reason else {}),
                }
                for i, (logical, kind, status, reason) in enumerate(events)
            ]
            self.stub.add_response("describe_stack_events", {"StackEvents": page}, {"StackName": name})

    def executes(self, name: str, change_type: str) -> None:
        """A change set planned, printed and executed; what follows is up to the test."""
        self._change_set(name, change_type)
        self.stub.add_response("describe_change_set", {"Status": "CREATE_COMPLETE"})
        self.stub.add_response("describe_change_set", {"Status": "CREATE_COMPLETE", "Changes": []})
        self.stub.add_response("execute_change_set", {})

    def events(self, name: str, events: list[tuple[str, str, str, str | None]]) -> None:
        """describe_stack_events answering these (logical id, type, status, reason), newest first."""
        base = {"StackId": _stack(name, "", {})["StackId"], "StackName": name, "Timestamp": CREATED}
        answer = [
            {
                **base,
                "EventId": f"{name}-{next(EVENT_IDS)}",
                "LogicalResourceId": logical,
                "ResourceType": kind,
                "ResourceStatus": status,
                **({"ResourceStatusReason": reason} if reason else {}),
            }
            for logical, kind, status, reason in events
        ]
        self.stub.add_response("describe_stack_events", {"StackEvents": answer}, {"StackName": name})

    def no_changes(self, name: str) -> None:
        """An update whose change set CloudFormation finds empty."""
        self._change_set(name, "UPDATE")
        self.stub.add_response(
            "describe_change_set",
            {
                "Status": "FAILED",
                "StatusReason": "The submitted information didn't contain changes. "
                "Submit different information to create a change set.",
            },
        )
        self.stub.add_response("delete_change_set", {}, {"StackName": name, "ChangeSetName": ANY})

    def rolls_back(
        self, name: str, changes: list[tuple[str, ...]], logical: str, kind: str, reason: str
    ) -> None:
        """A create that fails on one resource and is rolled back."""
        self._change_set(name, "CREATE")
        self.stub.add_response("describe_change_set", {"Status": "CREATE_COMPLETE"})
        self.stub.add_response(
            "describe_change_set", {"Status": "CREATE_COMPLETE", "Changes": [_change(*c) for c in changes]}
        )
        self.stub.add_response("execute_change_set", {})
        self.stub.add_response("describe_stacks", {"Stacks": [_stack(name, "ROLLBACK_COMPLETE", {})]})
        stack = "AWS::CloudFormation::Stack"
        self.events(
            name,
            [
                (name, stack, "ROLLBACK_COMPLETE", None),
                ("PagesBucket", "AWS::S3::Bucket", "CREATE_FAILED", "Resource creation cancelled"),
                (logical, kind, "CREATE_FAILED", reason),
                (name, stack, "CREATE_IN_PROGRESS", "User Initiated"),
                (
                    "Distribution",
                    "AWS::CloudFront::Distribution",
                    "CREATE_FAILED",
                    "an older attempt's failure",
                ),
            ],
        )

    def refused(self, name: str, changes: list[tuple[str, ...]]) -> None:
        """A change set planned and then deleted unexecuted (wowcard refuses it)."""
        self._change_set(name, "UPDATE")
        self.stub.add_response("describe_change_set", {"Status": "CREATE_COMPLETE"})
        self.stub.add_response(
            "describe_change_set", {"Status": "CREATE_COMPLETE", "Changes": [_change(*c) for c in changes]}
        )
        self.stub.add_response("delete_change_set", {}, {"StackName": name, "ChangeSetName": ANY})

    def deletes(self, name: str) -> None:
        self.stub.add_response("delete_stack", {}, {"StackName": name})
        self.missing(name)
        self.stub.add_client_error(
            "describe_stack_events",
            "ValidationError",
            f"Stack [{name}] does not exist",
            400,
            expected_params={"StackName": name},
        )

    def all_stacks(self, stacks: list[dict[str, Any]]) -> None:
        self.stub.add_response("describe_stacks", {"Stacks": stacks}, {})


@dataclass
class Account:
    """One fake AWS account: moto behind S3/DynamoDB/STS, the fake CloudFormation, and per survey the
    buckets and table its stacks would have made (what the stacks' outputs point at)."""

    aws: deploy.Aws
    cloudformation: FakeCloudFormation
    lines: list[str] = field(default_factory=list)
    uploads: list[str] = field(default_factory=list)
    removals: list[str] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        events = self.s3.meta.events
        events.register(
            "provide-client-params.s3.PutObject", lambda params, **_: self.uploads.append(params["Key"])
        )
        events.register(
            "provide-client-params.s3.DeleteObjects",
            lambda params, **_: self.removals.extend(o["Key"] for o in params["Delete"]["Objects"]),
        )

    @property
    def s3(self) -> Any:
        return self.aws.client("s3")

    @property
    def dynamodb(self) -> Any:
        return self.aws.client("dynamodb")

    def say(self, line: str) -> None:
        self.lines.append(line)

    @property
    def wait(self) -> deploy.Wait:
        """No real sleeping: the stand-ins answer a finished stack, or tests count the polls."""
        return deploy.Wait(delay=1, sleep=self.sleeps.append)

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def provision_data(self, names: Names) -> dict[str, str]:
        """What the data stack creates: the table (protected, as the template says) and the bundle bucket."""
        create_table(self.dynamodb, names.table)
        self.dynamodb.update_table(TableName=names.table, DeletionProtectionEnabled=True)
        bucket = f"{names.data_stack}-artifactsbucket-{next(self._ids):04d}"
        self.s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        return {
            "TableName": names.table,
            "TableArn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{names.table}",
            "ArtifactsBucket": bucket,
        }

    def provision_app(self, names: Names) -> dict[str, str]:
        """What the app stack creates that wowcard writes to: the pages bucket; and its outputs."""
        n = next(self._ids)
        bucket = f"{names.app_stack}-pagesbucket-{n:04d}"
        self.s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        site = f"https://d{n:04d}abcdef8.cloudfront.net"
        return {
            "SiteURL": site,
            "ApiURL": f"{site}/api",
            "DistributionId": f"E2QWRUHAPO{n:04d}",
            "PagesBucket": bucket,
            "TableName": names.table,
            "EndpointURL": f"https://abc{n}.execute-api.{REGION}.amazonaws.com/api/",
        }

    def first_deploy(self, names: Names) -> tuple[dict[str, str], dict[str, str]]:
        """Script CloudFormation creating both stacks, make what they would hold, return their outputs."""
        data, app = self.provision_data(names), self.provision_app(names)
        cf = self.cloudformation
        cf.missing(names.data_stack)
        cf.applies(names.data_stack, "CREATE", DATA_CHANGES, data)
        cf.missing(names.app_stack)
        cf.applies(names.app_stack, "CREATE", APP_CHANGES, app)
        return data, app

    def unchanged_deploy(self, names: Names, data: dict[str, str], app: dict[str, str]) -> None:
        """Script CloudFormation finding both stacks as they are: empty change sets."""
        cf = self.cloudformation
        cf.exists(names.data_stack, data)
        cf.no_changes(names.data_stack)
        cf.exists(
            names.app_stack,
            app,
            parameters=[
                {"ParameterKey": "TableName", "ParameterValue": names.table},
                {"ParameterKey": "BudgetEmail", "ParameterValue": ""},
                {"ParameterKey": "BudgetAmount", "ParameterValue": "10"},
            ],
        )
        cf.no_changes(names.app_stack)

    def objects(self, bucket: str) -> dict[str, dict[str, Any]]:
        found = {}
        for item in self.s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            head = self.s3.head_object(Bucket=bucket, Key=item["Key"])
            found[item["Key"]] = {
                "ETag": item["ETag"],
                "ContentType": head["ContentType"],
                "CacheControl": head.get("CacheControl"),
                "ContentEncoding": head.get("ContentEncoding"),
                "LastModified": head["LastModified"],
            }
        return found


@pytest.fixture
def account(aws_credentials: None) -> Iterator[Account]:
    with mock_aws():
        aws = deploy.Aws(boto3.session.Session(region_name=REGION))
        client = aws.session.client("cloudformation")
        aws.clients["cloudformation"] = client
        fake = FakeCloudFormation(client)
        yield Account(aws, fake)
        fake.stub.deactivate()


@pytest.fixture
def stub_cloudformation() -> Iterator[Any]:
    """Makes a FakeCloudFormation of another client (CloudFormation in another region)."""
    made: list[FakeCloudFormation] = []

    def make(client: Any) -> FakeCloudFormation:
        made.append(FakeCloudFormation(client))
        return made[-1]

    yield make
    for fake in made:
        fake.stub.deactivate()


@pytest.fixture
def changes() -> dict[str, list[tuple[str, ...]]]:
    return {"data": DATA_CHANGES, "app": APP_CHANGES}
