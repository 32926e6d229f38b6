"""The owner's SVG logo, minified to what draws and embedded as an image: editor leftovers and what never runs
in an image gone, its shape kept at any size."""

from __future__ import annotations

from pathlib import Path

from wowcard import logo

INKSCAPE = """<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!-- Created with Inkscape (http://www.inkscape.org/) -->
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"
     xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"
     width="120" height="40" version="1.1" inkscape:version="1.3">
  <sodipodi:namedview id="namedview1" pagecolor="#ffffff"/>
  <metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></metadata>
  <title>Harbour Coffee</title>
  <defs>
    <style>.a { fill: #0b5d6b; }  #wave:hover { fill: url(#g); }</style>
    <linearGradient id="g"><stop offset="0" stop-color="#ffffff"/></linearGradient>
  </defs>
  <g id="wave" class="a" inkscape:label="Layer 1">
    <path d="M 0 20 L 120 20" fill="url(#g)"/>
    <use xlink:href="#wave" x="4"/>
    <text x="2" y="30">Harbour   <tspan>Coffee</tspan></text>
  </g>
</svg>
"""


def test_an_editor_export_is_minified_to_what_draws(tmp_path: Path):
    path = tmp_path / "logo.svg"
    path.write_text(INKSCAPE)
    minified = logo.load(path)
    assert minified.svg == (
        "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 120 40' font-family='system-ui,sans-serif'>"
        "<defs>"
        "<style>.a{fill:#0b5d6b;}#wave:hover{fill:url(#g);}</style>"
        "<linearGradient id='g'><stop offset='0' stop-color='#ffffff'/></linearGradient></defs>"
        "<g id='wave' class='a'><path d='M 0 20 L 120 20' fill='url(#g)'/>"
        "<use href='#wave' x='4'/><text x='2' y='30'>Harbour <tspan>Coffee</tspan></text></g></svg>"
    )
    assert (minified.width, minified.height) == ("120", "40")


def test_the_data_url_encodes_only_what_a_url_and_a_quoted_attribute_need(tmp_path: Path):
    path = tmp_path / "logo.svg"
    path.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8">'
        '<text fill="#f00">50% "off" &amp; more</text></svg>'
    )
    img = logo.load(path).img()
    assert img == (
        '<img class="logo" src="data:image/svg+xml,<svg xmlns=\'http://www.w3.org/2000/svg\' '
        "viewBox='0 0 8 8' font-family='system-ui,sans-serif'>"
        "<text fill='%23f00'>50%25 %22off%22 %26amp; more"
        '</text></svg>" alt="" width="8" height="8">'
    )


def test_what_never_runs_in_an_image_is_dropped(tmp_path: Path):
    path = tmp_path / "logo.svg"
    path.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8" onload="alert(1)">'
        '<script>alert(2)</script><rect width="8" height="8" onclick="alert(3)"/></svg>'
    )
    assert logo.load(path).svg == (
        "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 8 8'><rect width='8' height='8'/></svg>"
    )


def test_a_logo_sized_in_pixels_gets_a_viewbox_so_it_scales_without_stretching(tmp_path: Path):
    path = tmp_path / "logo.svg"
    path.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="400px" height="60"><rect/></svg>')
    minified = logo.load(path)
    assert minified.svg == "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 400 60'><rect/></svg>"
    assert 'width="400" height="60"' in minified.img()


def test_a_logo_of_unknown_shape_keeps_its_own_size_and_the_page_reserves_none(tmp_path: Path):
    path = tmp_path / "logo.svg"
    path.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10em" height="2em"><rect/></svg>')
    minified = logo.load(path)
    assert "width='10em' height='2em'" in minified.svg
    assert minified.img().endswith('alt="">')
