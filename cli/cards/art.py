"""Card and sign art: where each text, the logo, the speech bubble and the QR code go, in millimetres."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .branding import Branding
from .paper import A6, MUTED, Box, Paper, Size, num
from .qr import QUIET_ZONE, PlacedQr, qr_code
from .targets import Target
from .text import Part, TextBlock, fit_stack, fit_text


@dataclass(frozen=True, slots=True)
class PlacedLogo:
    """The owner's logo as an image (wowcard.logo), scaled into its box keeping its shape."""

    box: Box
    href: str


@dataclass(frozen=True, slots=True)
class Shape:
    d: str
    fill: str
    transform: str = ""


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
    logo: PlacedLogo | None
    qr: PlacedQr


def place_logo(brand: Branding, box: Box) -> PlacedLogo | None:
    return PlacedLogo(box, brand.logo.data_url) if brand.logo else None


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


def _art_title(brand: Branding, target: Target, kind: str) -> str:
    who = f"{target.staff.name}, {target.location.name}" if target.staff else target.location.name
    return f"{brand.name} {kind}: {who}"


def landscape_card(brand: Branding, target: Target, paper: Paper) -> Art:
    """A business card: brand and question on the left, the QR code and its address on the right."""
    w, h, m = paper.width, paper.height, 4.0
    side = round(h * 0.47, 2)
    qr = PlacedQr(qr_code(target.url), Box(w - m - side, m, side, side))
    quiet = qr.quiet_box
    under = Box(qr.box.x - 1.5, quiet.bottom + 0.6, side + 3, h - m + 1 - quiet.bottom - 0.6)
    texts = fit_stack(
        [
            *(
                Part("label", w.scan_or_visit, 1.9, fill=MUTED, max_lines=1, direction=w.direction)
                for w in brand.words
            ),
            Part("url", target.short_url, 2.3, 700, max_lines=8, url=True),
        ],
        under,
        anchor="middle",
        valign="top",
        min_scale=0.6,
        gap=0.3,
    )
    left = quiet.x - 1.5 - m
    logo = place_logo(brand, Box(m, m, 10, 10))
    head_x = m + 12.5 if logo else m
    texts += brand_texts(brand, Box(head_x, m - 0.5, m + left - head_x, 11.5), size=3.6, anchor="start")
    footer = Box(m, h - m - 8, left, 8)
    texts += _names(brand, target, footer, size=3.4, anchor="start")
    tail = 2.6
    bubble = Box(m, m + 12.5, left, footer.y - 0.6 - tail - (m + 12.5))
    shapes = (Shape(_bubble(bubble, 2.6, m + 4.5, 4.2, tail, 0.6), brand.primary),)
    inner = Box(bubble.x + 2.8, bubble.y + 2.2, bubble.w - 5.6, bubble.h - 4.4)
    texts += _questions(brand, inner, size=4.3, min_size=1.9, anchor="start", max_lines=6, leading=1.14)
    art = Art("card", w, h, target, _art_title(brand, target, "card"), shapes, tuple(texts), logo, qr)
    return mirrored(art) if brand.direction == "rtl" else art


def column(paper: Paper) -> tuple[float, float, float, float, float]:
    """The centred column of a portrait card or sign, drawn at A6 proportions and scaled to the paper: the
    scale, the column's left edge, top, bottom and width."""
    k = min(paper.width / A6.width, paper.height / A6.height)
    margin = 7.0 * k
    width = A6.width * k - 2 * margin
    top = (paper.height - A6.height * k) / 2 + margin
    return k, (paper.width - width) / 2, top, (paper.height + A6.height * k) / 2 - margin, width


def portrait_art(brand: Branding, target: Target, paper: Paper, kind: str) -> Art:
    """A6 cards and counter signs: one centred column, the QR code as large as the page allows."""
    w, h = paper.width, paper.height
    k, x0, y, bottom, cw = column(paper)
    logo = place_logo(brand, Box(w / 2 - 6.5 * k, y, 13 * k, 13 * k))
    if logo:
        y += 15 * k
    head = Box(x0, y, cw, (11 if brand.tagline else 7.5) * k)
    texts = brand_texts(brand, head, size=5.2 * k, anchor="middle")
    tail = 3.6 * k
    bubble = Box(x0, head.bottom + 3.5 * k, cw, 24 * k)
    shapes = (Shape(_bubble(bubble, 3.6 * k, w / 2 - 2.8 * k, 5.6 * k, tail, 1.4 * k), brand.primary),)
    inner = Box(bubble.x + 4.5 * k, bubble.y + 3 * k, bubble.w - 9 * k, bubble.h - 6 * k)
    texts += _questions(
        brand, inner, size=7.2 * k, min_size=3 * k, anchor="middle", max_lines=5, leading=1.12
    )
    prompt = []
    for words in brand.words:
        prompt.append(
            Part("cta", words.scan_with_camera, 3.3 * k, fill=MUTED, max_lines=1, direction=words.direction)
        )
        if kind == "sign":
            prompt.append(
                Part("intro", words.intro, 2.4 * k, fill=MUTED, max_lines=2, direction=words.direction)
            )
    height = (8.2 if kind == "sign" else 4.4) * k * (1.8 if len(brand.words) > 1 else 1)
    cta = Box(x0, bubble.bottom + tail + 2.4 * k, cw, height)
    texts += fit_stack(prompt, cta, anchor="middle", valign="top", min_scale=0.6, gap=0.3)
    names = Box(x0, bottom - (10.5 if target.staff else 7) * k, cw, (10.5 if target.staff else 7) * k)
    url = Box(x0, names.y - 1.5 * k - 6.6 * k, cw, 6.6 * k)
    code = qr_code(target.url)
    room = url.y - 0.6 * k - cta.bottom  # height for the code with its quiet zone
    side = min(cw * 0.72, room * code.modules / (code.modules + 2 * QUIET_ZONE))
    qr = PlacedQr(code, Box(w / 2 - side / 2, cta.bottom + (room - side) / 2, side, side))
    texts.append(address(target, url, size=3.1 * k, min_size=1.8 * k))
    texts += _names(brand, target, names, size=4.6 * k, anchor="middle")
    art = Art(kind, w, h, target, _art_title(brand, target, kind), shapes, tuple(texts), logo, qr)
    return mirrored(art) if brand.direction == "rtl" else art


def address(target: Target, box: Box, *, size: float, min_size: float) -> TextBlock:
    """The page's address under its code, bold and centred, broken after slashes: for people who type."""
    return fit_text(
        "url",
        target.short_url,
        box,
        max_size=size,
        min_size=min_size,
        weight=700,
        anchor="middle",
        max_lines=3,
        url=True,
        balance=True,
    )


def _questions(
    brand: Branding, box: Box, *, size: float, min_size: float, anchor: str, max_lines: int, leading: float
) -> list[TextBlock]:
    """The question in the bubble: bold in the first language, and under it, lighter, in the second."""
    first = brand.first
    if len(brand.words) == 1:
        return [
            fit_text(
                "question",
                first.question,
                box,
                max_size=size,
                min_size=min_size,
                weight=700,
                fill=brand.on_primary,
                anchor=anchor,
                valign="middle",
                max_lines=max_lines,
                leading=leading,
                balance=True,
                direction=first.direction,
            )
        ]
    parts = [
        Part(
            "question",
            w.question,
            size * (1 if i == 0 else 0.8),
            700 if i == 0 else 400,
            brand.on_primary,
            max_lines=max_lines - 1,
            leading=leading,
            direction=w.direction,
        )
        for i, w in enumerate(brand.words)
    ]
    return fit_stack(parts, box, anchor=anchor, valign="middle", min_scale=min_size / size, gap=0.45)


def brand_texts(brand: Branding, box: Box, *, size: float, anchor: str) -> list[TextBlock]:
    direction = brand.direction
    parts = [
        Part("brand", brand.name, size, 700, brand.accent, max_lines=3, direction=direction),
        Part("tagline", brand.tagline, size * 0.62, fill=MUTED, max_lines=3, direction=direction),
    ]
    return fit_stack(parts, box, anchor=anchor, valign="middle", min_scale=0.45)


def _names(brand: Branding, target: Target, box: Box, *, size: float, anchor: str) -> list[TextBlock]:
    """The staff member (bold, in the brand colour) over their location, or the location alone, as the
    first language names them."""
    words = brand.first
    place = words.places.get(target.location.id, target.location.name)
    if target.staff is None:
        parts = [Part("place", place, size, 700, max_lines=2, direction=words.direction)]
    else:
        person = words.people.get(target.staff.id, target.staff.name)
        parts = [
            Part("name", person, size, 700, brand.accent, direction=words.direction),
            Part("place", place, size * 0.7, fill=MUTED, direction=words.direction),
        ]
    return fit_stack(parts, box, anchor=anchor, valign="bottom", min_scale=0.45, gap=0.05)


def mirrored(art: Art) -> Art:
    """The art for a right-to-left language: every box mirrored across the page (the question on the right,
    the QR code on the left), text hung from its other side, the bubble's tail turned; the QR code itself
    is never mirrored."""
    flip = {"start": "end", "end": "start", "middle": "middle"}

    def across(box: Box) -> Box:
        return Box(art.width - box.x - box.w, box.y, box.w, box.h)

    texts = tuple(replace(t, box=across(t.box), anchor=flip[t.anchor]) for t in art.texts)
    turn = f"matrix(-1 0 0 1 {num(art.width)} 0)"
    shapes = tuple(replace(s, transform=turn) for s in art.shapes)
    logo = replace(art.logo, box=across(art.logo.box)) if art.logo else None
    qr = replace(art.qr, box=across(art.qr.box))
    return replace(art, texts=texts, shapes=shapes, logo=logo, qr=qr)


def card_art(brand: Branding, target: Target, size: Size) -> Art:
    if size.card.width > size.card.height:
        return landscape_card(brand, target, size.card)
    return portrait_art(brand, target, size.card, "card")


def sign_art(brand: Branding, target: Target, paper: Paper) -> Art:
    return portrait_art(brand, target, paper, "sign")
