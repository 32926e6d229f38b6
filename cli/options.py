"""Options and error handling that every command shares: `-s/--survey`, and turning a SurveyError into one
clear line with exit code 2 (DESIGN.md "Exit codes")."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .collector import survey as survey_model


class InputError(click.ClickException):
    """Input the user can fix: one sentence, exit code 2, no usage dump."""

    exit_code = 2


def survey_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "-s",
        "--survey",
        "survey_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=Path("survey.toml"),
        show_default=True,
        help="The survey definition; paths inside it are relative to this file.",
    )(func)


def load_survey(path: Path) -> survey_model.Survey:
    try:
        return survey_model.load(path)
    except survey_model.SurveyError as exc:
        raise InputError(str(exc)) from None
