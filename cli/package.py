"""`wowcard package`: the CloudFormation templates and the Lambda bundle that `wowcard deploy` deploys.

A Chalice project is staged in a temporary folder: `app.py` importing the collector's app,
`.chalice/config.json` from `aws_templates.chalice_config`, the collector copied into
`vendor/wowcard/collector/`, and an empty requirements.txt (boto3 comes with the Lambda runtime). Chalice's
own packager then writes its SAM template merged with wowcard's resources
(`aws_templates.app_merge_template`).
The bundle is rewritten with sorted entries and fixed timestamps, so the same code always gives the same
bytes, the same S3 key and an empty change set.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .aws_data_stack import data_template
from .aws_templates import (
    ALERTS_POLICY_FILE,
    CHALICE_ALERTS_FUNCTION,
    CHALICE_ALERTS_ROLE,
    CHALICE_API,
    CHALICE_FUNCTION,
    CHALICE_ROLE,
    OPENAPI_VERSION,
    Limits,
    Names,
    alerts_policy,
    app_merge_template,
    chalice_config,
    collector_policy,
)

if TYPE_CHECKING:
    from chalice.package import PackageOptions

DATA_TEMPLATE = "data.json"
APP_TEMPLATE = "app.json"
BUNDLE = "deployment.zip"
README = "README.txt"
# The collector's files the Lambda needs: its modules and its package data (openapi.json)...
BUNDLED_SUFFIXES = (".py", ".json")
# ...except the SQLite store (store_sqlite.py and its sqlite_*.py parts), which the Lambda never imports
# (`wowcard serve` and the owner's machine only; on AWS the store is always DynamoDB).
# tests/deploy/test_bundle.py runs the bundle alone to prove it works.
NOT_IN_LAMBDA = frozenset(
    {"store_sqlite.py", "sqlite_definitions.py", "sqlite_fairness.py", "sqlite_outbox.py"}
)
# The handlers Chalice names app.app (the API) and app.send_alerts (the scheduled alert sender).
APP_PY = "from wowcard.collector.app import app, send_alerts  # noqa: F401\n"
# The region only decides the AWS partition of the service principals Chalice writes (lambda.amazonaws.com).
DEFAULT_PARTITION_REGION = "us-east-1"


class PackageError(Exception):
    """Chalice could not package the collector, or its output is not what wowcard's merge expects."""


@dataclass(frozen=True, slots=True)
class Package:
    folder: Path
    names: Names

    @property
    def data_template(self) -> Path:
        return self.folder / DATA_TEMPLATE

    @property
    def app_template(self) -> Path:
        return self.folder / APP_TEMPLATE

    @property
    def bundle(self) -> Path:
        return self.folder / BUNDLE

    def bundle_sha256(self) -> str:
        return hashlib.sha256(self.bundle.read_bytes()).hexdigest()

    def load(self, name: str) -> dict[str, Any]:
        return json.loads((self.folder / name).read_text(encoding="utf-8"))


def package(
    names: Names, out: Path, limits: Limits | None = None, region: str | None = None, alerts: bool = False
) -> Package:
    """Write data.json, app.json, deployment.zip and README.txt into `out` (created if missing). `alerts`:
    the survey has [alerts], so the alert sender's schedule runs and it may read the webhook's parameter."""
    limits = limits or Limits()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="wowcard-package-") as tmp:
        project = Path(tmp) / "project"
        merge = stage_project(project, names, limits, alerts)
        chalice_out = Path(tmp) / "chalice-out"
        run_chalice(project, names.stage, merge, chalice_out, region or DEFAULT_PARTITION_REGION)
        template = json.loads((chalice_out / "sam.json").read_text(encoding="utf-8"))
        check_merged(template, names, alerts)
        write_json(out / APP_TEMPLATE, template)
        normalize_zip(chalice_out / BUNDLE, out / BUNDLE)
    write_json(out / DATA_TEMPLATE, data_template(names))
    (out / README).write_text(readme(names, alerts), encoding="utf-8")
    return Package(out, names)


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def stage_project(project: Path, names: Names, limits: Limits, alerts: bool = False) -> Path:
    """A Chalice project holding only the collector; returns the merge template's path."""
    (project / ".chalice").mkdir(parents=True)
    (project / "app.py").write_text(APP_PY, encoding="utf-8")
    (project / "requirements.txt").write_text("", encoding="utf-8")
    write_json(project / ".chalice" / "config.json", chalice_config(names, limits))
    # Chalice needs a policy file when autogen_policy is off; the merge template puts the same document in
    # the role, where CloudFormation resolves the table's name.
    write_json(project / ".chalice" / "policy.json", collector_policy(names))
    write_json(project / ".chalice" / ALERTS_POLICY_FILE, alerts_policy(names, alerts))
    copy_collector(project / "vendor" / "wowcard" / "collector")
    merge = project / "merge.json"
    write_json(merge, app_merge_template(names, limits, alerts))
    return merge


def copy_collector(target: Path) -> list[str]:
    """Copy the installed `wowcard.collector` (modules and package data the Lambda uses, no caches) into
    `target`.
    `wowcard/` gets no __init__.py: in the bundle it is a namespace holding the collector and nothing of the
    CLI."""
    target.mkdir(parents=True)
    copied = []
    for entry in sorted(resources.files("wowcard.collector").iterdir(), key=lambda e: e.name):
        if entry.is_file() and entry.name.endswith(BUNDLED_SUFFIXES) and entry.name not in NOT_IN_LAMBDA:
            data = entry.read_bytes()
            if entry.name.endswith(".json"):  # the same document, unindented (bundle budget)
                data = json.dumps(json.loads(data), separators=(",", ":"), ensure_ascii=False).encode()
            (target / entry.name).write_bytes(data)
            copied.append(entry.name)
    return copied


def _package_options(region: str) -> PackageOptions:
    """Chalice's PackageOptions for `region` without a boto3 client: it only needs service principals, which
    depend on the region's partition, so packaging needs no credentials and no network. (Chalice is imported
    here, not at the top: `wowcard` commands that do not package should not pay for it.)"""
    import botocore.session
    from chalice.awsclient import TypedAWSClient
    from chalice.package import PackageOptions

    class RegionPackageOptions(PackageOptions):
        def service_principal(self, service: str) -> str:
            suffix = self._client.endpoint_dns_suffix(service, region)
            return self._client.service_principal(service, region, suffix)

    return RegionPackageOptions(TypedAWSClient(botocore.session.Session()))


def run_chalice(project: Path, stage: str, merge: Path, out: Path, region: str) -> None:
    """Chalice's `package --merge-template`, called through its Python API (no subprocess)."""
    from chalice.cli.factory import CLIFactory

    factory = CLIFactory(str(project), environ={})
    chatter = io.StringIO()
    try:
        with _chalice_import_scope(), contextlib.redirect_stdout(chatter):
            config = factory.create_config_obj(chalice_stage_name=stage)
            packager = factory.create_app_packager(
                config, _package_options(region), "cloudformation", "json", merge_template=str(merge)
            )
            packager.package_app(config, str(out), stage)
    except Exception as exc:  # Chalice raises plain RuntimeError/ValueError and its own types
        detail = chatter.getvalue().strip()
        message = f"Chalice could not package the collector: {exc}" + (f"\n{detail}" if detail else "")
        raise PackageError(message) from exc


@contextlib.contextmanager
def _chalice_import_scope() -> Iterator[None]:
    """Chalice imports the project's `app` module and extends sys.path; undo both so packaging twice in one
    process (tests, deploy after package) starts clean."""
    saved_path = list(sys.path)
    saved_app = sys.modules.pop("app", None)
    try:
        yield
    finally:
        sys.path[:] = saved_path
        sys.modules.pop("app", None)
        if saved_app is not None:
            sys.modules["app"] = saved_app


def check_merged(template: dict[str, Any], names: Names, alerts: bool = False) -> None:
    """The merge relies on names Chalice chose; fail here, not in CloudFormation, if they ever change."""
    resources_ = template.get("Resources", {})
    function = resources_.get(CHALICE_FUNCTION, {})
    role = resources_.get(CHALICE_ROLE, {})
    api = resources_.get(CHALICE_API, {})
    sender = resources_.get(CHALICE_ALERTS_FUNCTION, {})
    sender_role = resources_.get(CHALICE_ALERTS_ROLE, {})
    problems = []
    if sender.get("Type") != "AWS::Serverless::Function":
        problems.append(f"no {CHALICE_ALERTS_FUNCTION} function")
    elif sender["Properties"].get("Role") != {"Fn::GetAtt": [CHALICE_ALERTS_ROLE, "Arn"]}:
        problems.append(f"the alert sender does not use the role {CHALICE_ALERTS_ROLE}")
    elif [e.get("Type") for e in sender["Properties"].get("Events", {}).values()] != ["Schedule"]:
        problems.append("the alert sender has no schedule of its own")
    elif any("Schedule" not in e.get("Properties", {}) for e in sender["Properties"]["Events"].values()):
        problems.append("the alert sender's schedule event is not Chalice's")
    if sender_role.get("Properties", {}).get("Policies") != [
        {"PolicyName": "alerts", "PolicyDocument": alerts_policy(names, alerts)}
    ]:
        problems.append("the alert sender's role has not wowcard's policy")
    if function.get("Type") != "AWS::Serverless::Function":
        problems.append(f"no {CHALICE_FUNCTION} function")
    elif function["Properties"].get("Role") != {"Fn::GetAtt": [CHALICE_ROLE, "Arn"]}:
        problems.append(f"the function does not use the role {CHALICE_ROLE}")
    if role.get("Type") != "AWS::IAM::Role":
        problems.append(f"no {CHALICE_ROLE} role")
    elif role["Properties"].get("Policies") != [
        {"PolicyName": "collector", "PolicyDocument": collector_policy(names)}
    ]:
        problems.append("the role's policy is not wowcard's")
    if api.get("Type") != "AWS::Serverless::Api":
        problems.append(f"no {CHALICE_API} API")
    elif api["Properties"].get("EndpointConfiguration") != "REGIONAL":
        problems.append("the API is not REGIONAL")
    if template.get("Globals", {}).get("Api", {}).get("OpenApiVersion") != OPENAPI_VERSION:
        problems.append("SAM's Globals lost OpenApiVersion, so SAM would add a second, unthrottled stage")
    if problems:
        raise PackageError("Chalice's template does not match wowcard's merge: " + "; ".join(problems))


def normalize_zip(source: Path, target: Path) -> None:
    """Rewrite the bundle with sorted entries, fixed timestamps and permissions: same code, same bytes."""
    with zipfile.ZipFile(source) as zin:
        entries = sorted((info.filename, zin.read(info)) for info in zin.infolist() if not info.is_dir())
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zout.writestr(info, data, compresslevel=9)


def readme(names: Names, alerts: bool = False) -> str:
    webhook = (
        f"""
The survey has [alerts]: store the webhook URL before the app stack (the template names the parameter, never
its value; `wowcard deploy` does this from the variable survey.toml names):

  aws ssm put-parameter --name {names.webhook_parameter} --type SecureString --overwrite --value "$URL"
"""
        if alerts
        else ""
    )
    return f"""\
wowcard {__version__}: survey {names.survey}, stage {names.stage}

  {DATA_TEMPLATE:<15} the data stack {names.data_stack}: the responses table {names.table} (retained) and the
                  bucket for Lambda bundles
  {APP_TEMPLATE:<15} the app stack {names.app_stack} (SAM, Chalice's template merged with wowcard's): the API,
                  the collector Lambda and its role, the private pages bucket, CloudFront
  {BUNDLE:<15} the Lambda bundle: app.py, wowcard/collector and Chalice's runtime

Deploy with the AWS CLI (BUCKET is the data stack's ArtifactsBucket output):

  aws cloudformation deploy --stack-name {names.data_stack} --template-file {DATA_TEMPLATE}
  aws cloudformation package --template-file {APP_TEMPLATE} --s3-bucket BUCKET \\
      --output-template-file app.packaged.json
  aws cloudformation deploy --stack-name {names.app_stack} --template-file app.packaged.json \\
      --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \\
      --parameter-overrides TableName={names.table} BudgetEmail=you@example.com

then `wowcard deploy -s survey.toml --stage {names.stage}` publishes the survey definition and uploads the
pages (it updates the two stacks in place with its own bundle key and tags, nothing else). `wowcard deploy`
alone does all of the above.
{webhook}"""


def bundle_listing(bundle: Path) -> list[str]:
    with zipfile.ZipFile(bundle) as z:
        return sorted(info.filename for info in z.infolist())
