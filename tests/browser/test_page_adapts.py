"""The survey page follows the first answer with CSS alone, so it does the same with JavaScript on and off:
"No" hides who and what and asks what could have been better; Send stays on screen (a sticky bar); Yes, a name
and Send fit one phone screen (390x844). The form posts the same frozen fields either way."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PHONE_HEIGHT = 844


@pytest.fixture(params=["javascript on", "javascript off"])
def page(request):
    return request.getfixturevalue("phone" if request.param == "javascript on" else "phone_without_js")


def on_screen(locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE_HEIGHT


def test_no_hides_who_and_what_and_asks_what_could_be_better(loopback, page):
    page.goto(loopback.url("/harbour/quay/"))
    assert page.get_by_role("group", name="Who was it?").is_visible()
    assert page.get_by_label("What did they do?").is_visible()
    assert page.get_by_role("textbox", name="Anything else you would like to tell us?").is_visible()

    page.get_by_role("radio", name="No").check()
    assert page.get_by_role("group", name="Who was it?").is_hidden()
    assert page.get_by_label("What did they do?").is_hidden()
    better = page.get_by_role("textbox", name="What could we have done better?", exact=True)
    assert better.is_visible()
    better.fill("The queue was long")

    page.get_by_role("radio", name="Yes").check()  # changing their mind brings who and what back
    assert page.get_by_role("group", name="Who was it?").is_visible()
    anything_else = page.get_by_role("textbox", name="Anything else you would like to tell us?", exact=True)
    assert anything_else.is_visible()


def test_a_no_posts_the_frozen_fields_with_the_comment(loopback, page):
    page.goto(loopback.url("/harbour/quay/"))
    page.get_by_role("radio", name="No").check()
    page.get_by_role("textbox", name="What could we have done better?").fill("The queue was long")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/harbour/thanks/en/")
    [post] = loopback.posts
    assert post.fields["wow"] == "no" and post.fields["comment"] == "The queue was long"
    assert "staff" not in post.fields


def test_yes_a_name_and_send_fit_one_phone_screen(loopback, page):
    page.goto(loopback.url("/harbour/quay/"))
    assert page.evaluate("[innerWidth, innerHeight]") == [390, PHONE_HEIGHT]
    yes = page.get_by_role("radio", name="Yes")
    name = page.get_by_role("radio", name="Priya")
    send = page.get_by_role("button", name="Send")
    for target in (yes, name, send):
        assert on_screen(target.locator("xpath=ancestor-or-self::*[self::label or self::button][1]"))
    yes.check()
    name.check()
    send.click()
    page.wait_for_url("**/harbour/thanks/en/")
    assert page.evaluate("scrollY") == 0
    assert loopback.posts[0].fields["staff"] == "priya"


def test_send_stays_on_screen_while_scrolling_past_the_optional_questions(loopback, page):
    page.goto(loopback.url("/harbour/quay/"))
    send = page.get_by_role("button", name="Send")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height > 2 * PHONE_HEIGHT  # the whole survey is longer than two screens
    for y in (0, height // 3, height // 2, height):
        page.evaluate(f"scrollTo(0, {y})")
        assert on_screen(send), y
    # Nothing it covers is out of reach: the last field scrolls clear of the bar.
    page.get_by_role("checkbox", name="Yes, you may contact me").scroll_into_view_if_needed()
    consent = page.get_by_role("checkbox", name="Yes, you may contact me").locator("xpath=..")
    assert consent.bounding_box()["y"] + consent.bounding_box()["height"] <= send.bounding_box()["y"]
