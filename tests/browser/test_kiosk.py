"""Kiosk mode in real Chromium on a counter tablet: after each answer a brief thank-you and, within 10 s, a
blank form; nothing of the previous customer left in the form or on the device once the answer is delivered;
answers tagged src=kiosk; queued while offline; targets sized for arm's length."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

TABLET = {"width": 800, "height": 1280}
CONTACT = "+44 7700 900123"


@pytest.fixture
def tablet(browser):
    context = browser.new_context(viewport=TABLET, has_touch=True, is_mobile=True, device_scale_factor=1)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def answer_with_contact(page, name: str = "Maya") -> None:
    page.get_by_role("radio", name="Yes").check()
    page.get_by_role("radio", name=name).check()
    page.get_by_label("What did they do?").fill("Remembered my order")
    page.get_by_label("Your email or phone number").fill(CONTACT)
    page.get_by_role("checkbox", name="Yes, you may contact me").check()
    page.get_by_role("button", name="Send").click()


def is_blank(page) -> bool:
    return page.evaluate("""() => {
        const form = document.querySelector('form');
        return !form.hidden && [...form.elements].every(e =>
            ['hidden', 'submit', 'fieldset'].includes(e.type) ? true
            : e.type === 'radio' || e.type === 'checkbox' ? !e.checked : e.value === '');
    }""")


def device_storage(page) -> dict:
    return page.evaluate("({...localStorage})")


def test_after_an_answer_the_kiosk_thanks_and_shows_a_blank_form_within_10_seconds(loopback, tablet):
    page = tablet
    page.clock.install()
    page.goto(loopback.url("/harbour/quay/kiosk/"))
    answer_with_contact(page)
    status = page.get_by_role("status")
    status.get_by_role("heading", name="Thank you! Every answer is read by the team.").wait_for()
    assert page.locator("form").is_hidden()
    assert page.url.endswith("/harbour/quay/kiosk/")  # the tablet stays on its page

    page.clock.run_for(10_000)
    assert is_blank(page) and page.locator("#status").text_content() == ""
    assert CONTACT not in page.content()
    assert device_storage(page) == {}  # no queue, no device token, no language choice

    [answer] = loopback.json_posts()
    assert answer["src"] == "kiosk" and answer["contact"] == CONTACT and answer["staff"] == "maya"


def test_each_kiosk_answer_is_a_device_of_its_own(loopback, tablet):
    page = tablet
    page.clock.install()
    page.goto(loopback.url("/harbour/quay/kiosk/"))
    for name in ("Maya", "Tom"):
        answer_with_contact(page, name)
        page.get_by_role("status").get_by_role("heading").wait_for()
        page.clock.run_for(10_000)
    first, second = loopback.json_posts()
    assert first["device"] != second["device"]  # the per-device recognition limit is for phones
    assert first["id"] != second["id"]


def test_offline_the_kiosk_queues_the_answer_and_still_clears_the_form(loopback, tablet):
    page = tablet
    page.clock.install()
    page.goto(loopback.url("/harbour/quay/kiosk/"))
    page.context.set_offline(True)
    answer_with_contact(page)
    page.get_by_role("status").get_by_text("saved on this tablet and will be sent automatically").wait_for()
    page.clock.run_for(10_000)
    assert is_blank(page)
    assert len(device_storage(page)["wowcard.queue"]) > 0 and loopback.posts == []

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    for _ in range(100):
        if device_storage(page) == {}:
            break
        page.clock.run_for(100)
    assert device_storage(page) == {}  # delivered: the contact is gone from the tablet
    assert [a["contact"] for a in loopback.json_posts()] == [CONTACT]


def test_a_half_answered_kiosk_form_is_cleared_when_left_alone(loopback, tablet):
    page = tablet
    page.clock.install()
    page.goto(loopback.url("/harbour/quay/kiosk/"))
    page.get_by_role("radio", name="Yes").check()
    page.get_by_label("Your email or phone number").fill(CONTACT)
    page.clock.run_for(60_000)
    assert not is_blank(page)
    page.clock.run_for(40_000)
    assert is_blank(page) and loopback.posts == []


def test_the_kiosk_returns_to_its_own_language_and_remembers_no_choice(loopback, tablet):
    page = tablet
    page.clock.install()
    page.goto(loopback.url("/harbour/quay/kiosk/"))
    page.goto(loopback.url("/harbour/quay/en/kiosk/"))  # a customer picked another language
    page.get_by_role("radio", name="No").check()
    page.get_by_role("button", name="Send").click()
    page.get_by_role("status").get_by_role("heading").wait_for()
    page.clock.run_for(10_000)
    page.wait_for_url("**/harbour/quay/kiosk/")
    assert device_storage(page) == {}


def test_kiosk_targets_are_sized_for_arms_length(loopback, tablet):
    page = tablet
    page.goto(loopback.url("/harbour/quay/kiosk/"))
    heights = page.evaluate("""() => [
        ...document.querySelectorAll('label:not([for]), button, textarea, input[type=text]')]
        .filter(e => !e.closest('.hp')).map(e => e.getBoundingClientRect().height)""")
    assert min(heights) >= 64  # a phone page's 48px, grown by the kiosk's larger root size
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    assert page.locator("form").get_attribute("autocomplete") == "off"


def test_without_javascript_the_kiosk_form_still_tags_its_answers(loopback, phone_without_js):
    page = phone_without_js
    page.goto(loopback.url("/harbour/mill/kiosk/"))
    page.get_by_role("radio", name="Yes").check()
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/harbour/thanks/en/")
    assert loopback.posts[0].fields["src"] == "kiosk"
