"""Customer text in a chat message shows as typed and does nothing else: no control characters, no mention,
and no link or image in the Markdown that Mattermost and Discord render (nor a bare link to click)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from alerts.stand_ins import Clock, Receiver

from wowcard.collector import chat
from wowcard.collector.alerts import LiteralWebhook, Sender

WJ = "\u2060"
# What a Markdown renderer or a chat's autolinker turns into a link or an image.
LINK = re.compile(
    r"\]\s*\(|!\s*\[|://|\bwww\.|<[^>]*>|(?<![\w.])@\w|@(?:channel|here|everyone|all)\b", re.IGNORECASE
)


@pytest.mark.parametrize(
    "typed",
    [
        "[Claim your refund](https://evil.example/refund)",
        "![tracking pixel](https://evil.example/p.png)",
        "[label] (https://evil.example)",
        "! [img](http://evil.example/x.png)",
        "see https://evil.example/phish or www.evil.example",
        "<https://evil.example|click me> <!channel> @here @everyone",
        "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\ and \u202etxt.exe",
        "Thanks.@channel and ask@here now",
        "fix this x@everyone @ALL",
        "(@everyone) \u200b@here",
    ],
)
def test_links_images_mentions_and_controls_are_shown_as_typed_and_do_nothing(typed: str) -> None:
    assert LINK.search(typed) is not None  # as typed, a chat would link or ping
    shown = chat.safe(typed)
    assert LINK.search(shown) is None
    assert all(c.isprintable() or c == WJ for c in shown)  # one line: no control or bidi characters


def test_the_words_are_kept_a_person_reads_the_same_text() -> None:
    shown = chat.safe("[Great coffee](https://example.com) from ann@example.com!")
    assert shown.replace(WJ, "") == "[Great coffee](https:" + "//example.com) from ann@example.com!"
    assert "ann@example.com" in shown  # an email address keeps its @


def test_an_alert_with_a_markdown_link_in_the_comment_links_nowhere(
    store: Any, make_record: Any, receiver: Receiver, clock: Clock
) -> None:
    store.put(
        make_record(people=1, comment="[Your refund](https://evil.example) ![x](https://evil.example/p)")
    )
    Sender(store, "harbour", LiteralWebhook(receiver.url), clock=clock).sweep()

    (body,) = receiver.bodies
    (comment,) = [line for line in body["text"].splitlines() if line.startswith("Comment: ")]
    assert LINK.search(comment) is None
    assert body["response"]["comment"] == "[Your refund](https://evil.example) ![x](https://evil.example/p)"
