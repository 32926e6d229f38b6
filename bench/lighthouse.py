"""Lighthouse mobile scores (performance, accessibility, best practices) of the example survey's pages: the
survey page, its kiosk page and the thank-you page, served from loopback the way a CDN serves them (gzip).

Lighthouse is a Node tool and not a dependency of wowcard; install it anywhere and point LIGHTHOUSE at it:

    npm install --prefix /tmp/lh lighthouse
    export LIGHTHOUSE=/tmp/lh/node_modules/.bin/lighthouse CHROME_PATH=/usr/bin/chromium
    .venv/bin/python bench/lighthouse.py

Lighthouse's default mobile run: a Moto G class phone, simulated slow 4G, 4x CPU slowdown."""

from __future__ import annotations

import functools
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from wowcard import build, scaffold
from wowcard.collector import survey as survey_model

CATEGORIES = ("performance", "accessibility", "best-practices")
PAGES = ("harbour-road/", "harbour-road/kiosk/", "thanks/")


class Gzipped(SimpleHTTPRequestHandler):
    """Static files, gzipped when the client accepts it (as CloudFront does)."""

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if path.suffix != ".html" or not accepts or not path.is_file():
            return super().send_head()
        body = gzip.compress(path.read_bytes(), 9)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return None


def lighthouse() -> str:
    found = os.environ.get("LIGHTHOUSE") or shutil.which("lighthouse")
    if not found:
        sys.exit("Lighthouse not found: set LIGHTHOUSE to its executable (see this file's docstring)")
    return found


def scores(tool: str, url: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        subprocess.run(
            [
                tool,
                url,
                "--quiet",
                "--output=json",
                f"--output-path={report}",
                f"--only-categories={','.join(CATEGORIES)}",
                "--chrome-flags=--headless --no-sandbox",
            ],
            check=True,
            env={**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")},
        )
        result = json.loads(report.read_text())
    failed = [
        audit["id"]
        for audit in result["audits"].values()
        if audit.get("score") is not None and audit["score"] < 1 and audit.get("scoreDisplayMode") == "binary"
    ]
    if failed:
        print(f"  {url}: audits not passed: {', '.join(sorted(failed))}")
    return {name: result["categories"][name]["score"] for name in CATEGORIES}


def main() -> None:
    tool = lighthouse()
    with tempfile.TemporaryDirectory() as folder:
        scaffold.init(Path(folder))
        survey = survey_model.load(Path(folder) / "survey.toml")
        build.build_site(survey, out=Path(folder) / "site")
        handler = functools.partial(Gzipped, directory=str(Path(folder) / "site"))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            print(f"{'page':<28} " + " ".join(f"{name:>14}" for name in CATEGORIES))
            for page in PAGES:
                url = f"http://127.0.0.1:{server.server_address[1]}/{survey.id}/{page}"
                found = scores(tool, url)
                print(f"{page:<28} " + " ".join(f"{found[name]:>14.2f}" for name in CATEGORIES))
        finally:
            server.shutdown()


if __name__ == "__main__":
    main()
