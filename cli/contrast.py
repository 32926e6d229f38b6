"""WCAG 2.1 contrast for the brand colours: pick dark or light text for each colour, and refuse a primary
colour the page cannot use as text on the background (with the nearest shade that would pass)."""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

AA_TEXT = 4.5
DARK = "#1a1a1a"
LIGHT = "#ffffff"
BLACK = "#000000"


class ContrastError(Exception):
    """Two brand colours that do not reach WCAG AA together; `path` is the survey field to change."""

    def __init__(self, path: str, message: str):
        super().__init__(message)
        self.path = path
        self.message = message


@dataclass(frozen=True, slots=True)
class Palette:
    """The colours a page uses. `ink` is text on the background, `on_primary` text on the primary colour;
    the primary colour itself is used for headings, borders and links on the background."""

    primary: str
    background: str
    ink: str
    on_primary: str


def _rgb(colour: str) -> tuple[float, float, float]:
    value = colour.lstrip("#")
    return (int(value[0:2], 16) / 255, int(value[2:4], 16) / 255, int(value[4:6], 16) / 255)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(min(max(c, 0.0), 1.0) * 255):02x}" for c in rgb)


def luminance(colour: str) -> float:
    """Relative luminance (WCAG 2.1 definition) of a #rrggbb colour."""

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(a: str, b: str) -> float:
    """Contrast ratio between two colours, from 1 to 21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_on(colour: str) -> str:
    """Dark or light text for a colour, whichever contrasts more; pure black where near-black falls short.
    Black or white always reaches 4.58:1 against any colour, so this never fails."""
    best = max((DARK, LIGHT), key=lambda ink: ratio(ink, colour))
    return best if ratio(best, colour) >= AA_TEXT else BLACK


def nearest_passing(colour: str, against: str, minimum: float = AA_TEXT) -> str:
    """The shade of `colour` (same hue and saturation, lightness moved as little as possible) that reaches
    `minimum` against `against`."""
    hue, lightness, saturation = colorsys.rgb_to_hls(*_rgb(colour))
    candidates = []
    for target in (0.0, 1.0):  # darker and lighter; both ends of the lightness axis
        end = _hex(colorsys.hls_to_rgb(hue, target, saturation))
        if ratio(end, against) < minimum:
            continue
        near, far = lightness, target  # invariant: `far` passes; bisect towards the original lightness
        for _ in range(40):
            mid = (near + far) / 2
            if ratio(_hex(colorsys.hls_to_rgb(hue, mid, saturation)), against) >= minimum:
                far = mid
            else:
                near = mid
        shade = _hex(colorsys.hls_to_rgb(hue, far, saturation))
        candidates.append((abs(far - lightness), shade))
    return min(candidates)[1]


def palette(primary: str, background: str) -> Palette:
    """The page palette for two brand colours, or ContrastError naming the colour to change."""
    found = ratio(primary, background)
    if found < AA_TEXT:
        shade = nearest_passing(primary, background)
        raise ContrastError(
            "brand.primary",
            f"{primary} on the background {background} has a contrast of {found:.2f}:1; WCAG AA needs "
            f"{AA_TEXT}:1 for text. The nearest passing shade is {shade} "
            f"({ratio(shade, background):.2f}:1); or change brand.background",
        )
    return Palette(
        primary=primary, background=background, ink=text_on(background), on_primary=text_on(primary)
    )
