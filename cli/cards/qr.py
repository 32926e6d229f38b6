"""QR codes as SVG paths, and a code placed on the art with its quiet zone."""

from __future__ import annotations

from dataclasses import dataclass

import segno

from .paper import Box

QR_ERROR = "q"  # 25 % of the code can be smudged, folded or torn and it still scans
QUIET_ZONE = 4  # modules of white around the code, as ISO/IEC 18004 asks


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
