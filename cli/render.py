"""The Jinja2 environment for everything wowcard renders: a loader chain in which the owner's theme folder
overrides the packaged `site_templates/` file by file, autoescape on for every template, and StrictUndefined
so a typo in a template fails the build instead of printing nothing on a customer's phone."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import jinja2

PACKAGE = "wowcard.site_templates"


class TemplateError(Exception):
    """A template that cannot be found, parsed or rendered; the message names the file."""


def packaged_folder() -> Path:
    return Path(str(resources.files(PACKAGE)))


def theme_folder(survey_folder: Path, templates: Path | None = None) -> Path | None:
    """The owner's theme: `--templates DIR` when given, else a `templates/` folder beside survey.toml."""
    if templates is not None:
        return templates
    default = survey_folder / "templates"
    return default if default.is_dir() else None


def environment(theme: Path | None = None) -> jinja2.Environment:
    """An environment whose templates come from `theme` first (when given), then from the package. Make one
    per build: it compiles each template once and keeps it."""
    loaders: list[jinja2.BaseLoader] = []
    if theme:
        loaders.append(jinja2.FileSystemLoader(str(theme)))
    loaders.append(jinja2.FileSystemLoader(str(packaged_folder())))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,
    )


def template(env: jinja2.Environment, name: str) -> jinja2.Template:
    """A compiled template (compiled once per environment), or TemplateError naming the file."""
    try:
        return env.get_template(name)
    except jinja2.TemplateNotFound:
        raise TemplateError(f"template {name} not found") from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{exc.filename or name}, line {exc.lineno}: {exc.message}") from None


def source(env: jinja2.Environment, name: str) -> tuple[str, str]:
    """The raw text of a static asset (page.css, page.js …) and the file it came from, theme first."""
    try:
        text, filename, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
    except jinja2.TemplateNotFound:
        raise TemplateError(f"template {name} not found") from None
    return text, filename or name


def render(tmpl: jinja2.Template, context: dict) -> str:
    """Render, turning Jinja's errors (an undefined name in a theme template …) into TemplateError."""
    try:
        return tmpl.render(context)
    except jinja2.TemplateError as exc:
        raise TemplateError(f"{_where(exc, tmpl)}: {exc.message or exc}") from None


def _where(exc: BaseException, tmpl: jinja2.Template) -> str:
    """The template file and line an error came from: Jinja rewrites tracebacks to point at templates."""
    where = tmpl.filename or tmpl.name or "template"
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".css", ".js", ".svg")):
            where = f"{filename}, line {tb.tb_lineno}"
        tb = tb.tb_next
    return where
