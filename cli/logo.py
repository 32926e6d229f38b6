"""The owner's SVG logo, made safe and small for inlining into every page: no script, no event handler, no
external reference; comments, metadata, editor attributes and whitespace dropped; ids prefixed so they cannot
clash with the page's own."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import escape
from pathlib import Path

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
ID_PREFIX = "logo-"
# Elements that carry no picture: dropped with everything inside them.
DROPPED = frozenset({"metadata", "title", "desc"})
# Elements that can run code or pull in another document: refused.
FORBIDDEN = frozenset({"script", "foreignObject", "iframe", "embed", "object", "audio", "video", "handler"})
# Elements whose text is drawn: their spacing matters.
TEXT_ELEMENTS = frozenset({"text", "tspan", "textPath"})
URL_REFERENCE = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE)


class LogoError(Exception):
    """A logo the page cannot inline; the message says why."""


def inline_svg(path: Path) -> str:
    """The logo as one line of inline SVG markup. It is decorative: the brand name is written beside it."""
    try:
        root = ET.fromstring(path.read_bytes())
    except ET.ParseError as exc:
        raise LogoError(f"{path.name} is not valid SVG (XML error: {exc})") from None
    except OSError as exc:
        raise LogoError(f"{path.name} cannot be read: {exc.strerror}") from None
    if _local(root.tag) != "svg":
        raise LogoError(f"{path.name} is not an SVG image: its root element is <{_local(root.tag)}>")
    _check(root, path.name)
    _size_from_viewbox(root)
    out: list[str] = []
    _write(root, out, is_root=True)
    return "".join(out)


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _namespace(name: str) -> str:
    return name[1:].split("}", 1)[0] if name.startswith("{") else ""


def _is_svg(element: ET.Element) -> bool:
    return isinstance(element.tag, str) and _namespace(element.tag) in ("", SVG_NS)


def _check(root: ET.Element, name: str) -> None:
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        tag = _local(element.tag)
        if tag in FORBIDDEN:
            raise LogoError(f"{name} contains <{tag}>, which could run code in the page; remove it")
        for attribute, value in element.attrib.items():
            local = _local(attribute)
            if local.lower().startswith("on"):
                raise LogoError(f'{name} has an event handler ({local}="…") on <{tag}>; remove it')
            if local == "href" and not value.strip().startswith("#") and not _is_inline_image(value):
                raise LogoError(
                    f'{name} refers to another file or site ({local}="{value[:60]}"); '
                    "the page may not make external requests"
                )
            for match in URL_REFERENCE.finditer(value):
                if not match.group(2).startswith("#"):
                    raise LogoError(f"{name} refers to another file or site (url({match.group(2)[:60]}))")
        if tag == "style" and element.text:
            if "@import" in element.text.lower():
                raise LogoError(
                    f"{name} imports a style sheet (@import); the page may not make external requests"
                )
            for match in URL_REFERENCE.finditer(element.text):
                if not match.group(2).startswith("#"):
                    raise LogoError(f"{name} refers to another file or site (url({match.group(2)[:60]}))")


def _is_inline_image(value: str) -> bool:
    return bool(re.match(r"^\s*data:image/(png|jpeg|gif|webp);base64,", value, re.IGNORECASE))


def _size_from_viewbox(root: ET.Element) -> None:
    """Give the logo a viewBox so CSS can scale it; width and height go (CSS sets the height)."""
    if "viewBox" not in root.attrib:
        width, height = root.attrib.get("width", ""), root.attrib.get("height", "")
        w, h = (re.match(r"^\s*([0-9.]+)\s*(px)?\s*$", v) for v in (width, height))
        if w and h:
            root.attrib["viewBox"] = f"0 0 {w.group(1)} {h.group(1)}"
        else:
            return  # no way to know the aspect ratio: keep the owner's own size
    root.attrib.pop("width", None)
    root.attrib.pop("height", None)


def _attribute_name(name: str) -> str | None:
    """The HTML spelling of an attribute, or None for one that does nothing in a page."""
    namespace, local = _namespace(name), _local(name)
    if namespace == XLINK_NS and local == "href":
        return "href"
    if namespace == XML_NS and local == "space":
        return None
    if namespace:  # editor namespaces: inkscape, sodipodi, sketch, illustrator …
        return None
    if local in ("version", "baseProfile", "enable-background"):
        return None
    return local


def _value(name: str, value: str) -> str:
    value = " ".join(value.split())
    if name == "id":
        return ID_PREFIX + value
    if name == "href" and value.startswith("#"):
        return "#" + ID_PREFIX + value[1:]
    return URL_REFERENCE.sub(lambda m: f"url(#{ID_PREFIX}{m.group(2)[1:]})", value)


def _write(element: ET.Element, out: list[str], is_root: bool = False) -> None:
    tag = _local(element.tag)
    out.append("<" + tag)
    attributes = {}
    for name, value in element.attrib.items():
        html_name = _attribute_name(name)
        if html_name is not None:
            attributes[html_name] = _value(html_name, value)
    if is_root:
        for name in ("xmlns", "role", "aria-label", "aria-hidden", "focusable", "class"):
            attributes.pop(name, None)
        attributes.update({"class": "logo", "aria-hidden": "true", "focusable": "false"})
    for name, value in attributes.items():
        out.append(f' {name}="{escape(value)}"')
    children = [child for child in element if _is_svg(child) and _local(child.tag) not in DROPPED]
    text = _text(element.text, tag)
    if tag == "style" and element.text:
        text = escape(_minify_style(element.text), quote=False)
    if not children and not text:
        out.append("/>")
        return
    out.append(">" + text)
    for child in children:
        _write(child, out)
        out.append(_text(child.tail, tag))
    out.append(f"</{tag}>")


def _text(text: str | None, tag: str) -> str:
    if not text:
        return ""
    if tag in TEXT_ELEMENTS:
        return escape(re.sub(r"\s+", " ", text), quote=False)
    return ""


def _minify_style(css: str) -> str:
    """A logo's own style sheet, minified and scoped: in a page, an inline SVG's <style> applies to the whole
    document, so every selector is limited to the logo and its ids get the logo prefix."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    css = " ".join(css.split())
    css = re.sub(r"\s*([{};:,>])\s*", r"\1", css)
    css = URL_REFERENCE.sub(lambda m: f"url(#{ID_PREFIX}{m.group(2)[1:]})", css)
    out: list[str] = []
    blocks: list[
        str
    ] = []  # what each open brace holds: "rules" (@media, @supports), "other" (@keyframes, a rule)
    pieces = re.split(r"([{}])", css)
    for i, piece in enumerate(pieces):
        if piece == "{":
            blocks.append(_block_kind(pieces[i - 1] if i else ""))
            out.append(piece)
        elif piece == "}":
            if blocks:
                blocks.pop()
            out.append(piece)
        elif (
            i + 1 < len(pieces)
            and pieces[i + 1] == "{"
            and not piece.startswith("@")
            and all(kind == "rules" for kind in blocks)
        ):
            prelude = piece.rsplit(";", 1)  # a stray declaration before a rule stays as it was
            prelude[-1] = ",".join(_scope(selector) for selector in prelude[-1].split(","))
            out.append(";".join(prelude))
        else:
            out.append(piece)
    return "".join(out)


def _block_kind(prelude: str) -> str:
    prelude = prelude.rsplit(";", 1)[-1].strip().lower()
    return "rules" if prelude.startswith(("@media", "@supports", "@container", "@layer")) else "other"


def _scope(selector: str) -> str:
    selector = re.sub(r"#(-?[A-Za-z_][\w-]*)", lambda m: "#" + ID_PREFIX + m.group(1), selector.strip())
    selector = re.sub(r"^(svg|:root)(?=$|[\s.#:\[>+~])", "", selector).strip()
    return ".logo " + selector if selector else ".logo"
