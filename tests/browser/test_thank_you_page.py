"""The thank-you page in real Chromium: with the script it thanks the person the customer named and confirms a
call-back they asked for; without it, it stays generic and correct. The survey's public review link is on it
whatever the customer answered."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

REVIEW = "https://g.page/r/harbour-coffee/review"


@pytest.fixture
def survey_file(survey_dir: Path) -> Path:
    path = survey_dir / "survey.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("retention_days = 365", f'retention_days = 365\nreview_url = "{REVIEW}"'))
    return path


def visible_text(page) -> list[str]:
    return [p.inner_text() for p in page.locator("main p").all() if p.is_visible()]


def thank_someone_and_ask_for_a_call_back(page, name: str) -> None:
    page.get_by_role("radio", name="Yes").check()
    page.get_by_role("radio", name=name).check()
    page.get_by_label("Your email or phone number").fill("+44 7700 900123")
    page.get_by_role("checkbox", name="Yes, you may contact me").check()
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/harbour/thanks/en/")


def test_the_person_named_is_thanked_and_the_call_back_is_confirmed(loopback, phone):
    page = phone
    page.goto(loopback.url("/harbour/quay/"))
    thank_someone_and_ask_for_a_call_back(page, "Priya")
    assert visible_text(page) == [
        "We will pass your thanks on to Priya.",
        "You asked us to get back to you: we will.",
        "Leave us a public review on g.page",
    ]
    page.reload()  # shown once: nothing of the answer stays behind
    assert visible_text(page) == ["Leave us a public review on g.page"]
    assert page.evaluate("sessionStorage.length") == 0


def test_a_contact_without_consent_is_not_promised_a_call_back(loopback, phone):
    page = phone
    page.goto(loopback.url("/harbour/mill/"))
    page.get_by_role("radio", name="Yes").check()
    page.get_by_role("radio", name="I didn't catch their name").check()
    page.get_by_label("Your email or phone number").fill("li.fan@example.org")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/harbour/thanks/en/#contact-dropped")
    text = visible_text(page)
    assert not [line for line in text if "get back to you" in line or "pass your thanks" in line]
    assert any("did not keep your email or phone number" in line for line in text)


def test_a_no_thanks_nobody_by_name(loopback, phone):
    page = phone
    page.goto(loopback.url("/harbour/mill/s/sam/"))  # Sam's card: Sam preselected
    page.get_by_role("radio", name="No").check()
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/harbour/thanks/en/")
    assert visible_text(page) == ["Leave us a public review on g.page"]
    assert "staff" not in loopback.json_posts()[0]


@pytest.mark.parametrize("wow", ["Yes", "No"])
def test_the_review_link_is_the_same_whatever_the_answer(loopback, phone, wow):
    page = phone
    page.goto(loopback.url("/harbour/quay/"))
    page.get_by_role("radio", name=wow).check()
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/harbour/thanks/en/")
    assert page.get_by_role("link", name="Leave us a public review on g.page").get_attribute("href") == REVIEW


def test_without_javascript_the_thank_you_page_stays_generic(loopback, phone_without_js):
    page = phone_without_js
    page.goto(loopback.url("/harbour/quay/"))
    thank_someone_and_ask_for_a_call_back(page, "Maya")
    assert page.get_by_role("heading", level=1).inner_text() == "Thank you! Every answer is read by the team."
    assert visible_text(page) == ["Leave us a public review on g.page"]
    assert "{name}" not in page.locator("main").inner_text()
