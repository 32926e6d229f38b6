"""The docs stay true: every command line the README and docs/ show exists, every command answers --help, and
what they show a command printing is what it prints."""

from __future__ import annotations

import importlib.util
import re
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from wowcard.__main__ import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def all_commands(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in sorted(group.commands.items()):
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found.extend(all_commands(command, (*prefix, name)))
    return found


def docs_command_lines() -> list[str]:
    """Lines in the docs' shell blocks that run wowcard (`$ wowcard …` or a bare `wowcard …`)."""
    lines = []
    text = "\n".join(path.read_text(encoding="utf-8") for path in DOCS)
    for block in re.findall(r"```(?:console|bash|sh|shell)\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = line.strip().removeprefix("$ ").strip()
            if line.startswith("wowcard "):
                lines.append(line)
    return lines


@pytest.mark.parametrize("path", all_commands(), ids=" ".join)
def test_every_command_answers_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_the_readme_shows_the_two_setup_commands() -> None:
    assert "scripts/demo" in README
    assert "scripts/test" in README
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text()


def test_every_command_line_in_the_docs_exists_with_its_options() -> None:
    lines = docs_command_lines()
    assert lines, "the docs show no wowcard command lines"
    for line in lines:
        words = shlex.split(line.split(" #")[0].split(" |")[0].split(" >")[0])[1:]
        command: click.Command = cli
        ctx_words = []
        while isinstance(command, click.Group) and words and words[0] in command.commands:
            ctx_words.append(words[0])
            command = command.commands[words.pop(0)]
        if not ctx_words and words in (["--help"], ["--version"]):
            continue
        assert ctx_words, f"docs line names no wowcard command: {line}"
        known = {opt for param in command.params for opt in getattr(param, "opts", [])}
        known |= {opt for param in command.params for opt in getattr(param, "secondary_opts", [])}
        known |= {"--help", "-h"}
        for word in words:
            if word.startswith("-") and not re.match(r"^-\d", word):
                option = word.split("=", 1)[0]
                assert option in known, f"docs line uses unknown option {option}: {line}"


@pytest.mark.slow
def test_what_the_docs_show_commands_printing_is_what_they_print_now():
    """docs/cli.md and every `<!-- output: … -->` block, made again by running commands, match the files."""
    spec = importlib.util.spec_from_file_location("docs_generator", ROOT / "scripts" / "docs.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    stale = [str(path.relative_to(ROOT)) for path in generator.stale()]
    assert not stale, f"stale generated docs {stale}: run .venv/bin/python scripts/docs.py"
