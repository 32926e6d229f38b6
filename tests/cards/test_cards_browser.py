"""Cards as Chromium draws and prints them: every QR code scans (zbarimg, a real decoder) to the page it
claims, and that page is one the build wrote; PDF pages have the paper's size; long names stay in their boxes
with the fonts Chromium really uses."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import chromium
import pytest
from playwright.sync_api import sync_playwright

from wowcard import cards
from wowcard.build import build_site
from wowcard.collector import survey as survey_model

pytestmark = pytest.mark.browser

SITE_URL = "https://survey.example.com"  # as in this folder's conftest.py

MM = 96 / 25.4  # CSS pixels per millimetre
POINTS = {  # paper sizes in PDF points (1/72 in)
    "A4": (595.28, 841.89),
    "Letter": (612.0, 792.0),
    "A5": (419.53, 595.28),
    "A6": (297.64, 419.53),
    "business card": (240.94, 155.91),
    "US business card": (252.0, 144.0),
}


def zbarimg() -> str:
    found = shutil.which("zbarimg")
    if found:
        return found
    message = "QR tests need zbarimg (Debian package zbar-tools)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip("SKIPPED LOUDLY: " + message)


def decode(png: Path) -> list[str]:
    """Every QR code zbarimg finds in the image, in the order it reports them."""
    result = subprocess.run(
        [zbarimg(), "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(png)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode in (0, 4), result.stderr  # 4: no code found
    return result.stdout.splitlines()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = chromium.launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(device_scale_factor=3, viewport={"width": 900, "height": 1200})
    yield context.new_page()
    context.close()


def scanned(page, path: Path, png: Path):
    """Draw one SVG card in Chromium and scan its picture: its <svg>, and the address its code holds, which
    must be the address it claims in data-url."""
    page.set_content(f"<body style='margin:0'>{path.read_text()}</body>")
    svg = page.locator("svg").first
    svg.screenshot(path=str(png))
    claimed = svg.get_attribute("data-url")
    assert decode(png) == [claimed], path
    return svg, claimed


def printed_url(page, svg) -> str:
    return svg.locator("text.url").evaluate("t => Array.from(t.children, s => s.textContent).join('')")


def test_every_qr_code_scans_to_the_address_printed_under_it_and_the_build_wrote_that_page(
    published, page, tmp_path
):
    site = tmp_path / "site"
    build_site(published, out=site)
    cards.make_cards(published, per="staff", size="business", fmt="svg", out=tmp_path / "staff")
    cards.make_cards(published, per="location", size="a6", fmt="svg", out=tmp_path / "location")
    files = sorted((tmp_path / "staff").rglob("*.svg")) + sorted((tmp_path / "location").rglob("card-*.svg"))
    assert len(files) == 6 + 2 + 2  # staff cards, signs, location cards
    for number, path in enumerate(files):
        svg, claimed = scanned(page, path, tmp_path / f"{number}.png")
        scheme, rest = claimed.split("://", 1)
        assert scheme == "https"
        address, query = rest.split("?", 1)
        assert printed_url(page, svg) == address
        assert query == ("src=sign" if path.name.startswith("sign") else "src=card")
        assert claimed.startswith(SITE_URL + "/")
        built = site / claimed.removeprefix(SITE_URL + "/").split("?")[0] / "index.html"
        assert built.is_file(), f"{path} points at {claimed}, a page the build did not write"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def test_a_staff_card_opens_that_persons_page_with_them_picked_and_tags_the_answer_card(
    published, page, tmp_path
):
    site = tmp_path / "site"
    build_site(published, out=site)
    cards.make_cards(published, per="staff", size="a6", fmt="svg", out=tmp_path / "cards")
    page.set_content((tmp_path / "cards" / "mill" / "s" / "priya" / "card-a6.svg").read_text())
    page.locator("svg.wow-card").screenshot(path=str(tmp_path / "card.png"))
    [scanned] = decode(tmp_path / "card.png")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        # No collector here: a 503 keeps the answer queued on the page; the request itself is what counts.
        page.route("**/api/s/harbour/responses", lambda route: route.fulfill(status=503, body=""))
        page.goto(scanned.replace(SITE_URL, f"http://127.0.0.1:{server.server_address[1]}"))
        assert page.get_by_role("radio", name="Priya").is_checked()
        page.get_by_role("radio", name="Yes").check()
        with page.expect_request("**/api/s/harbour/responses") as sent:
            page.get_by_role("button", name="Send").click()
    finally:
        server.shutdown()
        server.server_close()
    posted = json.loads(sent.value.post_data)
    assert (posted["location"], posted["staff"], posted["src"]) == ("mill", "priya", "card")


def test_all_ten_codes_on_a_printed_sheet_scan(published, page, tmp_path):
    cards.make_cards(published, size="a4-sheet", fmt="html", out=tmp_path)
    page.goto((tmp_path / "cards-location-a4-sheet.html").as_uri())
    for index, url in enumerate([f"{SITE_URL}/harbour/quay/?src=card", f"{SITE_URL}/harbour/mill/?src=card"]):
        png = tmp_path / f"sheet{index}.png"
        page.locator(".page").nth(index).screenshot(path=str(png))
        assert decode(png) == [url] * 10


def test_sheets_are_laid_out_at_their_physical_size(published, page, tmp_path):
    cards.make_cards(published, size="letter-sheet", fmt="html", out=tmp_path)
    page.goto((tmp_path / "cards-location-letter-sheet.html").as_uri())
    sheet = page.locator(".page").first.bounding_box()
    assert sheet["width"] == pytest.approx(215.9 * MM, abs=0.5)
    assert sheet["height"] == pytest.approx(279.4 * MM, abs=0.5)
    boxes = [slot.bounding_box() for slot in page.locator(".page").first.locator(".slot > svg").all()]
    assert len(boxes) == 10
    for box in boxes:
        assert box["width"] == pytest.approx(88.9 * MM, abs=0.5)
        assert box["height"] == pytest.approx(50.8 * MM, abs=0.5)
    assert min(b["x"] for b in boxes) - sheet["x"] == pytest.approx((215.9 - 2 * 88.9) / 2 * MM, abs=0.5)


def media_boxes(pdf: bytes) -> list[tuple[float, float]]:
    return [(float(w), float(h)) for w, h in re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)]


@pytest.mark.parametrize("size", cards.SIZES)
def test_pdf_pages_have_the_paper_size(published, tmp_path, size):
    written = cards.make_cards(published, per="staff", size=size, fmt="pdf", out=tmp_path)
    spec = cards.SIZE_TABLE[size]
    card_pdf, sign_pdf = (item.path.read_bytes() for item in written)
    paper = spec.sheet or spec.card
    assert media_boxes(card_pdf) == [pytest.approx(POINTS[paper.name], abs=1.0)] * 6
    assert media_boxes(sign_pdf) == [pytest.approx(POINTS[spec.sign.name], abs=1.0)] * 2
    assert b"/FontFile2" in card_pdf, "fonts are embedded"


def test_the_same_cards_make_byte_identical_pdfs(published, tmp_path):
    first = cards.make_cards(published, fmt="pdf", out=tmp_path / "one")
    second = cards.make_cards(published, fmt="pdf", out=tmp_path / "two")
    for a, b in zip(first, second, strict=True):
        assert a.path.read_bytes() == b.path.read_bytes()


OVERFLOW = """
svg => {
  const problems = [];
  const quiet = svg.querySelector('g.qr rect').getBBox();
  for (const text of svg.querySelectorAll('text')) {
    const [x, y, w, h] = text.dataset.box.split(' ').map(Number);
    const b = text.getBBox();
    const tol = 0.05;
    if (b.x < x - tol || b.x + b.width > x + w + tol) problems.push(`${text.classList} runs out of its box`);
    const card = svg.viewBox.baseVal;
    if (b.x < 0 || b.y < 0 || b.x + b.width > card.width || b.y + b.height > card.height)
      problems.push(`${text.classList} runs off the card`);
    const overlaps = b.x < quiet.x + quiet.width && quiet.x < b.x + b.width
      && b.y < quiet.y + quiet.height && quiet.y < b.y + b.height;
    if (overlaps) problems.push(`${text.classList} is in the QR code's quiet zone`);
    for (const line of text.children)
      if (line.getComputedTextLength() > w + tol) problems.push(`${line.textContent} is too wide`);
  }
  return problems;
}
"""


@pytest.mark.parametrize("size", ["business", "a6", "letter-sheet"])
def test_long_names_stay_inside_their_boxes_in_the_fonts_chromium_uses(long_survey, page, tmp_path, size):
    cards.make_cards(long_survey, per="staff", size=size, fmt="html", out=tmp_path)
    for document in sorted(tmp_path.glob("*.html")):
        page.goto(document.as_uri())
        arts = page.locator("svg.wow-card, svg.wow-sign").all()
        assert arts
        for art in arts[:: 10 if "sheet" in size else 1]:
            assert art.evaluate(OVERFLOW) == [], document.name


# --- cards in other languages and the kiosk sign --------------------------------------------------------


def test_cards_in_every_layout_of_language_scan_to_a_page_the_build_wrote(published_file, page, tmp_path):
    """es (another language's pages), ar (mirrored) and en,es (bilingual), with kiosk signs: every code
    decodes to its claimed address; survey pages exist in the build, and kiosk pages follow the kiosk URL
    scheme under a location the build wrote (`/<survey>/<location>/[<lang>/]kiosk/`)."""
    from i18n.multilingual import make_multilingual

    survey = survey_model.load(make_multilingual(published_file))
    site = tmp_path / "site"
    build_site(survey, out=site)
    for lang, per in (("es", "location"), ("ar", "staff"), ("en,es", "location")):
        cards.make_cards(
            survey, per=per, size="business", fmt="svg", out=tmp_path / lang, lang=lang, kiosk=True
        )
    files = sorted(tmp_path.glob("*/*/**/*.svg"))
    assert len(files) == (2 + 2 + 2) + (6 + 2 + 2) + (2 + 2 + 2)  # cards, signs and kiosk signs
    for number, path in enumerate(files):
        svg, claimed = scanned(page, path, tmp_path / f"{number}.png")
        assert printed_url(page, svg) == claimed.removeprefix("https://").split("?")[0]
        folder = claimed.removeprefix(SITE_URL + "/").split("?")[0]
        if path.name.startswith("kiosk"):
            assert re.fullmatch(r"harbour/(quay|mill)/((es|ar)/)?kiosk/", folder), claimed
            built = site / folder / "index.html"
            assert built.is_file() or (site / folder.removesuffix("kiosk/") / "index.html").is_file()
        else:
            assert (site / folder / "index.html").is_file(), f"{path} points at {claimed}, not a built page"


@pytest.mark.parametrize("lang", ["ar", "en,es", "ar,en"])
def test_texts_of_every_language_stay_inside_their_boxes_in_the_fonts_chromium_uses(
    published_file, page, tmp_path, lang
):
    from i18n.multilingual import make_multilingual

    survey = survey_model.load(make_multilingual(published_file))
    for size in ("business", "a6"):
        cards.make_cards(
            survey, per="staff", size=size, fmt="html", out=tmp_path / size, lang=lang, kiosk=True
        )
    for document in sorted(tmp_path.glob("*/*.html")):
        page.goto(document.as_uri())
        arts = page.locator("svg.wow-card, svg.wow-sign, svg.wow-kiosk").all()
        assert arts
        for art in arts:
            assert art.evaluate(OVERFLOW) == [], document.name
