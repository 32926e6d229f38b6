"""THE one rule for showing stored text (a customer's comment, story or contact, an owner's note or name) to a
person: every output that is read by a human (the terminal, CSV, Markdown, HTML, a chat message) passes text
through `safe_text` first. JSON and JSON Lines are for programs and keep the text as stored (json.dumps makes
any character valid JSON).

What it removes: whole terminal escape sequences (CSI such as clear screen and colours, OSC such as OSC 8
hyperlinks and window titles, in their 7-bit `ESC [` / `ESC ]` and 8-bit C1 forms), every other control
character (C0, DEL, C1), and invisible format characters that reorder or hide text (bidi overrides and
isolates, zero-width spaces). The zero-width joiner and non-joiner stay: emoji sequences and some scripts
need them. Removed characters become a space, and spaces are folded, so words never glue together.

It lives in the collector because the Lambda's alert sender needs it too (the collector imports nothing
from the CLI).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# CSI: ESC [ or C1 0x9B, parameters, intermediates, one final byte. OSC / DCS / SOS / PM / APC strings: ESC ]
# (or P X ^ _) or their C1 forms, up to BEL or ST (ESC \ or C1 0x9C), or to the end of the text when
# unterminated. Other two-byte escapes: ESC and one byte.
_ESCAPE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[@-~]?"
)
_KEEP_FORMAT = {"\u200c", "\u200d"}  # zero-width non-joiner and joiner: emoji and scripts need them
_LINE_BREAKS = re.compile(r"[ \t]*(?:\r\n|\r|\n)[ \t]*")


def _visible(ch: str) -> bool:
    if ch in _KEEP_FORMAT:
        return True
    category = unicodedata.category(ch)
    # Cc: controls (C0, DEL, C1); Cf: format (bidi overrides, zero-width space); Zl/Zp: line and paragraph
    # separators (a terminal or a spreadsheet would break the line); Cs: lone surrogates; Co/Cn: private or
    # unassigned code points a font may show as anything.
    return category not in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn")


def safe_text(value: Any, *, keep_newlines: bool = False) -> str:
    """`value` as text a person can be shown safely. One line unless `keep_newlines` (then line breaks stay
    as `\\n`, at most one blank line in a row, and tabs become spaces)."""
    text = str(value)
    if text.isprintable():  # the usual case, at C speed: no control, format or separator character to remove
        return " ".join(text.split())
    text = _ESCAPE.sub(" ", text)
    if not keep_newlines:
        return " ".join("".join(ch if _visible(ch) else " " for ch in text).split())
    lines = _LINE_BREAKS.split(text)
    cleaned = [" ".join("".join(ch if _visible(ch) else " " for ch in line).split()) for line in lines]
    out: list[str] = []
    for line in cleaned:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n")


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def json_safe(dumped: str) -> str:
    """JSON text (from json.dumps(..., ensure_ascii=False)) with the characters a terminal could act on or
    that reorder text (C1 controls, bidi and other invisible format characters, line separators) written as
    \\uXXXX escapes: the same JSON value, the text exactly as stored, and safe to print. json.dumps already
    escapes C0 controls; outside strings JSON is ASCII, so every match is inside a string."""
    return _NON_ASCII.sub(_escape_invisible, dumped)


def _escape_invisible(match: re.Match[str]) -> str:
    run = match.group()
    if run.isprintable():  # the usual case, at C speed: nothing to escape
        return run
    return "".join(ch if _visible(ch) else _json_escape(ch) for ch in run)


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # beyond the BMP: a UTF-16 surrogate pair, as JSON spells it
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
