"""A customer answering on a phone, end to end: real Chromium against `wowcard serve` (pages and collector on
one origin, SQLite underneath). With JavaScript off (303 to the thank-you page) and on; offline and back
online (sent exactly once); and once through a non-localhost name, where `crypto.randomUUID` is absent.
A screenshot of each run goes to test-artifacts/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chromium import launch, phone_context

from wowcard import serve as serving
from wowcard.collector import config

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
UUID = re.compile(r"^[0-9a-f]{32}$")  # the page script's id: 128 bits from crypto.getRandomValues
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright, host_rules=["MAP wowcard.test 127.0.0.1"])
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def server(survey) -> Iterator[serving.Server]:
    original = config.settings
    try:
        with serving.running(survey, port=0) as running:
            yield running
    finally:
        config.settings = original


def stored() -> list[dict[str, Any]]:
    return list(config.get_store().responses("harbour", "2000-01-01", "2100-12-31"))


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"e2e-{name}.png"), full_page=True)


def answer(page: Any, comment: str = "", contact: str = "") -> None:
    """What a happy customer at the quay taps: yes, Maya, what she did, ratings, a promise."""
    page.locator("label", has=page.locator("input[name=wow][value=yes]")).click()
    page.locator("label", has=page.locator("input[name=staff][value=maya]")).click()
    page.fill("#what", "Remembered my usual and asked about my dog")
    for rating, score in (("people", "5"), ("process", "4"), ("product", "5")):
        page.locator("label", has=page.locator(f"input[name={rating}][value='{score}']")).click()
    page.locator("label", has=page.locator("input[name=promises][value=name]")).click()
    if comment:
        page.fill("#comment", comment)
    if contact:
        page.fill("#contact", contact)  # and no tick in the consent box
    page.locator("button[type=submit]").click()


def test_an_answer_with_javascript_off_is_stored_and_the_thank_you_page_shown(browser, server) -> None:
    context = phone_context(browser, javascript=False)
    page = context.new_page()
    try:
        page.goto(f"{server.url}/harbour/quay/")
        answer(page, contact="07700 900123")
        page.wait_for_url(f"{server.url}/harbour/thanks/en/#contact-dropped", timeout=TIMEOUT_MS)
        assert page.locator("h1").inner_text() == "Thank you! Every answer is read by the team."
        assert page.locator("#contact-dropped").is_visible()  # says the contact was not kept
        screenshot(page, "javascript-off-thanks")
    finally:
        context.close()
    [response] = stored()
    assert response["id"].startswith("f-")  # the server's double-tap id: no script made one
    assert response["contact"] is None
    assert (response["wow"], response["staff"], response["people"], response["promises"]) == (
        "yes",
        "maya",
        5,
        ["name"],
    )


def test_an_answer_with_javascript_on_is_sent_once_with_its_own_id(browser, server) -> None:
    context = phone_context(browser, javascript=True)
    page = context.new_page()
    try:
        page.goto(f"{server.url}/harbour/quay/?src=card")
        answer(page, comment="Lovely flat white")
        page.wait_for_url(f"{server.url}/harbour/thanks/en/", timeout=TIMEOUT_MS)
        assert page.evaluate("localStorage.getItem('wowcard.queue')") is None
        assert page.locator("#contact-dropped").is_hidden()
        screenshot(page, "javascript-on-thanks")
    finally:
        context.close()
    [response] = stored()
    assert UUID.match(response["id"])
    assert (response["src"], response["comment"], response["staff"]) == ("card", "Lovely flat white", "maya")


def test_an_answer_given_offline_is_sent_exactly_once_when_the_phone_is_back_online(browser, server) -> None:
    context = phone_context(browser, javascript=True)
    page = context.new_page()
    try:
        page.goto(f"{server.url}/harbour/mill/")
        context.set_offline(True)
        page.locator("label", has=page.locator("input[name=wow][value=yes]")).click()
        page.locator("label", has=page.locator("input[name=staff][value=sam]")).click()
        page.locator("button[type=submit]").click()
        page.locator("#status h1").wait_for(timeout=TIMEOUT_MS)  # "saved on this phone", no spinner
        assert page.locator("form").is_hidden()
        queued = page.evaluate("JSON.parse(localStorage.getItem('wowcard.queue'))")
        assert len(queued) == 1
        assert stored() == []
        screenshot(page, "offline-queued")
        context.set_offline(False)
        page.wait_for_url(f"{server.url}/harbour/thanks/en/", timeout=TIMEOUT_MS)
        page.reload()  # the thank-you page's script flushes the queue again: nothing left to send
        page.wait_for_load_state("load")
        assert page.evaluate("localStorage.getItem('wowcard.queue')") is None
        screenshot(page, "offline-then-online-thanks")
    finally:
        context.close()
    [response] = stored()
    assert response["id"] == queued[0]["answer"]["id"]
    assert (response["location"], response["staff"]) == ("mill", "sam")


def test_through_a_plain_http_name_without_random_uuid_the_answer_still_gets_an_id(browser, server) -> None:
    context = phone_context(browser, javascript=True)
    page = context.new_page()
    try:
        page.goto(f"http://wowcard.test:{server.port}/harbour/quay/s/maya/")
        assert page.evaluate("window.isSecureContext") is False
        assert page.evaluate("typeof crypto.randomUUID") == "undefined"
        assert page.locator("input[name=staff][value=maya]").is_checked()  # the staff card's preselection
        page.locator("label", has=page.locator("input[name=wow][value=yes]")).click()
        page.locator("button[type=submit]").click()
        page.wait_for_url(f"http://wowcard.test:{server.port}/harbour/thanks/en/", timeout=TIMEOUT_MS)
        screenshot(page, "plain-http-name-thanks")
    finally:
        context.close()
    [response] = stored()
    assert UUID.match(response["id"])  # made from crypto.getRandomValues
    assert response["staff"] == "maya"
