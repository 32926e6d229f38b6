"""Takes docs/report.png: the HTML report of the example survey (`wowcard init`, plus a third location and a
person with a long name) after eight weeks of believable answers, as of Wednesday 2026-03-18 (so the last
week is still running), in Debian's Chromium.

Run: .venv/bin/python docs/report_screenshot.py [FOLDER]
FOLDER (default: a temporary one) keeps the survey and its SQLite store, so the command lines of
docs/results.md can be run against the same answers:
    wowcard results -s FOLDER/survey.toml --since 2026-01-26 --until 2026-03-18
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import sync_playwright

from wowcard import report, report_formats, scaffold
from wowcard.collector import answers
from wowcard.collector import survey as survey_model
from wowcard.collector.store import open_store

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
import chromium  # noqa: E402 - the tests' launcher: Debian's Chromium, never a downloaded one

NOW = datetime(2026, 3, 18, 19, 0, tzinfo=UTC)  # Wednesday afternoon in New York
FIRST = date(2026, 1, 26)  # the Monday 7 weeks before NOW's week
MORE = """
[[locations]]
id = "riverside"
name = "Riverside Kiosk"

[[staff]]
id = "maria"
name = "Maria-Fernanda Oyelaran-Whitcombe"
location = "riverside"
"""
STORIES = [
    "Trued my wheel while I waited and showed me how to do it myself.",
    "Stayed after closing so I could pick up my bike for the race.",
    "Lent me a pump and would not take any money for it.",
    "Fitted a child seat in ten minutes and checked the straps twice.",
    "Remembered my name and my bike from last summer.",
    "Talked me out of an expensive part I did not need.",
]
COMMENTS_LOW = [
    "Waited 40 minutes for a puncture repair, nobody said why.",
    "The rental bike had a squeaking brake & the seat would not stay up.",
    "Nadie hablaba español en la tienda.",
    "Card machine was down and there was no sign saying so.",
]
COMMENTS_HIGH = ["Great coffee corner while you wait!", "Fair price, quick job.", "Will be back next week."]


def fill(store, definition: survey_model.Definition, seed: int = 15) -> int:
    """Eight weeks of answers, the wow rate climbing, a few unhappy customers who want a call back."""
    rng = random.Random(seed)
    zone = ZoneInfo(definition.time_zone)
    count = 0
    for week in range(8):
        per_week = rng.randint(6, 11) if week < 7 else 5
        for i in range(per_week):
            day = FIRST + timedelta(weeks=week, days=rng.randrange(7 if week < 7 else 3))
            local = datetime.combine(day, time(rng.randint(9, 17), rng.randrange(60)), tzinfo=zone)
            at = local.astimezone(UTC)
            location = rng.choices(["harbour-road", "station", "riverside"], [5, 4, 2])[0]
            body = {"id": f"demo-{week}-{i:02d}", "v": definition.version, "location": location}
            body["lang"] = "es" if rng.random() < 0.15 else "en"
            body["src"] = rng.choice(["card", "card", "receipt", "sign"]) if rng.random() < 0.8 else None
            wow = "yes" if rng.random() < 0.45 + week * 0.04 else "no"
            body["wow"] = wow
            if wow == "yes":
                here = sorted(definition.staff_ids_at(location))
                body["staff"] = rng.choice([*here, *here, "_"])
                if rng.random() < 0.6:
                    body["what"] = rng.choice(STORIES)
            low = wow == "no" and rng.random() < 0.5
            for rating in ("people", "process", "product"):
                if rng.random() < 0.8:
                    body[rating] = rng.randint(1, 3) if low else rng.randint(3, 5)
            body["promises"] = [p.id for p in definition.promises if rng.random() < 0.3]
            if low and rng.random() < 0.6:
                body["comment"] = rng.choice(COMMENTS_LOW)
                if "español" in body["comment"]:
                    body["lang"] = "es"
                if rng.random() < 0.6:
                    body["contact"], body["consent"] = f"customer{count}@example.com", "yes"
            elif rng.random() < 0.1:
                body["comment"] = rng.choice(COMMENTS_HIGH)
            body = {k: v for k, v in body.items() if v not in (None, [])}
            submission = answers.decode(json.dumps(body).encode(), "application/json")
            assert store.put(answers.record(submission, definition, min(at, NOW), "", ""))
            count += 1
    return count


def main() -> None:
    keep = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    with tempfile.TemporaryDirectory() as scratch:
        folder = keep or Path(scratch)
        scaffold.init(folder, force=True)
        toml = folder / "survey.toml"
        toml.write_text(toml.read_text(encoding="utf-8") + MORE, encoding="utf-8")
        survey = survey_model.load(toml)
        definition = survey.definition()
        store = open_store(survey.store, survey.folder)
        store.publish(definition.to_json())
        answered = fill(store, definition)
        period = report.Period(FIRST, NOW.astimezone(ZoneInfo(definition.time_zone)).date())
        data = report.gather(store, definition, period, by="location", now=NOW)
        store.close()
        page = folder / "report.html"
        page.write_text(report_formats.render(data, "html"), encoding="utf-8")
        with sync_playwright() as playwright:
            browser = chromium.launch(playwright)
            tab = browser.new_page(viewport={"width": 900, "height": 1200})
            tab.goto(page.as_uri())
            tab.screenshot(path=str(HERE / "report.png"), full_page=True)
            browser.close()
    print(f"{answered} answers; {HERE / 'report.png'}")


if __name__ == "__main__":
    main()
