"""CloudFormation stacks: create or update one through a change set printed in words (or, in a dry run, say
what would happen without calling anything that changes), follow its events while CloudFormation works, and
delete one.

An empty change set means "nothing to do". A change that would remove or replace a protected resource (the
table) is refused before it runs. A stack left busy by an interrupted run is followed to its end, and one left
by a failed first create (ROLLBACK_COMPLETE) is deleted and created again, so re-running always continues.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError, WaiterError

from .aws import DeployError, Interrupted, Say, in_words
from .events import FRIENDLY_TYPES, EventLog, explain

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
STABLE = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE")
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")
HIDDEN = "****"  # how CloudFormation shows a NoEcho parameter's value
FIRST_EVENT_POLLS = 3  # polls to wait for an operation's first event before believing a finished status


@dataclass(frozen=True)
class Wait:
    """How to wait for CloudFormation: seconds between polls, for at most an hour (tests inject `sleep`)."""

    delay: float = 10.0
    sleep: Callable[[float], None] = field(default=time.sleep)

    @property
    def polls(self) -> int:
        return max(1, int(3600 / max(self.delay, 1)))


@dataclass(frozen=True, slots=True)
class StackResult:
    name: str
    outputs: dict[str, str]
    changed: bool
    created: bool = False


def describe_stack(cfn: Any, name: str) -> dict[str, Any] | None:
    """The stack, or None when there is none by that name (a deleted stack is none)."""
    try:
        stacks = cfn.describe_stacks(StackName=name)["Stacks"]
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if error.get("Code") == "ValidationError" and "does not exist" in error.get("Message", ""):
            return None
        raise
    return stacks[0] if stacks and stacks[0]["StackStatus"] != "DELETE_COMPLETE" else None


def outputs_of(stack: dict[str, Any] | None) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in (stack or {}).get("Outputs", [])}


def change_words(change: dict[str, Any]) -> str:
    rc = change.get("ResourceChange", {})
    kind = FRIENDLY_TYPES.get(rc.get("ResourceType", ""), rc.get("ResourceType", "resource"))
    name = rc.get("LogicalResourceId", "?")
    action = rc.get("Action", "")
    if action == "Add":
        return f"add {kind} {name}"
    if action == "Remove":
        return f"remove {kind} {name}"
    if action == "Modify":
        replacement = rc.get("Replacement")
        verb = "replace" if replacement == "True" else "update"
        what = sorted(
            {
                d["Target"].get("Name") or d["Target"].get("Attribute", "")
                for d in rc.get("Details", [])
                if d.get("Target")
            }
            - {""}
        )
        text = f"{verb} {kind} {name}" + (f" ({', '.join(what)})" if what else "")
        return text + (", which may replace it" if replacement == "Conditional" else "")
    return f"{action.lower() or 'change'} {kind} {name}"


def _changes(cfn: Any, stack: str, change_set: str) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []
    token = None
    while True:
        extra: dict[str, str] = {"NextToken": token} if token else {}
        page = cfn.describe_change_set(StackName=stack, ChangeSetName=change_set, **extra)
        changes.extend(page.get("Changes", []))
        token = page.get("NextToken")
        if not token:
            return changes


def _threatens(change: dict[str, Any], protected: Iterable[str]) -> bool:
    rc = change.get("ResourceChange", {})
    if rc.get("LogicalResourceId") not in protected:
        return False
    return rc.get("Action") == "Remove" or rc.get("Replacement") in ("True", "Conditional")


def _events(cfn: Any, name: str) -> list[dict[str, Any]]:
    try:
        return cfn.describe_stack_events(StackName=name).get("StackEvents", [])
    except ClientError as exc:
        if "does not exist" in exc.response.get("Error", {}).get("Message", ""):
            return []  # deleted between two polls
        raise


def follow(cfn: Any, name: str, say: Say, wait: Wait, doing: str) -> tuple[dict[str, Any] | None, EventLog]:
    """Print the stack's events until it stops being *_IN_PROGRESS; its final state (None: deleted).
    Ctrl-C stops following, never CloudFormation: the Interrupted error says so and how to resume."""
    log = EventLog(name, say)
    try:
        for poll in range(wait.polls):
            stack = describe_stack(cfn, name)
            log.take(_events(cfn, name))
            if stack is None:
                return None, log
            status = stack["StackStatus"]
            # Right after an execute, the stack may still show its state from before (REVIEW_IN_PROGRESS, or
            # the last update's COMPLETE): an end counts once this operation's start event was seen.
            ended = not status.endswith("_IN_PROGRESS")
            if ended and (log.started or poll >= FIRST_EVENT_POLLS):
                return stack, log
            wait.sleep(wait.delay)
    except KeyboardInterrupt:
        raise Interrupted(
            "",
            f"interrupted while CloudFormation was {doing} {name}. CloudFormation carries on without "
            "wowcard (watch it in the CloudFormation console); run the same command again: it follows the "
            "stack to its end and continues from there",
        ) from None
    raise DeployError(
        "",
        f"{name} is still {doing} after an hour; CloudFormation carries on: run the same command again "
        "later to follow it and continue",
    )


def settle(cfn: Any, name: str, say: Say, wait: Wait) -> dict[str, Any] | None:
    """The stack, ready for a change set: one left busy by an interrupted run is followed to its end first,
    and one left by a failed first create is deleted. None when there is (now) no stack."""
    stack = describe_stack(cfn, name)
    status = stack["StackStatus"] if stack else None
    if status and status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
        say(f"      {name} is {status} (an earlier run was interrupted, or one is running): following it")
        stack, _ = follow(cfn, name, say, wait, "finishing")
        status = stack["StackStatus"] if stack else None
    if status == "ROLLBACK_COMPLETE":
        say(f"      {name} is left over from a first deploy that failed; deleting it before trying again")
        delete_stack(cfn, name, say, wait)
        return None
    if status and status not in STABLE and status != "REVIEW_IN_PROGRESS":
        raise DeployError(
            "",
            f"{name} is in state {status}: CloudFormation needs a hand there (in its console, 'Continue "
            "update rollback' or delete the stack), then run this again",
        )
    return stack


@dataclass(frozen=True)
class StackChange:
    """One stack as the deploy wants it. `parameters(exists)` knows whether the stack already exists."""

    name: str
    template: dict[str, Any]
    parameters: Callable[[bool], list[dict[str, Any]]]
    tags: list[dict[str, str]]
    protected: frozenset[str] = frozenset()
    template_url: Callable[[], str | None] = field(default=lambda: None)


def deploy_stack(cfn: Any, change: StackChange, say: Say, wait: Wait, dry_run: bool = False) -> StackResult:
    """Create or update a stack through a change set printed in words; an empty change set changes nothing.
    A dry run says what would happen, calling only Describe and Get."""
    if dry_run:
        stack = describe_stack(cfn, change.name)
        say(f"      {stack_plan(cfn, stack, change.template, change.parameters(stack is not None))}")
        return StackResult(change.name, outputs_of(stack), changed=False, created=stack is None)
    name = change.name
    stack = settle(cfn, name, say, wait)
    creating = stack is None or stack["StackStatus"] == "REVIEW_IN_PROGRESS"
    change_set = time.strftime("wowcard-%Y%m%d-%H%M%S", time.gmtime())
    url = change.template_url()
    body = {"TemplateURL": url} if url else {"TemplateBody": template_json(change.template)}
    cfn.create_change_set(
        StackName=name,
        ChangeSetName=change_set,
        ChangeSetType="CREATE" if creating else "UPDATE",
        Parameters=change.parameters(not creating),
        Capabilities=CAPABILITIES,
        Tags=change.tags,
        **body,
    )
    try:
        cfn.get_waiter("change_set_create_complete").wait(
            StackName=name, ChangeSetName=change_set, WaiterConfig={"Delay": 2, "MaxAttempts": 150}
        )
    except WaiterError as exc:
        reason = exc.last_response.get("StatusReason", "") if isinstance(exc.last_response, dict) else ""
        if any(marker in reason for marker in NO_CHANGES):
            cfn.delete_change_set(StackName=name, ChangeSetName=change_set)
            say(f"      {name}: no changes")
            return StackResult(name, outputs_of(stack), changed=False)
        raise DeployError(
            "", f"CloudFormation could not plan the change: {reason or in_words(exc)}"
        ) from None
    changes = _changes(cfn, name, change_set)
    for item in changes:
        say(f"      {change_words(item)}")
    threats = [c for c in changes if _threatens(c, change.protected)]
    if threats:
        cfn.delete_change_set(StackName=name, ChangeSetName=change_set)
        raise DeployError(
            "",
            f"refused to {change_words(threats[0])}: that would lose the survey's responses. Nothing was "
            "changed; if this is really wanted, export the data, then destroy the stack with --delete-data",
        )
    cfn.execute_change_set(StackName=name, ChangeSetName=change_set)
    doing = "creating" if creating else "updating"
    slow = creating and "Distribution" in change.template.get("Resources", {})
    say(f"      CloudFormation is {doing} {name}" + (" (CloudFront takes 5-15 minutes)" if slow else ""))
    final, log = follow(cfn, name, say, wait, doing)
    status = (final or {}).get("StackStatus", "DELETE_COMPLETE")
    if status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        verb = "was rolled back" if "ROLLBACK" in status else f"ended in {status}"
        raise DeployError("", f"{name} {verb}: {explain(log.first_failure)}")
    return StackResult(name, outputs_of(final), changed=True, created=creating)


def delete_stack(cfn: Any, name: str, say: Say, wait: Wait) -> None:
    cfn.delete_stack(StackName=name)
    say(f"      CloudFormation is deleting {name}")
    final, log = follow(cfn, name, say, wait, "deleting")
    if final is not None:
        raise DeployError("", f"{name} could not be deleted: {explain(log.first_failure)}")


def template_json(template: dict[str, Any]) -> str:
    return json.dumps(template, separators=(",", ":"), ensure_ascii=False)


def canonical(document: Any) -> str:
    if isinstance(document, str):
        document = json.loads(document)
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def stack_plan(
    cfn: Any, stack: dict[str, Any] | None, template: dict[str, Any], parameters: list[dict[str, Any]]
) -> str:
    """What deploying would do to a stack, read-only: create, nothing, or update (and why)."""
    if stack is None:
        return "would be created"
    status = stack["StackStatus"]
    if status == "ROLLBACK_COMPLETE":
        return "would be deleted (a failed first deploy) and created again"
    if status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
        return f"is {status}: deploy would follow it to its end first, then plan again"
    deployed = cfn.get_template(StackName=stack["StackName"], TemplateStage="Original")["TemplateBody"]
    reasons = []
    if canonical(deployed) != canonical(template):
        reasons.append("its template changed")
    current = {p["ParameterKey"]: p.get("ParameterValue") for p in stack.get("Parameters", [])}
    for param in parameters:
        was = current.get(param["ParameterKey"])
        if "ParameterValue" in param and was != HIDDEN and was != param["ParameterValue"]:
            reasons.append(f"{param['ParameterKey']} changes")
    return f"would be updated: {', '.join(reasons)}" if reasons else "unchanged"
