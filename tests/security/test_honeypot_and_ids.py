"""Bots and guessed ids: a filled honeypot gets a person's reply and leaves no trace in the store; a
response id names a response inside one survey only, so an id sent to another survey neither finds,
overwrites, nor reveals the first survey's answer, and ids or survey names built to break out of their key
are refused."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import quote, urlencode

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wowcard.__main__ import cli
from wowcard.collector import answers, config
from wowcard.collector import survey as survey_model
from wowcard.collector.store_dynamodb import _response_pk

from .conftest import Served

BOT_FILL = st.one_of(
    st.sampled_from(["http://cheap-pills.example", "a", "0", "<script>x</script>", "buy now " * 20]),
    st.text(min_size=1, max_size=80).filter(lambda t: t.strip()),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fill=BOT_FILL, form=st.booleans(), marker=st.uuids())
def test_a_filled_honeypot_gets_a_person_s_reply_and_nothing_is_stored(
    served: Served, fill: str, form: bool, marker: uuid.UUID
) -> None:
    trace = f"bot-{marker.hex}"
    answer = {"v": served.version, "location": "quay", "wow": "yes", "staff": "maya", "what": trace,
              "website": fill}  # fmt: skip
    if form:
        reply = served.post("harbour", urlencode(answer))
        assert (reply.status, reply.header("Location")) == (303, "/harbour/thanks/en/")
    else:
        reply = served.post("harbour", {**answer, "id": marker.hex})
        assert (reply.status, reply.json()) == (
            201,
            {"id": marker.hex, "status": "stored", "contact_dropped": False},
        )
    assert served.responses() == [] and served.tallies() == {}
    assert trace.encode() not in served.database_bytes()


def test_a_bot_s_reply_is_the_same_even_for_an_id_already_stored(served: Served) -> None:
    person = {"v": served.version, "id": "person-00001", "location": "quay", "wow": "no"}
    assert served.post("harbour", person).status == 201
    bot = served.post("harbour", {**person, "website": "spam"})
    assert (bot.status, bot.json()["status"]) == (201, "stored")  # learns nothing about what is stored
    assert [r["id"] for r in served.responses()] == ["person-00001"]


def publish_lighthouse(served: Served, survey_dir: Path) -> str:
    """A second survey in the same store (a chain running two surveys on one table)."""
    toml = survey_dir / "survey.toml"
    text = toml.read_text(encoding="utf-8").replace('id = "harbour"', 'id = "lighthouse"', 1)
    (survey_dir / "lighthouse.toml").write_text(text, encoding="utf-8")
    definition = survey_model.load(survey_dir / "lighthouse.toml").definition()
    config.get_store().publish(definition.to_json())
    return definition.version


def test_the_same_id_in_another_survey_is_another_response(served: Served, survey_dir: Path) -> None:
    lighthouse = publish_lighthouse(served, survey_dir)
    harbour = {"v": served.version, "id": "shared-id-0001", "location": "quay", "wow": "yes", "staff": "maya",
               "comment": "harbour's secret comment"}  # fmt: skip
    first = served.post("harbour", harbour)
    other = served.post("lighthouse", {**harbour, "v": lighthouse, "comment": "", "staff": "tom"})
    # "stored", not "duplicate": the reply never tells one survey's sender what another survey holds.
    assert (first.status, other.status, other.json()["status"]) == (201, 201, "stored")
    assert [(r["id"], r["staff"], r["comment"]) for r in served.responses("harbour")] == [
        ("shared-id-0001", "maya", "harbour's secret comment")
    ]
    assert [(r["id"], r["staff"], r["comment"]) for r in served.responses("lighthouse")] == [
        ("shared-id-0001", "tom", None)
    ]
    assert served.tallies("harbour")["staff:maya"] == 1 and "staff:maya" not in served.tallies("lighthouse")
    # The same no-JavaScript form body to both surveys: two server-made ids, two responses.
    form = urlencode({"v": served.version, "location": "mill", "wow": "no"})
    served.post("harbour", form)
    served.post("lighthouse", form.replace(served.version, lighthouse))
    harbour_ids = {r["id"] for r in served.responses("harbour")}
    lighthouse_ids = {r["id"] for r in served.responses("lighthouse")}
    assert len(harbour_ids) == len(lighthouse_ids) == 2 and harbour_ids.isdisjoint(
        lighthouse_ids - {"shared-id-0001"}
    )


def test_deleting_an_id_in_one_survey_leaves_the_other_survey_s_response(
    served: Served, survey_dir: Path
) -> None:
    lighthouse = publish_lighthouse(served, survey_dir)
    served.post("harbour", {"v": served.version, "id": "shared-id-0002", "location": "quay", "wow": "no"})
    served.post("lighthouse", {"v": lighthouse, "id": "shared-id-0002", "location": "quay", "wow": "no"})
    database = survey_dir / ".wowcard" / "responses.db"
    result = CliRunner().invoke(
        cli,
        ["delete", "-s", str(survey_dir / "lighthouse.toml"), "--store", f"sqlite:{database}",
         "--response", "shared-id-0002", "--yes"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert served.responses("lighthouse") == [] and served.tallies("lighthouse") == {}
    assert [r["id"] for r in served.responses("harbour")] == ["shared-id-0002"]
    assert served.tallies("harbour")["n"] == 1


def test_ids_and_survey_names_built_to_leave_their_key_are_refused(served: Served) -> None:
    for response_id in ("../harbour", "a#RESP", "x' OR '1'='1", "harbour/responses", "%2e%2e%2fa",
                        "id with space", "RESP#harbour#a", "a" * 65, "\u0430bcdefgh"):  # fmt: skip
        reply = served.post("harbour", {"v": served.version, "id": response_id, "location": "quay"})
        assert (reply.status, reply.json()["field"]) == (400, "id"), response_id
    for survey in ("harbour#x", "harbour%23RESP", "HARBOUR", "harbour/../harbour", "..", "harbour%00"):
        reply = served.request("POST", f"/api/s/{quote(survey, safe='%/')}/responses",
                               '{"location": "quay"}', Content_Type="text/plain")  # fmt: skip
        assert reply.status in (400, 404), (survey, reply.status)
    assert served.responses() == []


@given(
    a=st.tuples(
        st.from_regex(survey_model.SLUG, fullmatch=True), st.from_regex(answers.TOKEN, fullmatch=True)
    ),
    b=st.tuples(
        st.from_regex(survey_model.SLUG, fullmatch=True), st.from_regex(answers.TOKEN, fullmatch=True)
    ),
)
def test_distinct_survey_and_id_pairs_never_share_a_dynamodb_key(
    a: tuple[str, str], b: tuple[str, str]
) -> None:
    if a != b:
        assert _response_pk(*a) != _response_pk(*b)
