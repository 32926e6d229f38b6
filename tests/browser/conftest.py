"""A built survey site served on loopback by a small threaded http.server that answers posts the way the
collector does (validating with the real frozen request format), and real Chromium to drive it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import chromium
import pytest

from wowcard.build import build_site
from wowcard.collector import answers
from wowcard.collector.survey import Definition

HOST_RULES = ("MAP wowcard.test 127.0.0.1",)


@dataclass
class Post:
    content_type: str
    body: bytes
    fields: dict[str, Any]


class LoopbackSite:
    """Serves `root` and takes posts at /api/s/<survey>/responses. Form posts get the collector's 303s; JSON
    posts get the next scripted reply if any (status, body, headers), else the collector's JSON answer."""

    def __init__(self, root: Path, definition: Definition):
        self.definition = definition
        self.posts: list[Post] = []
        self.replies: list[tuple[int, dict[str, Any], dict[str, str]]] = []
        self.stored: set[str] = set()
        self.lock = threading.Lock()
        site = self

        class Handler(SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(root), **kwargs)

            def log_message(self, format, *args):  # noqa: A002 - the base class's name
                pass

            def do_POST(self):  # noqa: N802 - http.server's name
                site.answer(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def json_posts(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(p.body) for p in self.posts if not p.content_type.startswith(answers.FORM)]

    def answer(self, handler: SimpleHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        content_type = handler.headers.get("Content-Type") or ""
        survey = self.definition.survey
        if handler.path != f"/api/s/{survey}/responses":
            return self.reply(handler, 404, {"error": "not found", "field": None})
        try:
            submission = answers.decode(body, content_type)
        except answers.InvalidResponse as exc:
            return self.reply(handler, exc.status, exc.to_json())
        with self.lock:
            self.posts.append(Post(content_type, body, submission.fields))
            scripted = self.replies.pop(0) if self.replies and not submission.is_form else None
        if scripted:
            status, reply, headers = scripted
            return self.reply(handler, status, reply, headers)
        fields = submission.fields
        lang = fields.get("lang") or self.definition.default_language
        try:
            answers.validate(fields, self.definition)
        except answers.InvalidResponse as exc:
            if submission.is_form:
                return self.redirect(handler, f"/{survey}/error/{lang}/#{exc.field or 'request'}")
            return self.reply(handler, exc.status, exc.to_json())
        dropped = answers.contact_dropped(fields)
        if submission.is_form:
            return self.redirect(
                handler, f"/{survey}/thanks/{lang}/" + ("#contact-dropped" if dropped else "")
            )
        with self.lock:
            duplicate = fields["id"] in self.stored
            self.stored.add(fields["id"])
        reply = {
            "id": fields["id"],
            "status": "duplicate" if duplicate else "stored",
            "contact_dropped": dropped,
        }
        self.reply(handler, 200 if duplicate else 201, reply)

    def reply(
        self, handler, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def redirect(self, handler, location: str) -> None:
        handler.send_response(303)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()


@contextmanager
def serving(out: Path, definition: Definition) -> Iterator[LoopbackSite]:
    """The site built in `out`, served on loopback while the block runs."""
    site = LoopbackSite(out, definition)
    site.thread.start()
    try:
        yield site
    finally:
        site.server.shutdown()
        site.server.server_close()


@pytest.fixture
def loopback(survey, tmp_path: Path):
    out = tmp_path / "site"
    build_site(survey, out=out)
    with serving(out, survey.definition()) as site:
        yield site


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    chromium.require_chromium()
    with sync_playwright() as playwright:
        launched = chromium.launch(playwright, host_rules=HOST_RULES)
        yield launched
        launched.close()


@pytest.fixture
def phone(browser):
    """A phone page with JavaScript on."""
    context = chromium.phone_context(browser, javascript=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone_without_js(browser):
    context = chromium.phone_context(browser, javascript=False)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()
