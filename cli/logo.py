"""The owner's SVG logo, embedded as an image: `<img src="data:image/svg+xml,…">` in the pages, `<image
href="data:image/svg+xml,…">` on the cards.

An SVG drawn as an image is safe by construction, whatever it holds: the browser runs none of its script or
event handlers, follows none of its links (animated or not), loads nothing from outside it (images, fonts,
style sheets, `url()`, `image-set()`), and its style sheet applies inside the image only, never to the page.
So nothing here decides what is dangerous: this module only checks that the file is an SVG image, refuses
XML that declares entities (they can expand to gigabytes), and minifies what draws. Comments, metadata,
editor attributes, script and event handlers (which never run in an image) and whitespace are dropped; the
build's page budget then names the logo when it is still too heavy.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html import escape
from pathlib import Path

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
PAGE_FONT = "system-ui,sans-serif"  # for text in a logo that names no font, as page.css's font starts
MAX_FILE = 1_000_000  # bytes: far above anything that fits the page budget, low enough to parse at once
# Elements that draw nothing in an image: dropped with everything inside them.
DROPPED = frozenset({"metadata", "title", "desc", "script"})
# Elements whose text is drawn or read: their text stays.
TEXT_ELEMENTS = frozenset({"text", "tspan", "textPath", "style"})
# Characters a data: URL must encode (the rest of the SVG's markup may stay as it is in a quoted attribute).
URL_ESCAPES = {"%": "%25", "#": "%23", '"': "%22", "&": "%26", "\n": "%0A", "\t": "%09"}


class LogoError(Exception):
    """A file that is not an SVG image the page can show; the message says why."""


@dataclass(frozen=True, slots=True)
class Logo:
    """The owner's logo as a minified SVG document, ready to embed as an image."""

    svg: str
    width: str | None  # the aspect ratio, from the viewBox (or width and height): lets the page reserve room
    height: str | None

    @property
    def data_url(self) -> str:
        return "data:image/svg+xml," + re.sub(r'[%#"&\n\t]', lambda m: URL_ESCAPES[m.group()], self.svg)

    def img(self) -> str:
        """The page's `<img>`: decorative (alt=""), as the brand name is written beside it."""
        size = f' width="{self.width}" height="{self.height}"' if self.width and self.height else ""
        return f'<img class="logo" src="{self.data_url}" alt=""{size}>'  # the URL holds no " or &


def load(path: Path) -> Logo:
    """The logo at `path`, minified; LogoError when it is not an SVG image."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LogoError(f"{path.name} cannot be read: {exc.strerror}") from None
    if len(data) > MAX_FILE:
        raise LogoError(
            f"{path.name} is {len(data):,} bytes; a logo must be under {MAX_FILE:,} bytes, and far smaller "
            "to fit the page budget (use a simpler SVG: fewer shapes and points, no embedded images)"
        )
    if re.search(rb"<!(DOCTYPE|ENTITY)", data, re.IGNORECASE):
        raise LogoError(
            f"{path.name} declares a DOCTYPE or entities, which a logo has no use for; "
            "export it again as plain SVG"
        )
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise LogoError(f"{path.name} is not valid SVG (XML error: {exc})") from None
    if _local(root.tag) != "svg" or _namespace(root.tag) not in ("", SVG_NS):
        raise LogoError(f"{path.name} is not an SVG image: its root element is <{_local(root.tag)}>")
    size = _aspect(root)
    if size:  # the page sizes the image; a viewBox keeps its shape at any size
        root.attrib.setdefault("viewBox", f"0 0 {size[0]} {size[1]}")
        root.attrib.pop("width", None)
        root.attrib.pop("height", None)
    has_text = any(isinstance(e.tag, str) and _local(e.tag) == "text" for e in root.iter())
    if has_text and "font-family" not in root.attrib and "font" not in root.attrib.get("style", ""):
        root.attrib["font-family"] = PAGE_FONT  # inline, it took the page's font; as an image, it asks for it
    out: list[str] = []
    _write(root, out, {"xmlns": SVG_NS})  # an SVG image must say it is one
    return Logo("".join(out), *(size or (None, None)))


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _namespace(name: str) -> str:
    return name[1:].split("}", 1)[0] if name.startswith("{") else ""


def _is_drawn(element: ET.Element) -> bool:
    return (
        isinstance(element.tag, str)
        and _namespace(element.tag) in ("", SVG_NS)
        and _local(element.tag) not in DROPPED
    )


def _aspect(root: ET.Element) -> tuple[str, str] | None:
    """The logo's width and height in its own units: from the viewBox, else from width and height in px."""
    box = root.attrib.get("viewBox", "").replace(",", " ").split()
    if len(box) == 4:
        width, height = box[2], box[3]
    else:
        width, height = root.attrib.get("width", ""), root.attrib.get("height", "")
        width, height = (re.sub(r"\s*(px)?\s*$", "", v.strip()) for v in (width, height))
    if all(re.fullmatch(r"\d+(\.\d+)?", v) and float(v) > 0 for v in (width, height)):
        return width, height
    return None  # no way to know its shape: the image keeps the owner's own size attributes


def _attribute_name(name: str) -> str | None:
    """The name to write, or None for an attribute that does nothing in an image."""
    namespace, local = _namespace(name), _local(name)
    if namespace == XLINK_NS and local == "href":
        return "href"
    if namespace == XML_NS and local == "space":
        return None
    if namespace:  # editor namespaces: inkscape, sodipodi, sketch, illustrator …
        return None
    if local in ("version", "baseProfile", "enable-background") or local.lower().startswith("on"):
        return None  # event handlers never run in an image
    return local


def _write(element: ET.Element, out: list[str], attributes: dict[str, str] | None = None) -> None:
    tag = _local(element.tag)
    out.append("<" + tag)
    attributes = dict(attributes or {})
    for name, value in element.attrib.items():
        kept = _attribute_name(name)
        if kept is not None:
            attributes[kept] = " ".join(value.split())
    for name, value in attributes.items():
        out.append(f" {name}='{escape(value)}'")
    children = [child for child in element if _is_drawn(child)]
    text = _text(element.text, tag)
    if not children and not text:
        out.append("/>")
        return
    out.append(">" + text)
    for child in children:
        _write(child, out)
        out.append(_text(child.tail, tag))
    out.append(f"</{tag}>")


def _text(text: str | None, tag: str) -> str:
    if not text or tag not in TEXT_ELEMENTS:
        return ""
    if tag == "style":
        return escape(_minify_style(text), quote=False)
    return escape(re.sub(r"\s+", " ", text), quote=False)


def _minify_style(css: str) -> str:
    """The logo's own style sheet without comments and spare whitespace. It applies inside the image only."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    css = " ".join(css.split())
    return re.sub(r"\s*([{};,>])\s*|(:)\s+", r"\1\2", css)
