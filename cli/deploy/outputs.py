"""Where a deployed stage lives, read from its app stack's outputs: what `--stage NAME` on any reading
command (results, cards, verify…) uses instead of a state file on one laptop."""

from __future__ import annotations

from ..aws_templates import Names, StageError
from . import aws as access
from .aws import AWS_FAILURES, Aws, AwsSetupError, DeployError, in_words
from .stacks import STABLE, describe_stack, outputs_of

# stage_outputs' key → the app stack's output it comes from
OUTPUTS = {
    "table": "TableName",
    "site_url": "SiteURL",
    "api_url": "ApiURL",
    "pages_bucket": "PagesBucket",
    "distribution_id": "DistributionId",
}


def stage_outputs(
    survey_id: str,
    stage: str,
    region: str | None = None,
    profile: str | None = None,
    aws: Aws | None = None,
) -> dict[str, str]:
    """`table`, `store_url` ("dynamodb:TABLE"), `site_url`, `api_url`, `pages_bucket`, `distribution_id` and
    `region` of a deployed stage. Raises DeployError when the stage is not deployed there, is busy, or its
    stack lacks an output (exit 1), and AwsSetupError for a bad stage, a missing region or an unknown
    profile (exit 2)."""
    try:
        names = Names(survey_id, stage)
    except StageError as exc:
        raise AwsSetupError("", f"--stage: {exc}") from None
    aws = aws or access.connect(region, profile)
    try:
        app = describe_stack(aws.client("cloudformation"), names.app_stack)
    except AWS_FAILURES as exc:
        raise DeployError(f"reading stack {names.app_stack}", in_words(exc)) from None
    if app is None:
        raise DeployError(
            "",
            f"stage {stage} of survey {survey_id} is not deployed in {aws.region}: "
            f"run `wowcard deploy --stage {stage}` (or pass the --region it was deployed to)",
        )
    status = app["StackStatus"]
    if status not in STABLE:
        what = (
            "a deploy is running or was interrupted"
            if status.endswith("_IN_PROGRESS")
            else "its last deploy failed"
        )
        raise DeployError(
            "",
            f"stage {stage} of survey {survey_id} is {status} ({what}): "
            f"run `wowcard deploy --stage {stage}`, which follows or repairs it",
        )
    found = outputs_of(app)
    missing = sorted(output for output in OUTPUTS.values() if not found.get(output))
    if missing:
        raise DeployError(
            "",
            f"stack {names.app_stack} has no output {', '.join(missing)}: it was not made by this version of "
            f"wowcard or was changed by hand; run `wowcard deploy --stage {stage}` to bring it up to date",
        )
    result = {key: found[output] for key, output in OUTPUTS.items()}
    return {"region": aws.region, **result, "store_url": f"dynamodb:{result['table']}"}
