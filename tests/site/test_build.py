"""`wowcard build` output: the URL layout, the form a customer posts, the page budget, self-containment,
valid HTML, determinism, stale pages, theme overrides and the build errors an owner can meet."""

from __future__ import annotations

import gzip
import json
import random
import re
from pathlib import Path

import html5lib
import pytest
from click.testing import CliRunner

from wowcard import build as site_build
from wowcard import render
from wowcard.__main__ import cli
from wowcard.collector import answers
from wowcard.collector import survey as survey_model
from wowcard.site_files import MANIFEST

STAFF = {"quay": ("maya", "tom", "priya"), "mill": ("priya", "sam", "li")}


def layout(staff=STAFF, languages=("en",)) -> set[str]:
    files = {"survey.json"}
    for kind in ("thanks", "error"):
        files |= {f"{kind}/index.html"} | {f"{kind}/{lang}/index.html" for lang in languages}
    for location, people in staff.items():
        for prefix in [f"{location}/"] + [f"{location}/{lang}/" for lang in languages]:
            files |= {f"{prefix}index.html", f"{prefix}kiosk/index.html"}
            files |= {f"{prefix}s/{person}/index.html" for person in people}
    return files


def written(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def pages(folder: Path) -> dict[str, bytes]:
    return {path: data for path, data in written(folder).items() if path.endswith(".html")}


def build(survey_file: Path, *args: str):
    return CliRunner().invoke(cli, ["build", "-s", str(survey_file), *args])


def edit(survey_file: Path, old: str, new: str) -> None:
    text = survey_file.read_text(encoding="utf-8")
    assert old in text
    survey_file.write_text(text.replace(old, new, 1), encoding="utf-8")


def dom(data: bytes):
    return html5lib.parse(data, namespaceHTMLElements=False)


@pytest.fixture
def site(survey_file: Path) -> Path:
    result = build(survey_file)
    assert result.exit_code == 0, result.output
    return survey_file.parent / "build" / "harbour"


def test_every_page_of_the_url_layout_is_written_and_nothing_else(site: Path):
    assert set(written(site)) == layout() | {MANIFEST}


def test_survey_json_is_the_compiled_definition(site: Path, definition):
    assert (site / "survey.json").read_text(encoding="utf-8") == definition.dumps()


def test_build_reports_pages_and_the_largest_gzipped_page(survey_file: Path):
    result = build(survey_file)
    out = survey_file.parent / "build" / "harbour"
    assert f"wrote 24 pages and survey.json to {out}/" in result.output
    sizes = {path: len(gzip.compress(data, 9)) - 0 for path, data in pages(out).items()}
    largest = max(sizes, key=lambda p: (sizes[p], p))
    match = re.search(r"largest page: harbour/(\S+), ([\d,]+) bytes gzipped \(budget 14,600\)", result.output)
    assert match, result.output
    assert match.group(1) == largest
    assert abs(int(match.group(2).replace(",", "")) - sizes[largest]) <= 20  # gzip -9 header may hold a name


def test_every_page_is_within_the_gzip_budget_and_a_few_kilobytes(site: Path):
    for path, data in pages(site).items():
        size = len(gzip.compress(data, compresslevel=9))
        assert size <= 14_600, path
        assert size < 6_000, f"{path} is {size} bytes gzipped: the page should stay a few kilobytes"


def test_no_page_makes_any_external_request(site: Path):
    """The logo is the one image, and it is a data: URL (an SVG image loads nothing itself: see
    tests/browser/test_hostile_logos.py); nothing else in a page names another resource."""
    for path, data in pages(site).items():
        text = re.sub(r'<img class="logo" src="data:image/svg\+xml,[^"]*"', "", data.decode("utf-8"))
        assert not re.search(r"https?:|//[a-z0-9]", text, re.IGNORECASE), path
        document = dom(data)
        loaders = {"link", "iframe", "object", "embed", "base", "audio", "video", "source", "image", "use"}
        icon = {"tag": "link", "rel": "icon", "href": "data:,"}  # an empty icon: no /favicon.ico request
        assert not [
            e.tag
            for e in document.iter()
            if isinstance(e.tag, str) and e.tag in loaders and {"tag": e.tag, **e.attrib} != icon
        ], path
        for element in document.iter():
            if element.tag == "img":
                assert element.get("src").startswith("data:image/svg+xml,"), path
            for name in ("srcset", "poster", "data", "xlink:href"):
                assert element.get(name) is None, (path, element.tag, name)
            for name in ("href", "action"):
                if element.tag != "link":
                    assert (element.get(name) or "/").startswith("/"), (path, element.tag, name)
        style = "".join(e.text or "" for e in document.iter("style"))
        assert "url(" not in style and "@import" not in style, path


def test_every_page_is_valid_html5_with_language_and_viewport(site: Path):
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    for path, data in pages(site).items():
        document = parser.parse(data)
        html = document if document.tag == "html" else document.find("html")
        assert html is not None and html.get("lang") == "en", path
        viewport = [m for m in document.iter("meta") if m.get("name") == "viewport"]
        assert viewport and "width=device-width" in viewport[0].get("content"), path
        assert document.find(".//title").text, path


def form_of(data: bytes):
    forms = list(dom(data).iter("form"))
    assert len(forms) == 1
    return forms[0]


def test_the_form_posts_the_frozen_request_fields(site: Path, definition):
    form = form_of((site / "quay" / "index.html").read_bytes())
    assert form.get("method") == "post"
    assert form.get("action") == "/api/s/harbour/responses"
    hidden = {i.get("name"): i.get("value") for i in form.iter("input") if i.get("type") == "hidden"}
    assert hidden == {"v": definition.version, "lang": "en", "location": "quay"}
    radios: dict[str, list[str]] = {}
    for i in form.iter("input"):
        if i.get("type") in ("radio", "checkbox"):
            radios.setdefault(i.get("name"), []).append(i.get("value"))
    assert radios == {
        "wow": ["yes", "no"],
        "staff": ["maya", "tom", "priya", "_"],
        "people": ["1", "2", "3", "4", "5"],
        "process": ["1", "2", "3", "4", "5"],
        "product": ["1", "2", "3", "4", "5"],
        "promises": ["fresh", "name", "quick"],
        "consent": ["yes"],
    }
    texts = {e.get("name") for e in form.iter() if e.tag == "textarea" or e.get("type") == "text"}
    assert texts == {"what", "comment", "contact", "website"}
    assert not [e for e in form.iter() if e.get("required") is not None]


def test_the_honeypot_is_hidden_from_people_and_screen_readers(site: Path):
    form = form_of((site / "quay" / "index.html").read_bytes())
    trap = next(i for i in form.iter("input") if i.get("name") == "website")
    assert trap.get("tabindex") == "-1" and trap.get("autocomplete") == "off"
    holder = next(d for d in form.iter("div") if trap in list(d))
    assert holder.get("aria-hidden") == "true" and holder.get("class") == "hp"


def test_each_staff_page_preselects_that_person_without_javascript(site: Path):
    for location, people in STAFF.items():
        for person in people:
            for path in (f"{location}/s/{person}/index.html", f"{location}/en/s/{person}/index.html"):
                form = form_of((site / path).read_bytes())
                checked = [i.get("value") for i in form.iter("input") if i.get("checked") is not None]
                assert checked == [person], path
    location_page = form_of((site / "mill" / "index.html").read_bytes())
    assert not [i for i in location_page.iter("input") if i.get("checked") is not None]


def test_questions_switched_off_are_not_rendered(survey_file: Path):
    edit(survey_file, "ratings = true", "ratings = false")
    edit(survey_file, "comment = true", "comment = false")
    edit(survey_file, "who = true", "who = false")
    assert build(survey_file).exit_code == 0
    page = (survey_file.parent / "build" / "harbour" / "quay" / "s" / "tom" / "index.html").read_bytes()
    names = {e.get("name") for e in form_of(page).iter() if e.get("name")}
    assert names == {"v", "lang", "location", "wow", "what", "promises", "contact", "consent", "website"}
    assert b"How did we do?" not in page and b"Who was it?" not in page


def test_collector_url_points_the_form_at_another_origin(survey_file: Path):
    assert (
        build(
            survey_file, "--collector-url", "https://abc.execute-api.eu-west-1.amazonaws.com/api/"
        ).exit_code
        == 0
    )
    page = (survey_file.parent / "build" / "harbour" / "mill" / "index.html").read_bytes()
    assert (
        form_of(page).get("action")
        == "https://abc.execute-api.eu-west-1.amazonaws.com/api/s/harbour/responses"
    )


def test_a_collector_url_that_is_not_a_url_is_refused(survey_file: Path):
    result = build(survey_file, "--collector-url", "ftp://x")
    assert result.exit_code == 2 and "--collector-url" in result.output and "Traceback" not in result.output


def test_out_overrides_the_output_folder(survey_file: Path, tmp_path: Path):
    result = build(survey_file, "--out", str(tmp_path / "site"))
    assert result.exit_code == 0, result.output
    assert set(written(tmp_path / "site" / "harbour")) == layout() | {MANIFEST}
    assert not (survey_file.parent / "build").exists()


def test_thank_you_and_error_urls_follow_the_site_url_path(survey_file: Path):
    edit(survey_file, 'id = "harbour"', 'id = "harbour"\nsite_url = "https://example.org/wow/"')
    assert build(survey_file).exit_code == 0
    page = (survey_file.parent / "build" / "harbour" / "quay" / "index.html").read_bytes()
    form = form_of(page)
    assert form.get("data-thanks") == "/wow/harbour/thanks/en/"
    assert form.get("data-error") == "/wow/harbour/error/en/"


def test_the_same_survey_builds_to_the_same_bytes(survey_file: Path, tmp_path: Path):
    assert build(survey_file, "--out", str(tmp_path / "one")).exit_code == 0
    assert build(survey_file, "--out", str(tmp_path / "two")).exit_code == 0
    one, two = written(tmp_path / "one"), written(tmp_path / "two")
    assert one == two
    assert build(survey_file, "--out", str(tmp_path / "one")).exit_code == 0
    assert written(tmp_path / "one") == one


def test_a_changed_survey_gets_a_new_version_in_every_form(survey_file: Path, site: Path):
    before = form_of((site / "quay" / "index.html").read_bytes())
    edit(survey_file, 'text = "They know my name"', 'text = "They remembered my name"')
    assert build(survey_file).exit_code == 0
    after = form_of((site / "quay" / "index.html").read_bytes())
    version = [i.get("value") for f in (before, after) for i in f.iter("input") if i.get("name") == "v"]
    assert version[0] != version[1]
    assert json.loads((site / "survey.json").read_text())["version"] == version[1]


def test_pages_of_removed_locations_and_staff_become_hand_offs_and_nothing_else_changes(
    survey_file: Path, site: Path
):
    (site / "cards").mkdir()
    (site / "cards" / "quay.pdf").write_bytes(b"%PDF printed cards")  # written by another tool
    (site / "mill" / "notes.txt").write_text("the owner's own file")
    text = survey_file.read_text(encoding="utf-8")
    text = text.replace('[[staff]]\nid = "tom"\nname = "Tom"\nlocation = "quay"\n\n', "")
    text = text.replace('[[staff]]\nid = "sam"\nname = "Sam"\nlocation = "mill"\n\n', "")
    text = text.replace('[[staff]]\nid = "li"\nname = "Li"\nlocation = "mill"\n', "")
    text = text.replace('[[locations]]\nid = "mill"\nname = "Old Mill"\n\n', "")
    text = text.replace('locations = ["quay", "mill"]', 'location = "quay"')
    survey_file.write_text(text, encoding="utf-8")
    result = build(survey_file)
    assert result.exit_code == 0, result.output
    assert "stale files" not in result.output  # a printed URL is forever (tests/site/test_leavers.py)
    assert "12 printed pages of people, locations or languages that left now hand off" in result.output
    assert set(written(site)) == layout() | {MANIFEST, "cards/quay.pdf", "mill/notes.txt"}
    assert b"This page has moved" in (site / "mill" / "s" / "sam" / "index.html").read_bytes()


def test_a_templates_folder_beside_survey_toml_overrides_a_template_by_name(survey_file: Path):
    theme = survey_file.parent / "templates"
    theme.mkdir()
    (theme / "thanks.html").write_text(
        '<!DOCTYPE html><html lang="{{ lang }}"><head><meta name="viewport" content="width=device-width">'
        "<title>{{ brand.name }}</title></head><body><h1>Cheers from {{ brand.name }}</h1>"
        "<p>{{ brand.tagline }} &amp; more</p></body></html>",
        encoding="utf-8",
    )
    assert build(survey_file).exit_code == 0
    site = survey_file.parent / "build" / "harbour"
    assert b"<h1>Cheers from Harbour Coffee</h1>" in (site / "thanks" / "en" / "index.html").read_bytes()
    assert b"Did anyone exceed your expectations today?" in (site / "quay" / "index.html").read_bytes()


def test_templates_option_overrides_the_style_sheet(survey_file: Path, tmp_path: Path):
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "page.css").write_text("/* the owner's theme */\nbody {\n  font-family: Georgia, serif;\n}\n")
    assert build(survey_file, "--templates", str(theme)).exit_code == 0
    page = (survey_file.parent / "build" / "harbour" / "quay" / "index.html").read_text()
    assert "body{font-family:Georgia,serif}" in page
    assert "the owner's theme" not in page and "box-sizing" not in page


def test_a_typo_in_a_theme_template_fails_the_build_naming_the_file(survey_file: Path):
    theme = survey_file.parent / "templates"
    theme.mkdir()
    (theme / "error.html").write_text("<!DOCTYPE html>\n<p>\n{{ brand.nmae }}</p>\n", encoding="utf-8")
    result = build(survey_file)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "error.html, line 3" in result.output and "nmae" in result.output


def test_owner_texts_are_escaped(survey_file: Path):
    edit(survey_file, 'name = "Harbour Coffee"', 'name = "Harbour <script>alert(1)</script> & Co"')
    assert build(survey_file).exit_code == 0
    page = (survey_file.parent / "build" / "harbour" / "quay" / "index.html").read_text()
    assert "<script>alert(1)" not in page
    assert "Harbour &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in page


def test_the_logo_is_a_minified_image_in_the_page(site: Path):
    page = (site / "quay" / "index.html").read_text()
    assert (
        '<img class="logo" src="data:image/svg+xml,<svg xmlns=\'http://www.w3.org/2000/svg\' '
        "viewBox='0 0 64 64'><circle cx='32' cy='32' r='30' fill='%230b5d6b'/>"
        "<path d='M18 38h28v6H18z' fill='%23ffffff'/></svg>\" "
        'alt="" width="64" height="64">'
    ) in page


def test_a_heavy_logo_fails_the_build_naming_the_asset_and_its_size(survey_file: Path):
    rng = random.Random(7)
    dots = "".join(
        f'<circle cx="{rng.random() * 64:.4f}" cy="{rng.random() * 64:.4f}" r="{rng.random():.4f}" '
        f'fill="#{rng.randrange(16**6):06x}"/>'
        for _ in range(1500)
    )
    (survey_file.parent / "logo.svg").write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">{dots}</svg>'
    )
    result = build(survey_file)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    message = result.output
    assert f"{survey_file}: brand.logo: " in message
    assert "over the page budget of 14,600 bytes" in message
    size = re.search(r"brand\.logo \(logo\.svg\): ([\d,]+) bytes gzipped", message)
    assert size and int(size.group(1).replace(",", "")) > 14_600
    assert not (survey_file.parent / "build" / "harbour" / "quay").exists()


@pytest.mark.parametrize(
    ("svg", "words"),
    [
        ("<svg><rect></svg>", "not valid SVG"),
        ('<html xmlns="http://www.w3.org/1999/xhtml"/>', "not an SVG image"),
        (
            '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            '<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>',
            "declares a DOCTYPE or entities",
        ),
    ],
    ids=["broken xml", "not svg", "entities"],
)
def test_a_file_that_is_not_a_plain_svg_image_is_refused_naming_brand_logo(
    survey_file: Path, svg: str, words: str
):
    (survey_file.parent / "logo.svg").write_text(svg)
    result = build(survey_file)
    assert result.exit_code == 2, result.output
    assert f"{survey_file}: brand.logo: logo.svg" in result.output
    assert words in result.output
    assert "Traceback" not in result.output


def test_a_logo_file_too_large_to_read_is_refused_before_parsing(survey_file: Path):
    (survey_file.parent / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg">' + "<rect/>" * 200_000 + "</svg>"
    )
    result = build(survey_file)
    assert result.exit_code == 2, result.output
    assert "brand.logo: logo.svg is 1,400,046 bytes; a logo must be under 1,000,000 bytes" in result.output


def test_text_colours_are_picked_for_contrast(survey_file: Path):
    edit(survey_file, 'primary = "#0b5d6b"', 'primary = "#ffd23f"')
    edit(survey_file, 'background = "#ffffff"', 'background = "#14213d"')
    assert build(survey_file).exit_code == 0
    page = (survey_file.parent / "build" / "harbour" / "quay" / "index.html").read_text()
    assert ":root{--p:#ffd23f;--bg:#14213d;--ink:#ffffff;--op:#1a1a1a}" in page


def test_every_language_gets_its_pages_and_links_to_the_others(survey_file: Path):
    edit(survey_file, 'id = "harbour"', 'id = "harbour"\nlanguages = ["fr", "en"]')
    owner_texts = {
        'tagline = "Roasted on the quay"': ("tagline", "Torréfié sur le quai"),
        'thank_you = "Thank you! Every answer is read by the team."': ("thank_you", "Merci, vraiment !"),
        'text = "Coffee roasted this week"': ("text", "Café torréfié cette semaine"),
        'text = "They know my name"': ("text", "On connaît mon prénom"),
        'text = "Served in under three minutes"': ("text", "Servi en moins de trois minutes"),
    }
    for line, (key, french) in owner_texts.items():
        english = line.split(" = ", 1)[1]
        edit(survey_file, line, f'{key}.fr = "{french}"\n{key}.en = {english}')
    assert build(survey_file).exit_code == 0
    site = survey_file.parent / "build" / "harbour"
    assert set(written(site)) == layout(languages=("fr", "en")) | {MANIFEST}
    default, english = (
        (site / "quay" / "index.html").read_text(),
        (site / "quay" / "en" / "index.html").read_text(),
    )
    assert '<html lang="fr"' in default and ">Envoyer</button>" in default
    assert '<input type="hidden" name="lang" value="fr">' in default
    assert '<html lang="en"' in english and ">Send</button>" in english
    staff_page = (site / "quay" / "en" / "s" / "tom" / "index.html").read_text()
    assert 'href="/harbour/quay/fr/s/tom/" lang="fr"' in staff_page
    assert 'href="/harbour/quay/en/s/tom/" lang="en" hreflang="en" aria-current="page"' in staff_page
    assert 'data-thanks="/harbour/thanks/fr/"' in default
    assert "Torréfié sur le quai" in default and "Roasted on the quay" in english
    assert "Merci, vraiment !" in (site / "thanks" / "index.html").read_text()


def test_build_site_is_a_library_function_returning_every_page(survey: survey_model.Survey, tmp_path: Path):
    result = site_build.build_site(survey, out=tmp_path)
    assert {page.path for page in result.pages} == {f"harbour/{p}" for p in layout() if p.endswith(".html")}
    assert {page.kind for page in result.pages} == {
        "location",
        "language",
        "staff",
        "kiosk",
        "thanks",
        "error",
    }
    for page in result.pages:
        data = (tmp_path / page.path).read_bytes()
        assert page.raw == len(data) and page.gzipped <= site_build.BUDGET
    assert result.definition == tmp_path / "harbour" / "survey.json"


def test_an_output_folder_that_cannot_be_written_is_one_clear_line(survey_file: Path, tmp_path: Path):
    (tmp_path / "taken").write_text("a file, not a folder")
    result = build(survey_file, "--out", str(tmp_path / "taken" / "site"))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"cannot write the site into {tmp_path / 'taken' / 'site'}: Not a directory" in result.output


def test_a_location_without_staff_gets_no_who_question_and_no_staff_pages(survey_file: Path):
    edit(
        survey_file,
        '[[locations]]\nid = "mill"',
        '[[locations]]\nid = "kiosk"\nname = "Beach Kiosk"\n\n[[locations]]\nid = "mill"',
    )
    assert build(survey_file).exit_code == 0
    site = survey_file.parent / "build" / "harbour"
    assert sorted(p.relative_to(site).as_posix() for p in (site / "kiosk").rglob("*.html")) == [
        "kiosk/en/index.html",
        "kiosk/en/kiosk/index.html",
        "kiosk/index.html",
        "kiosk/kiosk/index.html",
    ]
    names = {
        e.get("name") for e in form_of((site / "kiosk" / "index.html").read_bytes()).iter() if e.get("name")
    }
    assert "staff" not in names and "wow" in names and "what" in names


def test_a_review_link_is_on_every_thank_you_page_and_nowhere_else(survey_file: Path):
    review = "https://www.tripadvisor.com/UserReview-harbour"
    edit(survey_file, "retention_days = 365", f'retention_days = 365\nreview_url = "{review}"')
    assert build(survey_file).exit_code == 0
    site = survey_file.parent / "build" / "harbour"
    for path, data in pages(site).items():
        links = [a.get("href") for a in dom(data).iter("a") if a.get("href", "").startswith("https:")]
        assert links == ([review] if path.startswith("thanks/") else []), path
    thanks = (site / "thanks" / "index.html").read_text()
    assert "Leave us a public review on tripadvisor.com" in thanks


def test_kiosk_pages_tag_their_answers_and_keep_no_autocomplete_history(site: Path):
    form = form_of((site / "quay" / "kiosk" / "index.html").read_bytes())
    assert form.get("autocomplete") == "off" and form.get("data-kiosk") is not None
    hidden = {i.get("name"): i.get("value") for i in form.iter("input") if i.get("type") == "hidden"}
    assert hidden["src"] == "kiosk" and hidden["location"] == "quay"
    phone = form_of((site / "quay" / "index.html").read_bytes())
    assert phone.get("autocomplete") is None and "src" not in {i.get("name") for i in phone.iter("input")}
    assert "kiosk" in answers.SOURCES  # the collector accepts what the kiosk sends


def test_the_script_gets_the_collectors_sources_at_build_time(site: Path):
    script = "".join(e.text or "" for e in dom((site / "quay" / "index.html").read_bytes()).iter("script"))
    assert json.dumps(list(answers.SOURCES), separators=(",", ":")) in script  # minified
    assert '"card"' not in (render.packaged_folder() / "page.js").read_text()  # one source: the collector
