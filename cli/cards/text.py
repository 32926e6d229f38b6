"""Text metrics and fitting: Helvetica-compatible advance widths, line breaking, and texts shrunk or wrapped
to fit their boxes on the art."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

from .paper import INK, Box

# Advance widths (1/1000 em) of Helvetica and Helvetica Bold for U+0020..U+007E, from the Adobe core font
# metrics; Arial, Liberation Sans and Nimbus Sans share them, so the fitted lines hold in any of them.
_REGULAR = (
    "278 278 355 556 556 889 667 191 333 333 389 584 278 333 278 278 556 556 556 556 556 556 556 556 556 "
    "556 278 278 584 584 584 556 1015 667 667 722 722 667 611 778 722 278 500 667 556 833 722 778 667 778 "
    "722 667 611 722 667 944 667 667 611 278 278 278 469 556 333 556 556 500 556 556 278 556 556 222 222 "
    "500 222 833 556 556 556 556 333 500 278 556 500 722 500 500 500 334 260 334 584"
)
_BOLD = (
    "278 333 474 556 556 889 722 238 333 333 389 584 278 333 278 278 556 556 556 556 556 556 556 556 556 556 "
    "333 333 584 584 584 611 975 722 722 722 722 667 611 778 722 278 556 722 611 833 722 778 667 778 722 667 "
    "611 722 667 944 667 667 611 333 278 333 584 556 333 556 611 556 611 556 333 611 611 278 278 556 278 889 "
    "611 611 611 611 389 556 333 611 556 778 556 556 500 389 280 389 584"
)
_ASCII = {400: tuple(int(w) for w in _REGULAR.split()), 700: tuple(int(w) for w in _BOLD.split())}
_EXTRA = {  # character: (regular, bold)
    "\u2019": (222, 278),
    "\u2018": (222, 278),
    "\u201c": (333, 500),
    "\u201d": (333, 500),
    "\u2013": (556, 556),
    "\u2014": (1000, 1000),
    "\u2026": (1000, 1000),
    "\u00b7": (278, 278),
    "\u2022": (350, 350),
    "\u00df": (611, 611),
    "\u00e6": (889, 889),
    "\u00c6": (1000, 1000),
    "\u00f8": (611, 611),
    "\u00d8": (778, 778),
    "\u0153": (944, 944),
    "\u0152": (1000, 1000),
    "\u0142": (222, 278),
    "\u0141": (556, 611),
    "\u0131": (278, 278),
    "\u00f0": (556, 611),
    "\u00d0": (722, 722),
    "\u00fe": (556, 611),
    "\u00de": (667, 667),
    "\u00a0": (278, 278),
}
_UNKNOWN = 760  # wider than any Latin lowercase letter: unknown scripts get room to spare
_WIDE = 1000
ASCENT, DESCENT = 0.718, 0.207  # of the em, Helvetica's
SLACK = 0.015  # of a box's width left free: room for rendering differences between metric-compatible fonts


def char_width(ch: str, weight: int = 400) -> int:
    code = ord(ch)
    if 32 <= code < 127:
        return _ASCII[weight][code - 32]
    if ch in _EXTRA:
        return _EXTRA[ch][weight == 700]
    if unicodedata.combining(ch):
        return 0
    base = unicodedata.normalize("NFD", ch)[0]
    if base != ch:
        return char_width(base, weight)
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return _WIDE
    return _UNKNOWN


def text_width(text: str, weight: int = 400) -> int:
    """Advance width in 1/1000 em."""
    return sum(char_width(ch, weight) for ch in text)


@dataclass(frozen=True, slots=True)
class TextBlock:
    """Text fitted into a box: its lines, size and first baseline, ready to draw."""

    role: str
    box: Box
    lines: tuple[str, ...]
    size: float  # mm
    weight: int
    fill: str
    anchor: str  # where the lines hang on the paper: start (left) | middle | end (right)
    first_baseline: float
    leading: float
    direction: str = "ltr"  # of the text itself: rtl for Arabic, whichever side it hangs on

    @property
    def text_anchor(self) -> str:
        """SVG's text-anchor, which counts from where the text begins: the right for right-to-left text."""
        if self.direction == "rtl":
            return {"start": "end", "end": "start"}.get(self.anchor, self.anchor)
        return self.anchor

    @property
    def x(self) -> float:
        if self.anchor == "end":
            # Text hung from the right edge may reach past its advance there (joined Arabic letters, a final
            # "?"): hang it inside the room fitting left for rendering differences, so it stays in the box.
            return self.box.x + self.box.w * (1 - SLACK)
        return {"start": self.box.x, "middle": self.box.x + self.box.w / 2, "end": self.box.x + self.box.w}[
            self.anchor
        ]

    def baselines(self) -> list[tuple[float, str]]:
        step = self.size * self.leading
        return [(self.first_baseline + i * step, line) for i, line in enumerate(self.lines)]

    @property
    def height(self) -> float:
        return len(self.lines) * self.size * self.leading


def _tokens(text: str, url: bool) -> tuple[list[str], str]:
    """Words joined by spaces, or an address's parts: it breaks after a slash."""
    if url:
        return [t for t in re.split(r"(?<=/)", text) if t], ""
    return text.split(), " "


def _wrap(text: str, limit: float, weight: int, url: bool, break_words: bool) -> list[str] | None:
    """Greedy line breaking within `limit` (1/1000 em). None when a word is too long and may not break.
    An address part too long for a line breaks after a dot or hyphen first, then anywhere."""
    tokens, joiner = _tokens(text, url)
    if url:
        tokens = [
            piece
            for token in tokens
            for piece in (re.split(r"(?<=[.-])", token) if text_width(token, weight) > limit else [token])
            if piece
        ]
    lines: list[str] = []
    current = ""
    for token in tokens:
        candidate = f"{current}{joiner}{token}" if current else token
        if text_width(candidate, weight) <= limit:
            current = candidate
            continue
        if current:
            lines.append(current)
            current = ""
        while text_width(token, weight) > limit:
            if not break_words:
                return None
            cut = 1
            while cut < len(token) and text_width(token[: cut + 1], weight) <= limit:
                cut += 1
            lines.append(token[:cut])
            token = token[cut:]
        current = token
    if current:
        lines.append(current)
    return lines


def _balanced(text: str, limit: float, weight: int, url: bool, lines: list[str]) -> list[str]:
    """The same number of lines, as even as they go: no lonely last word under a headline. Never narrower
    than the widest word or address part, so balancing does not break what greedy breaking kept whole."""
    widest = max(text_width(token, weight) for token in _tokens(text, url)[0])
    low, high, best = min(widest, limit), limit, lines
    for _ in range(14):
        middle = (low + high) / 2
        attempt = _wrap(text, middle, weight, url, break_words=False)
        if attempt is not None and len(attempt) <= len(lines):
            best, high = attempt, middle
        else:
            low = middle
    return best


def fit_text(
    role: str,
    text: str,
    box: Box,
    *,
    max_size: float,
    min_size: float,
    weight: int = 400,
    fill: str = INK,
    anchor: str = "start",
    valign: str = "top",
    max_lines: int = 2,
    leading: float = 1.18,
    url: bool = False,
    balance: bool = False,
    direction: str = "ltr",
) -> TextBlock:
    """The largest size (down to min_size) at which `text` fits the box in at most max_lines lines. Words
    longer than a line break at min_size and below it (down to 60 % of it); only text that still cannot fit
    ends with an ellipsis, which no text within survey.toml's length limits reaches."""
    usable = box.w * (1 - SLACK)
    size = max_size
    lines = None
    for _ in range(60):
        candidate = _wrap(text, usable / size * 1000, weight, url, break_words=False)
        if candidate and len(candidate) <= max_lines and len(candidate) * size * leading <= box.h + 1e-6:
            lines = candidate
            if balance and len(candidate) > 1:
                lines = _balanced(text, usable / size * 1000, weight, url, candidate)
            break
        if size <= min_size:
            break
        size = max(min_size, round(size * 0.95, 3))
    if lines is None:  # words too long for the box: break them, and go below min_size before cutting
        floor = min_size * 0.6
        size = min_size
        broken = [""]
        for _ in range(20):
            broken = _wrap(text, usable / size * 1000, weight, url, break_words=True) or [""]
            if (len(broken) <= max_lines and len(broken) * size * leading <= box.h + 1e-6) or size <= floor:
                break
            size = max(floor, round(size * 0.93, 3))
        room = max(1, min(max_lines, int((box.h + 1e-6) // (size * leading))))
        lines = _ellipsized(broken, room, usable / size * 1000, weight)
    block = _placed(role, box, lines, size, weight, fill, anchor, valign, leading)
    return replace(block, direction=direction)


def _placed(
    role: str,
    box: Box,
    lines: Sequence[str],
    size: float,
    weight: int,
    fill: str,
    anchor: str,
    valign: str,
    leading: float,
) -> TextBlock:
    height = len(lines) * size * leading
    top = {"top": box.y, "middle": box.y + (box.h - height) / 2, "bottom": box.bottom - height}[valign]
    first = top + (size * leading - (ASCENT + DESCENT) * size) / 2 + ASCENT * size
    return TextBlock(role, box, tuple(lines), size, weight, fill, anchor, first, leading)


def _ellipsized(lines: list[str], room: int, limit: float, weight: int) -> list[str]:
    if len(lines) <= room:
        return lines
    lines = lines[:room]
    last = lines[-1]
    while last and text_width(last + "\u2026", weight) > limit:
        last = last[:-1]
    return [*lines[:-1], last.rstrip() + "\u2026"]


@dataclass(frozen=True, slots=True)
class Part:
    """One text of a stack (a name over a place, a brand over its tagline), at its largest size."""

    role: str
    text: str
    size: float
    weight: int = 400
    fill: str = INK
    max_lines: int = 2
    leading: float = 1.1
    url: bool = False
    direction: str = "ltr"


def fit_stack(
    parts: Sequence[Part], box: Box, *, anchor: str, valign: str, min_scale: float, gap: float = 0.2
) -> list[TextBlock]:
    """Texts stacked in one box and shrunk together, so a long one takes room a short one leaves free; lines
    are balanced. Below min_scale words may break; below 60 % of it, lines are cut with an ellipsis."""
    parts = [p for p in parts if p.text]
    usable = box.w * (1 - SLACK)
    scale = 1.0
    wrapped: list[list[str]] = []
    for _ in range(80):
        breaking = scale <= min_scale
        attempt = [_wrap(p.text, usable / (p.size * scale) * 1000, p.weight, p.url, breaking) for p in parts]
        floor = scale <= min_scale * 0.6
        if all(a is not None for a in attempt):
            wrapped = [a or [""] for a in attempt]
            if floor:
                wrapped = [
                    _ellipsized(w, p.max_lines, usable / (p.size * scale) * 1000, p.weight)
                    for w, p in zip(wrapped, parts, strict=True)
                ]
            fits = all(len(w) <= p.max_lines for w, p in zip(wrapped, parts, strict=True))
            if (fits and _stack_height(parts, wrapped, scale, gap) <= box.h + 1e-6) or floor:
                if not breaking:
                    wrapped = [
                        _balanced(p.text, usable / (p.size * scale) * 1000, p.weight, p.url, w)
                        if len(w) > 1
                        else w
                        for w, p in zip(wrapped, parts, strict=True)
                    ]
                break
        scale = max(min_scale * 0.6, scale * 0.95)
    height = _stack_height(parts, wrapped, scale, gap)
    y = {"top": box.y, "middle": box.y + (box.h - height) / 2, "bottom": box.bottom - height}[valign]
    blocks = []
    for part, lines in zip(parts, wrapped, strict=True):
        size = part.size * scale
        h = len(lines) * size * part.leading
        place = Box(box.x, y, box.w, h)
        block = _placed(part.role, place, lines, size, part.weight, part.fill, anchor, "top", part.leading)
        blocks.append(replace(block, direction=part.direction))
        y += h + gap * size
    return blocks


def _stack_height(parts: Sequence[Part], wrapped: Sequence[Sequence[str]], scale: float, gap: float) -> float:
    heights = [len(w) * p.size * scale * p.leading for p, w in zip(parts, wrapped, strict=True)]
    gaps = [gap * p.size * scale for p in parts[1:]]
    return sum(heights) + sum(gaps)
