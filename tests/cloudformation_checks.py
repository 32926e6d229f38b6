"""CloudFormation checked as AWS would: cfn-lint on a template, and the SAM transform by AWS's own translator
library (so the SAM part can be linted as the plain CloudFormation it becomes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

CFN_LINT = Path(sys.executable).with_name("cfn-lint")


def cfn_lint(*templates: Path) -> list[str]:
    """cfn-lint's findings, one line each: path:line:column:line:column:rule:message."""
    result = subprocess.run(
        [
            str(CFN_LINT),
            "--format",
            "parseable",
            "--regions",
            "eu-west-2",
            "us-east-1",
            "--",
            *map(str, templates),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode in (0, 2, 4, 6, 8, 10, 12, 14), result.stderr  # bit flags: errors/warnings/info
    return [line for line in result.stdout.splitlines() if line.strip()]


def resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r.get("Type") == kind}


def sam_translate(template: dict[str, Any]) -> dict[str, Any]:
    """The SAM transform as CloudFormation runs it (AWS's own translator library), with the bundle in S3."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    def no_managed_policies() -> dict[str, str]:
        raise AssertionError("the collector's role must not need AWS managed policies")

    template = json.loads(json.dumps(template))
    for function in resources_of(template, "AWS::Serverless::Function").values():  # the API and the alerts
        function["Properties"]["CodeUri"] = {"Bucket": "wowcard-bundles", "Key": "l.zip"}
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name="eu-west-2"))
    return translator.translate(template, {}, get_managed_policy_map=no_managed_policies)
