"""`wowcard package`, `wowcard deploy` and `wowcard destroy`: the survey on AWS (see wowcard.deploy)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..aws_templates import DEFAULT_STAGE, Limits, Names, StageError
from ..options import InputError, load_survey, survey_option

if TYPE_CHECKING:
    from ..deploy import DeployError


def stage_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--stage",
        default=DEFAULT_STAGE,
        show_default=True,
        help="Which deployment of the survey (prod, staging, …): one app stack per stage.",
    )(func)


def aws_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--profile", default=None, help="A named AWS profile (default: boto3's usual chain)."
    )(func)
    return click.option("--region", default=None, help="AWS region (default: AWS_REGION or ~/.aws/config).")(
        func
    )


def concurrency_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--reserved-concurrency",
        type=click.IntRange(0, 1000),
        default=None,
        help="Reserve (and cap) this many Lambda instances for the collector. Off by default (0 too): a new "
        "AWS account may have a concurrency quota of 10, which leaves nothing to reserve.",
    )(func)


def _names(survey_id: str, stage: str) -> Names:
    try:
        return Names(survey_id, stage)
    except StageError as exc:
        raise InputError(f"--stage: {exc}") from None


def _limits(reserved_concurrency: int | None) -> Limits:
    return Limits(reserved_concurrency=reserved_concurrency or None)


def _fail(exc: DeployError) -> click.ClickException:
    """The error in click's words, exiting with the code its kind carries (2: input to fix, 130: Ctrl-C).
    Click reads exit_code from the class, so the class carries it."""

    class DeployFailed(click.ClickException):
        exit_code = exc.exit_code

    return DeployFailed(str(exc))


@click.command("package")
@survey_option
@stage_option
@concurrency_option
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
def package_command(survey_path: Path, stage: str, reserved_concurrency: int | None, out: Path) -> None:
    """Write the CloudFormation templates and the Lambda bundle that `wowcard deploy` deploys into OUT."""
    from .. import package

    survey = load_survey(survey_path)
    names = _names(survey.id, stage)
    try:
        pkg = package.package(names, out, _limits(reserved_concurrency), alerts=survey.alerts is not None)
    except package.PackageError as exc:
        raise click.ClickException(str(exc)) from None
    size = pkg.bundle.stat().st_size
    click.echo(f"wrote {pkg.data_template}  (data stack {names.data_stack})")
    click.echo(f"wrote {pkg.app_template}  (app stack {names.app_stack})")
    click.echo(f"wrote {pkg.bundle}  ({size / 1024:.1f} KB)")
    click.echo(f"wrote {pkg.folder / package.README}  (how to deploy them with the AWS CLI)")


@click.command("deploy")
@survey_option
@stage_option
@aws_options
@concurrency_option
@click.option("--dry-run", is_flag=True, help="Print what would be created or changed; change nothing.")
@click.option(
    "--budget-email",
    default=None,
    metavar="EMAIL",
    help="Send AWS Budgets alerts here (at 80% of the monthly budget, and when the forecast passes it); "
    '"" removes the budget. Default: keep what the stage has.',
)
@click.option(
    "--budget-usd", type=click.IntRange(1, 100000), default=None, help="The monthly budget (default 10)."
)
@click.option(
    "--rotate-origin-secret",
    is_flag=True,
    help="Replace the secret CloudFront sends to the API (both are accepted until CloudFront has switched).",
)
def deploy_command(
    survey_path: Path,
    stage: str,
    region: str | None,
    profile: str | None,
    reserved_concurrency: int | None,
    dry_run: bool,
    budget_email: str | None,
    budget_usd: int | None,
    rotate_origin_secret: bool,
) -> None:
    """Deploy the survey to AWS: its data, the collector, the pages behind CloudFront. Safe to re-run."""
    from .. import deploy

    survey = load_survey(survey_path)
    _names(survey.id, stage)
    if budget_email and "@" not in budget_email:
        raise InputError(f'--budget-email: "{budget_email}" is not an email address')

    def say(line: str) -> None:
        click.echo(line, err=True)

    options = deploy.Options(
        _limits(reserved_concurrency), budget_email, budget_usd, rotate_origin_secret, dry_run
    )
    try:
        aws = deploy.connect(region, profile)
        done = deploy.deploy(survey, aws, stage, options, say=say)
    except deploy.DeployError as exc:
        raise _fail(exc) from None
    if done.dry_run:
        return
    click.echo(f"\nSurvey {survey.id} is live ({stage}, {done.region}) at {done.site_url}/{survey.id}/")
    for url in done.survey_urls:
        click.echo(f"  {url}")
    click.echo(f"Answers go to {done.api_url} and DynamoDB table {done.table}.")
    if done.pages.changed and not done.app_created:
        click.echo("Changed pages reach every visitor within 5 minutes (they are cached for 300 seconds).")
    if survey.site_url is None:
        click.echo(f'\nAdd site_url = "{done.site_url}" to {survey_path} so builds and cards use these URLs.')
    elif ".cloudfront.net" not in survey.site_url:
        click.echo(
            f"\nsite_url is {survey.site_url}: point that name at the CloudFront distribution yourself "
            "(wowcard does not manage custom domains)."
        )
    click.echo("\nNext:")
    where = f"--stage {stage} --region {done.region}"
    click.echo(f"  wowcard cards -s {survey_path} {where}    # QR cards pointing at these pages")
    click.echo(f"  wowcard results -s {survey_path} {where}    # reads table {done.table}")


@click.command("destroy")
@survey_option
@stage_option
@aws_options
@click.option("--yes", is_flag=True, help="Do not ask before deleting the stage's app stack.")
@click.option(
    "--delete-data",
    is_flag=True,
    help="Also delete the survey's table and every response in it (asks you to type the survey id, always).",
)
def destroy_command(
    survey_path: Path, stage: str, region: str | None, profile: str | None, yes: bool, delete_data: bool
) -> None:
    """Delete a stage's pages, API and collector. Responses stay unless --delete-data."""
    from .. import deploy

    survey = load_survey(survey_path)
    _names(survey.id, stage)

    def confirm(question: str) -> bool:
        return yes or click.confirm(question, default=False, err=True)

    def type_back(question: str) -> str:
        return click.prompt(question, default="", show_default=False, err=True)

    try:
        aws = deploy.connect(region, profile)
        deleted = deploy.destroy(
            survey.id,
            aws,
            stage,
            confirm,
            type_back,
            delete_data,
            say=lambda line: click.echo(line, err=True),
        )
    except deploy.DeployError as exc:
        raise _fail(exc) from None
    for name in deleted:
        click.echo(f"deleted {name}")
    if deleted and not delete_data:
        click.echo(
            f"The responses stay in table {Names(survey.id, stage).table}; "
            f"`wowcard deploy --stage {stage}` finds them again."
        )


COMMANDS = [package_command, deploy_command, destroy_command]
