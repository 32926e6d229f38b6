"""`wowcard cards`: printable wow cards and counter signs with QR codes to the survey's public pages."""

from __future__ import annotations

from pathlib import Path

import click

from ..options import InputError, load_survey, survey_option


@click.command()
@survey_option
@click.option(
    "--per",
    type=click.Choice(["location", "staff"]),
    default="location",
    show_default=True,
    help="One card per location, or one per staff member per location they work at (pointing at "
    "their own page, where they are already picked).",
)
@click.option(
    "--size",
    type=click.Choice(["business", "a6", "letter-sheet", "a4-sheet"]),
    default="a4-sheet",
    show_default=True,
    help="business: 85×55 mm cards; a6: 105×148 mm; a4-sheet / letter-sheet: 10 business cards "
    "(85×55 mm / 3.5×2 in) per sheet with crop marks.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "pdf", "svg"]),
    default="pdf",
    show_default=True,
    help="pdf: print-ready, made by Chromium; html: print from a browser at 100 %; svg: one file "
    "per card and sign.",
)
@click.option(
    "--src",
    type=click.Choice(["card", "sign", "receipt"]),
    default="card",
    show_default=True,
    help="The source tag on the cards' links (?src=…), so results can tell which card works best. "
    "Counter signs are always tagged sign.",
)
@click.option(
    "--lang",
    metavar="LANG[,LANG]",
    default=None,
    help="The language of the cards and signs (default: the survey's first), or two for bilingual cards "
    "(e.g. en,es). A card in another language than the first points at that language's pages.",
)
@click.option(
    "--kiosk",
    is_flag=True,
    help="Also print a kiosk sign per location: for staff, the QR code and address that set up a counter "
    "tablet at /<survey>/<location>/kiosk/.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: cards/ in the survey's output folder, build/cards/).",
)
@click.option(
    "--templates",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="A theme folder overriding card.html, sheet.html or cards.css (default: templates/ beside "
    "survey.toml).",
)
@click.option(
    "--stage",
    metavar="NAME",
    default=None,
    help="Point the cards at this deployed stage's pages (its CloudFront URL) instead of site_url.",
)
@click.option("--region", default=None, help="AWS region of the deployed stage.")
@click.option("--profile", default=None, help="A named AWS profile to read the deployed stage with.")
def cards(
    survey_path: Path,
    per: str,
    size: str,
    fmt: str,
    src: str,
    lang: str | None,
    kiosk: bool,
    out: Path | None,
    templates: Path | None,
    stage: str | None,
    region: str | None,
    profile: str | None,
) -> None:
    """Print-ready wow cards and a counter sign per location, each with a QR code to its survey page."""
    from .. import cards as card_maker
    from ..logo import LogoError
    from ..pdf import PdfError
    from ..render import TemplateError
    from ..store_select import StoreChoice, deployed_site_url

    survey = load_survey(survey_path)
    site_url = None
    if stage is not None:
        site_url = deployed_site_url(StoreChoice(region=region, profile=profile, stage=stage), survey)
    try:
        written = card_maker.make_cards(
            survey,
            per=per,
            size=size,
            fmt=fmt,
            src=src,
            out=out,
            templates=templates,
            site_url=site_url,
            lang=lang,
            kiosk=kiosk,
        )
    except (card_maker.NoPublicUrl, card_maker.CardLanguageError, TemplateError) as exc:
        raise InputError(str(exc)) from None
    except LogoError as exc:
        raise InputError(f"{survey_path}: brand.logo: {exc}") from None
    except PdfError as exc:
        raise click.ClickException(str(exc)) from None
    for item in written:
        click.echo(f"wrote {_shown(item.path)}: {item.what}")


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


COMMANDS = [cards]
