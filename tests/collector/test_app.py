"""The collector's Chalice app through `chalice.test.Client`, against a real SQLite store in a temporary
folder: every status a page or a bot can meet, what is stored, and what the tallies count."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from wowcard.collector import answers, collect, config
from wowcard.collector.app import app
from wowcard.collector.store import StoreUnavailable
from wowcard.collector.survey import Definition, Staff

SURVEY = "harbour"
ALL_DAYS = ("2000-01-01", "2100-12-31")
FORM = "application/x-www-form-urlencoded"


# --- the collector under test --------------------------------------------------------------------------


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2025, 3, 14, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Collector:
    """The app, its store, its clock and the definition the pages were built from."""

    client: Any
    definition: Definition
    clock: Clock

    @property
    def store(self):
        return config.get_store()

    def post(self, body: bytes | str, content_type: str | None = "text/plain", **headers: str):
        if isinstance(body, str):
            body = body.encode("utf-8")
        sent = {k.replace("_", "-"): v for k, v in headers.items()}
        if content_type is not None:
            sent["Content-Type"] = content_type
        sent.setdefault("Content-Length", str(len(body)))
        return self.client.http.post(f"/s/{SURVEY}/responses", headers=sent, body=body)

    def post_json(self, answer: dict[str, Any], content_type: str = "text/plain", **headers: str):
        return self.post(json.dumps(answer), content_type, **headers)

    def post_form(self, pairs: list[tuple[str, str]] | dict[str, str], **headers: str):
        return self.post(urlencode(pairs), FORM, **headers)

    def answer(self, **fields: Any) -> dict[str, Any]:
        """A complete, honest answer as the page's script sends it; keyword arguments override fields."""
        base: dict[str, Any] = {
            "v": self.definition.version,
            "id": "resp-0001abcd",
            "lang": "en",
            "src": "card",
            "device": "dev-12345678",
            "location": "quay",
            "wow": "yes",
            "staff": "maya",
            "what": "Remembered my usual order",
            "people": 5,
            "process": 4,
            "product": 5,
            "promises": ["fresh", "name"],
            "comment": "",
            "contact": "",
            "consent": "",
            "website": "",
        }
        base.update(fields)
        return {k: v for k, v in base.items() if v is not None}

    def form(self, **fields: Any) -> list[tuple[str, str]]:
        """The same answer as the no-JavaScript form posts it: every text field, promises repeated."""
        answer = self.answer(**fields)
        answer.pop("id", None)
        answer.pop("src", None)
        answer.pop("device", None)
        pairs = []
        for key, value in answer.items():
            for item in value if isinstance(value, list) else [value]:
                pairs.append((key, str(item)))
        return pairs

    def stored(self) -> list[dict[str, Any]]:
        return list(self.store.responses(SURVEY, *ALL_DAYS))

    def counts(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for row in self.store.tallies(SURVEY, *ALL_DAYS):
            for key, value in row.counts.items():
                total[key] = total.get(key, 0) + value
        return total


@contextmanager
def collector_on_sqlite(folder: Path, definition: Definition, **settings_: Any) -> Iterator[Collector]:
    """Point the app at a fresh SQLite store in `folder`, publish `definition`, and hand over a client."""
    original = config.settings
    clock = Clock()
    config.configure(
        **{
            "store_url": f"sqlite:{folder / 'responses.db'}",
            "store_folder": str(folder),
            "redirect_base": None,
            "clock": clock,
            **settings_,
        }
    )
    try:
        config.get_store().publish(definition.to_json())
        with Client(app) as client:
            yield Collector(client, definition, clock)
    finally:
        config.close()
        config.settings = original


@pytest.fixture
def collector(tmp_path: Path, definition: Definition) -> Iterator[Collector]:
    with collector_on_sqlite(tmp_path, definition) as c:
        yield c


@pytest.fixture
def hosted(tmp_path: Path, survey) -> Iterator[Collector]:
    """The survey with its pages on the owner's own site, apart from the API."""
    definition = dataclasses.replace(survey, site_url="https://survey.harbour.example").definition()
    with collector_on_sqlite(tmp_path, definition) as c:
        yield c


# --- the page's script: JSON as text/plain -----------------------------------------------------------


def test_an_answer_from_the_script_is_stored_and_answered_201_with_its_id(collector: Collector) -> None:
    response = collector.post_json(collector.answer())
    assert response.status_code == 201
    assert response.json_body == {"id": "resp-0001abcd", "status": "stored", "contact_dropped": False}
    assert response.headers["Content-Type"] == "application/json"
    [stored] = collector.stored()
    assert stored["id"] == "resp-0001abcd"
    assert (stored["wow"], stored["staff"], stored["people"], stored["promises"]) == (
        "yes",
        "maya",
        5,
        ["fresh", "name"],
    )
    counts = collector.counts()
    assert counts["n"] == 1 and counts["wow_yes"] == 1 and counts["staff:maya"] == 1
    assert counts["promise:fresh"] == 1 and counts["people:5"] == 1 and counts["src:card"] == 1


def test_application_json_is_accepted_like_text_plain(collector: Collector) -> None:
    response = collector.post_json(collector.answer(), content_type="application/json; charset=utf-8")
    assert response.status_code == 201
    assert len(collector.stored()) == 1


def test_the_same_id_sent_again_is_answered_200_duplicate_and_counted_once(collector: Collector) -> None:
    first = collector.post_json(collector.answer())
    collector.clock.now = datetime(2025, 3, 16, 9, 0, tzinfo=UTC)  # days later, from the page's queue
    again = collector.post_json(collector.answer())
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json_body == {"id": "resp-0001abcd", "status": "duplicate", "contact_dropped": False}
    assert len(collector.stored()) == 1
    assert collector.counts()["n"] == 1


def test_a_contact_without_consent_is_stored_without_the_contact_and_the_reply_says_so(
    collector: Collector,
) -> None:
    response = collector.post_json(collector.answer(contact="0161 496 0000", consent=""))
    assert response.status_code == 201
    assert response.json_body["contact_dropped"] is True
    [stored] = collector.stored()
    assert stored["contact"] is None and stored["followup"] is False
    assert "followups" not in collector.counts()


def test_a_contact_with_consent_is_kept_for_a_follow_up(collector: Collector) -> None:
    response = collector.post_json(collector.answer(contact="0161 496 0000", consent="yes"))
    assert response.json_body["contact_dropped"] is False
    [stored] = collector.stored()
    assert stored["contact"] == "0161 496 0000" and stored["followup"] is True
    assert collector.counts()["followups"] == 1


def test_a_no_with_a_staff_name_picked_is_accepted_and_not_counted_as_recognition(
    collector: Collector,
) -> None:
    response = collector.post_json(collector.answer(wow="no", staff="tom"))
    assert response.status_code == 201
    [stored] = collector.stored()
    assert (stored["wow"], stored["staff"]) == ("no", "tom")
    counts = collector.counts()
    assert counts["wow_no"] == 1
    assert not any(key.startswith("staff:") for key in counts)


def test_every_question_may_be_skipped(collector: Collector) -> None:
    response = collector.post_json(
        {"v": collector.definition.version, "id": "only-location", "location": "mill"}
    )
    assert response.status_code == 201
    [stored] = collector.stored()
    assert (stored["wow"], stored["people"], stored["promises"]) == (None, None, [])
    assert collector.counts() == {"n": 1, "lang:en": 1}


def test_a_day_is_cut_in_the_survey_time_zone_from_the_server_clock(collector: Collector) -> None:
    collector.clock.now = datetime(2025, 7, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 July in London
    collector.post_json(collector.answer())
    [stored] = collector.stored()
    assert stored["day"] == "2025-07-02"
    assert stored["received_at"] == "2025-07-01T23:30:00.000000Z"


def test_the_client_address_and_user_agent_are_never_stored(collector: Collector) -> None:
    collector.post_form(collector.form(), User_Agent="Mozilla/5.0 (Phone; secret-agent)")
    [stored] = collector.stored()
    assert "secret-agent" not in json.dumps(stored)
    assert "127.0.0.1" not in json.dumps(stored)


# --- requests no honest page can make: 4xx, naming the field, nothing stored ---------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"colour": "blue"}, "colour"),
        ({"location": "moon"}, "location"),
        ({"staff": "sam"}, "staff"),  # Sam works at the mill, not the quay
        ({"people": 6}, "people"),
        ({"wow": "maybe"}, "wow"),
        ({"lang": "fr"}, "lang"),
        ({"src": "billboard"}, "src"),
        ({"promises": ["cheap"]}, "promises"),
        ({"comment": "x" * 1001}, "comment"),
        ({"id": "short"}, "id"),
        ({"consent": "perhaps"}, "consent"),
        ({"v": "not-a-version"}, "v"),
    ],
)
def test_a_bad_field_is_400_naming_it_and_nothing_is_stored(
    collector: Collector, change: dict, field: str
) -> None:
    response = collector.post_json(collector.answer(**change))
    assert response.status_code == 400
    assert response.json_body["field"] == field
    assert response.json_body["error"]
    assert collector.stored() == []
    assert collector.counts() == {}


@pytest.mark.parametrize("made_here", answers.MADE_HERE)
@pytest.mark.parametrize("kind", ["script", "form"])
def test_an_id_of_a_kind_only_wowcard_makes_is_refused_400(collector: Collector, made_here, kind) -> None:
    """A client that could send an import's or a no-JavaScript answer's id first would take its place."""
    taken = made_here + "0123456789abcdef0123456789abcdef"
    if kind == "script":
        response = collector.post_json(collector.answer(id=taken))
        assert response.status_code == 400 and response.json_body["field"] == "id"
    else:
        response = collector.post_form([*collector.form(), ("id", taken)])
        assert response.status_code == 303 and response.headers["Location"].endswith("/error/en/#id")
    assert collector.stored() == [] and collector.counts() == {}
    assert collector.post_json(collector.answer(id="3f2c5a0e-1b7d-4c8e-9a6f-2d4b8c0e1f3a")).status_code == 201


@pytest.mark.parametrize("body", ["not json", "[1, 2]", '"text"', ""])
def test_a_body_that_is_not_a_json_object_is_400(collector: Collector, body: str) -> None:
    response = collector.post(body, "text/plain")
    assert response.status_code == 400
    assert response.json_body == {"error": "the body is not a JSON object", "field": None}


def test_an_unknown_survey_is_404(collector: Collector) -> None:
    for survey in ("lighthouse", "Not..A..Slug"):
        response = collector.client.http.post(
            f"/s/{survey}/responses",
            headers={"Content-Type": "text/plain"},
            body=json.dumps(collector.answer()),
        )
        assert response.status_code == 404
        assert response.json_body["field"] == "survey"
    assert collector.stored() == []


def test_a_version_never_published_is_409_naming_v_and_nothing_is_stored(collector: Collector) -> None:
    response = collector.post_json(collector.answer(v="0123456789ab"))
    assert response.status_code == 409
    assert response.json_body["field"] == "v"
    assert response.json_body["code"] == "version_not_published"  # the page tells it from a network error
    assert "0123456789ab" in response.json_body["error"]
    assert collector.stored() == []


def test_answers_from_an_older_published_version_are_still_accepted(collector: Collector, survey) -> None:
    old = collector.definition
    new = dataclasses.replace(survey, staff=(*survey.staff, Staff("ana", "Ana", ("quay",)))).definition()
    assert collector.store.publish(new.to_json()) is True
    queued = collector.post_json(collector.answer(id="queued-before", v=old.version, staff="maya"))
    fresh = collector.post_json(collector.answer(id="after-change", v=new.version, staff="ana"))
    unknown_then = collector.post_json(collector.answer(id="bad-staff-old", v=old.version, staff="ana"))
    assert (queued.status_code, fresh.status_code, unknown_then.status_code) == (201, 201, 400)
    assert {r["id"]: r["version"] for r in collector.stored()} == {
        "queued-before": old.version,
        "after-change": new.version,
    }


@pytest.mark.parametrize(
    "content_type", ["image/png", "application/xml", "multipart/form-data; boundary=x", None]
)
def test_other_content_types_get_415_json_naming_the_problem(
    collector: Collector, content_type: str | None
) -> None:
    response = collector.post(json.dumps(collector.answer()), content_type)
    assert response.status_code == 415
    body = json.loads(response.body)
    assert set(body) == {"error", "field"}
    assert "content type" in body["error"].lower() or "media type" in body["error"].lower()
    assert collector.stored() == []


def test_a_body_over_the_limit_is_413_before_it_is_read(collector: Collector) -> None:
    declared = collector.post(b"{}", "text/plain", Content_Length=str(answers.MAX_BODY_BYTES + 1))
    actual = collector.post(json.dumps(collector.answer(what="x" * answers.MAX_BODY_BYTES)), "text/plain")
    not_json = collector.post(b"\xff" * (answers.MAX_BODY_BYTES + 1), FORM)
    assert (declared.status_code, actual.status_code, not_json.status_code) == (413, 413, 413)
    assert declared.json_body["error"] == f"the body is larger than {answers.MAX_BODY_BYTES} bytes"
    assert collector.stored() == []


def test_other_methods_are_405_in_the_collector_shape(collector: Collector) -> None:
    response = collector.client.http.get(f"/s/{SURVEY}/responses")
    assert response.status_code == 405
    assert set(json.loads(response.body)) == {"error", "field"}


# --- the no-JavaScript form: 303 See Other ----------------------------------------------------------------


def test_a_form_post_is_redirected_303_to_the_thank_you_page_in_its_language(collector: Collector) -> None:
    response = collector.post_form(collector.form())
    assert response.status_code == 303
    assert response.headers["Location"] == "/harbour/thanks/en/"
    [stored] = collector.stored()
    assert stored["id"].startswith("f-") and stored["src"] is None


def test_a_form_contact_without_consent_lands_on_the_thank_you_page_saying_so(collector: Collector) -> None:
    response = collector.post_form(collector.form(contact="maya@example.com", consent=""))
    assert response.headers["Location"] == "/harbour/thanks/en/#contact-dropped"
    assert collector.stored()[0]["contact"] is None


def test_a_form_double_tap_is_stored_once(collector: Collector) -> None:
    first = collector.post_form(collector.form())
    collector.clock.now = collector.clock.now.replace(second=6)  # the second tap, 6 s later
    second = collector.post_form(collector.form())
    assert (first.status_code, second.status_code) == (303, 303)
    assert len(collector.stored()) == 1
    assert collector.counts()["n"] == 1


@pytest.mark.parametrize(
    ("first", "second", "stored"),
    [
        ("12:00:05.000", "12:00:05.400", 1),
        ("12:00:05.900", "12:00:06.100", 1),
        ("12:00:05.000", "12:00:15.000", 1),  # 10.000 s: still the same answer
        ("12:00:05.999", "12:00:15.999", 1),
        ("12:00:09.000", "12:00:18.999", 1),
        ("12:00:58.000", "12:01:08.000", 1),  # across a minute
        ("12:00:05.000", "12:00:15.001", 2),  # 10.001 s: a new answer
        ("12:00:05.900", "12:00:15.901", 2),
        ("12:00:05.000", "12:00:16.000", 2),
        ("12:00:05.999", "12:00:17.000", 2),
    ],
)
def test_a_form_double_tap_within_ten_seconds_is_stored_once_and_a_moment_later_twice(
    collector: Collector, first: str, second: str, stored: int
) -> None:
    for moment in (first, second):
        collector.clock.now = datetime.fromisoformat(f"2025-03-14T{moment}+00:00")
        assert collector.post_form(collector.form()).status_code == 303
    assert len(collector.stored()) == stored and collector.counts()["n"] == stored


def test_the_id_of_a_form_answer_is_keyed_with_the_surveys_secret_salt(collector: Collector) -> None:
    collector.post_form(collector.form(), User_Agent="phone/1.0")
    [stored] = collector.stored()
    received = datetime.fromisoformat(stored["received_at"].replace("Z", "+00:00"))
    body = urlencode(collector.form()).encode()
    salt = collector.store.fairness_salt(SURVEY)
    keyed = answers.double_tap_ids(SURVEY, body, "127.0.0.1", "phone/1.0", received, secret=salt)
    unkeyed = answers.double_tap_ids(SURVEY, body, "127.0.0.1", "phone/1.0", received)
    assert stored["id"] == keyed[0] and stored["id"] not in unkeyed


def test_a_form_answer_with_line_breaks_is_measured_and_stored_with_one_character_each(
    collector: Collector,
) -> None:
    what = ("Carried my pram up the stairs" + "\r\n") * 16 + "x" * 20  # 30 x 16 + 20 = 500, CRLF as one
    response = collector.post_form(collector.form(what=what))
    assert response.headers["Location"] == "/harbour/thanks/en/"
    [stored] = collector.stored()
    assert stored["what"] == what.replace("\r\n", "\n") and len(stored["what"]) == 500
    bare_cr = collector.post_json(collector.answer(id="bare-cr-0001", comment="one\rtwo\r\nthree"))
    assert bare_cr.status_code == 201
    assert collector.store.get(SURVEY, "bare-cr-0001")["comment"] == "one\ntwo\nthree"


@pytest.mark.parametrize(
    "name", ["what", "comment", "contact", "location", "staff", "id", "device", "promises"]
)
def test_a_lone_surrogate_in_any_field_is_refused_400_naming_it(collector: Collector, name: str) -> None:
    answer = collector.answer(contact="x", consent="yes")
    answer.pop(name, None)
    broken = '"\\ud83d"' if name != "promises" else '["\\ud83d"]'
    body = json.dumps(answer)[:-1] + f', "{name}": {broken}' + "}"
    response = collector.post(body, "text/plain")
    assert response.status_code == 400, response.body
    assert response.json_body["field"] == name
    assert collector.stored() == []


def test_a_json_body_nested_deeper_than_the_parser_goes_is_400(collector: Collector) -> None:
    response = collector.post(b"[" * 5000 + b"]" * 5000, "text/plain")
    assert (response.status_code, response.json_body["error"]) == (400, "the body is not a JSON object")


def test_the_same_form_answer_a_minute_later_is_a_new_response(collector: Collector) -> None:
    collector.post_form(collector.form())
    collector.clock.now = collector.clock.now.replace(minute=1)
    collector.post_form(collector.form())
    assert len(collector.stored()) == 2


def test_a_form_error_redirects_to_the_error_page_naming_the_field(collector: Collector) -> None:
    too_long = collector.post_form(collector.form(comment="x" * 1001))
    unknown = collector.post_form([*collector.form(), ("colour", "blue")])
    twice = collector.post_form([*collector.form(), ("wow", "no")])
    not_utf8 = collector.post(b"location=\xff\xfe", FORM)
    assert too_long.status_code == 303
    assert too_long.headers["Location"] == "/harbour/error/en/#comment"
    assert unknown.headers["Location"] == "/harbour/error/en/#request"
    assert twice.headers["Location"] == "/harbour/error/en/#wow"
    assert not_utf8.headers["Location"] == "/harbour/error/en/#request"
    injected = collector.post_form([*collector.form(), ("x\r\nSet-Cookie: stolen=1", "1")])
    assert (injected.status_code, injected.headers["Location"]) == (303, "/harbour/error/en/#request")
    assert "Set-Cookie" not in injected.headers
    assert collector.stored() == []


def test_a_form_from_a_version_never_published_redirects_to_the_error_page(collector: Collector) -> None:
    response = collector.post_form(collector.form(v="0123456789ab"))
    assert (response.status_code, response.headers["Location"]) == (303, "/harbour/error/en/#v")
    assert collector.stored() == []


def test_form_redirects_go_to_the_site_url_when_the_survey_has_one(hosted: Collector) -> None:
    ok = hosted.post_form(hosted.form())
    bad = hosted.post_form(hosted.form(people="9"))
    assert ok.headers["Location"] == "https://survey.harbour.example/harbour/thanks/en/"
    assert bad.headers["Location"] == "https://survey.harbour.example/harbour/error/en/#people"


def test_same_origin_redirects_keep_the_path_of_the_site_url(tmp_path: Path, survey) -> None:
    definition = dataclasses.replace(survey, site_url="https://harbour.example/surveys").definition()
    with collector_on_sqlite(tmp_path, definition, redirect_base="") as c:  # as deployed behind CloudFront
        ok = c.post_form(c.form())
        bad = c.post_form(c.form(people="9"))
    assert ok.headers["Location"] == "/surveys/harbour/thanks/en/"
    assert bad.headers["Location"] == "/surveys/harbour/error/en/#people"


# --- the honeypot ----------------------------------------------------------------------------------------


def test_a_bot_filling_the_honeypot_gets_the_normal_success_and_nothing_is_stored(
    collector: Collector,
) -> None:
    script = collector.post_json(collector.answer(website="http://spam.example"))
    form = collector.post_form(collector.form(website="http://spam.example"))
    assert script.status_code == 201
    assert script.json_body == {"id": "resp-0001abcd", "status": "stored", "contact_dropped": False}
    assert (form.status_code, form.headers["Location"]) == (303, "/harbour/thanks/en/")
    assert collector.stored() == []
    assert collector.counts() == {}


# --- faults: 503 with Retry-After, never a 500 ----------------------------------------------------------


class FaultyStore:
    """The real store, except that writes fail the way a store fails (an injected fault)."""

    def __init__(self, real, error: Exception):
        self.real = real
        self.error = error

    def put(self, record):
        raise self.error

    def __getattr__(self, name):
        return getattr(self.real, name)


def test_a_store_out_of_retries_is_503_with_retry_after(collector: Collector, monkeypatch) -> None:
    real = config.get_store()
    faulty = FaultyStore(real, StoreUnavailable("the table is throttled", retry_after=7))
    monkeypatch.setattr(config, "get_store", lambda: faulty)
    response = collector.post_json(collector.answer())
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "7"
    assert response.json_body["error"]
    assert list(real.responses(SURVEY, *ALL_DAYS)) == []


def test_an_unexpected_error_is_503_with_retry_after_and_no_traceback(
    collector: Collector, monkeypatch
) -> None:
    real = config.get_store()
    faulty = FaultyStore(real, ZeroDivisionError("a bug deep inside"))
    monkeypatch.setattr(config, "get_store", lambda: faulty)
    script, form = collector.post_json(collector.answer()), collector.post_form(collector.form())
    assert script.status_code == 503
    assert script.headers["Retry-After"] == "5"
    assert (form.status_code, form.headers["Location"]) == (303, "/harbour/error/en/#request")
    for response in (script, form):
        assert b"Traceback" not in response.body and b"ZeroDivision" not in response.body
        assert b"a bug deep inside" not in response.body


def test_a_form_post_the_store_cannot_take_goes_to_the_error_page_not_to_raw_json(
    collector: Collector, monkeypatch
) -> None:
    real = config.get_store()
    faulty = FaultyStore(real, StoreUnavailable("the table is throttled", retry_after=7))
    monkeypatch.setattr(config, "get_store", lambda: faulty)
    response = collector.post_form(collector.form())
    # No script keeps a form's answer queued: the error page's general message asks to send it again.
    assert (response.status_code, response.headers["Location"]) == (303, "/harbour/error/en/#request")
    assert response.headers["Cache-Control"] == "no-store"
    assert b"error" not in response.body and b"throttled" not in response.body
    assert list(real.responses(SURVEY, *ALL_DAYS)) == []


def test_a_store_that_cannot_be_opened_is_503(tmp_path: Path, definition: Definition) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    original = config.settings
    config.configure(store_url=f"sqlite:{blocker / 'responses.db'}", store_folder=str(tmp_path))
    try:
        with Client(app) as client:
            response = client.http.post(
                f"/s/{SURVEY}/responses", headers={"Content-Type": "text/plain"}, body=b'{"v": "abcdef"}'
            )
        assert response.status_code == 503
        assert response.headers["Retry-After"]
    finally:
        config.close()
        config.settings = original


# --- CORS: only for the survey's own site -----------------------------------------------------------------


def test_cors_headers_only_for_the_site_url_origin(hosted: Collector) -> None:
    collector_origin = "https://survey.harbour.example"
    own = hosted.post_json(hosted.answer(id="from-own-site"), Origin=collector_origin)
    other = hosted.post_json(hosted.answer(id="from-elsewhere"), Origin="https://evil.example")
    bad = hosted.post_json(hosted.answer(id="bad-answer1", people=9), Origin=collector_origin)
    assert own.headers["Access-Control-Allow-Origin"] == collector_origin
    assert own.headers["Vary"] == "Origin"
    assert "Access-Control-Allow-Origin" not in other.headers
    assert bad.status_code == 400 and bad.headers["Access-Control-Allow-Origin"] == collector_origin


def test_no_cors_headers_when_pages_and_api_share_an_origin(collector: Collector) -> None:
    response = collector.post_json(collector.answer(), Origin="https://survey.harbour.example")
    assert response.status_code == 201
    assert not any(name.lower().startswith("access-control-") for name in response.headers)


def test_a_preflight_is_answered_for_the_site_origin_only(hosted: Collector) -> None:
    path = f"/s/{SURVEY}/responses"
    own = hosted.client.http.options(
        path,
        headers={
            "Origin": "https://survey.harbour.example",
            "Access-Control-Request-Method": "POST",
        },
    )
    other = hosted.client.http.options(
        path,
        headers={
            "Origin": "https://evil.example",
            "Access-Control-Request-Method": "POST",
        },
    )
    assert own.status_code == 204
    assert own.headers["Access-Control-Allow-Origin"] == "https://survey.harbour.example"
    assert "POST" in own.headers["Access-Control-Allow-Methods"]
    assert own.headers["Access-Control-Allow-Headers"] == "Content-Type"
    assert other.status_code == 204
    assert not any(name.lower().startswith("access-control-") for name in other.headers)
    unknown = hosted.client.http.options(
        "/s/lighthouse/responses", headers={"Origin": "https://evil.example"}
    )
    assert unknown.status_code == 404


# --- health and the OpenAPI document ------------------------------------------------------------------


def test_healthz_answers_ok_without_reading_the_store(collector: Collector) -> None:
    response = collector.client.http.get("/healthz")
    assert response.status_code == 200
    assert response.json_body == {"status": "ok", "store": "sqlite"}


def test_the_openapi_document_is_valid_and_served_as_kept_in_the_repo(collector: Collector) -> None:
    from openapi_spec_validator import validate as validate_openapi  # dev extra: openapi-spec-validator

    kept = json.loads((Path(collect.__file__).parent / "openapi.json").read_text(encoding="utf-8"))
    validate_openapi(kept)
    response = collector.client.http.get("/openapi.json")
    assert response.status_code == 200
    assert json.loads(response.body) == kept


def test_the_openapi_document_describes_exactly_the_routes_of_the_app() -> None:
    kept = json.loads((Path(collect.__file__).parent / "openapi.json").read_text(encoding="utf-8"))
    documented = {
        (path, method.upper())
        for path, item in kept["paths"].items()
        for method in item
        if method in ("get", "put", "post", "delete", "options", "head", "patch")
    }
    routed = {(path, method) for path, methods in app.routes.items() for method in methods}
    assert documented == routed
    post = kept["paths"]["/s/{survey}/responses"]["post"]
    route = app.routes["/s/{survey}/responses"]["POST"]
    assert set(post["requestBody"]["content"]) == set(route.content_types)
    assert kept["servers"][0]["url"] == "/api"


def test_the_openapi_answer_schema_names_every_field_of_the_frozen_request_format() -> None:
    kept = json.loads((Path(collect.__file__).parent / "openapi.json").read_text(encoding="utf-8"))
    schemas = kept["components"]["schemas"]
    assert set(schemas["Answer"]["properties"]) == set(answers.FIELDS)
    assert set(schemas["FormAnswer"]["properties"]) == set(answers.FIELDS)
    assert set(schemas["Stored"]["properties"]) == {"id", "status", "contact_dropped"}


# --- published definitions reach a warm collector without a redeploy ---------------------------------


def test_a_version_published_while_the_collector_runs_is_accepted_at_once(collector: Collector, survey):
    assert collector.post_json(collector.answer()).status_code == 201  # the collector is warm
    new = dataclasses.replace(survey, staff=(*survey.staff, Staff("ana", "Ana", ("quay",)))).definition()
    early = collector.post_json(collector.answer(id="resp-ana00001", v=new.version, staff="ana"))
    assert (early.status_code, early.json_body["code"]) == (409, "version_not_published")
    collector.store.publish(new.to_json())  # what `wowcard build` and `wowcard publish` do

    response = collector.post_json(collector.answer(id="resp-ana00001", v=new.version, staff="ana"))
    assert response.status_code == 201, response.json_body
    assert collector.store.get(SURVEY, "resp-ana00001")["staff"] == "ana"


# --- hostile requests: repeated keys, bytes that are not UTF-8, control characters in customer text --------


@pytest.mark.parametrize("key", ["consent", "staff", "v", "promises", "what"])
def test_a_key_given_twice_in_a_json_body_is_400_naming_it(collector: Collector, key: str) -> None:
    answer = collector.answer(contact="maya@example.com", consent="")
    answer.setdefault(key, "")
    second = json.dumps({key: "yes" if key == "consent" else answer[key]})[1:]
    body = json.dumps(answer)[:-1] + ", " + second  # {"consent": "", ..., "consent": "yes"}
    response = collector.post(body, "text/plain")
    assert response.status_code == 400
    assert response.json_body == {"error": f"{key} is given more than once", "field": key}
    assert collector.stored() == []


def test_a_key_given_twice_in_a_form_is_refused_like_in_json(collector: Collector) -> None:
    response = collector.post_form([*collector.form(consent=""), ("consent", "yes")])
    assert response.status_code == 303 and response.headers["Location"] == "/harbour/error/en/#consent"
    assert collector.stored() == []


@pytest.mark.parametrize("escaped", ["%FF", "%C3%28", "%ED%A0%80", "caf%E9", "%F0%9F%98"])
def test_a_form_value_that_is_not_utf8_is_refused_not_stored_as_a_replacement_character(
    collector: Collector, escaped: str
) -> None:
    body = urlencode(collector.form(comment="")).replace("comment=", f"comment={escaped}")
    response = collector.post(body, FORM)
    assert response.status_code == 303 and response.headers["Location"] == "/harbour/error/en/#comment"
    assert collector.stored() == []


def test_raw_bytes_that_are_not_utf8_are_400_in_a_form_and_in_json(collector: Collector) -> None:
    form = urlencode(collector.form()).encode() + b"&comment=caf\xe9"
    assert collector.post(form, FORM, Accept="text/html").status_code == 303
    body = json.dumps(collector.answer(comment="CAFE")).encode().replace(b"CAFE", b"caf\xe9")
    response = collector.post(body, "text/plain")
    assert response.status_code == 400
    assert response.json_body == {"error": "the body is not UTF-8", "field": None}
    assert collector.stored() == []


HOSTILE = {
    "clear screen": ("\x1b[2J\x1b[HThank you", "[2J[HThank you"),
    "OSC 8 link": ("\x1b]8;;https://evil.example\x07click\x1b]8;;\x07", "]8;;https://evil.exampleclick]8;;"),
    "8-bit CSI": ("\x9b31mred\x9b0m", "31mred0m"),
    "C1 and DEL": ("a\x85b\x7fc\x9fd", "abcd"),
    "bidi override": ("Great \u202eeciffo\u202c service", "Great eciffo service"),
    "bidi isolates": ("\u2066a\u2067b\u2068c\u2069", "abc"),
    "embeddings": ("\u202ax\u202by\u202c", "xy"),
    "NUL and bell": ("tea\x00\x07 please", "tea please"),
    "backspace": ("good\x08\x08\x08\x08bad", "goodbad"),
}


@pytest.mark.parametrize("attack", sorted(HOSTILE))
def test_control_characters_are_stripped_from_customer_text_and_the_rest_is_kept(
    collector: Collector, attack: str
) -> None:
    sent, kept = HOSTILE[attack]
    answer = collector.answer(what=sent, comment=f"Line one\n\tand {sent}", contact=f"{sent} 07700 900123")
    response = collector.post_json({**answer, "consent": "yes"})
    assert response.status_code == 201, response.json_body
    [stored] = collector.stored()
    assert stored["what"] == kept
    assert stored["comment"] == f"Line one\n\tand {kept}"  # newline and tab stay
    assert stored["contact"] == f"{kept} 07700 900123"


def test_control_characters_are_stripped_from_a_form_post_too(collector: Collector) -> None:
    response = collector.post_form(collector.form(what="Fixed\x1b[31m my\r\nbike\u202e", comment="\x9b2J"))
    assert response.headers["Location"] == "/harbour/thanks/en/"
    [stored] = collector.stored()
    assert (stored["what"], stored["comment"]) == ("Fixed[31m my\nbike", "2J")


def test_text_that_is_only_control_characters_is_not_an_answer(collector: Collector) -> None:
    response = collector.post_json(collector.answer(what="", comment="\x1b\u202e\x07"))
    assert response.status_code == 201
    [stored] = collector.stored()
    assert stored["comment"] is None and stored["has_comment"] is False


def test_a_comment_padded_with_stripped_characters_is_measured_without_them(collector: Collector) -> None:
    comment = "x" * 1000 + "\u202e" * 50
    assert collector.post_json(collector.answer(comment=comment)).status_code == 201
    assert collector.stored()[0]["comment"] == "x" * 1000


# --- the layering: the Lambda never imports the CLI's libraries --------------------------------------


def test_the_collector_app_imports_and_answers_with_the_cli_libraries_blocked(tmp_path: Path) -> None:
    code = (
        "import sys, json\n"
        "for name in ['click', 'jinja2', 'rich', 'segno', 'wowcard.commands', 'wowcard.__main__']:\n"
        "    sys.modules[name] = None\n"
        "from wowcard.collector.app import app\n"
        "def event(method, path, resource, body=None, params=None):\n"
        "    return {'requestContext': {'httpMethod': method, 'resourcePath': resource, 'path': path,\n"
        "                               'identity': {'sourceIp': '203.0.113.9'}},\n"
        "            'headers': {'content-type': 'text/plain'} if body else {},\n"
        "            'pathParameters': params or {},\n"
        "            'multiValueQueryStringParameters': None, 'stageVariables': {}, 'body': body}\n"
        "r = app(event('GET', '/healthz', '/healthz'), None)\n"
        "post = event('POST', '/s/harbour/responses', '/s/{survey}/responses', '{}', {'survey': 'harbour'})\n"
        "p = app(post, None)\n"
        "print(r['statusCode'], p['statusCode'], json.loads(r['body'])['status'])\n"
        "print(sorted(m for m in ('boto3', 'botocore', 'click', 'jinja2') if sys.modules.get(m)))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "WOWCARD_STORE": f"sqlite:{tmp_path / 'r.db'}"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.splitlines()[:2]
    assert first == "200 404 ok"  # an empty store: no survey published there
    assert second == "[]"  # nothing heavy at import time, nothing of the CLI


# --- fuzzing: only 2xx, 303 or 4xx, nothing stored from a refusal ------------------------------------


GOOD_TYPES = ["text/plain", "text/plain;charset=UTF-8", "application/json", FORM, f"{FORM}; charset=utf-8"]
BAD_TYPES = [
    "multipart/form-data",
    "application/octet-stream",
    "image/png",
    "text/html",
    "*/*",
    "",
    "application/json, image/png",
]
CONTENT_TYPES = st.one_of(
    st.sampled_from(GOOD_TYPES), st.sampled_from(GOOD_TYPES), st.sampled_from(BAD_TYPES)
)
TEXT = st.text(max_size=40)
ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10),
    TEXT,
    st.lists(TEXT, max_size=3),
    st.dictionaries(TEXT, st.integers(), max_size=2),
    st.floats(allow_nan=True),
)
PLAUSIBLE = {
    "id": st.from_regex(r"[A-Za-z0-9_-]{8,20}", fullmatch=True),
    "wow": st.sampled_from(["yes", "no", ""]),
    "staff": st.sampled_from(["maya", "tom", "priya", "sam", "li", "_", ""]),
    "people": st.sampled_from([1, 3, 5, "4", "", None]),
    "promises": st.lists(st.sampled_from(["fresh", "name", "quick"]), max_size=3),
    "lang": st.sampled_from(["en", ""]),
    "src": st.sampled_from(["card", "sign", ""]),
    "what": TEXT,
    "comment": TEXT,
    "contact": TEXT,
    "consent": st.sampled_from(["yes", "", True]),
}
KNOWN = st.one_of(st.sampled_from(sorted(answers.FIELDS | {"colour", "__proto__", ""})), st.text(max_size=12))


@st.composite
def bodies(draw, version: str) -> tuple[str | None, bytes]:
    content_type = draw(CONTENT_TYPES)
    shape = draw(st.sampled_from(["answer", "answer", "answer", "bytes", "text"]))
    if shape == "bytes":
        return content_type, draw(st.binary(max_size=200))
    if shape == "text":
        return content_type, draw(st.text(max_size=200)).encode("utf-8", "surrogatepass")
    fields: dict[str, Any] = {}
    if draw(st.integers(0, 9)):
        fields["v"] = version
    if draw(st.integers(0, 9)):
        fields["location"] = draw(st.sampled_from(["quay", "mill", "moon"]))
    for name in draw(st.lists(st.sampled_from(sorted(PLAUSIBLE)), max_size=6, unique=True)):
        fields[name] = draw(PLAUSIBLE[name])
    if draw(st.booleans()):
        fields.update(draw(st.dictionaries(KNOWN, ANY_VALUE, max_size=3)))
    if "form" in content_type:
        pairs = []
        for key, value in fields.items():
            for item in value if isinstance(value, list) else [value]:
                pairs.append((key, item if isinstance(item, str) else json.dumps(item)))
        return content_type, urlencode(pairs).encode()
    return content_type, json.dumps(fields).encode()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_requests_get_only_2xx_303_or_4xx_and_refusals_store_nothing(
    collector: Collector, data
) -> None:
    content_type, body = data.draw(bodies(collector.definition.version))
    before = len(collector.stored())
    response = collector.post(body, content_type or None)
    after = len(collector.stored())
    event(f"status {response.status_code}")
    assert response.status_code in (200, 201, 303) or 400 <= response.status_code < 500, response.body
    assert b"Traceback" not in response.body
    if response.status_code >= 400 or "/error/" in response.headers.get("Location", ""):
        assert after == before
        assert set(json.loads(response.body) if response.body else {"error": 1, "field": 1}) == {
            "error",
            "field",
        }
    else:
        assert after - before in (0, 1)


# --- configuration ----------------------------------------------------------------------------------


def test_settings_are_read_from_the_lambda_environment() -> None:
    environ = {
        "WOWCARD_STORE": "dynamodb:wowcard-harbour",
        "WOWCARD_AWS_REGION": "eu-west-2",
        "WOWCARD_DEFINITION_CACHE_SECONDS": "15",
        "WOWCARD_REDIRECT_BASE": "",
    }
    settings_ = config.Settings.from_environ(environ)
    assert settings_.store_url == "dynamodb:wowcard-harbour"
    assert settings_.aws_region == "eu-west-2" and settings_.aws_endpoint_url is None
    assert settings_.definition_cache_seconds == 15
    assert settings_.redirect_base == ""  # same origin: pages and API behind one CloudFront
    defaults = config.Settings.from_environ({"WOWCARD_DEFINITION_CACHE_SECONDS": "soon"})
    assert defaults.store_url == "sqlite:.wowcard/responses.db"
    assert defaults.definition_cache_seconds == 60 and defaults.redirect_base is None
