"""No traceback, ever: every AWS answer wowcard does not expect ends with exit 1 and one sentence naming the
stack or step and what to do. Against moto_server (whose CloudFormation leaves the data stack without its
outputs), a loopback server answering 500 with an HTML page (botocore cannot parse it), and the Stubber (a
stage whose stack lost an output)."""

from __future__ import annotations

import http.server
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_stand_ins import moto_server
from click.testing import CliRunner

from wowcard import deploy
from wowcard.__main__ import cli
from wowcard.aws_templates import Names

NAMES = Names("harbour", "prod")


def run(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def broken_aws(aws_credentials: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Every AWS endpoint is a loopback server answering 500 with a proxy's HTML error page."""

    class Failing(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = b"<html><body><h1>500 Internal Server Error</h1></body></html>"
            self.send_response(500)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


def test_deploy_against_moto_server_says_which_stack_lacks_which_output(
    aws_credentials: None, monkeypatch: pytest.MonkeyPatch, survey_file: Path
) -> None:
    with moto_server() as url, warnings.catch_warnings():
        # moto's CloudFormation warns (in its server's thread) that it cannot make the API Gateway account
        # setting, and makes the stack anyway
        warnings.filterwarnings("ignore", "Tried to parse AWS::ApiGateway::Account", UserWarning)
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        result = run("deploy", "-s", str(survey_file), "--region", "eu-west-2")

    assert result.exit_code == 1
    assert (
        "Error: step 3/8 (Data stack wowcard-harbour-data) failed: stack wowcard-harbour-data has no output "
        "ArtifactsBucket" in result.output
    )


def test_an_unreadable_answer_from_aws_is_one_sentence_not_a_parser_traceback(
    broken_aws: str, survey_file: Path
) -> None:
    result = run("deploy", "-s", str(survey_file), "--region", "eu-west-2")

    assert result.exit_code == 1
    assert "Error: step 1/8 (AWS account) failed:" in result.output
    assert "wait a few minutes and run it again" in result.output


def test_results_of_a_stage_when_aws_answers_500_is_one_sentence(broken_aws: str, survey_file: Path) -> None:
    result = run("results", "-s", str(survey_file), "--stage", "prod", "--region", "eu-west-2")

    assert result.exit_code == 1
    assert "Error: reading stack wowcard-harbour-prod:" in result.output
    assert "wait a few minutes and run it again" in result.output


def test_results_of_a_stage_whose_stack_lost_its_outputs_names_the_stack(
    account: Any, survey_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deploy.aws, "connect", lambda region=None, profile=None: account.aws)
    account.cloudformation.exists(NAMES.app_stack, {"SiteURL": "https://d1.cloudfront.net"})

    result = run("results", "-s", str(survey_file), "--stage", "prod")

    assert result.exit_code == 1
    assert (
        "Error: stack wowcard-harbour-prod has no output ApiURL, DistributionId, PagesBucket, TableName"
        in result.output
    )
    assert "run `wowcard deploy --stage prod`" in result.output


def test_results_of_a_stage_still_being_deployed_says_so(
    account: Any, survey_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deploy.aws, "connect", lambda region=None, profile=None: account.aws)
    account.cloudformation.exists(NAMES.app_stack, {}, status="UPDATE_IN_PROGRESS")

    result = run("results", "-s", str(survey_file), "--stage", "prod")

    assert result.exit_code == 1
    assert "is UPDATE_IN_PROGRESS (a deploy is running or was interrupted)" in result.output
