"""The survey page's script in real Chromium: the JSON answer it sends, and its localStorage queue through
offline spells, overloaded collectors, rejected answers, plain-HTTP pages and missing storage."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

RANDOM_ID = re.compile(r"^[0-9a-f]{32}$")  # 128 bits from crypto.getRandomValues, in any context
SAVED = "Your answer is saved on this phone and will be sent automatically"
LATER = "Your answer is saved on this phone and will be sent shortly"
QUEUE_EMPTY = "JSON.parse(localStorage.getItem('wowcard.queue') || '[]').length === 0"


def queue(page) -> list:
    return page.evaluate("JSON.parse(localStorage.getItem('wowcard.queue') || '[]')")


def answer_everything(page) -> None:
    page.get_by_role("radio", name="Yes").check()
    page.get_by_role("radio", name="Priya").check()
    page.get_by_label("What did they do?").fill("  Found my lost glove  ")
    for group, score in (("People", "5"), ("Process", "3"), ("Product", "4")):
        page.get_by_role("group", name=group).get_by_role("radio", name=score).check()
    page.get_by_role("checkbox", name="Served in under three minutes").check()
    page.get_by_role("checkbox", name="Coffee roasted this week").check()
    page.get_by_label("Anything else").fill("Lovely")
    page.get_by_label("Your email or phone number").fill("+44 7700 900123")
    page.get_by_role("checkbox", name="Yes, you may contact me").check()


def posts_started(page) -> list[str]:
    """The answers the page's documents start to send, as Chromium reports them: a request a document
    started is reported before the navigation that replaces it, and before the load event of the one that
    started it on load."""
    started: list[str] = []
    page.on("request", lambda r: started.append(r.url) if r.method == "POST" else None)
    return started


def every_timer_fires(page) -> None:
    """Move the page's fake clock (installed before it loaded) past any resend it could have scheduled (the
    backoff is 4 to 6 seconds at first), so a resend that was going to happen has been started."""
    page.clock.run_for(60_000)


def test_the_script_sends_every_request_field_as_a_simple_json_request(loopback, phone, definition):
    page = phone
    requests = []
    page.on("request", lambda r: requests.append(r) if r.method in ("POST", "OPTIONS") else None)
    page.goto(loopback.url("/harbour/quay/?src=card"))
    answer_everything(page)
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/harbour/thanks/en/")

    [post] = loopback.posts
    assert post.content_type == "text/plain;charset=UTF-8"
    [request] = requests
    assert request.method == "POST" and set(request.headers) <= {
        "content-type",
        "user-agent",
        "referer",
        "origin",
        "accept",
        "sec-ch-ua",
        "sec-ch-ua-mobile",
        "sec-ch-ua-platform",
    }
    body = loopback.json_posts()[0]
    device = page.evaluate("localStorage.getItem('wowcard.device')")
    assert RANDOM_ID.match(body.pop("id"))
    assert body == {
        "v": definition.version,
        "lang": "en",
        "location": "quay",
        "src": "card",
        "device": device,
        "wow": "yes",
        "staff": "priya",
        "what": "  Found my lost glove  ",
        "people": "5",  # as the form posts them: the collector reads "1" to "5"
        "process": "3",
        "product": "4",
        "promises": ["fresh", "quick"],
        "comment": "Lovely",
        "contact": "+44 7700 900123",
        "consent": "yes",
        "website": "",
    }
    assert re.match(r"^[0-9a-f]{32}$", device)
    assert queue(page) == []


def test_unknown_sources_and_empty_answers_are_left_out(loopback, phone):
    page = phone
    page.goto(loopback.url("/harbour/mill/s/sam/?src=billboard"))
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/harbour/thanks/en/")
    body = loopback.json_posts()[0]
    assert set(body) == {"id", "v", "lang", "location", "device", "staff", "website"}
    assert body["staff"] == "sam"


def test_an_answer_given_offline_is_kept_and_sent_once_when_back_online(loopback, phone):
    page = phone
    started = posts_started(page)
    page.clock.install()
    page.goto(loopback.url("/harbour/quay/"))
    answer_everything(page)
    page.context.set_offline(True)
    page.get_by_role("button", name="Send").click()
    status = page.get_by_role("status")
    status.get_by_text(SAVED).wait_for()
    assert page.locator("form").is_hidden()
    assert len(queue(page)) == 1 and loopback.posts == []

    started.clear()  # the attempt that failed offline
    page.context.set_offline(False)
    page.wait_for_url("**/harbour/thanks/en/")
    assert len(loopback.posts) == 1
    assert queue(page) == []
    every_timer_fires(page)
    assert len(started) == 1 and len(loopback.posts) == 1


def test_a_queued_answer_is_sent_on_the_next_page_load(loopback, browser):
    import chromium

    context = chromium.phone_context(browser)
    try:
        page = context.new_page()
        page.goto(loopback.url("/harbour/quay/"))
        page.get_by_role("radio", name="No").check()
        context.set_offline(True)
        page.get_by_role("button", name="Send").click()
        page.get_by_role("status").get_by_text(SAVED).wait_for()
        [queued] = queue(page)
        page.close()

        context.set_offline(False)
        later = context.new_page()
        started = posts_started(later)
        later.clock.install()
        with later.expect_response(lambda r: r.request.method == "POST"):
            later.goto(loopback.url("/harbour/thanks/"))
        later.wait_for_function(QUEUE_EMPTY)
        assert loopback.json_posts()[0]["id"] == queued["answer"]["id"]
        assert loopback.json_posts()[0]["wow"] == "no"
        every_timer_fires(later)
        assert len(started) == 1 and len(loopback.posts) == 1
    finally:
        context.close()


def test_an_overloaded_collector_gets_the_answer_again_and_stores_it_once(loopback, phone):
    page = phone
    loopback.replies.append((503, {"error": "busy, try again"}, {"Retry-After": "1"}))
    page.clock.install()
    page.goto(loopback.url("/harbour/quay/"))
    page.get_by_role("radio", name="Yes").check()
    page.get_by_role("button", name="Send").click()
    page.get_by_role("status").get_by_text(LATER).wait_for()
    page.clock.run_for(1_100)  # Retry-After: 1; the backoff timer is still 3 to 5 seconds away
    assert len(queue(page)) == 1

    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_url("**/harbour/thanks/en/")
    first, second = loopback.json_posts()
    assert first == second
    assert len(loopback.stored) == 1 and queue(page) == []


def test_the_backoff_timer_resends_without_any_event(loopback, phone):
    page = phone
    page.clock.install()
    loopback.replies.append((500, {"error": "boom"}, {}))
    page.goto(loopback.url("/harbour/mill/"))
    page.get_by_role("button", name="Send").click()
    page.get_by_role("status").get_by_text(LATER).wait_for()
    page.clock.run_for(7_000)  # the first retry comes 4 to 6 seconds later
    page.wait_for_url("**/harbour/thanks/en/")
    assert len(loopback.posts) == 2 and len(loopback.stored) == 1


def test_an_answer_the_collector_rejects_is_dropped_and_the_error_page_names_the_field(loopback, phone):
    page = phone
    started = posts_started(page)
    loopback.replies.append(
        (400, {"error": "comment is longer than 1000 characters", "field": "comment"}, {})
    )
    page.clock.install()
    page.goto(loopback.url("/harbour/quay/"))
    page.get_by_label("Anything else").fill("x")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/harbour/error/en/#comment")
    assert page.locator("#comment").is_visible()
    assert queue(page) == []
    page.goto(loopback.url("/harbour/quay/"))  # a queued answer would be sent on this load
    every_timer_fires(page)
    assert len(started) == 1 and len(loopback.posts) == 1


def test_the_same_answer_is_never_sent_twice_at_once(loopback, phone):
    page = phone
    started = posts_started(page)
    page.clock.install()
    page.goto(loopback.url("/harbour/quay/"))
    page.evaluate("""() => {
        const form = document.querySelector('form');
        form.requestSubmit(); form.requestSubmit();
        window.dispatchEvent(new Event('online'));
    }""")
    page.wait_for_url("**/harbour/thanks/en/")
    every_timer_fires(page)
    assert len(started) == 1 and len(loopback.posts) == 1


def test_a_page_on_plain_http_makes_ids_too(loopback, phone):
    page = phone
    page.goto(loopback.url("/harbour/quay/", host="wowcard.test"))
    assert page.evaluate("[isSecureContext, typeof crypto.randomUUID]") == [False, "undefined"]
    page.get_by_role("radio", name="Yes").check()
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/harbour/thanks/en/")
    assert RANDOM_ID.match(loopback.json_posts()[0]["id"])


def test_without_local_storage_the_answer_is_sent_directly(loopback, browser):
    import chromium

    context = chromium.phone_context(browser)
    context.add_init_script(
        "Object.defineProperty(window, 'localStorage', "
        "{get() { throw new DOMException('denied', 'SecurityError'); }})"
    )
    try:
        page = context.new_page()
        page.goto(loopback.url("/harbour/quay/"))
        page.get_by_role("radio", name="Yes").check()
        page.get_by_role("button", name="Send").click()
        page.wait_for_url("**/harbour/thanks/en/")
        body = loopback.json_posts()[0]
        assert "device" not in body and RANDOM_ID.match(body["id"])
    finally:
        context.close()


def test_without_local_storage_an_offline_answer_waits_in_the_open_page(loopback, browser):
    import chromium

    context = chromium.phone_context(browser)
    context.add_init_script("Object.defineProperty(window, 'localStorage', {get() { return null; }})")
    try:
        page = context.new_page()
        page.goto(loopback.url("/harbour/quay/"))
        context.set_offline(True)
        page.get_by_role("button", name="Send").click()
        page.get_by_role("status").get_by_text("Keep this page open").wait_for()
        context.set_offline(False)
        page.wait_for_url("**/harbour/thanks/en/")
        assert len(loopback.posts) == 1
    finally:
        context.close()


def test_a_captive_portal_answering_200_does_not_take_the_answer_off_the_queue(loopback, phone):
    page = phone
    loopback.replies.append((200, {"portal": "please log in to the wifi"}, {}))
    page.goto(loopback.url("/harbour/quay/"))
    page.get_by_role("button", name="Send").click()
    page.get_by_role("status").get_by_text(SAVED).wait_for()
    assert len(queue(page)) == 1


def test_after_a_rejection_the_form_is_ready_for_a_corrected_answer(loopback, phone):
    page = phone
    # Back from the error page, a phone may restore the form page as it was (back/forward cache); staying
    # on the page (the error page answers 204 No Content) shows the same state.
    page.route("**/harbour/error/**", lambda route: route.fulfill(status=204))
    loopback.replies.append((400, {"error": "what is longer than 500 characters", "field": "what"}, {}))
    page.goto(loopback.url("/harbour/quay/"))
    page.get_by_role("radio", name="Yes").check()
    page.get_by_role("button", name="Send").click()
    send = page.get_by_role("button", name="Send", exact=True)
    expect(send).to_be_enabled()
    page.get_by_label("What did they do?").fill("Shorter now")
    send.click()
    page.wait_for_url("**/harbour/thanks/en/")
    first, second = loopback.json_posts()
    assert first["id"] != second["id"] and second["what"] == "Shorter now"


def test_too_many_requests_waits_at_least_retry_after_before_sending_again(loopback, phone):
    page = phone
    started = posts_started(page)
    page.clock.install()
    loopback.replies.append((429, {"error": "slow down"}, {"Retry-After": "30"}))
    page.goto(loopback.url("/harbour/quay/"))
    page.get_by_role("radio", name="Yes").check()
    page.get_by_role("button", name="Send").click()
    page.get_by_role("status").get_by_text(LATER).wait_for()
    page.clock.run_for(25_000)
    page.evaluate("window.dispatchEvent(new Event('online'))")  # not even a network change sends it sooner
    page.reload()  # nor a new page load: the wait is kept with the queued answer
    page.clock.run_for(1_000)
    assert len(started) == 1 and len(queue(page)) == 1
    page.clock.run_for(40_000)
    page.wait_for_function(QUEUE_EMPTY)  # taken off once the collector stored it
    assert len(loopback.stored) == 1 and len(loopback.posts) == 2


def test_a_version_not_published_yet_keeps_the_answer_and_says_so_truthfully(loopback, phone):
    page = phone
    loopback.replies.append(
        (409, {"error": "version not published yet", "field": "v", "code": "version_not_published"}, {})
    )
    page.goto(loopback.url("/harbour/quay/"))
    page.get_by_role("radio", name="Yes").check()
    page.get_by_role("button", name="Send").click()
    status = page.get_by_role("status")
    status.get_by_text(LATER).wait_for()
    assert "no connection" not in status.inner_text()
    assert status.get_by_role("heading").inner_text() == "Your answer is safe"
    assert len(queue(page)) == 1

    page.evaluate("window.dispatchEvent(new Event('online'))")  # published meanwhile: the next try stores it
    page.wait_for_url("**/harbour/thanks/en/")
    assert len(loopback.posts) == 2 and len(loopback.stored) == 1 and queue(page) == []


def test_without_local_storage_a_later_answer_asks_to_keep_the_page_open(loopback, browser):
    import chromium

    context = chromium.phone_context(browser)
    context.add_init_script("Object.defineProperty(window, 'localStorage', {get() { return null; }})")
    try:
        page = context.new_page()
        loopback.replies.append((409, {"error": "version not published yet", "field": "v"}, {}))
        page.goto(loopback.url("/harbour/quay/"))
        page.get_by_role("button", name="Send").click()
        status = page.get_by_role("status")
        status.get_by_text("will be sent shortly: keep this page open").wait_for()
        assert status.get_by_role("heading").inner_text() == "Not sent yet"
    finally:
        context.close()


def test_an_unknown_field_in_a_rejection_shows_the_general_error(loopback, phone):
    page = phone
    loopback.replies.append((400, {"error": "src must be one of …", "field": "src"}, {}))
    page.goto(loopback.url("/harbour/quay/"))
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/harbour/error/en/#src")
    visible = [p.inner_text() for p in page.locator("main p").all() if p.is_visible()]
    assert visible[0].startswith("Something in your answer could not be read.")
    assert queue(page) == []


@pytest.mark.parametrize(
    "path", ["/harbour/quay/", "/harbour/quay/kiosk/", "/harbour/thanks/", "/harbour/error/en/#what"]
)
def test_no_page_logs_an_error_or_asks_for_a_missing_file(loopback, phone, path):
    page = phone
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: problems.append(r.url) if r.status >= 400 else None)
    page.goto(loopback.url(path))
    page.wait_for_load_state("networkidle")
    assert problems == []  # no /favicon.ico 404, no script error
