"""`wowcard serve` for the owner's phone: on 0.0.0.0 it prints the pages at this machine's network addresses
and a QR code of the first that a phone's camera decodes, and it sends pages compressed as CloudFront does
(gzip, brotli when installed, `Vary: Accept-Encoding`), while API answers stay as they are."""

from __future__ import annotations

import gzip
import importlib.util
import re
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import LOGO_SVG, SURVEY_TOML

from wowcard.lan import usable
from wowcard.serve_requests import accepted_encoding

from .conftest import Served, start_serve

HAS_BROTLI = importlib.util.find_spec("brotli") is not None
BEST = "br" if HAS_BROTLI else "gzip"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One `wowcard serve` on loopback for the tests that only read pages."""
    folder = tmp_path_factory.mktemp("phone") / "harbour"
    folder.mkdir()
    (folder / "survey.toml").write_text(SURVEY_TOML, encoding="utf-8")
    (folder / "logo.svg").write_text(LOGO_SVG, encoding="utf-8")
    server = start_serve(folder)
    yield server
    assert server.stop() == 0


# --- compression -------------------------------------------------------------------------------------------


def test_pages_are_compressed_for_browsers_that_take_it_and_say_they_vary(served) -> None:
    status, plain_headers, plain = served.request("GET", "/harbour/quay/")
    assert status == 200 and "Content-Encoding" not in plain_headers
    assert plain_headers["Vary"] == "Accept-Encoding"
    status, headers, gzipped = served.request(
        "GET", "/harbour/quay/", headers={"Accept-Encoding": "gzip, deflate"}
    )
    assert (status, headers["Content-Encoding"], headers["Vary"]) == (200, "gzip", "Accept-Encoding")
    assert gzip.decompress(gzipped) == plain
    assert len(gzipped) < len(plain) / 2
    status, headers, body = served.request("HEAD", "/harbour/quay/", headers={"Accept-Encoding": "gzip"})
    assert (headers["Content-Encoding"], int(headers["Content-Length"]), body) == ("gzip", len(gzipped), b"")


def test_a_browser_refusing_gzip_gets_the_page_as_it_is(served) -> None:
    for refusal in ("gzip;q=0", "identity", "br;q=0, gzip;q=0"):
        _, headers, body = served.request("GET", "/harbour/quay/", headers={"Accept-Encoding": refusal})
        assert "Content-Encoding" not in headers and body.startswith(b"<!"), refusal


def test_api_answers_are_not_compressed(served) -> None:
    _, headers, body = served.request("GET", "/api/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in headers and body.startswith(b"{")


@pytest.mark.parametrize(
    ("header", "chosen"),
    [("gzip", "gzip"), ("gzip, deflate, br", BEST), ("*", BEST), ("GZIP;q=0.5", "gzip"), ("gzip;q=0", None),
     ("gzip;q=abc", None), ("", None), ("deflate", None), ("*;q=0", None),
     ("br", "br" if HAS_BROTLI else None)],
)  # fmt: skip
def test_the_encoding_follows_the_browsers_accept_encoding(header: str, chosen: str | None) -> None:
    assert accepted_encoding(header) == chosen


# --- the owner's phone -------------------------------------------------------------------------------------


def test_only_addresses_another_device_can_reach_are_offered() -> None:
    found = ["127.0.0.1", "::1", "fe80::1%eth0", "169.254.3.4", "93.184.216.34", "192.168.1.20", "fd00::2",
             "192.168.1.20", "::ffff:192.168.1.20", "224.0.0.1", "0.0.0.0", "not-an-address"]  # fmt: skip
    assert usable(found, ipv6=False) == ["192.168.1.20", "93.184.216.34"]
    assert usable(found, ipv6=True) == ["192.168.1.20", "93.184.216.34", "fd00::2"]


def qr_matrix(lines: list[str]) -> list[list[int]]:
    """The modules of a QR code drawn with half blocks (1: dark): a character is two rows of one column."""
    halves = {" ": (1, 1), "▀": (0, 1), "▄": (1, 0), "█": (0, 0)}
    rows: list[list[int]] = []
    for line in lines:
        pairs = [halves[c] for c in line]
        rows += [[top for top, _ in pairs], [bottom for _, bottom in pairs]]
    return rows


def decode_qr(matrix: list[list[int]], folder: Path) -> str:
    scale = 6
    bitmap = folder / "qr.pbm"
    width = len(matrix[0]) * scale
    lines = [" ".join(str(v) for v in row for _ in range(scale)) for row in matrix for _ in range(scale)]
    bitmap.write_text(f"P1\n{width} {len(matrix) * scale}\n" + "\n".join(lines) + "\n")
    done = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(bitmap)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_on_0_0_0_0_serve_prints_the_network_urls_and_a_qr_code_of_the_first(
    start_serve, survey_dir: Path, tmp_path: Path
) -> None:
    server = start_serve(survey_dir, "--host", "0.0.0.0")
    text = server.text()
    if "No network address found" in text:
        pytest.skip("this machine has no network address but loopback")
    section = text.split("On your network (phones on the same Wi-Fi):\n", 1)[1].split("\n\n", 1)[0]
    pages = re.findall(r"(http://\S+/harbour/\w+/)", section)
    assert pages and all("127.0.0.1" not in page for page in pages)
    assert {page.rsplit("/", 2)[1] for page in pages} == {"quay", "mill"}
    for page in pages:  # each is this very server, reached at a network address
        with urllib.request.urlopen(page, timeout=10) as reply:
            assert reply.status == 200 and b'action="/api/s/harbour/responses"' in reply.read()
    scan = text.split("Scan with your phone to open ", 1)[1]
    first, drawing = scan.split("\n", 1)
    assert first == pages[0]
    code_lines = [line for line in drawing.split("\n\n", 1)[0].splitlines() if line]
    if shutil.which("zbarimg") is None:
        pytest.skip("zbarimg is not installed")
    assert decode_qr(qr_matrix(code_lines), tmp_path) == first


def test_on_loopback_serve_prints_no_network_urls(served) -> None:
    assert "On your network" not in served.text() and "Scan with your phone" not in served.text()
