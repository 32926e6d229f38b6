"""The owner's SVG logo made small and safe for inlining: editor leftovers gone, ids kept apart from the
page's."""

from __future__ import annotations

from pathlib import Path

from wowcard.logo import inline_svg

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
    svg = inline_svg(path)
    assert svg == (
        '<svg viewBox="0 0 120 40" class="logo" aria-hidden="true" focusable="false"><defs>'
        "<style>.logo .a{fill:#0b5d6b;}.logo #logo-wave:hover{fill:url(#logo-g);}</style>"
        '<linearGradient id="logo-g"><stop offset="0" stop-color="#ffffff"/></linearGradient></defs>'
        '<g id="logo-wave" class="a"><path d="M 0 20 L 120 20" fill="url(#logo-g)"/>'
        '<use href="#logo-wave" x="4"/><text x="2" y="30">Harbour <tspan>Coffee</tspan></text></g></svg>'
    )


def test_a_logo_style_sheet_cannot_restyle_the_page(tmp_path: Path):
    path = tmp_path / "logo.svg"
    path.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><style>'
        "svg, text { font: 9px serif } @media (min-width: 1px) { p { color: red } }"
        "@keyframes spin { from { opacity: 0 } }</style><text>x</text></svg>"
    )
    svg = inline_svg(path)
    assert "<style>.logo,.logo text{font:9px serif}@media (min-width:1px){.logo p{color:red}}" in svg
    assert "@keyframes spin{from{opacity:0}}" in svg
