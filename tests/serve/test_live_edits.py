"""Editing survey.toml while `wowcard serve` runs: `wowcard build` publishes the new definition to the store
the server collects into, and `wowcard publish` reaches the running server at once: answers from the new pages
are accepted straight away, with no restart and no cache time to wait out."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from serve.conftest import Served, read_store

from wowcard.__main__ import cli

ANA = '\n[[staff]]\nid = "ana"\nname = "Ana"\nlocation = "quay"\n'


def hire_ana(survey_dir: Path) -> None:
    toml = survey_dir / "survey.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + ANA, encoding="utf-8")


def wowcard(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result


def answer_naming_ana(served: Served) -> dict[str, Any]:
    return {
        "v": served.definition()["version"],  # the version of the pages just built
        "id": f"resp-{uuid.uuid4().hex[:12]}",
        "location": "quay",
        "wow": "yes",
        "staff": "ana",
        "what": "Found my lost keys",
    }


def test_an_answer_from_pages_rebuilt_while_serving_is_accepted_at_once(served: Served) -> None:
    old_version = served.definition()["version"]
    hire_ana(served.survey_dir)

    built = wowcard("build", "-s", str(served.survey_dir / "survey.toml"))

    new = answer_naming_ana(served)
    assert new["v"] != old_version
    assert f"published harbour version {new['v']} to the SQLite store" in built.output
    status, body = served.post_answer(new)
    assert (status, body["status"]) == (201, "stored")
    responses, tallied = read_store(served.survey_dir)
    assert [r["staff"] for r in responses if r["id"] == new["id"]] == ["ana"]
    assert tallied["staff:ana"] == 1


def test_publish_reaches_a_running_serve_at_once_even_after_a_409(served: Served) -> None:
    hire_ana(served.survey_dir)
    wowcard("build", "-s", str(served.survey_dir / "survey.toml"), "--no-publish")
    new = answer_naming_ana(served)

    status, body = served.post_answer(new)  # the new pages are out, the definition is not published yet
    assert (status, body["field"], body["code"]) == (409, "v", "version_not_published")

    published = wowcard("publish", "-s", str(served.survey_dir / "survey.toml"))
    assert f"published harbour version {new['v']}" in published.output
    status, body = served.post_answer(new)  # the page's queue sends it again
    assert (status, body["status"]) == (201, "stored")


def test_build_never_creates_a_store(survey_dir: Path) -> None:
    built = wowcard("build", "-s", str(survey_dir / "survey.toml"))
    assert "published" not in built.output
    assert not (survey_dir / ".wowcard").exists()
