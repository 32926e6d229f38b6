"""Takes docs/phone.png: the example survey (`wowcard init`) on a 390x844 phone in Debian's Chromium, with
"Yes" and a staff member picked. Run: .venv/bin/python docs/screenshot.py"""

from __future__ import annotations

import functools
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import sync_playwright

from wowcard import build, scaffold
from wowcard.collector import survey as survey_model

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
import chromium  # noqa: E402 - the tests' launcher: Debian's Chromium, never a downloaded one


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        scaffold.init(Path(folder))
        survey = survey_model.load(Path(folder) / "survey.toml")
        build.build_site(survey, out=Path(folder) / "site")
        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=f"{folder}/site"))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as playwright:
                browser = chromium.launch(playwright)
                page = chromium.phone_context(browser).new_page()
                page.goto(f"http://127.0.0.1:{server.server_address[1]}/{survey.id}/harbour-road/")
                page.get_by_role("radio", name="Yes").check()
                page.get_by_role("radio", name="Ben").check()
                page.get_by_label("What did they do?").fill(
                    "Trued my wheel while I waited and showed me how."
                )
                page.evaluate("document.activeElement.blur()")
                page.screenshot(path=str(HERE / "phone.png"))
                browser.close()
        finally:
            server.shutdown()
    print(HERE / "phone.png")


if __name__ == "__main__":
    main()
