"""SSM Parameter Store for the Lambda: one way to reach it (made on first use, short timeouts, few retries:
a slow SSM must not hold an answer or a sweep) and to read a SecureString. The origin check (origin.py) and
the alert webhook (alerts.py) read their parameters through it and say in their own words what failed."""

from __future__ import annotations

from typing import Any


def client(region: str | None, endpoint_url: str | None) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 2})
    return boto3.client("ssm", region_name=region, endpoint_url=endpoint_url, config=config)


def read(ssm: Any, name: str) -> str:
    """The decrypted value of a SecureString parameter; botocore's errors pass through."""
    return str(ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])
