"""`wowcard deploy`, `wowcard destroy` and `stage_outputs`: the survey on AWS, from nothing to working pages,
with the state kept in CloudFormation rather than in a file on one laptop.

deploy: AWS account → package (the same templates and bundle `wowcard package` writes) → data stack → Lambda
bundle → app stack → publish the survey definition → build the pages and sync them to the pages bucket.
Every stack change goes through a change set that is printed in words before it runs; an empty change set
means "nothing to do", a bundle is stored under its own hash, and a page is uploaded only when its MD5 differs
from the object's ETag, so re-running with nothing changed changes nothing. Any step can fail and be re-run:
CloudFormation rolls a failed change back by itself, and every later step is idempotent.

Credentials and region come from boto3's standard chain (`--profile`, `--region`, environment, ~/.aws);
nothing secret is written anywhere but one place: with `[alerts]` in survey.toml, the webhook URL (read from
the environment variable survey.toml names, or given there) goes into an SSM SecureString parameter that only
the alert sender may read. Templates, outputs and this tool's messages name the parameter, never its value.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ProfileNotFound, WaiterError

from . import package as packaging
from .aws_templates import Limits, Names
from .collector.survey import Survey

Say = Callable[[str], None]

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
MAX_TEMPLATE_BODY = 51_200  # bytes CloudFormation accepts inline; larger templates go through S3
PAGE_CACHE = "public, max-age=300"  # pages change with the survey: a cached page is at most 5 minutes old
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"  # only for names that carry a content hash
HASHED_NAME = re.compile(r"\.[0-9a-f]{8,}\.[A-Za-z0-9]+$")
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".pdf": "application/pdf",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml",
    ".webmanifest": "application/manifest+json",
}
STABLE = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE")
STARTS = ("CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "DELETE_IN_PROGRESS", "IMPORT_IN_PROGRESS")
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")
FRIENDLY_TYPES = {
    "AWS::ApiGateway::Deployment": "API deployment",
    "AWS::ApiGateway::RestApi": "REST API",
    "AWS::ApiGateway::Stage": "API stage",
    "AWS::Budgets::Budget": "budget",
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
}
# What the data stack must never lose: a change set that removes or replaces it is refused before it runs.
PROTECTED = frozenset({"Table"})
HINTS = {
    "ExpiredToken": "your AWS session has expired: sign in again (for example `aws sso login`)",
    "ExpiredTokenException": "your AWS session has expired: sign in again (for example `aws sso login`)",
    "InvalidClientTokenId": "the access key is not valid: check `aws configure list`",
    "SignatureDoesNotMatch": "the secret key does not match the access key: check `aws configure list`",
    "AccessDenied": "the identity in use may not do this; deploying needs CloudFormation, IAM, S3, Lambda, "
    "API Gateway, CloudFront, DynamoDB, Logs, Budgets and (with [alerts]) SSM permissions",
    "AccessDeniedException": "the identity in use may not do this; deploying needs CloudFormation, IAM, S3, "
    "Lambda, API Gateway, CloudFront, DynamoDB, Logs, Budgets and (with [alerts]) SSM permissions",
}


class DeployError(Exception):
    """A step that failed: which step, the AWS error in words, and whether re-running is safe."""

    exit_code = 1

    def __init__(self, step: str, message: str, rerun: str | None = None):
        self.step = step
        self.message = message
        self.rerun = rerun
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.step}: {self.message}" if self.step else self.message
        return f"{text}\n{self.rerun}" if self.rerun else text


class AwsSetupError(DeployError):
    """No region, an unknown profile, a bad stage name: input the user can fix (exit 2)."""

    exit_code = 2


# --- AWS access ---------------------------------------------------------------------------------------------


@dataclass
class Aws:
    """One boto3 session and the clients made from it (tests put a stubbed CloudFormation client here)."""

    session: boto3.session.Session
    profile: str | None = None
    clients: dict[str, Any] = field(default_factory=dict)

    @property
    def region(self) -> str:
        return self.session.region_name

    def client(self, service: str) -> Any:
        if service not in self.clients:
            retries = Config(retries={"mode": "standard", "max_attempts": 8})
            self.clients[service] = self.session.client(service, config=retries)
        return self.clients[service]


def connect(region: str | None = None, profile: str | None = None) -> Aws:
    try:
        session = boto3.session.Session(profile_name=profile, region_name=region)
    except ProfileNotFound as exc:
        raise AwsSetupError("", f"--profile: {exc} (see `aws configure list-profiles`)") from None
    except BotoCoreError as exc:  # a malformed ~/.aws/config, for one
        raise AwsSetupError("", f"the AWS configuration cannot be read: {exc}") from None
    if not session.region_name:
        raise AwsSetupError(
            "", "no AWS region: pass --region (for example --region eu-west-2) or set AWS_REGION"
        )
    return Aws(session, profile)


def in_words(exc: BaseException) -> str:
    """An AWS failure as one sentence a person can act on."""
    if isinstance(exc, NoCredentialsError):
        return "no AWS credentials found: run `aws configure` (or `aws sso login`), or pass --profile"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code, message = error.get("Code", "Error"), error.get("Message", "")
        text = f"AWS answered {code}: {message}".rstrip(": ")
        hint = HINTS.get(code)
        if "UnreservedConcurrentExecution" in message:
            hint = (
                "the account's Lambda concurrency quota is too small to reserve any; ask Service Quotas for "
                "more, or deploy with --reserved-concurrency 0 (the API throttle still caps the bill)"
            )
        return f"{text} ({hint})" if hint else text
    if isinstance(exc, WaiterError):
        last = exc.last_response if isinstance(exc.last_response, dict) else {}
        return f"AWS did not finish in time: {last.get('Error', {}).get('Message') or exc}"
    return str(exc) or type(exc).__name__


class Steps:
    """Numbered progress, and the one place an exception becomes "step N failed: why; re-running is safe"."""

    def __init__(self, say: Say, total: int, rerun: str):
        self.say = say
        self.total = total
        self.rerun = rerun
        self.number = 0

    @contextlib.contextmanager
    def step(self, title: str) -> Iterator[None]:
        from .build import BuildError
        from .collector.store import StoreError

        self.number += 1
        where = f"step {self.number}/{self.total} ({title})"
        self.say(f"[{self.number}/{self.total}] {title}")
        try:
            yield
        except AwsSetupError:
            raise
        except DeployError as exc:
            raise DeployError(f"{where} failed", exc.message, exc.rerun or self.rerun) from None
        except BuildError as exc:
            raise AwsSetupError(f"{where} failed", str(exc)) from None
        except (ClientError, BotoCoreError, StoreError, packaging.PackageError) as exc:
            raise DeployError(f"{where} failed", in_words(exc), self.rerun) from None


# --- CloudFormation -----------------------------------------------------------------------------------------


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


def outputs_of(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def stack_tags(names: Names, role: str) -> list[dict[str, str]]:
    stage = names.stage if role == "app" else "-"
    return [
        {"Key": "wowcard:survey", "Value": names.survey},
        {"Key": "wowcard:stage", "Value": stage},
        {"Key": "wowcard:role", "Value": role},
    ]


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
        extra = {"NextToken": token} if token else {}
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


def _failure_reason(cfn: Any, stack: str) -> str:
    """The first resource failure of the latest operation on the stack, in CloudFormation's words."""
    unknown = "see the stack's events in the CloudFormation console"
    try:
        events = cfn.describe_stack_events(StackName=stack)["StackEvents"]  # newest first
    except ClientError:
        return unknown
    latest = []
    for event in events:
        if event.get("LogicalResourceId") == stack and event.get("ResourceStatus") in STARTS:
            break  # where this operation began; older events belong to earlier ones
        latest.append(event)
    failed = [
        e
        for e in latest
        if e.get("ResourceStatus", "").endswith("FAILED")
        and "cancelled" not in e.get("ResourceStatusReason", "")
    ]
    if not failed:
        return unknown
    first = failed[-1]
    kind = FRIENDLY_TYPES.get(first.get("ResourceType", ""), first.get("ResourceType", ""))
    return f"{kind} {first.get('LogicalResourceId')}: {first.get('ResourceStatusReason', 'failed')}"


def deploy_stack(
    cfn: Any,
    name: str,
    template: dict[str, Any],
    parameters: Callable[[bool], list[dict[str, Any]]],
    tags: list[dict[str, str]],
    say: Say,
    protected: Iterable[str] = (),
    template_url: str | None = None,
    wait_delay: int = 10,
) -> StackResult:
    """Create or update a stack through a change set printed in words; an empty change set changes nothing.
    `parameters(exists)` gives the stack parameters, knowing whether the stack already exists."""
    stack = describe_stack(cfn, name)
    status = stack["StackStatus"] if stack else None
    if status == "ROLLBACK_COMPLETE":
        say(f"      {name} is left over from a first deploy that failed; deleting it before trying again")
        cfn.delete_stack(StackName=name)
        _wait(cfn, "stack_delete_complete", name, wait_delay)
        stack, status = None, None
    elif status and status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
        raise DeployError("", f"{name} is busy ({status}); wait for it to finish, then run this again")
    elif status and status not in STABLE and status != "REVIEW_IN_PROGRESS":
        raise DeployError("", f"{name} is in state {status}; fix it in the CloudFormation console first")
    creating = stack is None or status == "REVIEW_IN_PROGRESS"
    change_set = time.strftime("wowcard-%Y%m%d-%H%M%S", time.gmtime())
    body = {"TemplateURL": template_url} if template_url else {"TemplateBody": template_json(template)}
    cfn.create_change_set(
        StackName=name,
        ChangeSetName=change_set,
        ChangeSetType="CREATE" if creating else "UPDATE",
        Parameters=parameters(not creating),
        Capabilities=CAPABILITIES,
        Tags=tags,
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
            return StackResult(name, outputs_of(stack or {}), changed=False)
        raise DeployError(
            "", f"CloudFormation could not plan the change: {reason or in_words(exc)}"
        ) from None
    changes = _changes(cfn, name, change_set)
    for change in changes:
        say(f"      {change_words(change)}")
    threats = [c for c in changes if _threatens(c, protected)]
    if threats:
        cfn.delete_change_set(StackName=name, ChangeSetName=change_set)
        raise DeployError(
            "",
            f"refused to {change_words(threats[0])}: that would lose the survey's responses. Nothing was "
            "changed; if this is really wanted, export the data, then destroy the stack with --delete-data",
        )
    cfn.execute_change_set(StackName=name, ChangeSetName=change_set)
    say(
        f"      waiting for CloudFormation to {'create' if creating else 'update'} {name}"
        + (
            " (CloudFront takes 5-15 minutes)"
            if creating and "Distribution" in template.get("Resources", {})
            else ""
        )
    )
    try:
        _wait(cfn, "stack_create_complete" if creating else "stack_update_complete", name, wait_delay)
    except WaiterError:
        raise DeployError("", f"{name} was rolled back: {_failure_reason(cfn, name)}") from None
    final = describe_stack(cfn, name) or {}
    if final.get("StackStatus") not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        raise DeployError("", f"{name} ended in {final.get('StackStatus')}: {_failure_reason(cfn, name)}")
    return StackResult(name, outputs_of(final), changed=True, created=creating)


def _wait(cfn: Any, waiter: str, name: str, delay: int) -> None:
    cfn.get_waiter(waiter).wait(StackName=name, WaiterConfig={"Delay": delay, "MaxAttempts": 3600 // delay})


def template_json(template: dict[str, Any]) -> str:
    return json.dumps(template, separators=(",", ":"), ensure_ascii=False)


def app_template(pkg: packaging.Package, bucket: str, key: str) -> dict[str, Any]:
    """The packaged SAM template with the bundle's local path replaced by its S3 location (what `aws
    cloudformation package` does)."""
    template = pkg.load(packaging.APP_TEMPLATE)
    for resource in template["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = {"Bucket": bucket, "Key": key}
    return template


def app_parameters(
    table: str, budget_email: str | None, budget_usd: int | None, exists: bool
) -> list[dict[str, Any]]:
    """Budget settings not given on this run keep what the stack has (UsePreviousValue)."""
    params: list[dict[str, Any]] = [{"ParameterKey": "TableName", "ParameterValue": table}]
    for key, value in (("BudgetEmail", budget_email), ("BudgetAmount", budget_usd)):
        if value is not None:
            params.append({"ParameterKey": key, "ParameterValue": str(value)})
        elif exists:
            params.append({"ParameterKey": key, "UsePreviousValue": True})
    return params


# --- S3: the bundle and the pages ---------------------------------------------------------------------------


def bundle_key(pkg: packaging.Package) -> str:
    return f"lambda/{pkg.names.stage}/{pkg.bundle_sha256()}.zip"


def object_exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def upload_bundle(s3: Any, bucket: str, pkg: packaging.Package, say: Say) -> str:
    key = bundle_key(pkg)
    size = pkg.bundle.stat().st_size
    shown = f"bundle {key.rsplit('/', 1)[-1][:12]} ({size / 1024:.1f} KB)"
    if object_exists(s3, bucket, key):
        say(f"      {shown} is already uploaded")
    else:
        s3.put_object(Bucket=bucket, Key=key, Body=pkg.bundle.read_bytes(), ContentType="application/zip")
        say(f"      uploaded {shown}")
    return key


def template_location(s3: Any, bucket: str, region: str, template: dict[str, Any]) -> str | None:
    """None while the template fits inline; otherwise the S3 URL of a copy stored under its hash."""
    body = template_json(template).encode("utf-8")
    if len(body) <= MAX_TEMPLATE_BODY:
        return None
    key = f"templates/{hashlib.sha256(body).hexdigest()}.json"
    if not object_exists(s3, bucket, key):
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    return f"https://{bucket}.s3.{region}.amazonaws.com/{key}"


@dataclass(frozen=True, slots=True)
class PageObject:
    key: str
    path: Path
    md5: str
    content_type: str
    cache_control: str


@dataclass(frozen=True, slots=True)
class SyncPlan:
    upload: list[PageObject]
    delete: list[str]
    keep: list[str]

    @property
    def changed(self) -> bool:
        return bool(self.upload or self.delete)

    def words(self) -> str:
        return f"{len(self.upload)} to upload, {len(self.delete)} to remove, {len(self.keep)} unchanged"


def object_headers(key: str) -> tuple[str, str]:
    """Content-Type and Cache-Control for a key. Pages are not precompressed: CloudFront compresses per viewer
    (brotli or gzip, as the browser asks), so no object carries a Content-Encoding some client cannot read."""
    suffix = Path(key).suffix.lower()
    content_type = CONTENT_TYPES.get(suffix, "application/octet-stream")
    return content_type, IMMUTABLE_CACHE if HASHED_NAME.search(key) else PAGE_CACHE


def page_objects(out: Path, files: Iterable[str], prefix: str) -> list[PageObject]:
    """The built files (paths relative to `out`) as objects under `prefix` (the site URL's path, if any)."""
    objects = []
    for relative in sorted(files):
        path = out / relative
        key = f"{prefix}/{relative}" if prefix else relative
        content_type, cache_control = object_headers(key)
        md5 = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
        objects.append(PageObject(key, path, md5, content_type, cache_control))
    return objects


def remote_objects(s3: Any, bucket: str, prefix: str) -> dict[str, str]:
    """Key → ETag (the MD5 of a single-part, SSE-S3 object) of everything under `prefix`."""
    found: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            found[item["Key"]] = item["ETag"].strip('"')
    return found


def plan_sync(local: list[PageObject], remote: dict[str, str]) -> SyncPlan:
    wanted = {obj.key for obj in local}
    upload = [obj for obj in local if remote.get(obj.key) != obj.md5]
    keep = [obj.key for obj in local if remote.get(obj.key) == obj.md5]
    return SyncPlan(upload, sorted(set(remote) - wanted), keep)


def apply_sync(s3: Any, bucket: str, plan: SyncPlan) -> None:
    for obj in plan.upload:
        s3.put_object(
            Bucket=bucket,
            Key=obj.key,
            Body=obj.path.read_bytes(),
            ContentType=obj.content_type,
            CacheControl=obj.cache_control,
        )
    delete_keys(s3, bucket, plan.delete)


def delete_keys(s3: Any, bucket: str, keys: list[str]) -> None:
    for start in range(0, len(keys), 1000):
        batch = [{"Key": key} for key in keys[start : start + 1000]]
        answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        errors = answer.get("Errors", [])
        if errors:
            first = errors[0]
            raise DeployError(
                "", f"could not remove {first.get('Key')}: {first.get('Code')} {first.get('Message')}"
            )


def empty_bucket(s3: Any, bucket: str) -> int:
    try:
        keys = list(remote_objects(s3, bucket, ""))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchBucket":
            return 0
        raise
    delete_keys(s3, bucket, keys)
    return len(keys)


def site_prefix(site_url: str) -> str:
    """The path part of the site URL: pages of https://example.com/surveys live under surveys/."""
    return urlsplit(site_url).path.strip("/")


def built_files(result: Any) -> list[str]:
    """What a build wrote, relative to its output folder: its pages and survey.json (not its manifest)."""
    files = [page.path for page in result.pages]
    if result.definition is not None:
        files.append(result.definition.relative_to(result.out).as_posix())
    return files


# --- deploy -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Deployment:
    names: Names
    region: str
    site_url: str
    api_url: str
    table: str
    version: str
    published: bool
    pages: SyncPlan
    survey_urls: list[str]
    stacks_changed: bool
    app_created: bool


DEPLOY_RERUN = (
    "Nothing is left half-done (CloudFormation rolls back a failed change); "
    "running `wowcard deploy` again is safe."
)


def deploy(
    survey: Survey,
    aws: Aws,
    stage: str,
    limits: Limits | None = None,
    budget_email: str | None = None,
    budget_usd: int | None = None,
    say: Say = print,
    wait_delay: int = 10,
) -> Deployment:
    names = Names(survey.id, stage)
    limits = limits or Limits()
    webhook = webhook_url(survey)  # before anything changes: a missing variable is the owner's to fix
    steps = Steps(say, 7 if webhook is None else 8, DEPLOY_RERUN)
    cfn, s3 = aws.client("cloudformation"), aws.client("s3")
    with steps.step("AWS account"):
        account = aws.client("sts").get_caller_identity()["Account"]
        say(f"      account {account}, region {aws.region}")
    with tempfile.TemporaryDirectory(prefix="wowcard-deploy-") as tmp:
        with steps.step("Package the collector"):
            pkg = packaging.package(
                names, Path(tmp) / "package", limits, region=aws.region, alerts=webhook is not None
            )
            say(f"      templates and a {pkg.bundle.stat().st_size / 1024:.1f} KB bundle")
        with steps.step(f"Data stack {names.data_stack}"):
            data = deploy_stack(
                cfn,
                names.data_stack,
                pkg.load(packaging.DATA_TEMPLATE),
                lambda exists: [],
                stack_tags(names, "data"),
                say,
                PROTECTED,
                wait_delay=wait_delay,
            )
            bucket, table = data.outputs["ArtifactsBucket"], data.outputs["TableName"]
        with steps.step("Lambda bundle"):
            key = upload_bundle(s3, bucket, pkg, say)
        if webhook is not None:
            with steps.step("Alert webhook"):
                changed = store_webhook(aws.client("ssm"), names, webhook)
                state = "stored" if changed else "unchanged"
                say(f"      {state} in SSM parameter {names.webhook_parameter} (SecureString)")
        with steps.step(f"App stack {names.app_stack}"):
            template = app_template(pkg, bucket, key)
            app = deploy_stack(
                cfn,
                names.app_stack,
                template,
                lambda exists: app_parameters(table, budget_email, budget_usd, exists),
                stack_tags(names, "app"),
                say,
                template_url=template_location(s3, bucket, aws.region, template),
                wait_delay=wait_delay,
            )
        site_url = survey.site_url or app.outputs["SiteURL"]
        effective = replace(survey, site_url=site_url)
        definition = effective.definition()
        with steps.step("Survey definition"):
            published = publish(aws, table, effective, definition.to_json())
            say(
                f"      version {definition.version} "
                + ("published" if published else "was already published")
            )
        with steps.step("Pages"):
            versions = published_versions(aws, table, effective)  # their pages stay, as hand-offs
            bucket = app.outputs["PagesBucket"]
            plan = sync_site(aws, effective, bucket, Path(tmp) / "site", dry_run=False, published=versions)
            say(f"      {plan.words()}")
    prefix = f"{site_url}/{survey.id}"
    return Deployment(
        names=names,
        region=aws.region,
        site_url=site_url,
        api_url=app.outputs.get("ApiURL", ""),
        table=table,
        version=definition.version,
        published=published,
        pages=plan,
        survey_urls=[f"{prefix}/{loc.id}/" for loc in survey.locations],
        stacks_changed=data.changed or app.changed,
        app_created=app.created,
    )


def webhook_url(survey: Survey) -> str | None:
    """The alert webhook URL to store, or None without [alerts]. "env:NAME" is read from this shell's
    environment now; a variable that is not set is input the owner can fix (exit 2). The message names the
    variable, never a URL."""
    if survey.alerts is None:
        return None
    from .collector.survey import webhook_url_problem

    name = survey.alerts.webhook_env
    url = os.environ.get(name, "").strip() if name else survey.alerts.webhook
    if not url:
        raise AwsSetupError(
            "",
            f"[alerts] webhook says env:{name}, but {name} is not set in this shell: "
            f"export {name}=https://… (the Slack or Teams incoming-webhook URL), then deploy again",
        )
    problem = webhook_url_problem(url)
    if problem is not None:
        where = f"the environment variable {name}" if name else "[alerts] webhook"
        raise AwsSetupError("", f"the webhook in {where} {problem}; its value is not shown")
    return url


def store_webhook(ssm: Any, names: Names, url: str) -> bool:
    """Put the webhook URL in its SSM SecureString parameter (the account's default key, aws/ssm). Returns
    False when it already held that URL (nothing written, no new parameter version)."""
    try:
        current = ssm.get_parameter(Name=names.webhook_parameter, WithDecryption=True)["Parameter"]["Value"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ParameterNotFound":
            raise
        current = None
    if current == url:
        return False
    try:
        ssm.put_parameter(
            Name=names.webhook_parameter,
            Description=f"wowcard alert webhook of survey {names.survey}, stage {names.stage}",
            Value=url,
            Type="SecureString",
            Overwrite=True,
        )
    except ClientError as exc:
        # Some AWS validation messages quote the value: say only which parameter and the error's code.
        code = exc.response.get("Error", {}).get("Code", "Error")
        hint = HINTS.get(code)
        raise DeployError(
            "",
            f"AWS refused to store SSM parameter {names.webhook_parameter}: {code} (the value is not shown)"
            + (f" ({hint})" if hint else ""),
        ) from None
    return True


def delete_webhook(ssm: Any, names: Names) -> bool:
    """Remove the stage's webhook parameter; False when there was none."""
    try:
        ssm.delete_parameter(Name=names.webhook_parameter)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ParameterNotFound":
            return False
        raise
    return True


def publish(aws: Aws, table: str, survey: Survey, definition: dict[str, Any]) -> bool:
    from .collector.store import open_store

    store = open_store(f"dynamodb:{table}", str(survey.folder), region=aws.region, profile=aws.profile)
    try:
        return store.publish(definition)
    finally:
        store.close()


def published_versions(aws: Aws, table: str, survey: Survey) -> list[Any]:
    """Every definition version published to the stage's table: the build keeps their pages (hand-offs for
    people and locations that left), since a printed URL is forever."""
    from .collector.names import readable
    from .collector.store import open_store

    store = open_store(f"dynamodb:{table}", str(survey.folder), region=aws.region, profile=aws.profile)
    try:
        return readable(store.definitions(survey.id))
    finally:
        store.close()


def sync_site(
    aws: Aws, survey: Survey, bucket: str | None, out: Path, dry_run: bool, published: Iterable[Any] = ()
) -> SyncPlan:
    """Build the pages into `out` (keeping the pages of `published` versions as hand-offs) and bring the
    bucket to exactly them (or only plan it)."""
    from .build import build_site

    result = build_site(survey, out=out, published=published)
    prefix = site_prefix(survey.site_url or "")
    local = page_objects(out, built_files(result), prefix)
    s3 = aws.client("s3")
    remote_prefix = f"{prefix}/{survey.id}/" if prefix else f"{survey.id}/"
    remote = remote_objects(s3, bucket, remote_prefix) if bucket else {}
    plan = plan_sync(local, remote)
    if not dry_run:
        apply_sync(s3, bucket, plan)
    return plan


# --- the plan (--dry-run) -----------------------------------------------------------------------------------


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
    deployed = cfn.get_template(StackName=stack["StackName"], TemplateStage="Original")["TemplateBody"]
    reasons = []
    if canonical(deployed) != canonical(template):
        reasons.append("its template changed")
    current = {p["ParameterKey"]: p.get("ParameterValue") for p in stack.get("Parameters", [])}
    for param in parameters:
        if "ParameterValue" in param and current.get(param["ParameterKey"]) != param["ParameterValue"]:
            reasons.append(f"{param['ParameterKey']} changes")
    return f"would be updated: {', '.join(reasons)}" if reasons else "unchanged"


def plan(
    survey: Survey,
    aws: Aws,
    stage: str,
    limits: Limits | None = None,
    budget_email: str | None = None,
    budget_usd: int | None = None,
    say: Say = print,
) -> None:
    """Print what `deploy` would do, creating and changing nothing (only Describe/Get/List/Head calls)."""
    names = Names(survey.id, stage)
    limits = limits or Limits()
    webhook = webhook_url(survey)
    steps = Steps(say, 6, "Nothing was created or changed.")
    cfn, s3 = aws.client("cloudformation"), aws.client("s3")
    with steps.step("AWS account"):
        account = aws.client("sts").get_caller_identity()["Account"]
        say(f"      account {account}, region {aws.region}")
    with tempfile.TemporaryDirectory(prefix="wowcard-plan-") as tmp:
        with steps.step("Package the collector"):
            pkg = packaging.package(
                names, Path(tmp) / "package", limits, region=aws.region, alerts=webhook is not None
            )
            if webhook is not None:
                say(f"      the alert webhook would be stored in SSM parameter {names.webhook_parameter}")
            say(f"      templates and a {pkg.bundle.stat().st_size / 1024:.1f} KB bundle")
        with steps.step(f"Data stack {names.data_stack}"):
            data = describe_stack(cfn, names.data_stack)
            say(f"      {stack_plan(cfn, data, pkg.load(packaging.DATA_TEMPLATE), [])}")
            outputs = outputs_of(data or {})
            bucket, table = outputs.get("ArtifactsBucket"), outputs.get("TableName")
        with steps.step(f"Lambda bundle and app stack {names.app_stack}"):
            key = bundle_key(pkg)
            there = bool(bucket) and object_exists(s3, bucket, key)
            shown = key.rsplit("/", 1)[-1][:12]
            say(f"      bundle {shown}: " + ("already uploaded" if there else "would be uploaded"))
            app = describe_stack(cfn, names.app_stack)
            if bucket and table:
                params = app_parameters(table, budget_email, budget_usd, app is not None)
                say(f"      app stack {stack_plan(cfn, app, app_template(pkg, bucket, key), params)}")
            else:
                say("      app stack " + ("would be created" if app is None else "would be updated"))
        app_outputs = outputs_of(app or {})
        site_url = survey.site_url or app_outputs.get("SiteURL")
        effective = replace(survey, site_url=site_url)
        with steps.step("Survey definition"):
            if site_url is None:
                say("      would be published once CloudFront's address is known")
            else:
                version = effective.definition().version
                known = table is not None and is_published(aws, table, effective, version)
                say(f"      version {version} " + ("is already published" if known else "would be published"))
        with steps.step("Pages"):
            sync = sync_site(aws, effective, app_outputs.get("PagesBucket"), Path(tmp) / "site", dry_run=True)
            say(f"      {sync.words()}")
    say("Dry run: nothing was created or changed.")


def is_published(aws: Aws, table: str, survey: Survey, version: str) -> bool:
    from .collector.store import open_store

    store = open_store(f"dynamodb:{table}", str(survey.folder), region=aws.region, profile=aws.profile)
    try:
        return store.definition(survey.id, version) is not None
    finally:
        store.close()


# --- destroy ------------------------------------------------------------------------------------------------

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
    wait_delay: int = 10,
) -> list[str]:
    """Delete the stage's app stack after `confirm`; with `delete_data`, also the survey's data stack and its
    table, only when no other stage uses them and `type_back` returns the survey id. Returns what was
    deleted."""
    names = Names(survey_id, stage)
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
            delete_stack(cfn, names.app_stack, say, wait_delay)
            deleted.append(names.app_stack)
        if delete_webhook(aws.client("ssm"), names):
            say(f"      removed the alert webhook (SSM parameter {names.webhook_parameter})")
    if data is not None:
        with steps.step(f"Data stack {names.data_stack} and table {table}"):
            artifacts = outputs_of(data).get("ArtifactsBucket")
            if artifacts:
                say(f"      removed {empty_bucket(s3, artifacts)} bundles from the artifacts bucket")
            delete_stack(cfn, names.data_stack, say, wait_delay)  # the table is retained by its policy...
            delete_table(aws.client("dynamodb"), table, say)  # ...so it goes explicitly, last
            deleted += [names.data_stack, table]
    return deleted


def delete_stack(cfn: Any, name: str, say: Say, wait_delay: int) -> None:
    cfn.delete_stack(StackName=name)
    say(f"      waiting for CloudFormation to delete {name}")
    try:
        _wait(cfn, "stack_delete_complete", name, wait_delay)
    except WaiterError:
        raise DeployError("", f"{name} could not be deleted: {_failure_reason(cfn, name)}") from None


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


# --- what other commands read -------------------------------------------------------------------------------


def stage_outputs(
    survey_id: str, stage: str, region: str | None = None, profile: str | None = None, aws: Aws | None = None
) -> dict[str, str]:
    """Where a deployed stage lives, from its stacks' outputs: `table`, `store_url` ("dynamodb:TABLE"),
    `site_url`, `api_url`, `pages_bucket`, `distribution_id`, `region`. Raises DeployError when the stage is
    not deployed there (exit 1) and AwsSetupError for a missing region or unknown profile (exit 2)."""
    try:
        names = Names(survey_id, stage)
    except ValueError as exc:
        raise AwsSetupError("", f"--stage: {exc}") from None
    aws = aws or connect(region, profile)
    cfn = aws.client("cloudformation")
    try:
        app = describe_stack(cfn, names.app_stack)
    except (ClientError, BotoCoreError) as exc:
        raise DeployError("reading the deployed stage", in_words(exc)) from None
    if app is None or app["StackStatus"] not in STABLE:
        state = "is not deployed" if app is None else f"is {app['StackStatus']}"
        raise DeployError(
            "",
            f"stage {stage} of survey {survey_id} {state} in {aws.region}: "
            f"run `wowcard deploy --stage {stage}`"
            + (" (or pass the --region it was deployed to)" if app is None else ""),
        )
    out = outputs_of(app)
    return {
        "region": aws.region,
        "table": out["TableName"],
        "store_url": f"dynamodb:{out['TableName']}",
        "site_url": out["SiteURL"],
        "api_url": out["ApiURL"],
        "pages_bucket": out["PagesBucket"],
        "distribution_id": out["DistributionId"],
    }
