"""The stage's secrets in SSM Parameter Store (SecureString, the account's default key): the alert webhook URL
and the origin secret CloudFront adds to every API request. Nothing secret is written anywhere else:
templates, outputs and this tool's messages name a parameter, never its value (the origin secret reaches
CloudFront as a NoEcho stack parameter, which CloudFormation never shows).

Rotating the origin secret (`wowcard deploy --rotate-origin-secret`) writes "NEW OLD" before the app stack is
updated, so the Lambda accepts both while CloudFront's edges switch; once the stack update is complete (every
edge sends NEW), the parameter is set to "NEW" alone. A run interrupted in between leaves both accepted, and
the next deploy finishes the rotation.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ..aws_templates import Names
from ..collector.survey import Survey
from .aws import HINTS, AwsSetupError, DeployError


def webhook_url(survey: Survey) -> str | None:
    """The alert webhook URL to store, or None without [alerts]. "env:NAME" is read from this shell's
    environment now; a variable that is not set is input the owner can fix (exit 2). The message names the
    variable, never a URL."""
    if survey.alerts is None:
        return None
    from ..collector.survey import webhook_url_problem

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
    if _read(ssm, names.webhook_parameter) == url:
        return False
    _write(ssm, names.webhook_parameter, url, _description("alert webhook", names))
    return True


def delete_webhook(ssm: Any, names: Names) -> bool:
    """Remove the stage's webhook parameter; False when there was none."""
    return _delete(ssm, names.webhook_parameter)


def _read(ssm: Any, name: str) -> str | None:
    try:
        return str(ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ParameterNotFound":
            raise
        return None


def _write(ssm: Any, name: str, value: str, description: str) -> None:
    try:
        ssm.put_parameter(
            Name=name, Description=description, Value=value, Type="SecureString", Overwrite=True
        )
    except ClientError as exc:
        # Some AWS validation messages quote the value: say only which parameter and the error's code.
        code = exc.response.get("Error", {}).get("Code", "Error")
        hint = HINTS.get(code)
        raise DeployError(
            "",
            f"AWS refused to store SSM parameter {name}: {code} (the value is not shown)"
            + (f" ({hint})" if hint else ""),
        ) from None


def _delete(ssm: Any, name: str) -> bool:
    try:
        ssm.delete_parameter(Name=name)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ParameterNotFound":
            return False
        raise
    return True


@dataclass(frozen=True, slots=True)
class OriginSecret:
    """The secret CloudFront sends (`current`) and what the parameter lists (current first)."""

    current: str
    listed: tuple[str, ...]
    changed: bool

    @property
    def rotating(self) -> bool:
        return len(self.listed) > 1


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def prepare_origin_secret(ssm: Any, names: Names, rotate: bool, dry_run: bool = False) -> OriginSecret:
    """The origin secret for this deploy: made on the first deploy, kept after, and with `rotate` a new one
    listed before the old. A dry run writes nothing (a placeholder stands for a secret not yet made)."""
    stored = (_read(ssm, names.origin_parameter) or "").split()
    if stored and not rotate:
        return OriginSecret(stored[0], tuple(stored), changed=False)
    fresh = "(a new secret)" if dry_run else new_secret()
    listed = (fresh, *stored[:1])
    if not dry_run:
        _write(ssm, names.origin_parameter, " ".join(listed), _description("origin secret", names))
    return OriginSecret(fresh, listed, changed=True)


def finish_rotation(ssm: Any, names: Names, secret: OriginSecret) -> bool:
    """Once CloudFront sends the current secret everywhere, list it alone; False when there was nothing to
    finish."""
    if not secret.rotating:
        return False
    _write(ssm, names.origin_parameter, secret.current, _description("origin secret", names))
    return True


def _description(what: str, names: Names) -> str:
    return f"wowcard {what} of survey {names.survey}, stage {names.stage}"


def delete_stage_secrets(ssm: Any, names: Names) -> list[str]:
    """Remove the stage's parameters; the names of those that were there."""
    return [name for name in (names.webhook_parameter, names.origin_parameter) if _delete(ssm, name)]
