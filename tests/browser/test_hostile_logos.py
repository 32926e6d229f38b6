"""Hostile logos built into real survey pages and opened in Chromium: whatever the SVG holds (script,
animation that sets a javascript: link, HTML in a foreignObject, style sheets that try to escape, outside
requests by every spelling), the page shows no dialog, makes no request, keeps its form visible and in
place, gains no text, and clicking the logo does nothing.

A control proves the checks can fail: the same attacks inline in a page (as logos were embedded before they
became images) do raise a dialog, request an outside file and hide the form.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from wowcard.__main__ import cli
from wowcard.build import build_site
from wowcard.collector import survey as survey_model

pytestmark = pytest.mark.browser

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 64 64">'
)
OUTSIDE = "http://outside.example"
DRAWN = '<circle cx="32" cy="32" r="30" fill="#0b5d6b"/>'

HOSTILE = {
    "set to javascript: on a link": (
        f'{SVG}<a id="a"><set attributeName="href" to="javascript:alert(1)"/>'
        f'<set attributeName="xlink:href" to="javascript:alert(2)"/>{DRAWN}</a></svg>'
    ),
    "animate to javascript:": (
        f'{SVG}<a href="#"><animate attributeName="href" values="javascript:alert(3)" dur="1s" '
        'fill="freeze"/>'
        f"{DRAWN}</a></svg>"
    ),
    "script and handlers": (
        f'{SVG}<script>alert(4);document.body.textContent="INJECTED"</script>'
        f'<g onload="alert(5)" onclick="alert(6)" onmouseover="alert(7)">{DRAWN}</g></svg>'
    ),
    "javascript: link": f'{SVG}<a href="javascript:alert(8)">{DRAWN}</a></svg>',
    "outside link": f'{SVG}<a href="{OUTSIDE}/phish" target="_top">{DRAWN}</a></svg>',
    "foreignObject with HTML": (
        f'{SVG}<foreignObject width="64" height="64"><div xmlns="http://www.w3.org/1999/xhtml">INJECTED'
        f'<img src="{OUTSIDE}/fo.png"/><iframe src="javascript:alert(9)"/><script>alert(10)</script>'
        f"</div></foreignObject>{DRAWN}</svg>"
    ),
    "style with a brace in a quoted selector": (
        f'{SVG}<style>text[data-x="}}"] {{ }} form, main, button {{ display: none !important }} '
        'body::after, h1::before { content: "INJECTED" } * { visibility: hidden }</style>'
        f"{DRAWN}</svg>"
    ),
    "CSS escapes to an outside url": (
        f"{SVG}<style>circle {{ fill: \\75rl({OUTSIDE}/escaped.svg#a) }} "
        f"svg {{ background: u\\72l('{OUTSIDE}/escaped.png') }}</style>{DRAWN}</svg>"
    ),
    "image-set()": (
        f'{SVG}<style>svg {{ background-image: image-set("{OUTSIDE}/set.png" 1x) }} '
        f"circle {{ mask-image: -webkit-image-set(url({OUTSIDE}/m.png) 1x) }}</style>{DRAWN}</svg>"
    ),
    "@import and @font-face": (
        f'{SVG}<style>@import url({OUTSIDE}/a.css); @import "{OUTSIDE}/b.css"; '
        f"@font-face {{ font-family: x; src: url({OUTSIDE}/f.woff) }} text {{ font-family: x }}</style>"
        f'<text x="2" y="40">Hi</text>{DRAWN}</svg>'
    ),
    "outside href and xlink:href": (
        f'{SVG}<image href="{OUTSIDE}/image.png" width="64" height="64"/>'
        f'<image xlink:href="{OUTSIDE}/ximage.png" width="64" height="64"/>'
        f'<use href="{OUTSIDE}/sprite.svg#a"/><use xlink:href="{OUTSIDE}/xsprite.svg#a"/>'
        f'<rect fill="url({OUTSIDE}/p.svg#p)" filter="url({OUTSIDE}/f.svg#f)" width="9" height="9"/>'
        f"{DRAWN}</svg>"
    ),
    "xml-stylesheet": f'<?xml-stylesheet href="{OUTSIDE}/pi.css" type="text/css"?>{SVG}{DRAWN}</svg>',
}

REFUSED = {  # never built: the build names brand.logo and says why
    "billion laughs": (
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
        f"{SVG}<text>&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;</text></svg>",
        "declares a DOCTYPE or entities",
    ),
    "external entity": (
        f'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>{SVG}<text>&x;</text></svg>',
        "declares a DOCTYPE or entities",
    ),
    "DOCTYPE": (
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">'
        f"{SVG}{DRAWN}</svg>",
        "declares a DOCTYPE or entities",
    ),
    "huge": (
        SVG + "".join(f'<circle cx="{i % 64}" cy="{i * 7 % 64}" r="{i % 5}.{i % 97}"/>' for i in range(3000)),
        "over the page budget of 14,600 bytes; its largest part is brand.logo (logo.svg)",
    ),
}
REFUSED["huge"] = (REFUSED["huge"][0] + "</svg>", REFUSED["huge"][1])


@dataclass
class Visit:
    """What a page did while Chromium showed it and the logo was clicked."""

    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    text: str = ""
    generated: list[str] = field(default_factory=list)  # ::before / ::after content of any element
    layout: dict[str, list[float]] = field(default_factory=dict)
    form_visible: bool = False
    url_after_click: str = ""


LAYOUT = """() => Object.fromEntries(['header .name', 'h1', 'form', 'form button'].map(s => {
  const r = document.querySelector(s).getBoundingClientRect(); return [s, [r.x, r.y, r.width, r.height]];
}))"""
GENERATED = """() => [...document.querySelectorAll('*')].flatMap(e => ['::before', '::after']
  .map(p => getComputedStyle(e, p).content).filter(c => c !== 'none' && c !== 'normal'))"""
SETTLED = (
    "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 50))))"
)


@pytest.fixture(scope="module")
def sites(tmp_path_factory) -> Iterator[tuple[Path, str]]:
    """One survey folder per hostile logo (plus the clean one) built under one served root."""
    root = tmp_path_factory.mktemp("hostile")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def build_with_logo(root: Path, name: str, svg: str) -> str:
    from conftest import SURVEY_TOML

    folder = root / re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    folder.mkdir()
    one_location = (
        SURVEY_TOML.split("[[locations]]")[0] + '[[locations]]\nid = "quay"\nname = "Quay Street"\n'
    )
    (folder / "survey.toml").write_text(one_location, encoding="utf-8")  # a few pages: the build is quick
    (folder / "logo.svg").write_text(svg, encoding="utf-8")
    build_site(survey_model.load(folder / "survey.toml"), out=folder / "build")
    return f"/{folder.name}/build/harbour/quay/"


@pytest.fixture(scope="module")
def context(browser):
    """One phone-sized context for every visit; outside requests fail at once (the test has no network)."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.route(OUTSIDE + "/**", lambda route: route.abort())
    yield context
    context.close()


def open_page(context, url: str, seen: Visit):
    """A page at `url` recording its dialogs and requests."""
    page = context.new_page()
    page.on("dialog", lambda dialog: (seen.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: seen.requests.append(request.url))
    page.goto(url)
    return page


def visit(context, url: str) -> Visit:
    seen = Visit()
    page = open_page(context, url, seen)
    page.evaluate(SETTLED)
    seen.text = page.inner_text("body")
    seen.generated = page.evaluate(GENERATED)
    seen.layout = page.evaluate(LAYOUT)
    seen.form_visible = page.locator("form").is_visible() and page.locator("form button").last.is_visible()
    page.locator(".logo").first.click(force=True)
    page.evaluate(SETTLED)
    seen.url_after_click = page.url
    page.close()
    return seen


def outside(seen: Visit, url: str) -> list[str]:
    """Requests that leave the page: not the page itself, its own data: URLs or Chromium's favicon fetch."""
    origin = url.split("/", 3)[:3]
    return [
        r
        for r in seen.requests
        if r != url and not r.startswith("data:") and not (r.split("/", 3)[:3] == origin and "favicon" in r)
    ]


@pytest.fixture(scope="module")
def clean(context, sites) -> Visit:
    from conftest import LOGO_SVG

    root, base = sites
    return visit(context, base + build_with_logo(root, "clean", LOGO_SVG))


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_logo_cannot_touch_the_page(context, sites, clean: Visit, name: str):
    root, base = sites
    url = base + build_with_logo(root, name, HOSTILE[name])
    seen = visit(context, url)
    assert seen.dialogs == []
    assert outside(seen, url) == []
    assert seen.form_visible
    assert seen.text == clean.text and "INJECTED" not in seen.text
    assert seen.generated == clean.generated
    assert seen.layout == clean.layout
    assert seen.url_after_click == url


@pytest.mark.parametrize("name", REFUSED)
def test_a_logo_the_page_cannot_hold_is_refused_naming_brand_logo(tmp_path: Path, name: str):
    from conftest import SURVEY_TOML

    (tmp_path / "survey.toml").write_text(SURVEY_TOML, encoding="utf-8")
    svg, words = REFUSED[name]
    (tmp_path / "logo.svg").write_text(svg, encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", "-s", str(tmp_path / "survey.toml")])
    assert result.exit_code == 2, result.output
    assert "brand.logo: " in result.output and words in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "build" / "harbour" / "quay").exists()


def inline_visit(context, root: Path, base: str, name: str, attacks: tuple[str, ...]) -> tuple[Visit, bool]:
    """The hostile markup put straight into a built page, as an inline <svg> was before; clicks it."""
    path = build_with_logo(root, name, HOSTILE["outside link"])
    page_file = root / path.strip("/") / "index.html"
    markup = "".join(HOSTILE[attack].replace("<svg ", '<svg class="x" ', 1) for attack in attacks)
    html = page_file.read_text(encoding="utf-8")
    page_file.write_text(html.replace('<header class="brand">', '<header class="brand">' + markup, 1))
    seen = Visit()
    page = open_page(context, base + path, seen)
    page.evaluate(SETTLED)
    seen.generated = page.evaluate(GENERATED)
    form_visible = page.locator("form").is_visible()
    page.locator("header svg.x").first.click(force=True)
    page.evaluate(SETTLED)
    page.close()
    return seen, form_visible


def test_the_same_attacks_inline_in_a_page_are_caught_so_the_checks_can_fail(context, sites):
    root, base = sites
    seen, _ = inline_visit(
        context, root, base, "control links", ("set to javascript: on a link", "outside href and xlink:href")
    )
    assert seen.dialogs in (["1"], ["2"])
    assert [r for r in seen.requests if r.startswith(OUTSIDE)]
    seen, form_visible = inline_visit(
        context, root, base, "control style", ("style with a brace in a quoted selector",)
    )
    assert not form_visible
    assert '"INJECTED"' in seen.generated
