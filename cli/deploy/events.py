"""A stack's events as they happen, and what a failed one means for the owner.

CloudFormation tells what it is doing only through events (newest first, one per resource status change).
`EventLog` picks this operation's events out of each page — those after the stack's own *_IN_PROGRESS
"User Initiated" event — prints each once (resource, status, reason), and keeps the failures. `advice()` turns
the likeliest first-deploy failures into a sentence that says what to do; anything else is shown in
CloudFormation's own words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .aws import CONCURRENCY_HINT, PERMISSIONS

STARTS = ("CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "DELETE_IN_PROGRESS", "IMPORT_IN_PROGRESS")
FRIENDLY_TYPES = {
    "AWS::ApiGateway::Account": "API Gateway account setting",
    "AWS::ApiGateway::Deployment": "API deployment",
    "AWS::ApiGateway::RestApi": "REST API",
    "AWS::ApiGateway::Stage": "API stage",
    "AWS::Budgets::Budget": "budget",
    "AWS::CloudFormation::Stack": "stack",
    "AWS::CloudFront::Distribution": "CloudFront distribution",
    "AWS::CloudFront::Function": "CloudFront function",
    "AWS::CloudFront::OriginAccessControl": "CloudFront origin access control",
    "AWS::DynamoDB::Table": "DynamoDB table",
    "AWS::IAM::Role": "IAM role",
    "AWS::Lambda::Function": "Lambda function",
    "AWS::Lambda::Permission": "Lambda permission",
    "AWS::Logs::LogGroup": "log group",
    "AWS::S3::Bucket": "S3 bucket",
    "AWS::S3::BucketPolicy": "bucket policy",
    "AWS::WAFv2::WebACL": "WAF web ACL",
}

# (what CloudFormation's reason contains, what the owner should do). First match wins.
ADVICE: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("must be verified before you can add new CloudFront resources",),
        "AWS has not yet verified this account for CloudFront (new accounts are checked before their first "
        "distribution): open a case with AWS Support asking them to verify the account for CloudFront, then "
        "run `wowcard deploy` again once they answer; the survey's data stack is kept",
    ),
    (("UnreservedConcurrentExecution",), CONCURRENCY_HINT),
    (
        ("AccessDenied", "is not authorized to perform", "not authorized to perform"),
        "CloudFormation acts with your identity, and it was refused the action named above; "
        f"{PERMISSIONS}: give the identity those (or deploy with an administrator profile), then run "
        "`wowcard deploy` again",
    ),
    (
        ("CloudWatch Logs role ARN must be set",),
        "API Gateway has no role to write access logs with in this account; the data stack sets one up: "
        "deploy again so it is created first",
    ),
    (
        ("already exists",),
        "a resource of that name already exists outside this stack (often left by an earlier failed deploy "
        "or another tool); delete it, or if it is the survey's table holding responses, ask before touching "
        "it, then run `wowcard deploy` again",
    ),
)


def kind_of(event: dict[str, Any]) -> str:
    kind = event.get("ResourceType", "")
    return FRIENDLY_TYPES.get(kind, kind or "resource")


def words(event: dict[str, Any]) -> str:
    """One event as a line: time, resource and its kind, status, and CloudFormation's reason."""
    stamp = event.get("Timestamp")
    clock = stamp.strftime("%H:%M:%S ") if isinstance(stamp, datetime) else ""
    reason = event.get("ResourceStatusReason")
    text = (
        f"{clock}{event.get('LogicalResourceId', '?')} ({kind_of(event)}) {event.get('ResourceStatus', '')}"
    )
    return f"{text}: {reason}" if reason else text


def is_failure(event: dict[str, Any]) -> bool:
    return event.get("ResourceStatus", "").endswith("FAILED") and "cancelled" not in event.get(
        "ResourceStatusReason", ""
    )


def advice(reason: str) -> str | None:
    """What to do about a CloudFormation failure reason, or None when wowcard knows nothing better."""
    for markers, text in ADVICE:
        if any(marker in reason for marker in markers):
            return text
    return None


def explain(event: dict[str, Any] | None) -> str:
    """The first failure of an operation as "kind Name: reason (what to do)"."""
    if event is None:
        return "see the stack's events in the CloudFormation console"
    reason = event.get("ResourceStatusReason", "failed")
    text = f"{kind_of(event)} {event.get('LogicalResourceId')}: {reason}"
    hint = advice(reason)
    return f"{text}\n{hint[0].upper()}{hint[1:]}." if hint else text


@dataclass
class EventLog:
    """This operation's events of one stack, each said once, oldest first, as pages of them arrive."""

    stack: str
    say: Callable[[str], None]
    seen: set[str] = field(default_factory=set)
    failures: list[dict[str, Any]] = field(default_factory=list)
    started: bool = False

    def take(self, page: list[dict[str, Any]]) -> None:
        """A page of describe_stack_events (newest first)."""
        current: list[dict[str, Any]] = []
        for event in page:
            if event.get("EventId") in self.seen:
                break
            current.append(event)
            if event.get("LogicalResourceId") == self.stack and event.get("ResourceStatus") in STARTS:
                self.started = True
                break  # where this operation began; older events belong to earlier ones
        if not self.started:
            return  # the page still shows the previous operation: nothing of ours yet
        for event in reversed(current):
            self.seen.add(event.get("EventId", ""))
            self.say(f"      {words(event)}")
            if is_failure(event):
                self.failures.append(event)

    @property
    def first_failure(self) -> dict[str, Any] | None:
        return self.failures[0] if self.failures else None
