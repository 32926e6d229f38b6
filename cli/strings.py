"""Every built-in text a customer can see on a survey, thank-you or error page, by language.

Owner texts (brand, locations, staff, promises, a custom title or thank-you) come from survey.toml; these are
the rest. Keys are stable message ids so that a later move to gettext catalogs (one `.po` file per language,
msgid = the key) changes this module only: templates read `t.<key>`, and `{name}` placeholders are filled by
`catalog()` where the value is known at build time. Only "en" ships today.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from .collector import answers
from .collector import survey as survey_model

# Field names the collector can name in an error redirect (`error/<lang>/#<field>`), in page order.
ERROR_FIELDS = (
    "location",
    "v",
    "lang",
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
    "request",
)

EN: dict[str, str] = {
    # About the language itself: its own name (for a language switcher) and its writing direction.
    "language_name": "English",
    "dir": "ltr",
    # The survey page.
    "intro": "Takes 30 seconds. Every question is optional.",
    "wow_question": survey_model.DEFAULT_TITLE,
    "yes": "Yes",
    "no": "No",
    "who_question": "Who was it?",
    "who_unknown": "I didn't catch their name",
    "what_question": "What did they do?",
    "ratings_question": "How did we do?",
    "ratings_scale": "1 is poor, 5 is excellent.",
    "people": "People",
    "people_hint": "the team who served you",
    "process": "Process",
    "process_hint": "how easy it was",
    "product": "Product",
    "product_hint": "what you came for",
    "promises_question": "Which of these would you tell a friend?",
    "comment_question": "Anything else you would like to tell us?",
    "contact_question": "Would you like us to get back to you?",
    "contact_label": "Your email or phone number",
    "consent_label": "Yes, you may contact me about this answer.",
    "contact_privacy": "We use it only to reply, and delete it after {retention_days} days.",
    "honeypot_label": "Leave this field empty",
    "send": "Send",
    "sending": "Sending…",
    "saved_title": "Your answer is safe",
    "saved_offline": (
        "There is no connection right now. Your answer is saved on this phone and will be sent "
        "automatically: you can close this page."
    ),
    "keep_title": "Not sent yet",
    "keep_open": (
        "There is no connection right now. Keep this page open: your answer will be sent as soon as the "
        "phone is back online."
    ),
    "other_languages": "Other languages",
    # The thank-you page.
    "thank_you": survey_model.DEFAULT_THANK_YOU,
    "contact_dropped": (
        "We did not keep your email or phone number, because the box allowing us to contact you was not "
        "ticked."
    ),
    # The error page.
    "error_title": "Your answer was not sent",
    "error_location": (
        "This survey page does not belong to one of our locations any more. Please scan the code again."
    ),
    "error_v": "This page was out of date. Please reload it and send your answer again.",
    "error_lang": "This page's language is not available. Please reload it and send your answer again.",
    "error_wow": "Please answer yes or no to the first question.",
    "error_staff": "The person you picked is not listed at this location any more. Please reload the page "
    "and pick again.",
    "error_what": "What they did is too long: please shorten it to {what_limit} characters.",
    "error_people": "The People rating must be a number from 1 to 5.",
    "error_process": "The Process rating must be a number from 1 to 5.",
    "error_product": "The Product rating must be a number from 1 to 5.",
    "error_promises": "One of the things you ticked is no longer on this survey. Please reload the page and "
    "send your answer again.",
    "error_comment": "Your comment is too long: please shorten it to {comment_limit} characters.",
    "error_contact": "Your email or phone number is too long: at most {contact_limit} characters.",
    "error_consent": "The contact permission box could not be read. Please reload the page and send your "
    "answer again.",
    "error_request": "Something in your answer could not be read. Please reload the page and send it again.",
    "error_back": "Go back to the survey, check your answer and send it again.",
    "error_back_button": "Use your browser's Back button to return to your answers.",
    "back_to": "Back to {location}",
}

CATALOGS: dict[str, dict[str, str]] = {"en": EN}


def available() -> tuple[str, ...]:
    return tuple(CATALOGS)


def catalog(language: str, retention_days: int) -> Mapping[str, str]:
    """The strings of one language with their build-time placeholders filled. KeyError if none ship."""
    values = {
        "retention_days": retention_days,
        **{f"{name}_limit": limit for name, limit in answers.TEXT_LIMITS.items()},
    }
    # Keys present in English but missing from a translation fall back to English, like gettext does.
    merged = {**EN, **CATALOGS[language]}
    return MappingProxyType({key: _fill(text, values) for key, text in merged.items()})


def _fill(text: str, values: Mapping[str, object]) -> str:
    """Fill only the placeholders that are in the text: `str.format_map` would choke on other braces."""
    for name, value in values.items():
        text = text.replace("{" + name + "}", str(value))
    return text
