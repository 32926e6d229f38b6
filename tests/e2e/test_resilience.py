"""A customer's answer survives what phones and stores do to it, end to end in real Chromium (phone viewport)
against `wowcard serve`: the collector answering 503 for a while (its DynamoDB table cut off behind a
loopback gate), a reload while the answer is in flight (the SQLite write lock held by another writer) or
queued offline, a Back-and-send-again without JavaScript, and an answer given with the keyboard alone.
Each ends with exactly one stored response whose tallies equal a recount. The page's retry timers run on
Playwright's clock, not on sleeps. A screenshot of each run goes to test-artifacts/."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from chromium import phone_context

from wowcard.collector import config
from wowcard.collector.survey import Survey

from .conftest import contents, recount, screenshot, serving_survey

pytestmark = pytest.mark.browser

TIMEOUT_MS = 15_000
UUID = re.compile(r"^[0-9a-f]{32}$")  # the page script's id: 128 bits from crypto.getRandomValues


def wait_for(page: Any, condition: Callable[[], Any], what: str, seconds: float = 15) -> None:
    """Poll a condition another thread makes true (the server storing an answer), letting Playwright deliver
    the page's events meanwhile (its sync API dispatches them only inside its own calls)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {queue(page)}")
        page.wait_for_timeout(50)


def stop_the_clock(page: Any) -> None:
    """From here on the page's timers move only when the test moves its clock (Playwright's fake clock)."""
    page.clock.pause_at(page.evaluate("Date.now()") / 1000 + 1)  # Playwright's Python API takes seconds


def past_the_lease(page: Any) -> None:
    """Move the page's clock past the 30 s lease a send in flight puts on a queued answer, then let the
    network blink, as a phone's does: the page sends what is still queued. (A reloaded page may set its resend
    timer before Playwright's clock reaches the new document, so the timer alone is not relied on.)"""
    page.clock.run_for(40_000)
    page.context.set_offline(True)
    page.context.set_offline(False)


def queue(page: Any) -> list[dict[str, Any]]:
    return page.evaluate("JSON.parse(localStorage.getItem('wowcard.queue') || '[]')")


def pick(page: Any, name: str, value: str) -> None:
    page.locator("label", has=page.locator(f"input[name={name}][value='{value}']")).click()


def posts_of(context: Any) -> list[Any]:
    """Every POST any page of the context sends, as Chromium's network sees it."""
    sent: list[Any] = []
    context.on("request", lambda request: sent.append(request) if request.method == "POST" else None)
    return sent


# --- the collector refusing for a while ----------------------------------------------------------------


def test_an_answer_refused_503_for_a_while_is_delivered_once_when_the_table_is_back(
    survey: Survey, dynamodb, phone_browser
) -> None:
    with dynamodb.served(survey) as server:
        context = phone_context(phone_browser)
        page = context.new_page()
        replies: list[tuple[int, str | None]] = []
        page.on(
            "response",
            lambda r: (
                replies.append((r.status, r.headers.get("retry-after")))
                if r.request.method == "POST"
                else None
            ),
        )
        try:
            page.clock.install()
            page.goto(f"{server.url}/harbour/quay/?src=card")
            stop_the_clock(page)
            pick(page, "wow", "yes")
            pick(page, "staff", "priya")
            page.fill("#what", "Walked my order out to the car in the rain")
            dynamodb.gate.down = True  # the table is unreachable from here on
            page.locator("button[type=submit]").click()
            page.locator("#status h1").wait_for(timeout=TIMEOUT_MS)  # "saved on this phone": no spinner
            assert page.locator("form").is_hidden()
            [queued] = queue(page)
            screenshot(page, "resilience-503-saved-on-phone")
            page.clock.run_for(7_000)  # the first resend, 4-6 s later: still refused
            wait_for(page, lambda: len(replies) >= 2, "the first resend")
            assert replies == [(503, "5"), (503, "5")]
            assert contents(dynamodb.direct) == ([], {})
            assert len(queue(page)) == 1

            dynamodb.gate.down = False  # the table is back
            page.clock.run_for(13_000)  # the next resend: the backoff doubled to 8-12 s
            page.wait_for_url(f"{server.url}/harbour/thanks/en/", timeout=TIMEOUT_MS)
            assert queue(page) == []
            screenshot(page, "resilience-503-then-delivered-thanks")
        finally:
            context.close()
    assert replies == [(503, "5"), (503, "5"), (201, None)]
    responses, tallied = contents(dynamodb.direct)
    assert [r["id"] for r in responses] == [queued["answer"]["id"]]
    assert (responses[0]["staff"], responses[0]["src"]) == ("priya", "card")
    assert tallied["n"] == 1 and tallied["staff:priya"] == 1 and tallied == recount(responses)


# --- reloads ---------------------------------------------------------------------------------------------


def test_reloading_while_the_answer_is_in_flight_stores_it_exactly_once(
    survey: Survey, write_lock, phone_browser
) -> None:
    with serving_survey(survey) as server:
        store = config.get_store()
        lock = write_lock()
        context = phone_context(phone_browser)
        sent = posts_of(context)
        page = context.new_page()
        try:
            page.clock.install()
            page.goto(f"{server.url}/harbour/mill/")
            stop_the_clock(page)
            pick(page, "wow", "yes")
            pick(page, "staff", "sam")
            lock.hold()  # the collector's write waits on another writer
            with page.expect_request(lambda r: r.method == "POST"):
                page.locator("button[type=submit]").click()
            [queued] = queue(page)
            page.reload()  # the customer reloads while the answer is still on its way
            assert page.locator("form").is_visible()
            lock.release()
            wait_for(page, lambda: len(contents(store)[0]) == 1, "the first send to be stored")
            # The reloaded page never heard back; its copy is leased by the send in flight, so it waits out
            # the lease before sending again, and that second send is answered "duplicate".
            past_the_lease(page)
            wait_for(page, lambda: queue(page) == [], "the queue to empty")
            screenshot(page, "resilience-reload-in-flight")
            responses, tallied = contents(store)
        finally:
            context.close()
    assert len(sent) == 2
    assert [r["id"] for r in responses] == [queued["answer"]["id"]]
    assert tallied["n"] == 1 and tallied["staff:sam"] == 1 and tallied == recount(responses)


def test_reloading_an_offline_page_keeps_the_queued_answer_and_it_is_stored_once(
    survey: Survey, phone_browser
) -> None:
    from playwright.sync_api import Error as PlaywrightError

    with serving_survey(survey) as server:
        store = config.get_store()
        context = phone_context(phone_browser)
        sent = posts_of(context)
        page = context.new_page()
        try:
            page.clock.install()
            page.goto(f"{server.url}/harbour/quay/")
            stop_the_clock(page)
            context.set_offline(True)
            pick(page, "wow", "no")
            page.fill("#comment", "Queue was long but moved fast")
            page.locator("button[type=submit]").click()
            page.locator("#status h1").wait_for(timeout=TIMEOUT_MS)
            [queued] = queue(page)
            with pytest.raises(PlaywrightError, match="ERR_INTERNET_DISCONNECTED"):
                page.reload()  # no network: the browser shows its own offline page
            context.set_offline(False)
            page.goto(f"{server.url}/harbour/quay/")  # the customer opens the survey again
            wait_for(page, lambda: len(contents(store)[0]) == 1, "the queued answer to be stored")
            # Going online, the failed reload's page may have started a send before the new page loaded; its
            # copy is then leased, and sent again (a duplicate) once the lease is over.
            past_the_lease(page)
            wait_for(page, lambda: queue(page) == [], "the queue to empty")
            page.reload()  # and again: nothing is left to send
            page.locator("form").wait_for()
            screenshot(page, "resilience-offline-reload")
            responses, tallied = contents(store)
        finally:
            context.close()
    assert 1 <= len(sent) <= 2 and all(r.url.endswith("/api/s/harbour/responses") for r in sent)
    assert [r["id"] for r in responses] == [queued["answer"]["id"]]
    assert responses[0]["comment"] == "Queue was long but moved fast"
    assert tallied["n"] == 1 and tallied["wow_no"] == 1 and tallied == recount(responses)


# --- without JavaScript ----------------------------------------------------------------------------------


def test_without_javascript_back_and_send_again_is_stored_once(survey: Survey, phone_browser) -> None:
    with serving_survey(survey) as server:
        store = config.get_store()
        context = phone_context(phone_browser, javascript=False)
        sent = posts_of(context)
        page = context.new_page()
        try:
            page.goto(f"{server.url}/harbour/quay/s/maya/")
            pick(page, "wow", "yes")
            page.fill("#what", "Found my lost glove")
            page.locator("button[type=submit]").click()
            page.wait_for_url(f"{server.url}/harbour/thanks/en/", timeout=TIMEOUT_MS)
            page.go_back()  # the form comes back as it was sent; the customer taps Send again
            assert page.input_value("#what") == "Found my lost glove"
            page.locator("button[type=submit]").click()
            page.wait_for_url(f"{server.url}/harbour/thanks/en/", timeout=TIMEOUT_MS)
            screenshot(page, "resilience-no-js-sent-twice")
            responses, tallied = contents(store)
        finally:
            context.close()
    assert len(sent) == 2  # two identical form posts within the double-tap window...
    assert len(responses) == 1 and responses[0]["id"].startswith("f-")  # ...one answer
    assert tallied["n"] == 1 and tallied["staff:maya"] == 1 and tallied == recount(responses)


# --- the keyboard alone ----------------------------------------------------------------------------------

WANTED = {"wow": "yes", "staff": "priya", "people": "4", "product": "5"}
TICKED = {("promises", "fresh"), ("promises", "quick")}
TYPED = {"what": "Fixed the card machine and my order", "comment": "Lovely cortado"}


def answer_with_the_keyboard(page: Any) -> list[str]:
    """Tab through the page and answer with Space, arrows and typing only, whatever order the questions are
    in; returns the keys pressed. Radio groups: Space picks the first, arrows move the pick."""
    keys: list[str] = []

    def press(key: str) -> None:
        keys.append(key)
        page.keyboard.press(key)

    for _ in range(80):
        press("Tab")
        if page.locator("button:focus").count():
            press("Enter")
            return keys
        focused = page.locator("*:focus")
        if not focused.count():
            continue
        kind = (focused.get_attribute("type") or "").lower()
        name = focused.get_attribute("name") or ""
        if kind == "radio" and name in WANTED:
            if focused.get_attribute("value") != WANTED[name]:
                for _ in range(10):
                    press("ArrowRight")
                    if page.locator("*:focus").get_attribute("value") == WANTED[name]:
                        break
            if not page.locator("*:focus").is_checked():
                press("Space")
        elif kind == "checkbox" and (name, focused.get_attribute("value")) in TICKED:
            press("Space")
        elif name in TYPED:
            keys.append(f"type {name}")
            page.keyboard.type(TYPED[name])
    raise AssertionError(f"never reached the send button: {keys}")


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript-on", "javascript-off"])
def test_an_answer_given_with_the_keyboard_alone_is_stored_as_given(
    survey: Survey, phone_browser, javascript: bool
) -> None:
    with serving_survey(survey) as server:
        store = config.get_store()
        context = phone_context(phone_browser, javascript=javascript)
        page = context.new_page()
        try:
            page.goto(f"{server.url}/harbour/quay/")
            page.locator("body").focus()
            keys = answer_with_the_keyboard(page)
            page.wait_for_url(f"{server.url}/harbour/thanks/en/", timeout=TIMEOUT_MS)
            screenshot(page, f"resilience-keyboard-{'js' if javascript else 'no-js'}")
            responses, tallied = contents(store)
        finally:
            context.close()
    assert keys.count("Tab") < 40, keys
    [stored] = responses
    assert UUID.match(stored["id"]) if javascript else stored["id"].startswith("f-")
    assert {k: stored[k] for k in ("wow", "staff", "people", "process", "product", "promises")} == {
        "wow": "yes",
        "staff": "priya",
        "people": 4,
        "process": None,
        "product": 5,
        "promises": ["fresh", "quick"],
    }
    assert (stored["what"], stored["comment"], stored["contact"]) == (TYPED["what"], TYPED["comment"], None)
    assert tallied == recount(responses) and tallied["staff:priya"] == 1


def test_without_javascript_a_multi_line_answer_the_page_allowed_is_stored(
    survey: Survey, phone_browser
) -> None:
    lines = ("Carried my pram up the stairs " * 2 + "\n") * 12  # 61 characters a line, 12 line breaks
    with serving_survey(survey) as server:
        store = config.get_store()
        context = phone_context(phone_browser, javascript=False)
        page = context.new_page()
        try:
            page.goto(f"{server.url}/harbour/quay/")
            pick(page, "wow", "yes")
            page.locator("#what").click()
            page.keyboard.type(lines)  # typed: the textarea's maxlength stops it at 500
            typed = page.input_value("#what")
            page.locator("button[type=submit]").click()
            page.wait_for_load_state("load")
            landed = page.url
            responses = contents(store)[0]
        finally:
            context.close()
    assert len(typed) == 500 and typed.count("\n") > 0
    assert landed == f"{server.url}/harbour/thanks/en/"
    assert [r["what"] for r in responses] == [typed.strip()]
