"""The example survey (tests/conftest.py) in the seven languages wowcard ships catalogs for, with the owner's
texts in each, and a static host for a built site."""

from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

LANGUAGES = ("en", "es", "fr", "de", "pt", "zh-Hans", "ar")

# The owner's own texts of the example survey (tests/conftest.py), in every language.
OWNER_TEXTS = {
    'tagline = "Roasted on the quay"': {
        "en": "Roasted on the quay",
        "es": "Tostado en el muelle",
        "fr": "Torréfié sur le quai",
        "de": "Geröstet am Kai",
        "pt": "Torrado no cais",
        "zh-Hans": "在码头烘焙",
        "ar": "محمّص على رصيف الميناء",
    },
    'thank_you = "Thank you! Every answer is read by the team."': {
        "en": "Thank you! Every answer is read by the team.",
        "es": "¡Gracias! El equipo lee cada respuesta.",
        "fr": "Merci ! L’équipe lit chaque réponse.",
        "de": "Danke! Das Team liest jede Antwort.",
        "pt": "Obrigado! A equipe lê cada resposta.",
        "zh-Hans": "谢谢！团队会阅读每一条回答。",
        "ar": "شكرًا لك! يقرأ الفريق كل إجابة.",
    },
    'text = "Coffee roasted this week"': {
        "en": "Coffee roasted this week",
        "es": "Café tostado esta semana",
        "fr": "Café torréfié cette semaine",
        "de": "Diese Woche gerösteter Kaffee",
        "pt": "Café torrado esta semana",
        "zh-Hans": "本周新烘焙的咖啡",
        "ar": "قهوة محمّصة هذا الأسبوع",
    },
    'text = "They know my name"': {
        "en": "They know my name",
        "es": "Saben cómo me llamo",
        "fr": "On connaît mon prénom",
        "de": "Man kennt meinen Namen",
        "pt": "Sabem o meu nome",
        "zh-Hans": "他们记得我的名字",
        "ar": "يعرفون اسمي",
    },
    'text = "Served in under three minutes"': {
        "en": "Served in under three minutes",
        "es": "Me atendieron en menos de tres minutos",
        "fr": "Servi en moins de trois minutes",
        "de": "In weniger als drei Minuten bedient",
        "pt": "Atendido em menos de três minutos",
        "zh-Hans": "三分钟内就拿到了",
        "ar": "خدمة في أقل من ثلاث دقائق",
    },
    # A place name given per language; "Quay Street" stays one name for every language.
    'name = "Old Mill"': {
        "en": "Old Mill",
        "es": "Molino Viejo",
        "fr": "Vieux Moulin",
        "de": "Alte Mühle",
        "pt": "Moinho Velho",
        "zh-Hans": "老磨坊",
        "ar": "الطاحونة القديمة",
    },
}


def edit(survey_file: Path, old: str, new: str) -> None:
    text = survey_file.read_text(encoding="utf-8")
    assert old in text, f"the example survey no longer contains {old!r}"
    survey_file.write_text(text.replace(old, new, 1), encoding="utf-8")


def per_language(key: str, texts: dict[str, str]) -> str:
    """A TOML table of one text per language: key = { en = "…", "zh-Hans" = "…" }."""
    return f"{key} = {{ " + ", ".join(f'"{lang}" = "{text}"' for lang, text in texts.items()) + " }"


def make_multilingual(survey_file: Path, languages: tuple[str, ...] = LANGUAGES) -> Path:
    listed = ", ".join(f'"{lang}"' for lang in languages)
    edit(survey_file, 'id = "harbour"', f'id = "harbour"\nlanguages = [{listed}]')
    for line, texts in OWNER_TEXTS.items():
        key = line.split(" = ", 1)[0]
        edit(survey_file, line, per_language(key, {lang: texts[lang] for lang in languages}))
    return survey_file


class StaticSite:
    """A built site served on 127.0.0.1 (a free port) as files, like any static host."""

    def __init__(self, root: Path):
        handler = partial(_QuietHandler, directory=str(root))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass
