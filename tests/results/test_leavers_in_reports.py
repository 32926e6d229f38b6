"""Reports keep the name a person (or a location) had after they leave survey.toml: names are looked up in
every published definition version, on both stores."""

from __future__ import annotations

import json

TOM = '[[staff]]\nid = "tom"\nname = "Tom"\nlocation = "quay"\n'
CARDS = "date,location,wow,staff,what\n2026-11-02,quay,yes,tom,Fixed the grinder\n2026-11-03,mill,yes,sam,\n"


def test_a_person_who_left_keeps_their_name_in_reports(backend, tmp_path):
    cards = tmp_path / "cards.csv"
    cards.write_text(CARDS, encoding="utf-8")
    assert backend.run("import", str(cards)).exit_code == 0
    toml = backend.survey_file
    text = toml.read_text(encoding="utf-8")
    assert TOM in text
    toml.write_text(text.replace(TOM, ""), encoding="utf-8")  # Tom left; this version is not even published

    result = backend.run("results", "--since", "2026-11-01", "--until", "2026-11-30", "--format", "json")
    assert result.exit_code == 0, result.output
    leaders = {e["id"]: e["name"] for e in json.loads(result.stdout)["staff"] if e["count"]}
    assert leaders == {"tom": "Tom", "sam": "Sam"}
    table = backend.run("results", "--since", "2026-11-01", "--until", "2026-11-30")
    assert "Tom" in table.output and " tom " not in table.output
