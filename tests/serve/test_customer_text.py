"""Customer text made safe at the collector, over real HTTP through `wowcard serve`: terminal escapes, 8-bit
controls and bidi overrides sent by a page or a bare form are stripped before anything is stored, and the
rest of what the customer wrote is kept."""

from __future__ import annotations

from urllib.parse import urlencode

from serve.conftest import Served

HOSTILE = "\x1b]8;;https://evil.example\x07Kind\x1b]8;;\x07 \x9b2Jstaff\u202e !olleh\u2066\x00\n\tthanks\x7f"
KEPT = "]8;;https://evil.exampleKind]8;; 2Jstaff !olleh\n\tthanks"


def test_control_characters_from_a_page_and_from_a_form_are_stripped_before_they_are_stored(
    served: Served, stored
) -> None:
    version = served.definition()["version"]
    script = {"v": version, "id": "resp-hostile01", "location": "quay", "wow": "yes", "staff": "maya"}
    status, body = served.post_answer({**script, "what": HOSTILE, "comment": HOSTILE})
    assert (status, body["status"]) == (201, "stored")
    form = urlencode({"v": version, "location": "mill", "wow": "no", "comment": HOSTILE, "contact": ""})
    status, headers, _ = served.request(
        "POST", "/api/s/harbour/responses", form, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert (status, headers["Location"]) == (303, "/harbour/thanks/en/")

    responses, _ = stored()
    by_location = {r["location"]: (r["what"], r["comment"]) for r in responses}
    assert by_location == {"quay": (KEPT, KEPT), "mill": (None, KEPT)}
