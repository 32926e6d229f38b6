"""The Lambda bundle: only app.py, the collector and Chalice's runtime; small; the same bytes every time; and,
run the way Lambda runs it (an interpreter with nothing but the bundle and the runtime's boto3), it imports
without the CLI's libraries and stores an answer in DynamoDB."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import boto3
import pytest
from chalice.local import LambdaEventConverter, RouteMatcher
from moto.server import ThreadedMotoServer

from wowcard import package
from wowcard.aws_templates import Names
from wowcard.collector.app import app
from wowcard.collector.store_dynamodb import DynamoStore, create_table

REGION = "eu-west-2"
# What the Lambda Python runtime provides besides the standard library: boto3 and its dependencies.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
BLOCKED = (
    "click",
    "jinja2",
    "rich",
    "segno",
    "markupsafe",
    "wowcard.commands",
    "wowcard.build",
    "wowcard.deploy",
)


def collector_files() -> set[str]:
    folder = resources.files("wowcard.collector")
    return {f"wowcard/collector/{e.name}" for e in folder.iterdir() if e.name.endswith((".py", ".json"))}


def test_the_bundle_holds_only_app_py_the_collector_and_chalices_runtime(packaged: package.Package) -> None:
    names = set(package.bundle_listing(packaged.bundle))
    lambda_never_imports = {name for name in collector_files() if "sqlite" in name}  # the SQLite store
    assert names == {"app.py", "chalice/__init__.py", "chalice/app.py"} | (
        collector_files() - lambda_never_imports
    )
    assert not [n for n in names if n.startswith("wowcard/") and not n.startswith("wowcard/collector/")]
    with zipfile.ZipFile(packaged.bundle) as z:
        assert z.read("app.py").decode() == package.APP_PY


# The budget keeps the Lambda's download and unzip small next to its ~100 ms import. It was 100 KB until this
# round's features (the digest, chat text, the origin check, texts-only reads) filled it; 120 KB leaves room
# for a few more and still catches an accidental dependency (boto3 alone would be megabytes).
BUNDLE_BUDGET = 120 * 1024


def test_the_bundle_stays_within_its_budget_zipped(packaged: package.Package) -> None:
    assert packaged.bundle.stat().st_size < BUNDLE_BUDGET


def test_the_bundle_holds_the_api_description_minified_and_unchanged(packaged: package.Package) -> None:
    source = resources.files("wowcard.collector").joinpath("openapi.json").read_text(encoding="utf-8")
    with zipfile.ZipFile(packaged.bundle) as z:
        bundled = z.read("wowcard/collector/openapi.json").decode()
    assert json.loads(bundled) == json.loads(source)
    assert "\n" not in bundled and len(bundled) < 0.8 * len(source)


def test_packaging_the_same_code_twice_gives_the_same_bytes(
    packaged: package.Package, tmp_path: Path
) -> None:
    again = package.package(Names("harbour", "prod"), tmp_path)
    assert again.bundle.read_bytes() == packaged.bundle.read_bytes()
    assert again.app_template.read_bytes() == packaged.app_template.read_bytes()
    assert again.data_template.read_bytes() == packaged.data_template.read_bytes()


def test_the_package_folder_says_how_to_deploy_it_with_the_aws_cli(packaged: package.Package) -> None:
    readme = (packaged.folder / package.README).read_text()
    assert "aws cloudformation deploy --stack-name wowcard-harbour-data --template-file data.json" in readme
    assert "--capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND" in readme
    assert "app.json" in readme and "deployment.zip" in readme


# --- run like Lambda ---------------------------------------------------------------------------------------


@pytest.fixture
def lambda_root(packaged: package.Package, tmp_path: Path) -> Path:
    """The bundle unzipped as /var/task, and beside it only the packages the Lambda runtime brings."""
    task = tmp_path / "task"
    with zipfile.ZipFile(packaged.bundle) as z:
        z.extractall(task)
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    for name in RUNTIME_PACKAGES:
        module = __import__(name)
        source = Path(module.__file__)
        if source.name == "__init__.py":
            (runtime / name).symlink_to(source.parent, target_is_directory=True)
        else:
            (runtime / source.name).symlink_to(source)
    return tmp_path


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


HANDLER = """
import json, sys
blocked = {blocked!r}
for name in blocked:
    sys.modules[name] = None
sys.path[:0] = [{task!r}, {runtime!r}]
import app  # what Lambda does with the handler "app.app"
import wowcard.collector
assert wowcard.collector.__file__.startswith({task!r}), wowcard.collector.__file__
assert not hasattr(sys.modules["wowcard"], "__version__"), "the CLI's wowcard package was imported"
answers = [app.app(event, None) for event in json.loads(sys.stdin.read())]
loaded = sorted(name for name, module in sys.modules.items() if module is not None)
print(json.dumps({{"answers": answers, "modules": loaded}}))
"""


def run_in_lambda(root: Path, events: list[dict[str, Any]], env: dict[str, str]) -> dict[str, Any]:
    code = HANDLER.format(blocked=BLOCKED, task=str(root / "task"), runtime=str(root / "runtime"))
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code],
        input=json.dumps(events),
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=root,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


SECRET = "s3cret-from-cloudfront-0123456789"


def event(method: str, path: str, body: bytes = b"", **headers: str) -> dict[str, Any]:
    headers.setdefault("x-wowcard-origin", SECRET)  # what CloudFront adds
    converter = LambdaEventConverter(RouteMatcher(list(app.routes)), app.api.binary_types)
    made = converter.create_lambda_event(method, path, headers, body)
    made["requestContext"]["identity"]["sourceIp"] = "198.51.100.7"
    made["requestContext"]["stage"] = "api"
    made["body"] = body.decode() if body else None  # API Gateway sends text, or null without a body
    return made


def test_the_bundle_run_like_lambda_imports_without_the_cli_and_stores_an_answer(
    lambda_root: Path, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, definition: Any
) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    table = "wowcard-bundle-test"
    client = boto3.client("dynamodb", region_name=REGION, endpoint_url=moto_endpoint)
    create_table(client, table)
    store = DynamoStore(table, region=REGION, endpoint_url=moto_endpoint)
    store.publish(definition.to_json())
    parameter = "/wowcard/harbour/prod/origin-secret"
    ssm = boto3.client("ssm", region_name=REGION, endpoint_url=moto_endpoint)
    ssm.put_parameter(Name=parameter, Value=SECRET, Type="SecureString", Overwrite=True)
    answer = {
        "v": definition.version,
        "id": "resp-bundle-01",
        "lang": "en",
        "location": "quay",
        "wow": "yes",
        "staff": "maya",
        "what": "Carried my tray",
        "people": 5,
    }
    body = json.dumps(answer).encode()
    env = {
        # as the template sets them, plus what Lambda itself provides
        "WOWCARD_STORE": f"dynamodb:{table}",
        "WOWCARD_REDIRECT_BASE": "",
        "WOWCARD_ORIGIN_SECRET": f"ssm:{parameter}",
        "WOWCARD_AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "TZ": ":UTC",
    }
    ran = run_in_lambda(
        lambda_root,
        [
            event("GET", "/healthz"),
            event("GET", "/openapi.json"),
            event(
                "POST",
                "/s/harbour/responses",
                body,
                **{"Content-Type": "text/plain", "Content-Length": str(len(body))},
            ),
            event("GET", "/healthz", **{"x-wowcard-origin": ""}),  # around CloudFront
        ],
        env,
    )

    health, spec, posted, direct = ran["answers"]
    assert (direct["statusCode"], json.loads(direct["body"])["field"]) == (403, None)
    assert (health["statusCode"], json.loads(health["body"])) == (200, {"status": "ok", "store": "dynamodb"})
    assert spec["statusCode"] == 200 and "/s/{survey}/responses" in spec["body"]
    assert posted["statusCode"] == 201, posted
    assert json.loads(posted["body"])["id"] == "resp-bundle-01"
    stored = store.get("harbour", "resp-bundle-01")
    assert stored is not None and stored["staff"] == "maya"
    assert not [
        m for m in ran["modules"] if m.split(".")[0] in ("click", "jinja2", "rich", "segno", "markupsafe")
    ]
    assert "sqlite3" not in ran["modules"]
