"""Text inside a chat message (alerts, shout-outs, the weekly digest) that Slack, Teams, Discord and
Mattermost show as the customer wrote it, and never as something else.

What is neutralised in customer or owner text (the exact words travel beside `text`, in the JSON):
- control characters, line breaks and bidi overrides: the text is folded to one line of printable characters;
- mentions: Slack's `<!channel>` and `<url|label>` (`<` and `>` become look-alikes), `@channel`, `@here`,
  `@everyone`, `@name` (an `@` that starts a word gets a word joiner; an email address keeps its `@`); the
  words that notify a whole channel (`@channel`, `@here`, `@everyone`, `@all`) get one wherever they are, even
  after a letter or a dot (`thanks.@channel`, `x@everyone`: Discord pings on the word anywhere);
- Markdown links and images, which Mattermost and Discord render: `[label](url)` and `![alt](url)` get a word
  joiner between `]` and `(` and between `!` and `[`, so they show as typed and link nowhere;
- bare links: `scheme://` and `www.` get a word joiner, so no chat turns them into a link to click.
"""

from __future__ import annotations

import re
from typing import Any

from .safe_text import safe_text

WORD_JOINER = "\u2060"
MENTION = re.compile(r"(?<![\w.])@|@(?=(?:channel|here|everyone|all)\b)", re.IGNORECASE)
MARKDOWN_LINK = re.compile(r"\](\s*)\(")
MARKDOWN_IMAGE = re.compile(r"!(\s*)\[")
BARE_LINK = re.compile(r"(?i)(?<=[a-z0-9+.-]:)(//)|\b(www)(\.)")


def safe(value: Any) -> str:
    """`value` as one line a chat shows literally: no control characters, mentions or links."""
    folded = safe_text(value)  # the one rule for stored text shown to a person (safe_text.py)
    text = folded.replace("<", "‹").replace(">", "›")
    text = MENTION.sub("@" + WORD_JOINER, text)
    text = MARKDOWN_LINK.sub(lambda m: "]" + m.group(1) + WORD_JOINER + "(", text)
    text = MARKDOWN_IMAGE.sub(lambda m: "!" + m.group(1) + WORD_JOINER + "[", text)
    return BARE_LINK.sub(_break_link, text)


def _break_link(found: re.Match[str]) -> str:
    if found.group(1):
        return WORD_JOINER + found.group(1)
    return found.group(2) + WORD_JOINER + found.group(3)


def excerpt(value: Any, limit: int) -> str:
    """`safe(value)` cut to `limit` characters, with "…" when it was longer."""
    text = safe(value)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
