"""`wowcard cards` without a browser: where each card points, what the command writes and says, the QR code
settings, the sheet geometry and the text fitting that keeps long names on the card."""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from conftest import SURVEY_TOML
from hypothesis import given, settings
from hypothesis import strategies as st

from wowcard import cards, contrast
from wowcard.__main__ import cli
from wowcard.collector import answers, tally
from wowcard.collector import survey as survey_model

SITE = "https://survey.example.com"


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, ["cards", *args], env=env)


def svg_urls(folder: Path) -> dict[str, str]:
    """Each SVG file written (relative path) and the URL its QR code was made for."""
    return {
        str(path.relative_to(folder)): re.search(r'data-url="([^"]+)"', path.read_text()).group(1)
        for path in sorted(folder.rglob("*.svg"))
    }


# --- where cards point ---------------------------------------------------------------------------------


def test_location_cards_point_at_each_locations_public_page_tagged_card(published):
    found = cards.targets(published, "location", "card", SITE)
    assert [t.url for t in found] == [f"{SITE}/harbour/quay/?src=card", f"{SITE}/harbour/mill/?src=card"]
    assert [t.short_url for t in found] == [
        "survey.example.com/harbour/quay/",
        "survey.example.com/harbour/mill/",
    ]


def test_staff_cards_point_at_the_staff_members_own_page_at_every_location_they_work_at(published):
    found = cards.targets(published, "staff", "receipt", SITE)
    assert [t.path for t in found] == [
        "harbour/quay/s/maya/",
        "harbour/quay/s/tom/",
        "harbour/quay/s/priya/",
        "harbour/mill/s/priya/",
        "harbour/mill/s/sam/",
        "harbour/mill/s/li/",
    ]
    assert all(t.url == f"{SITE}/{t.path}?src=receipt" for t in found)


def test_every_source_tag_a_card_can_carry_is_one_the_collector_accepts_and_tallies(definition):
    for src in cards.SOURCES:
        answer = answers.validate({"location": "quay", "wow": "yes", "src": src}, definition)
        assert tally.increments(answer)[f"src:{src}"] == 1


def test_a_site_url_with_a_path_keeps_it_in_the_code_and_the_printed_address(published):
    (target, _) = cards.targets(published, "location", "card", "https://example.com/feedback")
    assert target.url == "https://example.com/feedback/harbour/quay/?src=card"
    assert target.short_url == "example.com/feedback/harbour/quay/"


# --- the command ---------------------------------------------------------------------------------------


def test_without_a_public_address_the_command_says_how_to_get_one_and_prints_nothing(survey_file):
    result = run("-s", str(survey_file), "--format", "svg")
    assert result.exit_code == 2
    assert "site_url is not set" in result.output
    assert 'site_url = "https://survey.example.com"' in result.output
    assert "wowcard deploy" in result.output
    assert "Traceback" not in result.output
    assert not (survey_file.parent / "build").exists()


def test_per_staff_writes_one_card_per_staff_member_per_location_and_a_sign_per_location(published_file):
    result = run("-s", str(published_file), "--per", "staff", "--format", "svg")
    assert result.exit_code == 0, result.output
    out = published_file.parent / "build" / "cards"
    assert svg_urls(out) == {
        "mill/s/li/card-business.svg": f"{SITE}/harbour/mill/s/li/?src=card",
        "mill/s/priya/card-business.svg": f"{SITE}/harbour/mill/s/priya/?src=card",
        "mill/s/sam/card-business.svg": f"{SITE}/harbour/mill/s/sam/?src=card",
        "mill/sign-a5.svg": f"{SITE}/harbour/mill/?src=sign",
        "quay/s/maya/card-business.svg": f"{SITE}/harbour/quay/s/maya/?src=card",
        "quay/s/priya/card-business.svg": f"{SITE}/harbour/quay/s/priya/?src=card",
        "quay/s/tom/card-business.svg": f"{SITE}/harbour/quay/s/tom/?src=card",
        "quay/sign-a5.svg": f"{SITE}/harbour/quay/?src=sign",
    }
    assert result.output.count("\nwrote ") + result.output.startswith("wrote ") == 8
    for path in out.rglob("*.svg"):  # standalone XML, for Inkscape, Illustrator or a print shop
        root = ElementTree.parse(path).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert (root.get("width"), root.get("height")) in (("85mm", "55mm"), ("148mm", "210mm"))


def test_the_src_option_tags_the_cards_and_signs_stay_tagged_sign(published_file, tmp_path):
    result = run(
        "-s",
        str(published_file),
        "--src",
        "receipt",
        "--size",
        "a6",
        "--format",
        "svg",
        "--out",
        str(tmp_path / "out"),
    )
    assert result.exit_code == 0, result.output
    assert svg_urls(tmp_path / "out") == {
        "mill/card-a6.svg": f"{SITE}/harbour/mill/?src=receipt",
        "mill/sign-a5.svg": f"{SITE}/harbour/mill/?src=sign",
        "quay/card-a6.svg": f"{SITE}/harbour/quay/?src=receipt",
        "quay/sign-a5.svg": f"{SITE}/harbour/quay/?src=sign",
    }


def test_html_sheets_and_signs_are_written_and_say_what_they_hold(published_file, tmp_path):
    result = run("-s", str(published_file), "--format", "html", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert (
        "cards-location-a4-sheet.html: 2 A4 sheets (one per location), 10 cards of 85 × 55 mm"
        in result.output
    )
    assert "signs-a5.html: 2 counter signs, A5" in result.output
    sheet = (tmp_path / "cards-location-a4-sheet.html").read_text()
    assert "@page { size: 210mm 297mm; margin: 0; }" in sheet
    assert sheet.count('class="wow-card"') == 20
    assert "Did anyone exceed your expectations today?" not in sheet  # it is fitted into lines …
    assert "Did anyone exceed" in sheet and "today?" in sheet  # … which are all there
    signs = (tmp_path / "signs-a5.html").read_text()
    assert "@page { size: 148mm 210mm; margin: 0; }" in signs
    assert signs.count('class="wow-sign"') == 2


def test_letter_sheets_use_us_business_cards_and_letter_signs(published_file, tmp_path):
    result = run(
        "-s", str(published_file), "--size", "letter-sheet", "--format", "html", "--out", str(tmp_path)
    )
    assert result.exit_code == 0, result.output
    assert (
        "@page { size: 215.9mm 279.4mm; margin: 0; }"
        in (tmp_path / "cards-location-letter-sheet.html").read_text()
    )
    assert 'width="88.9mm" height="50.8mm"' in (tmp_path / "cards-location-letter-sheet.html").read_text()
    assert "@page { size: 215.9mm 279.4mm; margin: 0; }" in (tmp_path / "signs-letter.html").read_text()


def test_the_same_survey_gives_byte_identical_cards(published_file, tmp_path):
    for name in ("one", "two"):
        assert (
            run(
                "-s", str(published_file), "--per", "staff", "--format", "html", "--out", str(tmp_path / name)
            ).exit_code
            == 0
        )
        assert run("-s", str(published_file), "--format", "svg", "--out", str(tmp_path / name)).exit_code == 0
    one = {p.relative_to(tmp_path / "one"): p.read_bytes() for p in (tmp_path / "one").rglob("*.*")}
    two = {p.relative_to(tmp_path / "two"): p.read_bytes() for p in (tmp_path / "two").rglob("*.*")}
    assert len(one) == 6 and one == two


def test_an_unknown_size_is_a_usage_error(published_file):
    result = run("-s", str(published_file), "--size", "a3")
    assert result.exit_code == 2
    assert "'a3' is not one of" in result.output


def test_pdf_without_chromium_says_what_to_install_and_exits_1(published_file, tmp_path):
    result = run(
        "-s", str(published_file), "--out", str(tmp_path), env={"WOWCARD_CHROMIUM": str(tmp_path / "no")}
    )
    assert result.exit_code == 1
    assert "making PDFs needs Chromium" in result.output
    assert "apt-get install chromium" in result.output and "--format html" in result.output
    assert not list(tmp_path.glob("*.pdf"))


def test_the_logo_is_an_image_on_the_card_so_its_script_can_never_run(published_file):
    (published_file.parent / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 2 1"><script>alert(1)</script><rect/></svg>'
    )
    result = run("-s", str(published_file), "--format", "svg")
    assert result.exit_code == 0, result.output
    card = next((published_file.parent / "build" / "cards").rglob("card-*.svg")).read_text()
    assert "<script" not in card and "alert" not in card
    assert (
        'preserveAspectRatio="xMidYMid meet" href="data:image/svg+xml,&lt;svg '
        "xmlns=&#39;http://www.w3.org/2000/svg&#39; viewBox=&#39;0 0 2 1&#39;&gt;"
        '&lt;rect/&gt;&lt;/svg&gt;"/>'
    ) in card


def test_a_logo_that_is_not_svg_is_refused_naming_the_field(published_file):
    (published_file.parent / "logo.svg").write_text("<svg><rect></svg>")
    result = run("-s", str(published_file), "--format", "svg")
    assert result.exit_code == 2
    assert "brand.logo" in result.output and "not valid SVG" in result.output


def test_a_theme_folder_beside_the_survey_overrides_the_card_styles(published_file, tmp_path):
    theme = published_file.parent / "templates"
    theme.mkdir()
    (theme / "cards.css").write_text("/* the owner's own sheet style */ .page { outline: 1px solid red; }")
    assert run("-s", str(published_file), "--format", "html", "--out", str(tmp_path)).exit_code == 0
    assert "the owner's own sheet style" in (tmp_path / "cards-location-a4-sheet.html").read_text()


def test_a_broken_theme_template_is_named_and_exits_2(published_file, tmp_path):
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "sheet.html").write_text("{{ no_such_value }}")
    result = run(
        "-s", str(published_file), "--format", "html", "--templates", str(theme), "--out", str(tmp_path)
    )
    assert result.exit_code == 2
    assert "sheet.html" in result.output and "no_such_value" in result.output


# --- QR codes, colours, sheets -------------------------------------------------------------------------


def test_qr_codes_use_print_error_correction_and_a_four_module_quiet_zone(published):
    brand = cards.branding(published)
    for size in cards.SIZES:
        spec = cards.SIZE_TABLE[size]
        for target in cards.targets(published, "staff", "card", SITE):
            art = cards.card_art(brand, target, spec)
            assert art.qr.code.data == target.url
            assert art.qr.code.error in ("Q", "H")
            quiet = art.qr.quiet_box
            assert quiet.w == pytest.approx(art.qr.module * (art.qr.code.modules + 2 * cards.QUIET_ZONE))
            assert 0 <= quiet.x and quiet.x + quiet.w <= art.width  # the quiet zone is on the card
            assert 0 <= quiet.y and quiet.y + quiet.h <= art.height
            assert art.qr.module >= 0.4, "modules under 0.4 mm are hard to scan from paper"


def test_the_question_is_written_in_a_readable_colour_on_the_brand_colour(published_file):
    for primary in ("#0b5d6b", "#f4d03f", "#ff6600", "#000000", "#ffffff"):
        text = published_file.read_text()
        published_file.write_text(re.sub(r'primary = "#[0-9a-f]{6}"', f'primary = "{primary}"', text))
        survey = survey_model.load(published_file)
        brand = cards.branding(survey)
        art = cards.card_art(
            brand, cards.targets(survey, "location", "card", SITE)[0], cards.SIZE_TABLE["a6"]
        )
        question = next(block for block in art.texts if block.role == "question")
        assert contrast.ratio(question.fill, primary) >= 4.5
        assert art.shapes[0].fill == primary
        for block in art.texts:
            if block.role != "question":  # everything else is on white paper
                assert contrast.ratio(block.fill, "#ffffff") >= 4.5, block.role


def test_a_sheet_centres_ten_cards_and_keeps_crop_marks_off_them(published):
    brand = cards.branding(published)
    spec = cards.SIZE_TABLE["a4-sheet"]
    art = cards.card_art(brand, cards.targets(published, "location", "card", SITE)[0], spec)
    (page,) = cards.card_pages([art], spec, brand.name)
    assert (page.width, page.height) == (210, 297)
    assert len(page.slots) == 10
    xs = sorted({slot.x for slot in page.slots})
    ys = sorted({slot.y for slot in page.slots})
    assert xs == [20, 105] and ys == pytest.approx([11, 66, 121, 176, 231])
    for line in page.marks:
        for slot in page.slots:
            inside_x = (
                slot.x < min(line.x1, line.x2) + 1e-9 and max(line.x1, line.x2) < slot.x + art.width + 1e-9
            )
            inside_y = (
                slot.y < min(line.y1, line.y2) + 1e-9 and max(line.y1, line.y2) < slot.y + art.height + 1e-9
            )
            assert not (inside_x and inside_y), "a crop mark on a card"
        assert min(line.x1, line.x2, line.y1, line.y2) >= 2.5, "a crop mark where printers cannot print"
    # every cut line has a mark at both ends
    cut_xs = {line.x1 for line in page.marks if line.x1 == line.x2}
    cut_ys = {line.y1 for line in page.marks if line.y1 == line.y2}
    assert cut_xs == {20, 105, 190}
    assert sorted(cut_ys) == pytest.approx([11, 66, 121, 176, 231, 286])


def test_a_card_with_the_default_question_uses_the_pages_own_wording(survey_dir):
    toml = f'site_url = "{SITE}"\n' + SURVEY_TOML.replace(
        'title = "Did anyone exceed your expectations today?"\n', ""
    )
    (survey_dir / "survey.toml").write_text(toml)
    brand = cards.branding(survey_model.load(survey_dir / "survey.toml"))
    assert brand.question == "Did anyone exceed your expectations today?"
    assert brand.intro == "Takes 30 seconds. Every question is optional."


# --- fitting text --------------------------------------------------------------------------------------


def lines_fit(block: cards.TextBlock) -> bool:
    return all(
        cards.text_width(line, block.weight) / 1000 * block.size <= block.box.w for line in block.lines
    )


def test_names_at_their_longest_shrink_and_wrap_on_every_card_and_sign_without_losing_a_letter(long_survey):
    brand = cards.branding(long_survey)
    # Believable words stay at 3.2 pt or more even on a business card; 120 Ms without a space go smaller.
    smallest = 1.13 if long_survey.folder.name == "long" else 0.8
    wanted = {
        "brand": long_survey.brand.name,
        "tagline": long_survey.brand.tagline,
        "question": long_survey.title,
        "name": long_survey.staff[0].name,
        "place": long_survey.locations[0].name,
    }
    for size in cards.SIZES:
        spec = cards.SIZE_TABLE[size]
        for target in cards.targets(long_survey, "staff", "receipt", "https://feedback.example.com")[:1]:
            for art in (cards.card_art(brand, target, spec), cards.sign_art(brand, target, spec.sign)):
                for block in art.texts:
                    assert lines_fit(block), (size, art.kind, block.role)
                    assert block.height <= block.box.h + 1e-6, (size, art.kind, block.role)
                    assert 0 <= block.box.x and block.box.x + block.box.w <= art.width
                    assert 0 <= block.box.y and block.box.y + block.box.h <= art.height
                    assert "\u2026" not in "".join(block.lines), (size, art.kind, block.role)
                    if block.role in wanted:
                        assert "".join(block.lines).replace(" ", "") == wanted[block.role].replace(" ", "")
                    if block.role == "url":
                        assert "".join(block.lines) == target.short_url
                    assert block.size >= smallest, f"{block.role} on {size} {art.kind}: {block.size:.2f} mm"


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")), min_size=1, max_size=120)
    .map(lambda t: " ".join(t.split()))
    .filter(bool),
    width=st.floats(10, 120),
    height=st.floats(3, 40),
    lines=st.integers(1, 6),
)
def test_fitted_text_never_runs_wider_or_taller_than_its_box(text, width, height, lines):
    box = cards.Box(0, 0, width, height)
    block = cards.fit_text("t", text, box, max_size=6, min_size=2, weight=700, max_lines=lines)
    assert lines_fit(block)
    assert len(block.lines) <= lines
    assert block.height <= height + 1e-6 or len(block.lines) == 1


def test_a_headline_wraps_into_even_lines():
    text = "Did anyone exceed your expectations today?"
    box = cards.Box(0, 0, 95, 12)
    block = cards.fit_text("q", text, box, max_size=5, min_size=2, weight=700, max_lines=4, balance=True)
    greedy = cards.text._wrap(text, box.w * 0.985 / block.size * 1000, 700, url=False, break_words=False)
    assert greedy == ["Did anyone exceed your expectations", "today?"]
    assert block.lines == ("Did anyone exceed your", "expectations today?")
