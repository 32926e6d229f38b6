"""The Store contract (collector/store.py, DESIGN.md "Storage"), one suite run on every engine: SQLite,
DynamoDB in moto in-process, DynamoDB in moto_server over HTTP. Records are built as the collector builds
them."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_stand_ins import REGION

from wowcard.collector import answers, tally
from wowcard.collector.store import Record, StoreError, open_store
from wowcard.collector.store_dynamodb import (
    INDEX_BY_DAY,
    TTL_ATTRIBUTE,
    DynamoStore,
    table_definition,
)
from wowcard.collector.store_sqlite import HOLDS_PERSONAL, HOLDS_TEXT, SqliteStore
from wowcard.collector.survey import Definition

SURVEY = "harbour"
MakeRecord = Callable[..., Record]

# A week of answers at two locations. Europe/London: 2024-03-31 is the switch to BST, so 23:30 UTC that
# evening is already 1 April on the shop's calendar.
ANSWERS: list[tuple[str, dict[str, Any]]] = [
    ("2024-03-29T08:05:00Z", {"id": "resp-0001", "location": "quay", "wow": "yes", "staff": "maya",
                              "what": "Remembered my usual order", "people": 5, "process": 4, "product": 5,
                              "promises": ["fresh", "name"], "src": "card"}),
    ("2024-03-29T08:05:00Z", {"id": "resp-0002", "location": "quay", "wow": "no", "people": 3,
                              "comment": "Queue was long"}),
    ("2024-03-29T12:40:00Z", {"id": "resp-0003", "location": "mill", "wow": "yes", "staff": "sam",
                              "what": "Fixed my bike pump", "contact": "jo@example.com", "consent": "yes"}),
    ("2024-03-30T09:00:00Z", {"id": "resp-0004", "location": "mill", "wow": "yes", "staff": "priya",
                              "what": "Drew a cat in the foam", "src": "receipt"}),
    ("2024-03-30T09:30:00Z", {"id": "resp-0005", "location": "quay", "wow": "yes", "staff": "priya",
                              "what": "Walked my coffee to the car", "promises": ["quick"],
                              "contact": "07700 900123", "consent": "yes", "comment": "Call me back"}),
    ("2024-03-30T10:00:00Z", {"id": "resp-0006", "location": "quay", "wow": "yes", "staff": "_"}),
    ("2024-03-30T23:30:00Z", {"id": "resp-0007", "location": "mill", "wow": "no", "product": 2}),
    ("2024-03-31T07:15:00Z", {"id": "resp-0008", "location": "quay", "wow": "yes", "staff": "maya",
                              "what": "Knew my name", "contact": "sam@example.org", "consent": "yes"}),
    ("2024-03-31T23:30:00Z", {"id": "resp-0009", "location": "quay", "wow": "yes", "staff": "maya",
                              "what": "Stayed open five minutes for me"}),
    ("2024-04-01T11:00:00Z", {"id": "resp-0010", "location": "mill", "people": 4, "process": 4}),
    ("2024-04-02T16:20:00Z", {"id": "resp-0011", "location": "quay", "wow": "yes", "staff": "tom",
                              "what": "Carried my tray", "contact": "al@example.net", "consent": "yes"}),
    ("2024-04-03T09:10:00Z", {"id": "resp-0012", "location": "mill", "wow": "yes", "staff": "li",
                              "what": "Found my lost glove", "comment": "Lovely"}),
]  # fmt: skip


@pytest.fixture
def records(make_record: MakeRecord) -> list[Record]:
    return [make_record(at, **fields) for at, fields in ANSWERS]


@pytest.fixture
def filled(store: Any, definition: Definition, records: list[Record]) -> Any:
    assert store.publish(definition.to_json())
    for record in records:
        assert store.put(record) is True
    return store


def counts(store: Any, since: str = "2024-01-01", until: str = "2024-12-31", **kw: Any) -> dict:
    return {(row.day, row.location): row.counts for row in store.tallies(SURVEY, since, until, **kw)}


def recount(store: Any, since: str = "2024-01-01", until: str = "2024-12-31", survey: str = SURVEY) -> dict:
    """What `wowcard verify` does: the tallies again, from the raw responses."""
    totals: dict[tuple[str, str], dict[str, int]] = {}
    for response in store.responses(survey, since, until):
        tally.add(totals.setdefault((response["day"], response["location"]), {}), tally.increments(response))
    return {key: value for key, value in totals.items() if value}


def recount_by_shard(store: Any, since: str, until: str) -> dict[tuple[str, str, int], dict[str, int]]:
    totals: dict[tuple[str, str, int], dict[str, int]] = {}
    for r in store.responses(SURVEY, since, until):
        tally.add(totals.setdefault((r["day"], r["location"], r["shard"]), {}), tally.increments(r))
    return totals


# --- exactly once -------------------------------------------------------------------------------------------


def test_the_same_id_stored_twenty_times_is_one_response_and_one_count(
    store: Any, definition: Definition, make_record: MakeRecord
):
    store.publish(definition.to_json())
    record = make_record("2024-03-29T08:05:00Z", id="same-id-20x", location="quay", wow="yes", staff="tom")
    outcomes = [store.put(record) for _ in range(20)]
    assert outcomes == [True] + [False] * 19
    assert [r["id"] for r in store.responses(SURVEY, "2024-03-29", "2024-03-29")] == ["same-id-20x"]
    assert counts(store) == {("2024-03-29", "quay"): {"n": 1, "lang:en": 1, "wow_yes": 1, "staff:tom": 1}}


def form_taps(definition: Definition) -> Callable[[str], Record]:
    """The records of one no-JavaScript post sent from one phone at the times given."""
    body = f"v={definition.version}&location=mill&wow=yes&staff=sam&what=&comment=".encode()
    submission = answers.decode(body, answers.FORM)

    def tap(at: str) -> Record:
        when = datetime.fromisoformat(at).replace(tzinfo=UTC)
        return answers.record(submission, definition, when, "198.51.100.7", "Mozilla/5.0 (phone)")

    return tap


def test_a_double_tap_ten_seconds_later_is_stored_once(store: Any, definition: Definition):
    store.publish(definition.to_json())
    tap = form_taps(definition)
    first, second = tap("2024-03-29T10:00:09"), tap("2024-03-29T10:00:19")
    assert first.id != second.id and first.id in second.aliases
    assert store.put(first) is True
    assert store.put(second) is False
    assert [r["id"] for r in store.responses(SURVEY, "2024-03-29", "2024-03-29")] == [first.id]
    assert counts(store)[("2024-03-29", "mill")]["n"] == 1


def test_a_repeat_more_than_ten_seconds_later_is_a_new_answer(store: Any, definition: Definition):
    store.publish(definition.to_json())
    tap = form_taps(definition)
    first, second = tap("2024-03-29T10:00:09.000000"), tap("2024-03-29T10:00:19.000001")
    assert first.id in second.aliases  # the same post, but stored 10.000001 s before: another answer
    assert (store.put(first), store.put(second)) == (True, True)
    assert counts(store)[("2024-03-29", "mill")]["n"] == 2


def test_two_taps_stored_in_the_order_opposite_to_their_arrival_are_one_answer(
    store: Any, definition: Definition
):
    # Under load the later tap can win the race to the store: the earlier one must still be its repeat.
    store.publish(definition.to_json())
    tap = form_taps(definition)
    earlier, later = tap("2024-03-29T10:00:09.999"), tap("2024-03-29T10:00:10.001")
    assert earlier.id != later.id
    assert (store.put(later), store.put(earlier)) == (True, False)
    assert [r["id"] for r in store.responses(SURVEY, "2024-03-29", "2024-03-29")] == [later.id]
    assert counts(store)[("2024-03-29", "mill")]["n"] == 1


def test_the_same_post_more_than_ten_seconds_apart_stored_out_of_order_is_two_answers(
    store: Any, definition: Definition
):
    store.publish(definition.to_json())
    tap = form_taps(definition)
    earlier, later = tap("2024-03-29T10:00:09.000000"), tap("2024-03-29T10:00:19.000001")
    assert later.id in earlier.aliases  # the same post, 10.000001 s apart: another answer in either order
    assert (store.put(later), store.put(earlier)) == (True, True)
    assert counts(store)[("2024-03-29", "mill")]["n"] == 2


def test_a_record_whose_aliases_were_never_stored_is_stored(store: Any, make_record: MakeRecord):
    # No definition published: readers of the DynamoDB engine then look at every possible shard.
    record = make_record("2024-03-29T10:00:00Z", id="fresh-answer", location="quay")
    assert store.put(dataclasses.replace(record, aliases=("never-seen-1", "never-seen-2"))) is True
    assert store.get(SURVEY, "fresh-answer") is not None
    assert store.get(SURVEY, "never-seen-1") is None
    assert counts(store) == {("2024-03-29", "quay"): record.increments} == recount(store)


# --- reading ------------------------------------------------------------------------------------------------


def test_tallies_add_up_the_shards_and_agree_with_a_recount_of_the_responses(
    filled: Any, records: list[Record]
):
    assert len({r.shard for r in records}) > 1  # the data really is spread over shards
    tallies = counts(filled)
    assert tallies == recount(filled)
    quay_29 = tallies[("2024-03-29", "quay")]
    assert quay_29 == {
        "n": 2, "lang:en": 2, "src:card": 1, "wow_yes": 1, "wow_no": 1, "staff:maya": 1, "stories": 1,
        "people:5": 1, "people:3": 1, "process:4": 1, "product:5": 1, "promise:fresh": 1, "promise:name": 1,
        "comments": 1,
    }  # fmt: skip
    assert tallies[("2024-04-01", "quay")]["staff:maya"] == 1  # 23:30 UTC on 31 March is 1 April in London
    assert sum(row["n"] for row in tallies.values()) == len(records)


def test_tally_rows_are_sorted_by_day_then_location(filled: Any):
    rows = filled.tallies(SURVEY, "2024-03-29", "2024-04-03")
    assert [(r.day, r.location) for r in rows] == sorted((r.day, r.location) for r in rows)
    assert [(r.day, r.location) for r in rows][:3] == [
        ("2024-03-29", "mill"),
        ("2024-03-29", "quay"),
        ("2024-03-30", "mill"),
    ]


def test_date_ranges_are_inclusive_and_a_location_can_be_chosen(filled: Any):
    assert set(counts(filled, "2024-03-30", "2024-03-31")) == {
        ("2024-03-30", "mill"),
        ("2024-03-30", "quay"),
        ("2024-03-31", "quay"),
    }
    assert set(counts(filled, "2024-03-30", "2024-04-01", location="mill")) == {
        ("2024-03-30", "mill"),
        ("2024-04-01", "mill"),
    }
    assert counts(filled, "2024-04-03", "2024-04-03") == {
        ("2024-04-03", "mill"): {
            "n": 1,
            "lang:en": 1,
            "wow_yes": 1,
            "staff:li": 1,
            "stories": 1,
            "comments": 1,
        }
    }
    assert counts(filled, "2023-01-01", "2024-03-28") == {}
    assert counts(filled, location="nowhere") == {}


def test_responses_come_in_day_then_receive_time_then_id_order(filled: Any, records: list[Record]):
    found = list(filled.responses(SURVEY, "2024-01-01", "2024-12-31"))
    expected = sorted((r.response for r in records), key=lambda r: (r["day"], r["received_at"], r["id"]))
    assert found == expected  # every field comes back exactly as it was stored
    assert [r["id"] for r in filled.responses(SURVEY, "2024-03-30", "2024-03-31")] == [
        "resp-0004",
        "resp-0005",
        "resp-0006",
        "resp-0007",
        "resp-0008",
    ]


def test_responses_are_streamed_page_by_page(filled: Any):
    stream = filled.responses(SURVEY, "2024-01-01", "2024-12-31")
    assert isinstance(stream, Iterator) and not isinstance(stream, list | tuple)
    assert next(stream)["id"] == "resp-0001"  # the stores read 7 per page here: 12 need several pages
    assert len(list(stream)) == len(ANSWERS) - 1


def test_texts_are_the_responses_with_a_story_or_comment_in_day_order(filled: Any):
    everything = list(filled.responses(SURVEY, "2024-01-01", "2024-12-31"))
    assert list(filled.texts(SURVEY, "2024-01-01", "2024-12-31")) == [
        r for r in everything if r["what"] or r["comment"]
    ]  # every field, exactly as `responses` gives it
    assert [r["id"] for r in filled.texts(SURVEY, "2024-03-30", "2024-03-31")] == [
        "resp-0004",
        "resp-0005",
        "resp-0008",
    ]  # 0006 and 0007 said nothing; 0009 came on 1 April in London
    assert list(filled.texts(SURVEY, "2024-04-04", "2024-12-31")) == []


def test_redacted_responses_have_no_texts_left(filled: Any):
    filled.redact(SURVEY, "2024-03-31", "2024-06-01T00:00:00Z")
    assert [r["id"] for r in filled.texts(SURVEY, "2024-01-01", "2024-12-31")] == [
        "resp-0008",
        "resp-0009",
        "resp-0011",
        "resp-0012",
    ]


@contextmanager
def reads(store: Any) -> Iterator[list[int]]:
    """Count what the engine reads from storage meanwhile: for DynamoDB the items its calls return (Query,
    GetItem, BatchGetItem, through a wrapping client); for SQLite the steps of its virtual machine (a
    progress handler on the pooled connection), which grow with every row or index entry visited."""
    read = [0]
    if isinstance(store, SqliteStore):

        def step() -> int:
            read[0] += 1
            return 0  # go on

        with store._connection() as conn:  # the one pooled connection the store's calls then use
            conn.set_progress_handler(step, 1)
        try:
            yield read
        finally:
            with store._connection() as conn:
                conn.set_progress_handler(None, 1)
        return
    real = store.client

    class Counting:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def query(self, **params: Any) -> Any:
            page = real.query(**params)
            read[0] += len(page.get("Items", []))
            return page

        def get_item(self, **params: Any) -> Any:
            found = real.get_item(**params)
            read[0] += "Item" in found
            return found

        def batch_get_item(self, **params: Any) -> Any:
            page = real.batch_get_item(**params)
            read[0] += sum(len(items) for items in page.get("Responses", {}).values())
            return page

    store._client = Counting()
    try:
        yield read
    finally:
        store._client = real


def test_reading_the_texts_never_reads_the_answers_without_words(
    store: Any, definition: Definition, make_record: MakeRecord
):
    store.publish(definition.to_json())
    for i, words in enumerate(({"comment": "Too loud"}, {"what": "Carried my tray"}, {"comment": "Cold"})):
        store.put(make_record(f"2024-03-{10 + i}T09:00:00Z", id=f"said-000{i}", location="quay", wow="yes",
                              staff="maya", people=4, **words))  # fmt: skip

    def read_texts() -> tuple[list[str], int]:
        with reads(store) as read:
            found = [r["id"] for r in store.texts(SURVEY, "2024-03-01", "2024-03-31")]
        return found, read[0]

    read_texts()  # SQLite prepares its statement once
    few = read_texts()
    for i in range(60):  # the same days and place, no words: a busy month
        store.put(make_record(f"2024-03-{10 + i % 3}T{10 + i // 6:02d}:{i % 6}0:00Z", id=f"quiet-{i:04d}",
                              location="quay", wow="yes", staff="maya", people=5))  # fmt: skip
    assert read_texts() == few and few[0] == ["said-0000", "said-0001", "said-0002"]
    with reads(store) as read:
        assert len(list(store.responses(SURVEY, "2024-03-01", "2024-03-31"))) == 63
    assert read[0] > few[1]  # the counter sees reads: the responses' read grows with the answers


def test_get_returns_the_stored_response_or_none(filled: Any, records: list[Record]):
    assert filled.get(SURVEY, "resp-0005") == records[4].response
    assert filled.get(SURVEY, "no-such-response") is None


def test_stories_are_newest_first_limited_and_about_that_staff_member(filled: Any):
    maya = filled.stories(SURVEY, "maya", 10)
    assert [s["what"] for s in maya] == [
        "Stayed open five minutes for me",
        "Knew my name",
        "Remembered my usual order",
    ]
    assert [s["id"] for s in filled.stories(SURVEY, "maya", 2)] == ["resp-0009", "resp-0008"]
    assert [s["id"] for s in filled.stories(SURVEY, "priya", 5)] == ["resp-0005", "resp-0004"]
    assert filled.stories(SURVEY, "_", 5) == []  # recognised without a story
    assert filled.stories(SURVEY, "maya", 0) == []
    assert filled.stories(SURVEY, "nobody", 3) == []


def test_followups_are_newest_first_and_open_ones_by_default(filled: Any):
    open_ones = filled.followups(SURVEY)
    assert [f["id"] for f in open_ones] == ["resp-0011", "resp-0008", "resp-0005", "resp-0003"]
    assert open_ones[2]["contact"] == "07700 900123" and open_ones[2]["comment"] == "Call me back"
    assert all(f["done_at"] is None for f in open_ones)


def test_closing_a_followup_twice_counts_it_once(filled: Any):
    assert (
        filled.close_followup(SURVEY, "resp-0005", "2024-04-04T09:00:00Z", "Called, she was delighted")
        is True
    )
    assert filled.close_followup(SURVEY, "resp-0005", "2024-04-05T09:00:00Z", "again") is False
    assert [f["id"] for f in filled.followups(SURVEY)] == ["resp-0011", "resp-0008", "resp-0003"]
    everything = filled.followups(SURVEY, include_done=True)
    assert [f["id"] for f in everything] == ["resp-0011", "resp-0008", "resp-0005", "resp-0003"]
    closed = filled.get(SURVEY, "resp-0005")
    assert closed["done_at"] == "2024-04-04T09:00:00Z" and closed["note"] == "Called, she was delighted"
    day = counts(filled)[("2024-03-30", "quay")]
    assert day["followups"] == 1 and day["followups_done"] == 1
    assert counts(filled) == recount(filled)


def test_closing_what_asked_for_no_followup_changes_nothing(filled: Any):
    before = counts(filled)
    assert filled.close_followup(SURVEY, "resp-0001", "2024-04-04T09:00:00Z", None) is False
    assert filled.close_followup(SURVEY, "no-such-response", "2024-04-04T09:00:00Z", None) is False
    assert filled.get(SURVEY, "resp-0001")["done_at"] is None
    assert counts(filled) == before


# --- changes the owner makes --------------------------------------------------------------------------------


def test_delete_removes_the_response_and_subtracts_its_counts(filled: Any):
    filled.close_followup(SURVEY, "resp-0011", "2024-04-04T09:00:00Z", "done")
    assert counts(filled)[("2024-04-02", "quay")]["followups_done"] == 1
    assert filled.delete(SURVEY, "resp-0011") is True
    assert filled.get(SURVEY, "resp-0011") is None
    assert ("2024-04-02", "quay") not in counts(filled)  # its only response: the whole row is gone
    assert filled.delete(SURVEY, "resp-0011") is False
    assert filled.delete(SURVEY, "resp-0001") is True
    assert counts(filled)[("2024-03-29", "quay")] == {
        "n": 1,
        "lang:en": 1,
        "wow_no": 1,
        "people:3": 1,
        "comments": 1,
    }
    assert counts(filled) == recount(filled)
    assert "resp-0001" not in [s["id"] for s in filled.stories(SURVEY, "maya", 5)]
    assert "resp-0011" not in [f["id"] for f in filled.followups(SURVEY, include_done=True)]


def test_a_deleted_id_can_be_stored_again(filled: Any, records: list[Record]):
    assert filled.delete(SURVEY, "resp-0004") is True
    assert filled.put(records[3]) is True
    assert counts(filled) == recount(filled)


def test_redaction_removes_personal_fields_and_counts_stay_equal_to_a_recount(filled: Any):
    filled.close_followup(SURVEY, "resp-0003", "2024-04-01T09:00:00Z", "Rang Jo")
    before = counts(filled)
    assert filled.redact(SURVEY, "2024-03-31", "2024-06-01T00:00:00Z") == 5  # 0001-0005 hold words; 0006 none
    assert filled.redact(SURVEY, "2024-03-31", "2024-06-02T00:00:00Z") == 0
    written = {rid: fields for _, fields in ANSWERS for rid in [fields["id"]]}
    for rid in ("resp-0001", "resp-0002", "resp-0003", "resp-0004", "resp-0005"):
        response = filled.get(SURVEY, rid)
        words = [written[rid].get(name) for name in ("what", "comment", "contact")] + ["Rang Jo"]
        left = [word for word in words if word and any(word in str(value) for value in response.values())]
        assert left == [], rid  # nothing the customer or the owner wrote survives
        assert response["redacted_at"] == "2024-06-01T00:00:00Z", rid
    assert filled.get(SURVEY, "resp-0006")["redacted_at"] is None  # had nothing personal to remove
    kept = filled.get(SURVEY, "resp-0005")
    assert (kept["has_story"], kept["has_comment"], kept["followup"], kept["staff"]) == (
        True,
        True,
        True,
        "priya",
    )
    assert filled.get(SURVEY, "resp-0008")["contact"] == "sam@example.org"  # on or after the day: untouched
    assert counts(filled) == before == recount(filled)
    assert [s["id"] for s in filled.stories(SURVEY, "maya", 5)] == ["resp-0009", "resp-0008"]
    followups = {f["id"]: f for f in filled.followups(SURVEY, include_done=True)}
    assert (
        followups["resp-0005"]["contact"] is None and followups["resp-0008"]["contact"] == "sam@example.org"
    )


def test_a_redacted_followup_can_still_be_closed_but_keeps_no_note(filled: Any):
    filled.redact(SURVEY, "2024-03-31", "2024-06-01T00:00:00Z")
    assert filled.close_followup(SURVEY, "resp-0005", "2024-06-02T00:00:00Z", "Called") is True
    closed = filled.get(SURVEY, "resp-0005")
    assert closed["done_at"] == "2024-06-02T00:00:00Z" and closed["note"] is None
    assert counts(filled) == recount(filled)


def test_replace_tallies_writes_the_recount_back(filled: Any):
    right = recount_by_shard(filled, "2024-03-29", "2024-03-31")
    (day, location, shard), fields = next(iter(right.items()))
    drifted = {**right, (day, location, shard): {**fields, "n": fields["n"] + 5}}
    drifted[("2024-03-30", "nowhere", 0)] = {"n": 3}
    filled.replace_tallies(SURVEY, "2024-03-29", "2024-03-31", drifted)
    assert counts(filled) != recount(filled)
    assert counts(filled)[("2024-03-30", "nowhere")] == {"n": 3}
    filled.replace_tallies(SURVEY, "2024-03-29", "2024-03-31", right)
    assert counts(filled) == recount(filled)
    assert ("2024-03-30", "nowhere") not in counts(filled)
    assert counts(filled, "2024-04-01", "2024-04-03") == recount(filled, "2024-04-01", "2024-04-03")


def test_replace_tallies_refuses_a_recount_outside_its_range(filled: Any):
    with pytest.raises(ValueError, match="outside"):
        filled.replace_tallies(SURVEY, "2024-03-29", "2024-03-31", {("2024-04-01", "quay", 0): {"n": 1}})
    assert counts(filled) == recount(filled)


# --- definitions and surveys --------------------------------------------------------------------------------


def test_every_published_version_is_kept_and_the_latest_is_returned(store: Any, definition: Definition):
    first = definition.to_json()
    second = {**first, "version": "abcdef123456", "staff": first["staff"][:2]}
    assert store.definition(SURVEY) is None
    assert store.publish(first) is True
    assert store.publish(second) is True
    assert store.definition(SURVEY) == second
    assert store.definition(SURVEY, first["version"]) == first
    assert store.definition(SURVEY, second["version"]) == second
    assert store.definition(SURVEY, "000000000000") is None
    assert store.definition("another-survey") is None


def test_publishing_an_older_version_again_makes_it_the_latest_again(store: Any, definition: Definition):
    first = definition.to_json()
    second = {**first, "version": "abcdef123456", "staff": first["staff"][:2]}
    other = {**first, "survey": "harbour-two"}
    assert store.publish(first) is True
    assert store.publish(other) is True
    assert store.publish(second) is True
    assert store.publish(first) is False  # survey.toml reverted: that version was already published
    assert store.definition(SURVEY) == first
    assert store.publish(first) is False  # again: nothing to change
    assert store.definition(SURVEY) == first
    assert store.publish(second) is False  # and forward again
    assert store.definition(SURVEY) == second
    assert store.definition(SURVEY, first["version"]) == first  # every version is still kept
    assert store.definition("harbour-two") == other  # another survey's latest is its own


def test_a_weeks_digest_is_claimed_once_and_queued_in_the_outbox_with_the_claim(
    store: Any, definition: Definition
):
    store.publish(definition.to_json())

    assert store.claim_digest(SURVEY, "2024-W13", 1000.0) is True
    assert store.claim_digest(SURVEY, "2024-W13", 2000.0) is False  # another sender, or a restart
    assert store.claim_digest(SURVEY, "2024-W14", 3000.0, queue=False) is True  # `wowcard digest` posted it
    assert store.claim_digest("other", "2024-W13", 1000.0) is True  # each survey its own

    (queued,) = store.due_alerts(SURVEY, 5000.0, 10)
    assert (queued.response_id, queued.reasons, queued.due) == ("digest:2024-W13", ("digest",), 1000.0)
    claimed = store.claim_alert(queued, 5000.0, 120)
    assert store.alert_sent(claimed) is True
    assert store.claim_digest(SURVEY, "2024-W13", 6000.0) is False  # sent and gone: still claimed


def test_every_published_version_is_listed_oldest_first_and_the_latest_last(
    store: Any, definition: Definition
):
    first = definition.to_json()
    second = {**first, "version": "abcdef123456", "staff": first["staff"][:2]}
    third = {**first, "version": "fedcba654321", "staff": first["staff"][:1]}
    assert store.definitions(SURVEY) == []
    for body in (first, second, third):
        store.publish(body)
    store.publish({**first, "survey": "harbour-two"})
    assert store.definitions(SURVEY) == [first, second, third]
    store.publish(first)  # survey.toml reverted: the first version is the latest again
    assert store.definitions(SURVEY) == [second, third, first]


def test_two_surveys_never_see_each_others_data(store: Any, definition: Definition, make_record: MakeRecord):
    other = dataclasses.replace(definition, survey="harbour-two")
    store.publish(definition.to_json())
    store.publish(other.to_json())
    ours = make_record("2024-03-29T08:00:00Z", id="shared-id-1", location="quay", wow="yes", staff="maya",
                       what="Ours", contact="a@example.com", consent="yes")  # fmt: skip
    theirs = make_record(
        "2024-03-29T09:00:00Z", other, id="shared-id-1", location="mill", wow="no", comment="x"
    )
    assert store.put(ours) is True
    assert store.put(theirs) is True  # the same id in another survey is another response
    assert store.get(SURVEY, "shared-id-1")["what"] == "Ours"
    assert store.get("harbour-two", "shared-id-1")["comment"] == "x"
    assert set(counts(store)) == {("2024-03-29", "quay")}
    assert [r["id"] for r in store.responses("harbour-two", "2024-01-01", "2024-12-31")] == ["shared-id-1"]
    assert store.followups("harbour-two") == [] and store.stories("harbour-two", "maya", 5) == []
    assert store.delete("harbour-two", "shared-id-1") is True
    assert store.get(SURVEY, "shared-id-1") is not None and counts(store) == recount(store)
    assert store.redact("harbour-two", "2099-01-01", "2024-06-01T00:00:00Z") == 0
    assert store.get(SURVEY, "shared-id-1")["contact"] == "a@example.com"


# --- engine specifics ---------------------------------------------------------------------------------------


def test_sqlite_keeps_every_answer_from_sixteen_threads_once(
    sqlite_store: SqliteStore, make_record: MakeRecord
):
    records = [
        make_record(f"2024-03-{1 + i % 28:02d}T{8 + i % 10:02d}:{i % 60:02d}:00Z", id=f"thread-{i:05d}",
                    location=("quay", "mill")[i % 2], wow=("yes", "no", None)[i % 3], people=1 + i % 5)
        for i in range(400)
    ]  # fmt: skip
    stored: list[bool] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        mine = [records[(n * 25 + j) % len(records)] for j in range(50)]  # every id is sent twice
        for record in mine:
            outcome = sqlite_store.put(record)
            with lock:
                stored.append(outcome)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(stored) == 800 and stored.count(True) == 400
    ids = [r["id"] for r in sqlite_store.responses(SURVEY, "2024-03-01", "2024-03-31")]
    assert sorted(ids) == sorted(r.id for r in records)
    assert counts(sqlite_store) == recount(sqlite_store)
    assert sum(row["n"] for row in counts(sqlite_store).values()) == 400


def test_sqlite_creates_its_folder_and_file_on_first_use(tmp_path: Path, definition: Definition):
    store = open_store("sqlite:.wowcard/responses.db", tmp_path)
    assert isinstance(store, SqliteStore) and not (tmp_path / ".wowcard").exists()
    store.publish(definition.to_json())
    store.close()
    assert (tmp_path / ".wowcard" / "responses.db").is_file()
    reopened = open_store(f"sqlite:{tmp_path / '.wowcard' / 'responses.db'}")
    assert reopened.definition(SURVEY) == definition.to_json()
    reopened.close()


def test_sqlite_readers_walk_indexes_not_the_whole_table(sqlite_store: SqliteStore, definition: Definition):
    sqlite_store.publish(definition.to_json())
    queries = {
        "tallies": "SELECT day, location, field, SUM(count) FROM tallies WHERE survey = 'h' "
        "AND day BETWEEN '2024-01-01' AND '2024-12-31' GROUP BY day, location, field",
        "responses": "SELECT * FROM responses WHERE survey = 'h' "
        "AND (day, received_at, id) > ('2024', '', '') AND day <= '2024-12-31' "
        "ORDER BY day, received_at, id LIMIT 7",
        "stories": "SELECT * FROM responses WHERE survey = 'h' AND staff = 'maya' AND has_story = 1 "
        "AND what IS NOT NULL ORDER BY received_at DESC, id DESC LIMIT 5",
        "followups": "SELECT * FROM responses WHERE survey = 'h' AND followup = 1 ORDER BY received_at DESC",
        "redaction": f"SELECT id FROM responses WHERE survey = 'h' AND day < '2024-01-01' "
        f"AND redacted_at IS NULL AND ({HOLDS_PERSONAL})",
        "texts": "SELECT * FROM responses WHERE survey = 'h' "
        "AND (day, received_at, id) > ('2024', '', '') AND day <= '2024-12-31' "
        f"AND ({HOLDS_TEXT}) ORDER BY day, received_at, id LIMIT 7",
    }
    with sqlite_store._connection() as conn:
        for name, sql in queries.items():
            plan = " ".join(row[-1] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
            assert plan.startswith("SEARCH") and "SCAN" not in plan, (name, plan)
    with (
        sqlite_store._connection() as conn
    ):  # a page of an export seeks to its cursor, never re-reads the start
        plan = " ".join(row[-1] for row in conn.execute(f"EXPLAIN QUERY PLAN {queries['responses']}"))
        assert "(day,received_at,id)>(?,?,?)" in plan
        # a report's texts walk the index of rows with words only: the answers without are never visited
        plan = " ".join(row[-1] for row in conn.execute(f"EXPLAIN QUERY PLAN {queries['texts']}"))
        assert "USING INDEX responses_texts" in plan, plan


def test_sqlite_uses_wal_and_full_sync(sqlite_store: SqliteStore, definition: Definition):
    sqlite_store.publish(definition.to_json())
    with sqlite_store._connection() as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_open_store_names_a_dynamodb_table_and_rejects_other_urls():
    store = open_store("dynamodb:wowcard-prod", region="eu-west-1", endpoint_url="http://127.0.0.1:1")
    assert isinstance(store, DynamoStore) and store.table == "wowcard-prod"
    for url in ("postgres://x", "sqlite:", "dynamodb:", "responses.db", "sqlite::memory:"):
        with pytest.raises(StoreError, match="is not a store"):
            open_store(url)


def test_the_dynamodb_engine_imports_no_boto3_until_it_is_used():
    code = (
        "import sys\n"
        "from wowcard.collector.store import open_store\n"
        "store = open_store('dynamodb:t', region='eu-west-1')\n"
        "assert 'boto3' not in sys.modules and 'botocore' not in sys.modules, 'imported too early'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_the_table_is_on_demand_with_the_indexes_readers_query(dynamodb_store: DynamoStore):
    definition = table_definition("wowcard-x")
    assert definition["TableName"] == "wowcard-x" and definition["BillingMode"] == "PAY_PER_REQUEST"
    assert [k["AttributeName"] for k in definition["KeySchema"]] == ["pk", "sk"]
    indexes = {i["IndexName"] for i in definition["GlobalSecondaryIndexes"]}
    assert indexes == {"by_day", "followups", "stories", "retention"}
    declared = {a["AttributeName"] for a in definition["AttributeDefinitions"]}
    used = {k["AttributeName"] for i in definition["GlobalSecondaryIndexes"] for k in i["KeySchema"]}
    assert declared == used | {"pk", "sk"}
    client = boto3.client("dynamodb", region_name=REGION)
    ttl = client.describe_time_to_live(TableName="wowcard-test")["TimeToLiveDescription"]
    assert ttl["TimeToLiveStatus"] == "ENABLED" and ttl["AttributeName"] == TTL_ATTRIBUTE


def test_dynamodb_personal_fields_expire_with_the_survey_retention(
    dynamodb_store: DynamoStore, definition: Definition, make_record: MakeRecord
):
    dynamodb_store.publish(definition.to_json())
    record = make_record("2024-03-29T12:00:00Z", id="ttl-answer", location="quay", wow="yes", staff="maya",
                         what="Lovely", contact="x@example.com", consent="yes")  # fmt: skip
    dynamodb_store.put(record)
    client = boto3.client("dynamodb", region_name=REGION)
    item = client.get_item(
        TableName="wowcard-test", Key={"pk": {"S": "RESP#harbour#ttl-answer"}, "sk": {"S": "PERSONAL"}}
    )
    expires = datetime(2024, 3, 29, 12, tzinfo=UTC).timestamp() + definition.retention_days * 86400
    assert int(item["Item"][TTL_ATTRIBUTE]["N"]) == int(expires)
    assert "contact" not in client.get_item(
        TableName="wowcard-test", Key={"pk": {"S": "RESP#harbour#ttl-answer"}, "sk": {"S": "RESP"}}
    )["Item"]  # fmt: skip
    dynamodb_store.clock = lambda: expires + 1  # past retention, before DynamoDB's sweep has run
    expired = dynamodb_store.get(SURVEY, "ttl-answer")
    assert expired["contact"] is None and expired["what"] is None
    assert expired["redacted_at"] == datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert dynamodb_store.stories(SURVEY, "maya", 5) == []
    assert list(dynamodb_store.texts(SURVEY, "2024-01-01", "2024-12-31")) == []
    client.delete_item(
        TableName="wowcard-test", Key={"pk": {"S": "RESP#harbour#ttl-answer"}, "sk": {"S": "PERSONAL"}}
    )
    assert (
        dynamodb_store.get(SURVEY, "ttl-answer")["redacted_at"] == expired["redacted_at"]
    )  # after the sweep
    assert counts(dynamodb_store) == recount(dynamodb_store) == {("2024-03-29", "quay"): record.increments}


def test_dynamodb_exports_read_one_index_query_per_shard(
    dynamodb_store: DynamoStore, definition: Definition, records: list[Record]
):
    dynamodb_store.publish(definition.to_json())
    for record in records:
        dynamodb_store.put(record)
    calls: list[dict[str, Any]] = []
    real = dynamodb_store.client

    class Counting:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def query(self, **params: Any) -> Any:
            calls.append(params)
            return real.query(**params)

    dynamodb_store._client = Counting()
    dynamodb_store.page_size = None
    assert len(list(dynamodb_store.responses(SURVEY, "2024-01-01", "2024-12-31"))) == len(ANSWERS)
    by_day = [c for c in calls if c.get("IndexName") == INDEX_BY_DAY]
    assert len(by_day) == 4  # K = 4 shards, whatever the number of days
    calls.clear()
    dynamodb_store.tallies(SURVEY, "2024-01-01", "2024-12-31")
    assert len(calls) == 4
