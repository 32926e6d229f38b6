"""The survey page with JavaScript off, in real Chromium at phone size: a plain form post, the collector's
303 to the thank-you page, and the thank-you and error notes chosen by the URL fragment with CSS alone."""

from __future__ import annotations

from dataclasses import replace

import pytest

pytestmark = pytest.mark.browser


def test_a_full_answer_posts_as_a_form_and_lands_on_the_thank_you_page(
    loopback, phone_without_js, definition
):
    page = phone_without_js
    page.goto(loopback.url("/harbour/quay/"))
    page.get_by_role("radio", name="Yes").check()
    page.get_by_role("radio", name="Maya").check()
    page.get_by_label("What did they do?").fill("Remembered my usual & my dog's name")
    page.get_by_role("group", name="People").get_by_role("radio", name="5").check()
    page.get_by_role("group", name="Product").get_by_role("radio", name="4").check()
    page.get_by_role("checkbox", name="Coffee roasted this week").check()
    page.get_by_role("checkbox", name="They know my name").check()
    page.get_by_label("Anything else").fill("More oat milk, please")
    page.get_by_role("button", name="Send").click()

    page.wait_for_url("**/harbour/thanks/en/")
    assert page.get_by_role("heading", level=1).inner_text() == "Thank you! Every answer is read by the team."
    assert not page.locator("#contact-dropped").is_visible()
    [post] = loopback.posts
    assert post.content_type == "application/x-www-form-urlencoded"
    assert post.fields == {
        "v": definition.version,
        "lang": "en",
        "location": "quay",
        "wow": "yes",
        "staff": "maya",
        "what": "Remembered my usual & my dog's name",
        "people": "5",
        "product": "4",
        "promises": ["fresh", "name"],
        "comment": "More oat milk, please",
        "contact": "",
        "website": "",
    }


def test_an_empty_answer_can_be_sent_because_every_question_is_optional(loopback, phone_without_js):
    page = phone_without_js
    page.goto(loopback.url("/harbour/mill/en/"))
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/harbour/thanks/en/")
    assert loopback.posts[0].fields["location"] == "mill"


def test_a_staff_card_page_sends_that_person_without_javascript(loopback, phone_without_js):
    page = phone_without_js
    page.goto(loopback.url("/harbour/mill/s/li/"))
    assert page.get_by_role("radio", name="Li").is_checked()
    page.get_by_role("radio", name="Yes").check()
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/harbour/thanks/en/")
    assert loopback.posts[0].fields["staff"] == "li" and loopback.posts[0].fields["location"] == "mill"


def test_a_contact_without_consent_is_announced_as_not_kept(loopback, phone_without_js):
    page = phone_without_js
    page.goto(loopback.url("/harbour/quay/"))
    page.get_by_label("Your email or phone number").fill("maya.fan@example.org")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/harbour/thanks/en/#contact-dropped")
    note = page.locator("#contact-dropped")
    assert note.is_visible()
    assert "did not keep your email or phone number" in note.inner_text()


def test_a_contact_with_consent_shows_no_note(loopback, phone_without_js):
    page = phone_without_js
    page.goto(loopback.url("/harbour/quay/"))
    page.get_by_label("Your email or phone number").fill("maya.fan@example.org")
    page.get_by_role("checkbox", name="Yes, you may contact me").check()
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/harbour/thanks/en/")
    assert loopback.posts[0].fields["consent"] == "yes"
    assert not page.locator("#contact-dropped").is_visible()


def test_the_error_page_shows_the_message_of_the_field_in_the_url(loopback, phone_without_js):
    page = phone_without_js
    page.goto(loopback.url("/harbour/error/en/#v"))
    visible = [p.inner_text() for p in page.locator("p.note").all() if p.is_visible()]
    assert visible == ["This page was out of date. Please reload it and send your answer again."]
    assert page.get_by_role("link", name="Back to Quay Street").get_attribute("href") == "/harbour/quay/en/"

    page.goto(loopback.url("/harbour/error/en/#comment"))
    visible = [p.inner_text() for p in page.locator("p.note").all() if p.is_visible()]
    assert visible == ["Your comment is too long: please shorten it to 1,000 characters."]

    page.goto(loopback.url("/harbour/error/"))
    visible = [p.inner_text() for p in page.locator("p.note").all() if p.is_visible()]
    assert visible == [
        "Something in your answer could not be read. Please reload the page and send it again."
    ]


def test_a_rejected_form_post_lands_on_the_error_page_for_its_field(loopback, phone_without_js):
    page = phone_without_js
    page.goto(loopback.url("/harbour/quay/"))
    # The page was built before Tom left: the collector no longer knows him at this location.
    page.get_by_role("radio", name="Tom").check()
    loopback.definition = replace(
        loopback.definition, staff=tuple(s for s in loopback.definition.staff if s.id != "tom")
    )
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/harbour/error/en/#staff")
    assert page.locator("#staff").is_visible()
    assert "not listed at this location any more" in page.locator("#staff").inner_text()
