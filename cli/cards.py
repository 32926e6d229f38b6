"""Printable wow cards and counter signs: the public URLs they point at, their QR codes, the card art laid
out in millimetres (SVG with text fitted by font metrics, so names of any allowed length shrink or wrap
instead of overflowing), and the documents they are printed from (sheets with crop marks at exact paper
sizes; PDF through Chromium in `wowcard.pdf`).

The art is the single source for every format: `--format svg` writes it as files, html and pdf place the
same SVG on pages sized with CSS `@page` and millimetres.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import segno
from markupsafe import Markup

from . import contrast, i18n, render
from .collector.survey import Location, Staff, Survey
from .logo import inline_svg

PER = ("location", "staff")
SIZES = ("business", "a6", "letter-sheet", "a4-sheet")
FORMATS = ("html", "pdf", "svg")
SOURCES = ("card", "sign", "receipt")

QR_ERROR = "q"  # 25 % of the code can be smudged, folded or torn and it still scans
QUIET_ZONE = 4  # modules of white around the code, as ISO/IEC 18004 asks
FONT_FAMILY = "Helvetica, Arial, 'Liberation Sans', 'Nimbus Sans', sans-serif"
INK = contrast.DARK
MUTED = "#5b5f66"
PAPER_WHITE = "#ffffff"
QR_INK = "#000000"


class NoPublicUrl(Exception):
    """The survey has no public address yet, so a QR code would point nowhere."""

    def __init__(self, survey: Survey):
        where = f"{survey.source}: " if survey.source else ""
        super().__init__(
            f"{where}site_url is not set, so the cards' QR codes would point nowhere.\n"
            "Set it to the address where the survey pages are published, for example\n"
            '    site_url = "https://survey.example.com"\n'
            "in survey.toml, or deploy the pages with `wowcard deploy` and run `wowcard cards --stage NAME`."
        )


# --- paper and sizes --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Paper:
    name: str
    slug: str  # in file names
    width: float  # mm
    height: float  # mm


A4 = Paper("A4", "a4", 210.0, 297.0)
A5 = Paper("A5", "a5", 148.0, 210.0)
A6 = Paper("A6", "a6", 105.0, 148.0)
LETTER = Paper("Letter", "letter", 215.9, 279.4)
BUSINESS = Paper("business card", "business", 85.0, 55.0)
US_BUSINESS = Paper("US business card", "us-business", 88.9, 50.8)


@dataclass(frozen=True, slots=True)
class Size:
    """What `--size` means: the card, the paper it is printed on, and the counter sign that goes with it."""

    name: str
    card: Paper
    sheet: Paper | None  # None: one card per page, the page is the card
    columns: int
    rows: int
    sign: Paper

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows


SIZE_TABLE = {
    "business": Size("business", BUSINESS, None, 1, 1, A5),
    "a6": Size("a6", A6, None, 1, 1, A5),
    "a4-sheet": Size("a4-sheet", BUSINESS, A4, 2, 5, A5),
    "letter-sheet": Size("letter-sheet", US_BUSINESS, LETTER, 2, 5, LETTER),
}


# --- where a card points ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """One page a card or sign points at."""

    location: Location
    staff: Staff | None
    path: str  # relative to site_url, e.g. "harbour/quay/s/maya/"; the build writes path + "index.html"
    url: str  # what the QR code holds: site_url + "/" + path + "?src=…"

    @property
    def short_url(self) -> str:
        """The address to print for people who type: no scheme, no query."""
        return short_url(self.url)


def page_path(survey_id: str, location_id: str, staff_id: str | None = None) -> str:
    path = f"{survey_id}/{location_id}/"
    return f"{path}s/{staff_id}/" if staff_id else path


def short_url(url: str) -> str:
    return re.sub(r"^[a-z]+://", "", url).split("?", 1)[0]


def public_site_url(survey: Survey, site_url: str | None = None) -> str:
    """The address the pages are published at: an explicit one (a deployed stage) or survey.toml's."""
    url = site_url or survey.site_url
    if not url:
        raise NoPublicUrl(survey)
    return url.rstrip("/")


def targets(survey: Survey, per: str, src: str, site_url: str) -> list[Target]:
    """The cards to print, in survey order: one per location, or one per staff member per location."""
    found = []
    for location in survey.locations:
        people: Sequence[Staff | None] = survey.staff_at(location.id) if per == "staff" else (None,)
        for person in people:
            path = page_path(survey.id, location.id, person.id if person else None)
            found.append(Target(location, person, path, f"{site_url}/{path}?src={src}"))
    return found


# --- QR codes ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QrCode:
    data: str
    modules: int  # width of the symbol in modules, without the quiet zone
    path: str  # SVG path of the dark modules, one unit per module
    version: int
    error: str


def qr_code(data: str) -> QrCode:
    """A QR code as an SVG path: error correction Q (boosted to H when that costs no extra size)."""
    code = segno.make(data, error=QR_ERROR, micro=False, boost_error=True)
    rows = [list(row) for row in code.matrix_iter(scale=1, border=0)]
    parts = []
    for y, row in enumerate(rows):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                parts.append(f"M{start} {y}h{x - start}v1h{start - x}z")
            else:
                x += 1
    return QrCode(data, len(rows), "".join(parts), int(code.version), code.error.upper())


# --- text metrics and fitting -----------------------------------------------------------------------------

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
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def bottom(self) -> float:
        return self.y + self.h


@dataclass(frozen=True, slots=True)
class TextBlock:
    """Text fitted into a box: its lines, size and first baseline, ready to draw."""

    role: str
    box: Box
    lines: tuple[str, ...]
    size: float  # mm
    weight: int
    fill: str
    anchor: str  # start | middle | end
    first_baseline: float
    leading: float

    @property
    def x(self) -> float:
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
) -> TextBlock:
    """The largest size (down to min_size) at which `text` fits the box in at most max_lines lines. Words
    longer than a line break at min_size and below it (down to 60 % of it); only text that still cannot fit
    ends with an ellipsis, which no text within survey.toml's length limits reaches."""
    usable = box.w * 0.985  # room for rendering differences between metric-compatible fonts
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
        for _ in range(20):
            lines = _wrap(text, usable / size * 1000, weight, url, break_words=True) or [""]
            if (len(lines) <= max_lines and len(lines) * size * leading <= box.h + 1e-6) or size <= floor:
                break
            size = max(floor, round(size * 0.93, 3))
        room = max(1, min(max_lines, int((box.h + 1e-6) // (size * leading))))
        lines = _ellipsized(lines, room, usable / size * 1000, weight)
    return _placed(role, box, lines, size, weight, fill, anchor, valign, leading)


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


def fit_stack(
    parts: Sequence[Part], box: Box, *, anchor: str, valign: str, min_scale: float, gap: float = 0.2
) -> list[TextBlock]:
    """Texts stacked in one box and shrunk together, so a long one takes room a short one leaves free; lines
    are balanced. Below min_scale words may break; below 60 % of it, lines are cut with an ellipsis."""
    parts = [p for p in parts if p.text]
    usable = box.w * 0.985
    scale = 1.0
    wrapped: list[list[str]] = []
    for _ in range(80):
        breaking = scale <= min_scale
        attempt = [_wrap(p.text, usable / (p.size * scale) * 1000, p.weight, p.url, breaking) for p in parts]
        floor = scale <= min_scale * 0.6
        if all(a is not None for a in attempt):
            wrapped = [a or [""] for a in attempt]  # type: ignore[misc]
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
        blocks.append(
            _placed(
                part.role,
                Box(box.x, y, box.w, h),
                lines,
                size,
                part.weight,
                part.fill,
                anchor,
                "top",
                part.leading,
            )
        )
        y += h + gap * size
    return blocks


def _stack_height(parts: Sequence[Part], wrapped: Sequence[Sequence[str]], scale: float, gap: float) -> float:
    heights = [len(w) * p.size * scale * p.leading for p, w in zip(parts, wrapped, strict=True)]
    gaps = [gap * p.size * scale for p in parts[1:]]
    return sum(heights) + sum(gaps)


# --- card art ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Logo:
    box: Box
    markup: Markup


@dataclass(frozen=True, slots=True)
class PlacedQr:
    code: QrCode
    box: Box  # the modules; the quiet zone lies around it

    @property
    def module(self) -> float:
        return self.box.w / self.code.modules

    @property
    def quiet_box(self) -> Box:
        q = QUIET_ZONE * self.module
        return Box(self.box.x - q, self.box.y - q, self.box.w + 2 * q, self.box.h + 2 * q)


@dataclass(frozen=True, slots=True)
class Shape:
    d: str
    fill: str


@dataclass(frozen=True, slots=True)
class Art:
    """One card or sign, drawn in millimetres from (0, 0) to (width, height)."""

    kind: str  # card | sign
    width: float
    height: float
    target: Target
    title: str
    shapes: tuple[Shape, ...]
    texts: tuple[TextBlock, ...]
    logo: Logo | None
    qr: PlacedQr


@dataclass(frozen=True, slots=True)
class Branding:
    name: str
    tagline: str
    primary: str
    on_primary: str
    accent: str  # the brand colour where it reads on white paper, else ink
    logo_svg: str | None  # the owner's logo as one <svg> element without a size (wowcard.logo)
    question: str
    intro: str  # the line under "Scan with your phone camera" on a counter sign
    scan_or_visit: str  # over the address on a business card
    scan_with_camera: str  # under the question on an A6 card or a counter sign
    print_note: str  # in the margin of a sheet of cards


def branding(survey: Survey, theme: Path | None = None) -> Branding:
    primary = survey.brand.primary
    return Branding(
        name=survey.brand.name,
        tagline=survey.brand.tagline,
        primary=primary,
        on_primary=contrast.text_on(primary),
        accent=primary if contrast.ratio(primary, PAPER_WHITE) >= contrast.AA_TEXT else INK,
        logo_svg=inline_svg(survey.brand.logo) if survey.brand.logo else None,
        **card_words(survey, theme),
    )


def card_words(survey: Survey, theme: Path | None = None) -> dict[str, str]:
    """wowcard's own words on cards and signs in the survey's default language, so a card says what the page
    will say; in English where that language's catalog is missing or incomplete (`wowcard build` says so)."""
    try:
        return _card_words(survey, i18n.load(survey.languages[0], theme))
    except i18n.CatalogError:
        return _card_words(survey, i18n.load(i18n.SOURCE_LANGUAGE))


def _card_words(survey: Survey, texts: i18n.Texts) -> dict[str, str]:
    _ = texts.gettext
    return {
        "question": i18n.question(survey, texts),
        "intro": i18n.intro(texts),
        # Translators: on a business card, over the survey's web address beside the QR code.
        "scan_or_visit": _("Scan or visit"),
        # Translators: on a card or counter sign, over its QR code.
        "scan_with_camera": _("Scan with your phone camera"),
        # Translators: in the margin of a sheet of ten cards, for whoever prints and cuts them.
        "print_note": _("Print at 100 % (actual size), then cut along the marks"),
    }


def _place_logo(brand: Branding, box: Box) -> Logo | None:
    if brand.logo_svg is None:
        return None
    placement = (
        f'x="{num(box.x)}" y="{num(box.y)}" width="{num(box.w)}" height="{num(box.h)}" '
        'preserveAspectRatio="xMidYMid meet"'
    )
    return Logo(box, Markup(brand.logo_svg.replace("<svg", f"<svg {placement}", 1)))


def _bubble(box: Box, radius: float, tail_x: float, tail_w: float, tail_h: float, tip_dx: float) -> str:
    """A rounded speech bubble with a tail under it; tail_x is where the tail leaves the bottom edge."""
    x, y, w, h, r = box.x, box.y, box.w, box.h, radius
    b = y + h
    return (
        f"M{num(x + r)} {num(y)}H{num(x + w - r)}A{num(r)} {num(r)} 0 0 1 {num(x + w)} {num(y + r)}"
        f"V{num(b - r)}A{num(r)} {num(r)} 0 0 1 {num(x + w - r)} {num(b)}"
        f"H{num(tail_x + tail_w)}L{num(tail_x + tip_dx)} {num(b + tail_h)}L{num(tail_x)} {num(b)}"
        f"H{num(x + r)}A{num(r)} {num(r)} 0 0 1 {num(x)} {num(b - r)}V{num(y + r)}"
        f"A{num(r)} {num(r)} 0 0 1 {num(x + r)} {num(y)}Z"
    )


def num(value: float) -> str:
    """A millimetre figure for SVG/CSS: three decimals at most, no trailing zeros (stable bytes)."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _art_title(brand: Branding, target: Target, kind: str) -> str:
    who = f"{target.staff.name}, {target.location.name}" if target.staff else target.location.name
    return f"{brand.name} {kind}: {who}"


def landscape_card(brand: Branding, target: Target, paper: Paper) -> Art:
    """A business card: brand and question on the left, the QR code and its address on the right."""
    w, h, m = paper.width, paper.height, 4.0
    side = round(h * 0.47, 2)
    qr = PlacedQr(qr_code(target.url), Box(w - m - side, m, side, side))
    quiet = qr.quiet_box
    under = Box(qr.box.x - 1.5, quiet.bottom + 0.3, side + 3, h - m + 1 - quiet.bottom - 0.3)
    texts = fit_stack(
        [
            Part("label", brand.scan_or_visit, 1.9, fill=MUTED, max_lines=1),
            Part("url", target.short_url, 2.3, 700, max_lines=8, url=True),
        ],
        under,
        anchor="middle",
        valign="top",
        min_scale=0.6,
        gap=0.3,
    )
    left = quiet.x - 1.5 - m
    logo = _place_logo(brand, Box(m, m, 10, 10))
    head_x = m + 12.5 if logo else m
    texts += _brand_texts(brand, Box(head_x, m - 0.5, m + left - head_x, 11.5), size=3.6, anchor="start")
    footer = Box(m, h - m - 8, left, 8)
    texts += _names(target, footer, size=3.4, anchor="start", accent=brand.accent)
    tail = 2.6
    bubble = Box(m, m + 12.5, left, footer.y - 0.6 - tail - (m + 12.5))
    shapes = (Shape(_bubble(bubble, 2.6, m + 4.5, 4.2, tail, 0.6), brand.primary),)
    inner = Box(bubble.x + 2.8, bubble.y + 2.2, bubble.w - 5.6, bubble.h - 4.4)
    texts.append(
        fit_text(
            "question",
            brand.question,
            inner,
            max_size=4.3,
            min_size=1.9,
            weight=700,
            fill=brand.on_primary,
            valign="middle",
            max_lines=6,
            leading=1.14,
            balance=True,
        )
    )
    return Art("card", w, h, target, _art_title(brand, target, "card"), shapes, tuple(texts), logo, qr)


def portrait_art(brand: Branding, target: Target, paper: Paper, kind: str) -> Art:
    """A6 cards and counter signs: one centred column, the QR code as large as the page allows."""
    w, h = paper.width, paper.height
    k = min(w / A6.width, h / A6.height)  # drawn at A6 proportions, scaled to the paper
    m = 7.0 * k
    cw = A6.width * k - 2 * m
    x0 = (w - cw) / 2
    y = (h - A6.height * k) / 2 + m
    bottom = (h + A6.height * k) / 2 - m
    logo = _place_logo(brand, Box(w / 2 - 6.5 * k, y, 13 * k, 13 * k))
    if logo:
        y += 15 * k
    head = Box(x0, y, cw, (11 if brand.tagline else 7.5) * k)
    texts = _brand_texts(brand, head, size=5.2 * k, anchor="middle")
    tail = 3.6 * k
    bubble = Box(x0, head.bottom + 3.5 * k, cw, 24 * k)
    shapes = (Shape(_bubble(bubble, 3.6 * k, w / 2 - 2.8 * k, 5.6 * k, tail, 1.4 * k), brand.primary),)
    inner = Box(bubble.x + 4.5 * k, bubble.y + 3 * k, bubble.w - 9 * k, bubble.h - 6 * k)
    texts.append(
        fit_text(
            "question",
            brand.question,
            inner,
            max_size=7.2 * k,
            min_size=3 * k,
            weight=700,
            fill=brand.on_primary,
            anchor="middle",
            valign="middle",
            max_lines=5,
            leading=1.12,
            balance=True,
        )
    )
    prompt = [Part("cta", brand.scan_with_camera, 3.3 * k, fill=MUTED, max_lines=1)]
    if kind == "sign":
        prompt.append(Part("intro", brand.intro, 2.4 * k, fill=MUTED, max_lines=2))
    cta = Box(x0, bubble.bottom + tail + 2.4 * k, cw, (8.2 if kind == "sign" else 4.4) * k)
    texts += fit_stack(prompt, cta, anchor="middle", valign="top", min_scale=0.6, gap=0.3)
    names = Box(x0, bottom - (10.5 if target.staff else 7) * k, cw, (10.5 if target.staff else 7) * k)
    url = Box(x0, names.y - 1.5 * k - 6.6 * k, cw, 6.6 * k)
    code = qr_code(target.url)
    room = url.y - 0.6 * k - cta.bottom  # height for the code with its quiet zone
    side = min(cw * 0.72, room * code.modules / (code.modules + 2 * QUIET_ZONE))
    qr = PlacedQr(code, Box(w / 2 - side / 2, cta.bottom + (room - side) / 2, side, side))
    texts.append(
        fit_text(
            "url",
            target.short_url,
            url,
            max_size=3.1 * k,
            min_size=1.8 * k,
            weight=700,
            anchor="middle",
            max_lines=3,
            url=True,
            balance=True,
        )
    )
    texts += _names(target, names, size=4.6 * k, anchor="middle", accent=brand.accent)
    return Art(kind, w, h, target, _art_title(brand, target, kind), shapes, tuple(texts), logo, qr)


def _brand_texts(brand: Branding, box: Box, *, size: float, anchor: str) -> list[TextBlock]:
    parts = [
        Part("brand", brand.name, size, 700, brand.accent, max_lines=3),
        Part("tagline", brand.tagline, size * 0.62, fill=MUTED, max_lines=3),
    ]
    return fit_stack(parts, box, anchor=anchor, valign="middle", min_scale=0.45)


def _names(target: Target, box: Box, *, size: float, anchor: str, accent: str) -> list[TextBlock]:
    """The staff member (bold, in the brand colour) over their location, or the location alone."""
    if target.staff is None:
        parts = [Part("place", target.location.name, size, 700, max_lines=2)]
    else:
        parts = [
            Part("name", target.staff.name, size, 700, accent),
            Part("place", target.location.name, size * 0.7, fill=MUTED),
        ]
    return fit_stack(parts, box, anchor=anchor, valign="bottom", min_scale=0.45, gap=0.05)


def card_art(brand: Branding, target: Target, size: Size) -> Art:
    if size.card.width > size.card.height:
        return landscape_card(brand, target, size.card)
    return portrait_art(brand, target, size.card, "card")


def sign_art(brand: Branding, target: Target, paper: Paper) -> Art:
    return portrait_art(brand, target, paper, "sign")


# --- pages ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Slot:
    art: Art
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True, slots=True)
class Page:
    width: float
    height: float
    slots: tuple[Slot, ...]
    marks: tuple[Line, ...] = ()
    captions: tuple[TextBlock, ...] = ()


CROP_OFFSET, CROP_LENGTH = 1.5, 5.0  # mm: marks stop short of the card so none is printed on it


def sheet_page(art: Art, paper: Paper, columns: int, rows: int, caption: str, note: str) -> Page:
    """`columns` × `rows` copies of one card, centred on the paper, with crop marks in the margins."""
    grid_w, grid_h = columns * art.width, rows * art.height
    left, top = (paper.width - grid_w) / 2, (paper.height - grid_h) / 2
    if left < 0 or top < 0:
        raise ValueError(f"{columns}×{rows} cards of {art.width}×{art.height} mm do not fit on {paper.name}")
    slots = tuple(
        Slot(art, left + c * art.width, top + r * art.height) for r in range(rows) for c in range(columns)
    )
    length_v = min(CROP_LENGTH, top - CROP_OFFSET - 2.5)
    length_h = min(CROP_LENGTH, left - CROP_OFFSET - 2.5)
    marks: list[Line] = []
    for c in range(columns + 1):
        x = left + c * art.width
        marks.append(Line(x, top - CROP_OFFSET - length_v, x, top - CROP_OFFSET))
        marks.append(Line(x, top + grid_h + CROP_OFFSET, x, top + grid_h + CROP_OFFSET + length_v))
    for r in range(rows + 1):
        y = top + r * art.height
        marks.append(Line(left - CROP_OFFSET - length_h, y, left - CROP_OFFSET, y))
        marks.append(Line(left + grid_w + CROP_OFFSET, y, left + grid_w + CROP_OFFSET + length_h, y))
    band = Box(left + 2, top - CROP_OFFSET - length_v, art.width - 4, length_v)
    captions = (
        fit_text(
            "caption", caption, band, max_size=2.2, min_size=1.5, fill=MUTED, valign="middle", max_lines=1
        ),
        fit_text(
            "caption",
            note,
            Box(band.x + art.width, band.y, band.w, band.h),
            max_size=2.2,
            min_size=1.5,
            fill=MUTED,
            anchor="end",
            valign="middle",
            max_lines=1,
        ),
    )
    return Page(paper.width, paper.height, slots, tuple(marks), captions if columns > 1 else ())


def card_pages(arts: Iterable[Art], size: Size, brand_name: str, note: str | None = None) -> list[Page]:
    """The pages of cards; `note` is the printing advice in a sheet's margin (Branding.print_note)."""
    if note is None:
        note = i18n.load(i18n.SOURCE_LANGUAGE).gettext(
            "Print at 100 % (actual size), then cut along the marks"
        )
    pages = []
    for art in arts:
        if size.sheet is None:
            pages.append(Page(art.width, art.height, (Slot(art, 0, 0),)))
            continue
        who = art.target.location.name
        if art.target.staff:
            who = f"{art.target.staff.name}, {who}"
        caption = f"{brand_name} \u00b7 {who} \u00b7 {num(art.width)} \u00d7 {num(art.height)} mm"
        pages.append(sheet_page(art, size.sheet, size.columns, size.rows, caption, note))
    return pages


def sign_pages(arts: Iterable[Art]) -> list[Page]:
    return [Page(art.width, art.height, (Slot(art, 0, 0),)) for art in arts]


# --- documents --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Written:
    path: Path
    what: str


class Renderer:
    """The card templates of one theme; each distinct art is rendered once however often it is printed."""

    def __init__(self, theme: Path | None):
        self.env = render.environment(theme)
        self._svg: dict[Art, Markup] = {}

    def _context(self, **extra: object) -> dict[str, object]:
        return {
            "n": num,
            "n6": lambda v: f"{v:.6f}".rstrip("0").rstrip("."),
            "font_family": FONT_FAMILY,
            "qr_ink": QR_INK,
            **extra,
        }

    def svg(self, art: Art) -> Markup:
        if art not in self._svg:
            markup = render.render(render.template(self.env, "card.html"), self._context(art=art))
            self._svg[art] = Markup(markup.strip())
        return self._svg[art]

    def document(self, pages: Sequence[Page], title: str, page_label: str, lang: str) -> str:
        css, _ = render.source(self.env, "cards.css")
        context = self._context(
            pages=pages,
            title=title,
            page_label=page_label,
            lang=lang,
            css=Markup(css),
            svg=self.svg,
            page_width=pages[0].width,
            page_height=pages[0].height,
        )
        return render.render(render.template(self.env, "sheet.html"), context)


def theme_folder(survey: Survey, templates: Path | None) -> Path | None:
    """`--templates`, else a templates/ folder beside survey.toml, as `wowcard build` finds it."""
    if templates:
        return templates
    beside = survey.folder / "templates"
    return beside if beside.is_dir() else None


def make_cards(
    survey: Survey,
    *,
    per: str = "location",
    size: str = "a4-sheet",
    fmt: str = "pdf",
    src: str = "card",
    out: Path | None = None,
    site_url: str | None = None,
    templates: Path | None = None,
) -> list[Written]:
    """Write the cards and the counter signs of a survey; NoPublicUrl when it has no public address.
    `site_url` overrides survey.toml's (the address of a deployed stage)."""
    for name, value, allowed in (
        ("per", per, PER),
        ("size", size, SIZES),
        ("fmt", fmt, FORMATS),
        ("src", src, SOURCES),
    ):
        if value not in allowed:
            raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    site = public_site_url(survey, site_url)
    spec = SIZE_TABLE[size]
    theme = theme_folder(survey, templates)
    brand = branding(survey, theme)
    cards = [card_art(brand, target, spec) for target in targets(survey, per, src, site)]
    signs = [sign_art(brand, target, spec.sign) for target in targets(survey, "location", "sign", site)]
    out = out if out is not None else survey.output / "cards"
    out.mkdir(parents=True, exist_ok=True)
    renderer = Renderer(theme)
    if fmt == "svg":
        return _write_svgs(renderer, cards, signs, spec, out)
    lang = survey.languages[0]
    card_doc = renderer.document(
        card_pages(cards, spec, brand.name, brand.print_note), f"{brand.name}: wow cards", "Sheet", lang
    )
    sign_doc = renderer.document(sign_pages(signs), f"{brand.name}: counter signs", "Sign", lang)
    card_file = out / f"cards-{per}-{spec.name}.{fmt}"
    sign_file = out / f"signs-{spec.sign.slug}.{fmt}"
    if fmt == "html":
        card_file.write_text(card_doc, encoding="utf-8")
        sign_file.write_text(sign_doc, encoding="utf-8")
    else:
        from . import pdf

        pdf.html_to_pdf([(card_doc, card_file), (sign_doc, sign_file)])
    return [
        Written(card_file, _card_summary(cards, spec, per)),
        Written(sign_file, f"{_count(len(signs), 'counter sign')}, {spec.sign.name}"),
    ]


def _write_svgs(
    renderer: Renderer, cards: list[Art], signs: list[Art], spec: Size, out: Path
) -> list[Written]:
    written = []
    for art in [*cards, *signs]:
        target = art.target
        folder = out / target.location.id
        if art.kind == "card" and target.staff:
            folder = folder / "s" / target.staff.id
        name = f"card-{spec.card.slug}.svg" if art.kind == "card" else f"sign-{spec.sign.slug}.svg"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n{renderer.svg(art)}\n', encoding="utf-8")
        paper = spec.card if art.kind == "card" else spec.sign
        written.append(Written(path, f"{art.kind}, {num(paper.width)} \u00d7 {num(paper.height)} mm"))
    return written


def _card_summary(cards: list[Art], spec: Size, per: str) -> str:
    card = f"{num(spec.card.width)} \u00d7 {num(spec.card.height)} mm"
    if spec.sheet is None:
        return f"{_count(len(cards), 'card')} of {card}, one per page"
    each = "one per location" if per == "location" else "one per staff member and location"
    return (
        f"{_count(len(cards), spec.sheet.name + ' sheet')} ({each}), {spec.per_sheet} cards of {card} "
        "on each, with crop marks"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
