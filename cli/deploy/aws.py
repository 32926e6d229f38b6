"""AWS access for deploy and destroy: the session and its clients, the two kinds of failure (DeployError, exit
1; AwsSetupError, exit 2), an AWS answer in words, and numbered steps that turn any failure into
"step N (title) failed: why" plus what re-running does.

Every AWS answer wowcard does not expect — an error code, a throttle, an answer botocore cannot parse (a 500
with an HTML body), a missing stack output — ends as one of these two errors, never as a traceback.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ProfileNotFound, WaiterError
from botocore.parsers import ResponseParserError

Say = Callable[[str], None]

# Every exception an AWS call can raise besides ClientError: BotoCoreError covers the network, credentials
# and waiters; ResponseParserError (an answer that is not AWS's XML or JSON, e.g. a proxy's 500 page) is not
# one of them.
AWS_FAILURES = (ClientError, BotoCoreError, ResponseParserError)

PERMISSIONS = (
    "deploying needs CloudFormation, IAM, S3, Lambda, API Gateway, CloudFront, DynamoDB, Logs, Budgets, SSM "
    "and (with [limits] waf) WAF permissions"
)
HINTS = {
    "ExpiredToken": "your AWS session has expired: sign in again (for example `aws sso login`)",
    "ExpiredTokenException": "your AWS session has expired: sign in again (for example `aws sso login`)",
    "InvalidClientTokenId": "the access key is not valid: check `aws configure list`",
    "SignatureDoesNotMatch": "the secret key does not match the access key: check `aws configure list`",
    "AccessDenied": f"the identity in use may not do this; {PERMISSIONS}",
    "AccessDeniedException": f"the identity in use may not do this; {PERMISSIONS}",
    "Throttling": "AWS is throttling this account's API calls; wait a minute and run it again",
    "ThrottlingException": "AWS is throttling this account's API calls; wait a minute and run it again",
}
CONCURRENCY_HINT = (
    "the account's Lambda concurrency quota is too small to reserve any; deploy without "
    "--reserved-concurrency (the API throttle still caps the bill), or ask Service Quotas for more"
)


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


class Interrupted(DeployError):
    """Ctrl-C: what was going on, where things stand, and how to resume."""

    exit_code = 130


@dataclass
class Aws:
    """One boto3 session and the clients made from it (tests put a stubbed CloudFormation client here).
    `client(service, region)` gives a client in another region: CloudFront's WAF lives in us-east-1."""

    session: boto3.session.Session
    profile: str | None = None
    clients: dict[str, Any] = field(default_factory=dict)

    @property
    def region(self) -> str:
        return self.session.region_name

    def client(self, service: str, region: str | None = None) -> Any:
        key = service if region in (None, self.region) else f"{service}@{region}"
        if key not in self.clients:
            attempts = int(os.environ.get("AWS_MAX_ATTEMPTS") or 8)  # boto3's own variable, if set
            retries = Config(retries={"mode": "standard", "max_attempts": attempts})
            self.clients[key] = self.session.client(
                service, region_name=region or self.region, config=retries
            )
        return self.clients[key]


def connect(region: str | None = None, profile: str | None = None) -> Aws:
    """A session from boto3's usual chain (AWS_ENDPOINT_URL, if set, sends every call to one endpoint)."""
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
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        text = f"AWS answered {code}: {message}".rstrip(": ")
        hint = HINTS.get(code)
        if "UnreservedConcurrentExecution" in message:
            hint = CONCURRENCY_HINT
        elif hint is None and isinstance(status, int) and status >= 500:
            hint = "an error on AWS's side; wait a few minutes and run it again"
        return f"{text} ({hint})" if hint else text
    if isinstance(exc, ResponseParserError):
        return (
            "AWS's answer could not be read (the service or a proxy in between answered with something "
            "that is not an AWS response); wait a few minutes and run it again"
        )
    if isinstance(exc, WaiterError):
        last = exc.last_response if isinstance(exc.last_response, dict) else {}
        return f"AWS did not finish in time: {last.get('Error', {}).get('Message') or exc}"
    return str(exc) or type(exc).__name__


def output(outputs: dict[str, str], key: str, stack: str) -> str:
    """A stack output that later steps need; a stack without it is not one wowcard made (or it was edited)."""
    value = outputs.get(key)
    if not value:
        raise DeployError(
            "",
            f"stack {stack} has no output {key}: it was not made by this version of wowcard or was changed "
            f"by hand; delete it in the CloudFormation console (or with `wowcard destroy`) and deploy again",
        )
    return value


class Steps:
    """Numbered progress, and the one place an exception becomes "step N failed: why; re-running is safe"."""

    def __init__(self, say: Say, total: int, rerun: str):
        self.say = say
        self.total = total
        self.rerun = rerun
        self.number = 0

    @contextlib.contextmanager
    def step(self, title: str) -> Iterator[None]:
        from ..build_result import BuildError
        from ..collector.store import StoreError
        from ..package import PackageError

        self.number += 1
        where = f"step {self.number}/{self.total} ({title})"
        self.say(f"[{self.number}/{self.total}] {title}")
        try:
            yield
        except KeyboardInterrupt:
            raise Interrupted(f"{where} interrupted", "stopped by Ctrl-C", self.rerun) from None
        except AwsSetupError:
            raise
        except Interrupted as exc:
            raise Interrupted(f"{where} interrupted", exc.message, exc.rerun) from None
        except DeployError as exc:
            raise DeployError(f"{where} failed", exc.message, exc.rerun or self.rerun) from None
        except BuildError as exc:
            raise AwsSetupError(f"{where} failed", str(exc)) from None
        except (*AWS_FAILURES, StoreError, PackageError) as exc:
            raise DeployError(f"{where} failed", in_words(exc), self.rerun) from None
