"""WCAG 2.1 AA in real Chromium at 390x844: axe-core finds nothing on any page kind, the whole answer can be
given with the keyboard alone, focus is visible, targets are 48px, nothing scrolls sideways, motion calms
down on request."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    "path",
    [
        "/harbour/quay/",
        "/harbour/mill/en/s/sam/",
        "/harbour/quay/kiosk/",
        "/harbour/thanks/en/#contact-dropped",
        "/harbour/error/en/#comment",
    ],
    ids=["survey page", "staff page", "kiosk page", "thank-you page", "error page"],
)
def test_axe_finds_no_violation(loopback, phone, path):
    phone.goto(loopback.url(path))
    results = Axe().run(phone)
    assert results.violations_count == 0, results.generate_report()


def test_axe_finds_no_violation_on_the_saved_for_later_message(loopback, phone):
    phone.goto(loopback.url("/harbour/quay/"))
    phone.context.set_offline(True)
    phone.get_by_role("button", name="Send").click()
    phone.get_by_role("status").get_by_text("saved on this phone").wait_for()
    results = Axe().run(phone)
    phone.context.set_offline(False)
    assert results.violations_count == 0, results.generate_report()


def test_the_whole_answer_can_be_given_with_the_keyboard_alone(loopback, phone):
    page = phone
    page.goto(loopback.url("/harbour/quay/"))
    keys = page.keyboard
    keys.press("Tab")  # into the wow question
    keys.press("Space")  # Yes
    keys.press("Tab")  # into "who was it?"
    keys.press("ArrowRight")  # Maya (the first), then on to Tom
    keys.press("Tab")
    keys.type("Carried my tray")
    keys.press("Tab")  # People 1 …
    for _ in range(4):
        keys.press("ArrowRight")  # … to 5
    keys.press("Tab")  # Process: skipped
    keys.press("Tab")  # Product
    keys.press("Space")
    keys.press("ArrowRight")  # 2
    keys.press("Tab")  # first promise
    keys.press("Tab")  # second promise
    keys.press("Space")
    keys.press("Tab")
    keys.press("Tab")
    keys.type("Great cake")
    keys.press("Tab")
    keys.type("me@example.org")
    keys.press("Tab")
    keys.press("Space")  # consent
    keys.press("Tab")  # the button: the honeypot is out of the tab order
    assert page.evaluate("document.activeElement.tagName") == "BUTTON"
    keys.press("Enter")
    page.wait_for_url("**/harbour/thanks/en/")
    body = loopback.json_posts()[0]
    assert {
        k: body.get(k)
        for k in (
            "wow",
            "staff",
            "what",
            "people",
            "process",
            "product",
            "promises",
            "comment",
            "contact",
            "consent",
        )
    } == {
        "wow": "yes",
        "staff": "tom",
        "what": "Carried my tray",
        "people": "5",
        "process": None,
        "product": "2",
        "promises": ["name"],
        "comment": "Great cake",
        "contact": "me@example.org",
        "consent": "yes",
    }


def test_keyboard_focus_is_clearly_visible(loopback, phone):
    page = phone
    page.goto(loopback.url("/harbour/quay/"))
    page.keyboard.press("Tab")
    outline = page.evaluate("""() => {
        const s = getComputedStyle(document.activeElement.closest('label'));
        return [s.outlineStyle, parseFloat(s.outlineWidth)];
    }""")
    assert outline[0] == "solid" and outline[1] >= 2
    page.get_by_role("button", name="Send").focus()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"


def test_every_target_is_at_least_48px_and_nothing_scrolls_sideways(loopback, phone):
    page = phone
    page.goto(loopback.url("/harbour/quay/"))
    too_small = page.evaluate("""() => [
        ...document.querySelectorAll('label:not([for]), button, textarea, input[type=text]')]
        .filter(e => !e.closest('.hp'))
        .map(e => [e.textContent.trim() || e.name, e.getBoundingClientRect()])
        .filter(([, r]) => r.width < 48 || r.height < 48).map(([n]) => n)""")
    assert too_small == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_reduced_motion_turns_transitions_off(loopback, phone):
    page = phone
    page.emulate_media(reduced_motion="reduce")
    page.goto(loopback.url("/harbour/quay/"))
    assert page.evaluate("getComputedStyle(document.querySelector('label')).transitionDuration") == "0s"
    page.emulate_media(reduced_motion="no-preference")
    assert page.evaluate("getComputedStyle(document.querySelector('label')).transitionDuration") != "0s"
