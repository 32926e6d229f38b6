"""`wowcard deploy` and `wowcard deploy --dry-run`: one walk through the same steps, the dry run only saying
what each would do.

AWS account → package (the same templates and bundle `wowcard package` writes) → data stack → Lambda bundle →
secrets (origin secret, alert webhook) → [WAF web ACL in us-east-1] → app stack → publish the survey
definition → build the pages and sync them to the pages bucket. Every stack change goes through a change set
printed in words before it runs, and its events are printed while CloudFormation works; an empty change set
means "nothing to do", a bundle is stored under its own hash, and a page is uploaded only when it differs, so
re-running with nothing changed changes nothing. Any step can fail and be re-run: CloudFormation rolls a
failed change back by itself, and every step is idempotent. A dry run calls only Describe, Get, List and Head.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .. import package as packaging
from ..aws_templates import Limits, Names
from ..aws_waf_stack import WAF_REGION, waf_template
from ..collector.survey import Survey
from .aws import Aws, Say, Steps, output
from .secrets import finish_rotation, prepare_origin_secret, store_webhook, webhook_url
from .site_sync import SyncPlan, sync_site, template_location, upload_bundle
from .stacks import StackChange, StackResult, Wait, delete_stack, deploy_stack, describe_stack

# What the data stack must never lose: a change set that removes or replaces it is refused before it runs.
PROTECTED = frozenset({"Table"})
DEPLOY_RERUN = (
    "Nothing is left half-done (CloudFormation rolls back a failed change); "
    "running `wowcard deploy` again is safe."
)
DRY_RUN_RERUN = "Nothing was created or changed."


@dataclass(frozen=True, slots=True)
class Deployment:
    names: Names
    region: str
    site_url: str | None
    api_url: str
    table: str
    version: str | None
    published: bool
    pages: SyncPlan
    survey_urls: list[str]
    stacks_changed: bool
    app_created: bool
    dry_run: bool = False


@dataclass(frozen=True)
class Options:
    """What the owner chose for this run besides the survey and stage."""

    limits: Limits = Limits()
    budget_email: str | None = None
    budget_usd: int | None = None
    rotate_origin_secret: bool = False
    dry_run: bool = False


def stack_tags(names: Names, role: str) -> list[dict[str, str]]:
    stage = names.stage if role != "data" else "-"
    return [
        {"Key": "wowcard:survey", "Value": names.survey},
        {"Key": "wowcard:stage", "Value": stage},
        {"Key": "wowcard:role", "Value": role},
    ]


def deploy(
    survey: Survey,
    aws: Aws,
    stage: str,
    options: Options | None = None,
    say: Say = print,
    wait: Wait | None = None,
) -> Deployment:
    """Deploy the survey's stage (or, with `options.dry_run`, say what deploying would do)."""
    names = Names(survey.id, stage)
    options = options or Options()
    dry = options.dry_run
    wait = wait or Wait()
    webhook = webhook_url(survey)  # before anything changes: a missing variable is the owner's to fix
    steps = Steps(say, 8 + survey.waf, DRY_RUN_RERUN if dry else DEPLOY_RERUN)
    cfn, s3, ssm = aws.client("cloudformation"), aws.client("s3"), aws.client("ssm")
    with steps.step("AWS account"):
        account = aws.client("sts").get_caller_identity()["Account"]
        say(f"      account {account}, region {aws.region}")
    with tempfile.TemporaryDirectory(prefix="wowcard-deploy-") as tmp:
        with steps.step("Package the collector"):
            pkg = packaging.package(
                names, Path(tmp) / "package", options.limits, region=aws.region, alerts=webhook is not None
            )
            say(f"      templates and a {pkg.bundle.stat().st_size / 1024:.1f} KB bundle")
        with steps.step(f"Data stack {names.data_stack}"):
            data_change = StackChange(
                names.data_stack,
                pkg.load(packaging.DATA_TEMPLATE),
                lambda exists: [],
                stack_tags(names, "data"),
                PROTECTED,
            )
            data = deploy_stack(cfn, data_change, say, wait, dry)
            bucket = needed(data, "ArtifactsBucket", dry)
            table = needed(data, "TableName", dry) or names.table
        with steps.step("Lambda bundle"):
            key = upload_bundle(s3, bucket, pkg, say, dry)
        with steps.step("Secrets"):
            secret = prepare_origin_secret(ssm, names, options.rotate_origin_secret, dry)
            verb = ("would be " if dry else "") + ("rotated" if options.rotate_origin_secret else "made")
            state = verb if secret.changed else "unchanged"
            say(f"      origin secret {state} in SSM parameter {names.origin_parameter} (SecureString)")
            if webhook is not None:
                changed = not dry and store_webhook(ssm, names, webhook)
                state = "checked" if dry else ("stored" if changed else "unchanged")
                say(f"      alert webhook {state} in SSM parameter {names.webhook_parameter} (SecureString)")
        web_acl = ""
        if survey.waf:
            with steps.step(f"WAF web ACL {names.waf_stack} ({WAF_REGION}, as CloudFront requires)"):
                waf = deploy_stack(
                    aws.client("cloudformation", WAF_REGION),
                    StackChange(names.waf_stack, waf_template(names), lambda e: [], stack_tags(names, "waf")),
                    say,
                    wait,
                    dry,
                )
                web_acl = needed(waf, "WebAclArn", dry) or ""
        with steps.step(f"App stack {names.app_stack}"):
            template = app_template(pkg, bucket or "(the artifacts bucket)", key)
            params = AppParameters(table, secret.current, web_acl, options.budget_email, options.budget_usd)
            app_change = StackChange(
                names.app_stack,
                template,
                params.for_stack,
                stack_tags(names, "app"),
                template_url=lambda: template_location(s3, bucket, aws.region, template) if bucket else None,
            )
            app = deploy_stack(cfn, app_change, say, wait, dry)
            if not dry and finish_rotation(ssm, names, secret):
                say("      CloudFront sends the new origin secret everywhere: the old one is now refused")
            if not survey.waf:
                remove_waf(aws, names, say, wait, dry)
        with steps.step("Survey definition"):
            site_url = survey.site_url or needed(app, "SiteURL", dry)
            effective = replace(survey, site_url=site_url)
            version, published = publish_definition(aws, table, effective, dry, data.outputs, say)
        with steps.step("Pages"):
            # the pages of every published version stay, as hand-offs: a printed URL is forever
            versions = published_versions(aws, table, effective) if data.outputs else []
            pages = needed(app, "PagesBucket", dry)
            plan = sync_site(aws, effective, pages, Path(tmp) / "site", dry_run=dry, published=versions)
            say(f"      {plan.words()}" + (" (dry run)" if dry else ""))
    if dry:
        say("Dry run: nothing was created or changed.")
    prefix = f"{site_url}/{survey.id}"
    return Deployment(
        names=names,
        region=aws.region,
        site_url=site_url,
        api_url=app.outputs.get("ApiURL", ""),
        table=table,
        version=version,
        published=published,
        pages=plan,
        survey_urls=[f"{prefix}/{loc.id}/" for loc in survey.locations] if site_url else [],
        stacks_changed=data.changed or app.changed,
        app_created=app.created,
        dry_run=dry,
    )


def needed(result: StackResult, key: str, dry: bool) -> str | None:
    """A stack output later steps need. A dry run may find none (the stack is not there yet); a deploy that
    finds none stops with a sentence naming the stack (never a KeyError)."""
    return result.outputs.get(key) if dry else output(result.outputs, key, result.name)


def remove_waf(aws: Aws, names: Names, say: Say, wait: Wait, dry: bool) -> None:
    """[limits] waf was turned off: the web ACL's stack goes once the distribution no longer uses it."""
    cfn = aws.client("cloudformation", WAF_REGION)
    if describe_stack(cfn, names.waf_stack) is not None:
        verb = "would remove" if dry else "removing"
        say(f"      [limits] waf is off: {verb} the web ACL stack {names.waf_stack} ({WAF_REGION})")
        if not dry:
            delete_stack(cfn, names.waf_stack, say, wait)


def publish_definition(
    aws: Aws, table: str, survey: Survey, dry: bool, data_outputs: dict[str, str], say: Say
) -> tuple[str | None, bool]:
    """Publish the definition the pages are built from (or say whether a dry run would)."""
    if survey.site_url is None:
        say("      would be published once CloudFront's address is known")
        return None, False
    version = survey.definition().version
    if dry:
        known = bool(data_outputs) and is_published(aws, table, survey, version)
        say(f"      version {version} " + ("is already published" if known else "would be published"))
        return version, False
    published = publish(aws, table, survey, survey.definition().to_json())
    say(f"      version {version} " + ("published" if published else "was already published"))
    return version, published


def app_template(pkg: packaging.Package, bucket: str, key: str) -> dict[str, Any]:
    """The packaged SAM template with the bundle's local path replaced by its S3 location (what `aws
    cloudformation package` does)."""
    template = pkg.load(packaging.APP_TEMPLATE)
    for resource in template["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = {"Bucket": bucket, "Key": key}
    return template


@dataclass(frozen=True)
class AppParameters:
    table: str
    origin_secret: str
    web_acl: str
    budget_email: str | None
    budget_usd: int | None

    def for_stack(self, exists: bool) -> list[dict[str, Any]]:
        """Budget settings not given on this run keep what the stack has (UsePreviousValue)."""
        params: list[dict[str, Any]] = [
            {"ParameterKey": "TableName", "ParameterValue": self.table},
            {"ParameterKey": "OriginSecret", "ParameterValue": self.origin_secret},
            {"ParameterKey": "WebAclArn", "ParameterValue": self.web_acl},
        ]
        for key, value in (("BudgetEmail", self.budget_email), ("BudgetAmount", self.budget_usd)):
            if value is not None:
                params.append({"ParameterKey": key, "ParameterValue": str(value)})
            elif exists:
                params.append({"ParameterKey": key, "UsePreviousValue": True})
        return params


def _open(aws: Aws, table: str, survey: Survey) -> Any:
    from ..collector.store import open_store

    return open_store(f"dynamodb:{table}", str(survey.folder), region=aws.region, profile=aws.profile)


def publish(aws: Aws, table: str, survey: Survey, definition: dict[str, Any]) -> bool:
    store = _open(aws, table, survey)
    try:
        return store.publish(definition)
    finally:
        store.close()


def published_versions(aws: Aws, table: str, survey: Survey) -> list[Any]:
    """Every definition version published to the stage's table: the build keeps their pages (hand-offs for
    people and locations that left), since a printed URL is forever."""
    from ..collector.names import readable

    store = _open(aws, table, survey)
    try:
        return readable(store.definitions(survey.id))
    finally:
        store.close()


def is_published(aws: Aws, table: str, survey: Survey, version: str) -> bool:
    store = _open(aws, table, survey)
    try:
        return store.definition(survey.id, version) is not None
    finally:
        store.close()
