"""Fair recognition, decided when an answer is stored: past the limit (the same staff member from one device
more than twice a day), a recognition is stored and counted in the totals but flagged, so the leaderboard can
leave it out and `wowcard verify` still agrees. A shop's Wi-Fi (many phones, one address) is never flagged by
that alone, and nothing that identifies a phone is kept."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fairness.conftest import IPHONE, SHOP_WIFI, Collector, sqlite_collector_of

from wowcard.__main__ import cli
from wowcard.collector import survey as survey_model

DEVICE = "a1b2c3d4e5f60718293a4b5c6d7e8f90"


def with_fairness(survey_file: Path, setting: str) -> survey_model.Definition:
    """The example survey with one [fairness] setting added to its survey.toml, compiled."""
    text = survey_file.read_text(encoding="utf-8")
    survey_file.write_text(f"{text}\n[fairness]\n{setting}\n", encoding="utf-8")
    return survey_model.load(survey_file).definition()


def flagged(collector: Collector) -> list[bool]:
    return [r["flagged"] for r in sorted(collector.responses(), key=lambda r: r["received_at"])]


def test_30_recognitions_from_one_device_in_ten_minutes_are_flagged_beyond_the_limit(
    collector: Collector,
) -> None:
    for i in range(30):
        reply = collector.post(id=f"resp-self{i:04d}", device=DEVICE, staff="tom")
        assert reply.status == 201
        collector.clock.advance(seconds=20)

    assert flagged(collector) == [False, False] + [True] * 28
    totals = collector.totals()
    assert (totals["n"], totals["wow_yes"], totals["staff:tom"], totals["flagged:tom"]) == (30, 30, 30, 28)
    assert collector.drift() == []  # `wowcard verify` recounts the same numbers


def test_30_phones_behind_one_shop_wifi_naming_the_team_are_never_flagged(collector: Collector) -> None:
    team = ("maya", "tom", "priya")  # everyone at Quay Street
    for i in range(30):
        staff = team[i % 3]
        collector.post(id=f"resp-wifi{i:04d}", device=f"phone-{i:04d}-token", client=SHOP_WIFI, staff=staff)
        collector.clock.advance(seconds=20)

    assert flagged(collector) == [False] * 30
    totals = collector.totals()
    assert not [name for name in totals if name.startswith("flagged:")]
    assert (totals["staff:maya"], totals["staff:tom"], totals["staff:priya"]) == (10, 10, 10)


def test_a_new_device_token_for_every_self_vote_is_caught_by_the_network_address(
    collector: Collector,
) -> None:
    for i in range(30):
        reply = collector.post(id=f"resp-fresh{i:04d}", device=f"fresh-token-{i:04d}", staff="tom")
        assert reply.status == 201
        collector.clock.advance(seconds=20)

    assert flagged(collector) == [False] * 10 + [True] * 20  # same_staff_per_address_per_day = 10
    assert collector.totals()["flagged:tom"] == 20
    assert collector.drift() == []


def test_a_different_user_agent_on_every_form_post_is_caught_by_the_network_address(
    collector: Collector,
) -> None:
    for i in range(14):
        agent = f"Mozilla/5.0 (iPhone; CPU iPhone OS 17_{i} like Mac OS X) Mobile/{i}"
        assert collector.post_form(what=f"Self vote {i}", user_agent=agent).status == 303
        collector.clock.advance(seconds=20)

    assert flagged(collector) == [False] * 10 + [True] * 4
    assert collector.totals()["flagged:maya"] == 4
    assert collector.drift() == []


def test_an_ipv6_phone_moving_inside_its_network_is_still_one_address(collector: Collector) -> None:
    for i in range(12):
        client = f"2001:db8:5:7:{i:x}:1:2:3"  # privacy addresses: one /64, a new address each time
        collector.post(id=f"resp-six{i:05d}", device=f"fresh-token-{i:04d}", client=client, staff="tom")
        collector.clock.advance(seconds=20)
    collector.post(id="resp-other-net", device="fresh-token-99", client="2001:db8:5:8::1", staff="tom")

    assert flagged(collector) == [False] * 10 + [True] * 2 + [False]


def test_a_counter_kiosk_is_one_device_for_many_customers_and_counts_only_against_its_network(
    collector: Collector,
) -> None:
    for i in range(12):  # customers at the counter tablet, one after another, all naming Tom
        reply = collector.post(id=f"resp-kiosk{i:04d}", device="kiosk-tablet-0001", src="kiosk", staff="tom")
        assert reply.status == 201
        collector.clock.advance(minutes=5)

    assert flagged(collector) == [False] * 10 + [True] * 2


def test_the_address_limit_is_set_in_survey_toml_for_a_busy_shop(
    survey_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    definition = with_fairness(survey_file, "same_staff_per_address_per_day = 40")
    assert (definition.recognition_limit, definition.address_limit) == (2, 40)
    with sqlite_collector_of(definition, tmp_path, monkeypatch) as collector:
        for i in range(30):  # the one barista, named by 30 customers on the shop's Wi-Fi
            collector.post(id=f"resp-busy{i:04d}", device=f"phone-{i:04d}-token", staff="tom")
            collector.clock.advance(seconds=20)
        assert flagged(collector) == [False] * 30


def test_the_limit_counts_each_staff_member_and_each_day_apart(collector: Collector) -> None:
    for staff in ("maya", "tom", "maya", "tom", "maya", "tom"):
        collector.post(id=f"resp-{staff}{collector.clock.now:%H%M%S}", device=DEVICE, staff=staff)
        collector.clock.advance(seconds=30)
    collector.clock.advance(days=1)
    collector.post(id="resp-nextday01", device=DEVICE, staff="maya")

    totals = collector.totals()
    assert (totals["flagged:maya"], totals["flagged:tom"]) == (1, 1)
    assert totals["staff:maya"] == 4
    assert flagged(collector)[-1] is False  # a new day, a new count
    assert collector.drift() == []


def test_a_duplicate_answer_is_not_counted_against_the_device(collector: Collector) -> None:
    for _ in range(5):
        collector.post(id="resp-again0001", device=DEVICE)  # the page's queue sent it five times
    collector.post(id="resp-again0002", device=DEVICE)
    collector.post(id="resp-again0003", device=DEVICE)

    assert flagged(collector) == [False, False, True]


def test_answers_that_recognise_nobody_are_never_flagged(collector: Collector) -> None:
    for i in range(4):
        collector.post(id=f"resp-unnamed{i:02d}", device=DEVICE, staff="_")
        collector.post(id=f"resp-nowow{i:04d}", device=DEVICE, wow="no", staff="maya")
        collector.post(id=f"resp-skip{i:04d}", device=DEVICE, wow=None, staff=None)

    assert not any(flagged(collector))


def test_without_javascript_the_address_and_browser_stand_in_for_the_device(
    sqlite_collector: Collector,
) -> None:
    android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/124.0 Mobile Safari/537.36"
    for i in range(4):
        assert sqlite_collector.post_form(what=f"Story number {i}", user_agent=IPHONE).status == 303
        sqlite_collector.clock.advance(seconds=30)
    for i in range(2):
        sqlite_collector.post_form(what=f"Another story {i}", user_agent=android)
        sqlite_collector.post_form(what=f"From elsewhere {i}", client="198.51.100.23", user_agent=IPHONE)
        sqlite_collector.clock.advance(seconds=30)

    by_browser = {
        (r["what"].split()[0], r["flagged"]) for r in sqlite_collector.responses() if r["what"] is not None
    }
    assert by_browser == {("Story", False), ("Story", True), ("Another", False), ("From", False)}
    assert sqlite_collector.totals()["flagged:maya"] == 2


def test_simultaneous_recognitions_from_one_device_are_still_flagged_exactly(
    sqlite_collector: Collector,
) -> None:
    barrier = threading.Barrier(10)

    def post(i: int) -> None:
        barrier.wait()
        for j in range(3):
            sqlite_collector.post(id=f"resp-race{i:02d}{j}", device=DEVICE)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(flagged(sqlite_collector)) == [False] * 2 + [True] * 28
    assert sqlite_collector.drift() == []


def test_the_limit_is_set_in_survey_toml(
    survey_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    definition = with_fairness(survey_file, "same_staff_per_device_per_day = 5")
    assert definition.recognition_limit == 5
    with sqlite_collector_of(definition, tmp_path, monkeypatch) as collector:
        for i in range(7):
            collector.post(id=f"resp-five{i:04d}", device=DEVICE)
        assert flagged(collector) == [False] * 5 + [True] * 2


def test_the_limit_of_the_latest_published_survey_applies_to_pages_built_before_it(
    survey_file: Path, definition: survey_model.Definition, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stricter = with_fairness(survey_file, "same_staff_per_device_per_day = 1")
    with sqlite_collector_of(definition, tmp_path, monkeypatch) as collector:
        collector.store.publish(stricter.to_json())
        for i in range(3):
            collector.post(id=f"resp-old{i:05d}", device=DEVICE)  # the page still posts the old version
        assert flagged(collector) == [False, True, True]


def test_a_stricter_limit_published_while_collecting_applies_to_the_first_answer_of_the_new_pages(
    survey_file: Path, definition: survey_model.Definition, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with sqlite_collector_of(definition, tmp_path, monkeypatch) as collector:
        assert collector.post(id="resp-before001", device=DEVICE).status == 201  # the cache is warm
        stricter = with_fairness(survey_file, "same_staff_per_device_per_day = 1")
        collector.store.publish(stricter.to_json())  # `wowcard build` while serving
        reply = collector.post(id="resp-newpage01", device=DEVICE, v=stricter.version)
        assert reply.status == 201
        assert flagged(collector) == [False, True]


def test_nothing_that_identifies_a_phone_is_stored(sqlite_collector: Collector) -> None:
    database = Path(sqlite_collector.store.path)
    address, browser = "198.51.100.77", "Mozilla/5.0 (X11; Linux) FairnessProbe/1.0"
    for i in range(3):
        sqlite_collector.post(id=f"resp-priv{i:04d}", device=DEVICE, client=address, user_agent=browser)
        sqlite_collector.post_form(what=f"No script {i}", client=address, user_agent=browser)
        sqlite_collector.clock.advance(seconds=30)
    sqlite_collector.store.close()

    stored = b"".join(path.read_bytes() for path in database.parent.glob(f"{database.name}*"))
    for secret in (DEVICE, address, browser, "FairnessProbe"):
        assert secret.encode() not in stored
    with sqlite3.connect(database) as db:
        keys = [row[0] for row in db.execute("SELECT DISTINCT device FROM recognitions")]
    # the token's key, the key of address + browser (no JavaScript), the network's key
    assert len(keys) == 3 and all(len(key) == 32 for key in keys)


def test_counters_of_days_gone_by_are_removed(sqlite_collector: Collector) -> None:
    for day in range(5):
        sqlite_collector.post(id=f"resp-day{day:05d}", device=DEVICE)
        sqlite_collector.clock.advance(days=1)

    with sqlite3.connect(sqlite_collector.store.path) as db:
        days = sorted({row[0] for row in db.execute("SELECT day FROM recognitions")})
    assert days == ["2025-03-16", "2025-03-17", "2025-03-18"]


def test_results_leave_flagged_recognitions_off_the_leaderboard_and_list_them_apart(
    sqlite_collector: Collector, survey_file: Path
) -> None:
    for i in range(6):
        sqlite_collector.post(id=f"resp-self{i:04d}", device=DEVICE, staff="tom")
    sqlite_collector.post(id="resp-honest01", device="another-phone-01", staff="maya")
    store = f"sqlite:{Path(sqlite_collector.store.path)}"

    def run(*extra: str) -> Any:
        args = ["-s", str(survey_file), "--store", store, "--since", "2025-03-10", "--until", "2025-03-16"]
        result = CliRunner().invoke(cli, ["results", *args, *extra])
        assert result.exit_code == 0, result.output
        return result.stdout

    plain = json.loads(run("--format", "json"))
    included = json.loads(run("--format", "json", "--include-flagged"))
    tom = next(e for e in plain["staff"] if e["id"] == "tom")
    assert (tom["count"], tom["flagged"]) == (2, 4)
    assert next(e for e in included["staff"] if e["id"] == "tom")["count"] == 6
    assert plain["flagged_recognitions"] == [
        {
            "id": "tom",
            "name": "Tom",
            "location": "quay",
            "location_name": "Quay Street",
            "count": 4,
            "days": ["2025-03-14"],
        }
    ]
    assert plain["responses"] == 7  # every answer counts in the totals
    listed = run().split("Flagged recognitions (left off the leaderboard)")[1]
    assert listed.splitlines()[4].split() == ["Tom", "Quay", "Street", "4", "2025-03-14"]
