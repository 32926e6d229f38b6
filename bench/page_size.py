"""Page weight of the example survey (`wowcard init`): raw and gzipped bytes per page kind, the largest page
of every language wowcard ships texts for (the example's own English and Spanish texts, plus the owner texts
below for the others: Chinese and Arabic weigh more per letter), and what the inlined assets weigh. Gzip is
level 9, as `gzip -9c` measures it. First, the page a printed card leads to in the example as `wowcard init`
writes it (English and Spanish), uncompressed, against a hand-written minimal accessible form with its own
offline queue (issue 16: at most 3x its bytes), and where its bytes go.
Run: .venv/bin/python bench/page_size.py"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from wowcard import build, i18n, scaffold
from wowcard.collector import survey as survey_model

FLOOR = 4_800  # bytes: the hand-written minimal accessible form with its own offline queue (issue 16)
MOST = 3  # times the floor, at most

# The example's owner texts (tagline, thank-you, three promises) in the languages it does not ship with.
MORE = {
    "tagline": {
        "fr": "Réparation, location et balades depuis 1998",
        "de": "Reparatur, Verleih und Touren seit 1998",
        "pt": "Consertos, aluguel e passeios desde 1998",
        "zh-Hans": "自1998年起提供维修、租赁和骑行活动",
        "ar": "إصلاح وتأجير ورحلات بالدراجات منذ 1998",
    },
    "thank_you": {
        "fr": "Merci ! Toute l’équipe lit chaque réponse.",
        "de": "Danke! Das ganze Team liest jede Antwort.",
        "pt": "Obrigado! Toda a equipe lê cada resposta.",
        "zh-Hans": "谢谢！我们整个团队都会阅读每一条回答。",
        "ar": "شكرًا! يقرأ فريقنا بأكمله كل إجابة.",
    },
    "Fixed my bike the same day": {
        "fr": "Vélo réparé le jour même",
        "de": "Mein Rad wurde am selben Tag repariert",
        "pt": "Consertaram a minha bicicleta no mesmo dia",
        "zh-Hans": "当天就修好了我的自行车",
        "ar": "أصلحوا دراجتي في اليوم نفسه",
    },
    "Honest advice, no upselling": {
        "fr": "Des conseils honnêtes, sans vente forcée",
        "de": "Ehrliche Beratung, nichts aufgeschwatzt",
        "pt": "Conselhos honestos, sem empurrar vendas",
        "zh-Hans": "建议实在，不强行推销",
        "ar": "نصائح صادقة بلا إلحاح على الشراء",
    },
    "Set the bike up just right for me": {
        "fr": "Vélo réglé parfaitement pour moi",
        "de": "Das Rad wurde perfekt auf mich eingestellt",
        "pt": "Ajustaram a bicicleta perfeitamente para mim",
        "zh-Hans": "把车调得正合我身",
        "ar": "ضبطوا الدراجة على مقاسي تمامًا",
    },
}


def in_every_language(survey_file: Path) -> None:
    """Give the example survey every shipped language, with its owner texts in each."""
    languages = ["en", "es", *MORE["tagline"]]
    assert set(languages) == set(i18n.available()), "a shipped language has no owner texts here"
    lines = []
    for line in survey_file.read_text(encoding="utf-8").splitlines():
        if line.startswith("languages = "):
            line = "languages = [" + ", ".join(f'"{lang}"' for lang in languages) + "]"
        lines.append(line)
        key, _, value = line.partition(".en = ")
        if value and not line.startswith("#"):
            texts = MORE.get(key) or MORE[value.strip('"')]
            lines += [f'{key}."{lang}" = "{text}"' for lang, text in texts.items()]
    survey_file.write_text("\n".join(lines) + "\n", encoding="utf-8")


def parts(page: bytes) -> dict[str, int]:
    """Where a page's bytes go: its inline style, script and logo, and the markup around them."""
    text = page.decode("utf-8")
    found = {
        "style": sum(len(m.encode()) for m in re.findall(r"<style>(.*?)</style>", text, re.S)),
        "script": sum(len(m.encode()) for m in re.findall(r"<script>(.*?)</script>", text, re.S)),
        "logo": sum(len(m.encode()) for m in re.findall(r"<svg.*?</svg>|<img [^>]*>", text, re.S)),
    }
    return {**found, "markup": len(page) - sum(found.values())}


def card_page() -> None:
    """The example survey's default page, as `wowcard init` writes it, against the hand-written floor."""
    with tempfile.TemporaryDirectory() as folder:
        scaffold.init(Path(folder))
        survey = survey_model.load(Path(folder) / "survey.toml")
        build.build_site(survey, out=Path(folder) / "site")
        location = survey.locations[0].id
        kinds = {"survey page": f"{location}/", "kiosk page": f"{location}/kiosk/", "thank-you": "thanks/"}
        sizes = {
            kind: (Path(folder) / "site" / survey.id / path / "index.html").read_bytes()
            for kind, path in kinds.items()
        }
    page = sizes["survey page"]
    print(
        f"the page a card leads to ({survey.id}/{location}/, `wowcard init` example): {len(page):,} bytes "
        f"raw = {len(page) / FLOOR:.2f}x the hand-written floor of {FLOOR:,} "
        f"(at most {MOST}x = {MOST * FLOOR:,})"
    )
    print(f"{'page':<12} {'raw bytes':>10} " + " ".join(f"{name:>8}" for name in parts(page)))
    for kind, data in sizes.items():
        print(f"{kind:<12} {len(data):>10,} " + " ".join(f"{size:>8,}" for size in parts(data).values()))
    print()


def main() -> None:
    card_page()
    with tempfile.TemporaryDirectory() as folder:
        scaffold.init(Path(folder))
        in_every_language(Path(folder) / "survey.toml")
        survey = survey_model.load(Path(folder) / "survey.toml")
        result = build.build_site(survey, out=Path(folder) / "site")
        site = build.Site.prepare(survey, None, None)
    print(
        f"example survey '{survey.id}' in {len(survey.languages)} languages: {len(result.pages)} pages; "
        f"budget {build.BUDGET:,} bytes gzipped per page"
    )
    print(f"{'page kind':<10} {'pages':>5} {'raw bytes':>10} {'gzipped':>8}   largest")
    for kind in ("location", "language", "staff", "kiosk", "thanks", "error"):
        pages = [page for page in result.pages if page.kind == kind]
        largest = max(pages, key=lambda page: page.gzipped)
        print(f"{kind:<10} {len(pages):>5} {largest.raw:>10,} {largest.gzipped:>8,}   {largest.path}")
    print(f"{'language':<10} {'pages':>5} {'raw bytes':>10} {'gzipped':>8}   largest (any kind)")
    for lang in survey.languages:
        pages = [page for page in result.pages if f"/{lang}/" in page.path]
        largest = max(pages, key=lambda page: page.gzipped)
        print(f"{lang:<10} {len(pages):>5} {largest.raw:>10,} {largest.gzipped:>8,}   {largest.path}")
    print("inlined assets, gzipped on their own:")
    for asset, size in site.asset_sizes.items():
        print(f"  {asset.split(' (')[0]:<12} {size:>6,}")


if __name__ == "__main__":
    main()
