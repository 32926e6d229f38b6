"""The example survey in seven languages (every shipped catalog), its built site served on loopback, and
real Chromium, for the tests of pages in the customer's language."""

from __future__ import annotations

from pathlib import Path

import chromium
import pytest
from i18n.multilingual import StaticSite, make_multilingual

from wowcard.build import build_site
from wowcard.collector import survey as survey_model


@pytest.fixture
def multilingual_file(survey_file: Path) -> Path:
    """The example survey with pages in English (the default), es, fr, de, pt, zh-Hans and ar."""
    return make_multilingual(survey_file)


@pytest.fixture
def multilingual(multilingual_file: Path) -> survey_model.Survey:
    return survey_model.load(multilingual_file)


@pytest.fixture
def served(multilingual: survey_model.Survey, tmp_path: Path):
    out = tmp_path / "site"
    build_site(multilingual, out=out)
    site = StaticSite(out)
    yield site
    site.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    chromium.require_chromium()
    with sync_playwright() as playwright:
        launched = chromium.launch(playwright)
        yield launched
        launched.close()


@pytest.fixture
def phone_factory(browser):
    """Phone contexts with JavaScript on or off and a given browser language (navigator.languages)."""
    contexts = []

    def make(javascript: bool = True, locale: str = "en-US"):
        context = chromium.phone_context(browser, javascript=javascript, locale=locale)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
