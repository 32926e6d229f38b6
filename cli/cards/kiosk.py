"""The kiosk sign: a page for staff, not customers, that sets up a tablet on the counter. It carries the
location's kiosk page (`/<survey>/<location>/kiosk/`) as a QR code to scan with the tablet's camera and as an
address large enough to type, and says in a sentence what to do with it."""

from __future__ import annotations

from .art import Art, address, brand_texts, column, mirrored, place_logo
from .branding import Branding
from .paper import MUTED, Box, Paper
from .qr import QUIET_ZONE, PlacedQr, qr_code
from .targets import Target
from .text import Part, fit_stack, fit_text


def kiosk_art(brand: Branding, target: Target, paper: Paper) -> Art:
    """One centred column: brand, the heading and steps in each language, the code, the address, the place."""
    w, h = paper.width, paper.height
    k, x0, y, bottom, cw = column(paper)  # as a counter sign
    logo = place_logo(brand, Box(w / 2 - 5 * k, y, 10 * k, 10 * k))
    if logo:
        y += 11.5 * k
    head = Box(x0, y, cw, 8 * k)
    texts = brand_texts(brand, head, size=4.4 * k, anchor="middle")
    steps = Box(x0, head.bottom + 2.5 * k, cw, (26 if len(brand.words) == 1 else 40) * k)
    texts += fit_stack(_steps(brand, k), steps, anchor="middle", valign="top", min_scale=0.5, gap=0.35)
    place = Box(x0, bottom - 6 * k, cw, 6 * k)
    url = Box(x0, place.y - 1.5 * k - 9 * k, cw, 9 * k)
    code = qr_code(target.url)
    room = url.y - 1 * k - (steps.bottom + 1 * k)
    side = min(cw * 0.6, room * code.modules / (code.modules + 2 * QUIET_ZONE))
    qr = PlacedQr(code, Box(w / 2 - side / 2, steps.bottom + 1 * k + (room - side) / 2, side, side))
    texts.append(address(target, url, size=4.4 * k, min_size=2.2 * k))  # staff may type it in
    words = brand.first
    name = words.places.get(target.location.id, target.location.name)
    texts.append(
        fit_text(
            "place",
            name,
            place,
            max_size=4.2 * k,
            min_size=2.4 * k,
            weight=700,
            anchor="middle",
            valign="bottom",
            max_lines=1,
            direction=words.direction,
        )
    )
    title = f"{brand.name} {words.kiosk_title}: {name}"
    art = Art("kiosk", w, h, target, title, (), tuple(texts), logo, qr)
    return mirrored(art) if brand.direction == "rtl" else art


def _steps(brand: Branding, k: float) -> list[Part]:
    """The heading and the sentence in each language; the second language a little smaller."""
    parts = []
    for i, words in enumerate(brand.words):
        scale, side = (1 if i == 0 else 0.85), words.direction
        parts.append(
            Part("kiosk-title", words.kiosk_title, 6.4 * k * scale, 700, brand.accent, 1, direction=side)
        )
        parts.append(
            Part(
                "steps",
                words.kiosk_steps,
                3 * k * scale,
                fill=MUTED,
                max_lines=5,
                leading=1.25,
                direction=side,
            )
        )
    return parts
