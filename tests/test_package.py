"""The package as pip users get it: the wheel builds without a warning, carries every template and catalog,
and installed on its own (not editable, in a fresh virtual environment) builds the example survey to the very
bytes the source tree builds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def uv() -> str:
    """The pinned uv that scripts/test installs (or one on PATH)."""
    found = shutil.which("uv") or str(ROOT / ".tools" / "bin" / "uv")
    if not Path(found).exists():
        message = "packaging tests need uv (scripts/test installs it into .tools/)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip("SKIPPED LOUDLY: " + message)
    return found


def run(*args: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # Byte-compiling is the installer's job; with PYTHONDONTWRITEBYTECODE set setuptools says it skipped it.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    log = run(uv(), "build", "--wheel", "--out-dir", out, ROOT, env=env)
    warnings = [line for line in log.splitlines() if "warning" in line.lower()]
    assert not warnings, "building the wheel warned:\n" + "\n".join(warnings)
    [built] = out.glob("wowcard-*.whl")
    return built


def test_the_wheel_carries_every_template_catalog_and_schema(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "wowcard/site_templates/" + path.relative_to(ROOT / "site_templates").as_posix()
        for path in (ROOT / "site_templates").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    expected |= {"wowcard/" + p.name for p in (ROOT / "cli").glob("*.json")}
    expected |= {"wowcard/collector/" + p.name for p in (ROOT / "collector").glob("*.json")}
    assert expected <= names, sorted(expected - names)
    assert not [n for n in names if n.startswith(("tests/", "bench/", "scripts/"))]


def test_the_installed_wheel_builds_the_example_survey_byte_identical_to_the_source_tree(
    wheel: Path, tmp_path: Path
):
    venv = tmp_path / "venv"
    run(uv(), "venv", "--quiet", "--python", sys.executable, venv)
    python = venv / "bin" / "python"
    run(uv(), "pip", "install", "--quiet", "--python", python, "-r", ROOT / "requirements" / "run.txt")
    run(uv(), "pip", "install", "--quiet", "--python", python, "--no-deps", wheel)
    where = run(python, "-c", "import wowcard, sys; sys.stdout.write(wowcard.__file__)", cwd=tmp_path)
    assert str(venv) in where and str(ROOT) not in where  # the wheel's copy, not the source tree

    trees = {}
    source = Path(sys.executable).parent / "wowcard"
    for name, wowcard in (("installed", venv / "bin" / "wowcard"), ("source", source)):
        folder = tmp_path / name
        run(wowcard, "init", folder, cwd=tmp_path)
        run(wowcard, "build", "-s", folder / "survey.toml", cwd=tmp_path)
        out = folder / "build"
        trees[name] = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert trees["installed"], "the installed wheel built nothing"
    assert any("/es/" in path for path in trees["installed"])  # the catalogs came with it
    assert trees["installed"].keys() == trees["source"].keys()
    different = [path for path in trees["source"] if trees["source"][path] != trees["installed"][path]]
    assert not different, different
