"""HTML to PDF through headless Chromium's own print-to-PDF (Debian's /usr/bin/chromium, driven by
Playwright's sync API): page sizes come from the document's CSS `@page`, so a sheet laid out in millimetres
prints at exactly that size. No PDF library of our own.

Chromium stamps each PDF with the time it was made; the stamps are replaced by a fixed one of the same
length (byte offsets in the file stay valid), so the same cards give the same bytes.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
# The same switches the browser tests use: no sandbox (containers), and no calls home on a closed network.
ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
_DATE = re.compile(rb"(/(?:CreationDate|ModDate) ?\(D:)(\d{14})")


class PdfError(Exception):
    """No PDF could be made: Chromium or Playwright is missing, or Chromium failed. The message says what
    to install or what to do instead."""


def chromium_path() -> str:
    """The Chromium to print with: $WOWCARD_CHROMIUM, else Debian's. PdfError saying how to get one."""
    path = os.environ.get("WOWCARD_CHROMIUM", CHROMIUM)
    if os.path.isfile(path) or shutil.which(path):
        return path
    raise PdfError(
        f"making PDFs needs Chromium, and there is none at {path}. Install it (Debian/Ubuntu: "
        "`sudo apt-get install chromium`) or point WOWCARD_CHROMIUM at a Chromium or Chrome binary; "
        "or use --format html and print the page from a browser at 100 % scale."
    )


def html_to_pdf(jobs: Sequence[tuple[str, Path]]) -> None:
    """Print each (html, pdf path) with one browser. Page sizes come from the HTML's CSS @page."""
    executable = chromium_path()
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _print(jobs, executable)
    # Playwright's sync API refuses to run under an event loop (a notebook, another Playwright session):
    # print from a thread of our own instead.
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(_print, jobs, executable).result()


def _print(jobs: Sequence[tuple[str, Path]], executable: str) -> None:
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        raise PdfError(
            "making PDFs needs the Python package playwright (`pip install playwright`; wowcard uses your "
            "installed Chromium, so `playwright install` is not needed), or use --format html"
        ) from None
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, headless=True, args=list(ARGS))
            try:
                page = browser.new_page()
                for html, target in jobs:
                    page.set_content(html, wait_until="load")
                    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
                    target.write_bytes(stable(pdf))
            finally:
                browser.close()
    except Error as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PdfError(f"Chromium ({executable}) could not print the PDF: {first_line}") from None


def stable(pdf: bytes) -> bytes:
    """The PDF with its /CreationDate and /ModDate set to 2000-01-01 in the same
    number of bytes (the cross-reference offsets stay right)."""
    return _DATE.sub(lambda m: m.group(1) + b"20000101000000", pdf)
