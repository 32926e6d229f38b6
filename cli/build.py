"""`wowcard build`: render a survey's static site into the URL layout of DESIGN.md.

    <out>/<survey>/<location>/index.html                 the survey page, default language
    <out>/<survey>/<location>/<lang>/index.html          the survey page, every language
    <out>/<survey>/<location>/s/<staff>/index.html       a staff member preselected (staff cards)
    <out>/<survey>/<location>/<lang>/s/<staff>/index.html
    <out>/<survey>/<location>/kiosk/index.html           the counter tablet's page (docs/kiosk.md)
    <out>/<survey>/<location>/<lang>/kiosk/index.html
    <out>/<survey>/thanks/index.html, thanks/<lang>/index.html
    <out>/<survey>/error/index.html, error/<lang>/index.html
    <out>/<survey>/survey.json                           the compiled public definition

Every page is self-contained (CSS and script inline, the logo a data: URL image: wowcard.logo), checked
against the gzip budget, and written deterministically. Each language's pages carry wowcard's texts from its
gettext catalog and the owner's from survey.toml in that language (`wowcard.i18n`), `lang` and `dir` on
<html>, and a switcher to the others.
A manifest of the files wowcard wrote lets the next build remove what it no longer writes without
touching anything else in the folder; it writes only regular files, never through a symbolic link
(site_files.py).
A printed URL is forever (handoffs.py): the survey page of a person or location that
left survey.toml (known from the previous manifest, and from every published definition version the command
passes in) is replaced by a hand-off page (handoff.html) in the survey's brand and the page's language, which
sends the customer on to the location's survey, or, for a location that closed, to the survey's locations.
The thank-you and error pages of a language that left stay too (in the survey's first language): a page of
that language still open on a phone, or an answer queued on it, is sent there once it is stored.
"""

from __future__ import annotations

import itertools
import re
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import jinja2
import rcssmin
import rjsmin
from markupsafe import Markup

from . import contrast, i18n, logo, render
from .build_result import BUDGET, BuildError, BuildResult, Page, gzipped_size
from .collector import answers
from .collector import survey as survey_model
from .collector.collect import site_path
from .handoffs import LANGUAGE_PAGE, PRINTED_PAGE, Handoff, printed_paths
from .site_files import Writer, progress_bar, read_manifest, remove_stale, write_manifest

PROGRESS_FROM = 500  # pages: smaller builds finish before a progress bar would be worth drawing
MAX_BACK_LINKS = 8  # the error page links back to each location only while the list stays short
WRITERS = 3  # threads compressing and writing pages while the next ones render
BATCH = 32  # pages handed to a writer at once
IN_FLIGHT = 8  # batches waiting for a writer, at most: bounds memory on a 30,000-page chain
# The kinds of page, and what page.css and page.js (Jinja templates) are rendered with for each: a page
# carries only the style and the code it uses.
PAGE_KINDS = {
    "survey": {"form": True, "kiosk": False, "thanks": False},
    "kiosk": {"form": True, "kiosk": True, "thanks": False},
    "thanks": {"form": False, "kiosk": False, "thanks": True},
    "error": {"form": False, "kiosk": False, "thanks": False},  # and hand-offs; its script sends the queue
}
# Field names the collector can name in an error redirect (`error/<lang>/#<field>`), in page order; error.html
# holds a message for each.
ERROR_FIELDS = (
    "location",
    "v",
    "lang",
    "wow",
    "staff",
    "what",
    "people",
    "process",
    "product",
    "promises",
    "comment",
    "contact",
    "consent",
    "request",
)


def collector_action(survey_id: str, collector_url: str | None) -> str:
    """Where the form posts: the same origin by default, or an explicit collector URL."""
    if collector_url is None:
        return f"/api/s/{survey_id}/responses"
    if not re.match(r"^https?://[A-Za-z0-9.-]+(:\d+)?(/[A-Za-z0-9._~/-]*)?$", collector_url):
        raise BuildError(
            f'"{collector_url}" is not a URL such as "https://abc.execute-api.eu-west-1.amazonaws.com/api"',
            "--collector-url",
        )
    return collector_url.rstrip("/") + f"/s/{survey_id}/responses"


def build_site(
    survey: survey_model.Survey,
    out: Path | None = None,
    collector_url: str | None = None,
    templates: Path | None = None,
    progress: bool = False,
    published: Iterable[survey_model.Definition] = (),
) -> BuildResult:
    """Render every page of the survey's site into `out` (default: the survey's `output` folder).
    `published`: the survey's published definition versions; their pages, like those of the previous
    build's manifest, get a hand-off page when they are no longer survey pages."""
    site = Site.prepare(survey, collector_url, templates)
    out = Path(out) if out is not None else survey.output
    try:
        return _write_site(site, out, progress, printed_paths(published))
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise BuildError(f"cannot write the site into {out}: {exc.strerror or exc}{where}") from None


def _write_site(site: Site, out: Path, progress: bool, published: set[str]) -> BuildResult:
    survey = site.survey
    folder = out / survey.id
    result = BuildResult(out=out, survey=survey.id)
    writer = Writer(out, survey.id)
    previous = read_manifest(writer)
    current = [job.path for job in site.jobs()]
    gone = (set(previous) | published) - set(current)
    result.handoffs = site.handoffs(gone)
    handoff_jobs = [site.handoff_job(handoff) for handoff in result.handoffs] + site.former_language_jobs(
        gone
    )
    planned = current + [job.path for job in handoff_jobs] + ["survey.json"]
    write_manifest(writer, sorted(set(previous) | set(planned)))  # a failed build still knows what it wrote
    bar = progress_bar(len(planned) - 1) if progress and len(planned) > PROGRESS_FROM else None

    def finish(batch: list[Job], sizes: Future[list[tuple[int, int]]]) -> None:
        for job, (raw, gzipped) in zip(batch, sizes.result(), strict=True):
            if gzipped > BUDGET:
                raise site.over_budget(f"{survey.id}/{job.path}", gzipped)
            result.pages.append(Page(f"{survey.id}/{job.path}", job.kind, raw, gzipped))
        if bar:
            bar.advance(len(batch))

    # Rendering holds the GIL; gzip and file writes release it, so they run beside the next renders. Pages
    # go to the writers in batches: a future per page costs more than its gzip.
    try:
        with ThreadPoolExecutor(max_workers=WRITERS) as pool:
            pending: deque[tuple[list[Job], Future[list[tuple[int, int]]]]] = deque()
            batch: list[Job] = []
            rendered: list[tuple[str, bytes]] = []
            for job in itertools.chain(site.jobs(), handoff_jobs):
                batch.append(job)
                rendered.append((job.path, site.render(job)))
                if len(batch) == BATCH:
                    pending.append((batch, pool.submit(writer.write_pages, rendered)))
                    batch, rendered = [], []
                    if len(pending) > IN_FLIGHT:
                        finish(*pending.popleft())
            if batch:
                pending.append((batch, pool.submit(writer.write_pages, rendered)))
            while pending:
                finish(*pending.popleft())
    finally:
        if bar:
            bar.close()
    writer.write("survey.json", site.definition.dumps().encode("utf-8"))
    result.definition = folder / "survey.json"
    result.removed = remove_stale(writer, set(previous) - set(planned))
    write_manifest(writer, sorted(planned))
    return result


@dataclass(frozen=True, slots=True)
class Job:
    """One page to render: where it goes, which template, and what differs from its language's context."""

    path: str
    kind: str
    template: str
    lang: str
    extra: dict[str, Any]


def language_page(path: str, kind: str, lang: str) -> Job:
    """A thank-you or error page ("thanks" or "error") of a language, with its kind's style and script."""
    return Job(path, kind, f"{kind}.html", lang, {"page_kind": kind})


class Site:
    """Everything a build renders from, prepared once: palette, minified assets, compiled templates and the
    part of each page's context that is the same for a whole language."""

    def __init__(
        self,
        survey: survey_model.Survey,
        action: str,
        env: Any,
        assets: dict[str, Any],
        asset_sizes: dict[str, int],
        palette: contrast.Palette,
        texts: dict[str, i18n.Texts],
    ):
        self.survey = survey
        self.texts = texts
        self.definition = survey.definition()
        self.action = action
        self.env = env
        self.asset_sizes = asset_sizes
        self.base = site_path(survey.site_url)
        self.shared: dict[tuple[str, str], Markup] = {}
        env.globals["once"] = jinja2.pass_context(lambda context, name: self._once(context, name))
        self.templates = {
            name: render.template(env, name)
            for name in ("page.html", "thanks.html", "error.html", "handoff.html")
        }
        self.names = {lang: texts[lang].name for lang in survey.languages}
        self.contexts = {lang: self._language_context(lang, assets, palette) for lang in survey.languages}
        self.localized: dict[str, tuple[dict[str, survey_model.Location], dict[str, survey_model.Staff]]] = {
            lang: self._localized_names(lang) for lang in survey.languages
        }

    @classmethod
    def prepare(cls, survey: survey_model.Survey, collector_url: str | None, templates: Path | None) -> Site:
        file = survey.source
        theme = render.theme_folder(survey.folder, templates)
        texts = _load_texts(survey, theme)
        try:
            palette = contrast.palette(survey.brand.primary, survey.brand.background)
        except contrast.ContrastError as exc:
            raise BuildError(exc.message, exc.path, file) from None
        action = collector_action(survey.id, collector_url)
        env = render.environment(theme)
        try:
            style, script = render.template(env, "page.css"), render.template(env, "page.js")
            assets: dict[str, Any] = {"styles": {}, "scripts": {}}
            for kind, flags in PAGE_KINDS.items():
                # "</" inside an inline <style> or <script> would end it early: escaped, it means the same.
                css = rcssmin.cssmin(render.render(style, flags))
                js = rjsmin.jsmin(render.render(script, {**_script_constants(), **flags}))
                assets["styles"][kind] = css.replace("</", "<\\/")
                assets["scripts"][kind] = js.replace("</", "<\\/")
            sizes = {
                f"page.css ({style.filename})": gzipped_size(assets["styles"]["survey"].encode()),
                f"page.js ({script.filename})": gzipped_size(assets["scripts"]["survey"].encode()),
            }
            assets["logo"] = ""
            if survey.brand.logo is not None:
                assets["logo"] = logo.load(survey.brand.logo).img()
                sizes[f"brand.logo ({survey.brand.logo.name})"] = gzipped_size(assets["logo"].encode())
            return cls(survey, action, env, assets, sizes, palette, texts)
        except logo.LogoError as exc:
            raise BuildError(str(exc), "brand.logo", file) from None
        except (render.TemplateError, i18n.CatalogError) as exc:
            raise BuildError(str(exc)) from None

    def _language_context(
        self, lang: str, assets: dict[str, Any], palette: contrast.Palette
    ) -> dict[str, Any]:
        survey = self.survey
        texts = self.texts[lang]
        brand = replace(
            survey.brand,
            name=survey.text("brand.name", lang, survey.brand.name),
            tagline=survey.text("brand.tagline", lang, survey.brand.tagline),
        )
        promises = tuple(
            replace(p, text=survey.text(f"promises[{i}].text", lang, p.text))
            for i, p in enumerate(survey.promises)
        )
        return {
            "lang": lang,
            "dir": texts.direction,
            "_": texts.gettext,
            "gettext": texts.gettext,
            "ngettext": texts.ngettext,
            "palette": palette,
            "styles": {kind: Markup(css) for kind, css in assets["styles"].items()},
            "scripts": {kind: Markup(js) for kind, js in assets["scripts"].items()},
            "page_kind": "survey",  # which of PAGE_KINDS' style and script the page carries
            "kiosk": False,
            "review_url": survey.review_url,
            "review_site": _host(survey.review_url),
            "logo": Markup(assets["logo"]),
            "brand": brand,
            "question": i18n.question(survey, texts),
            "thank_you": i18n.thank_you(survey, texts),
            "questions": survey.questions,
            "promises": promises,
            "ratings": survey_model.RATINGS,
            "scale": tuple(range(survey_model.RATING_SCALE[0], survey_model.RATING_SCALE[1] + 1)),
            "limits": answers.TEXT_LIMITS,
            "retention_days": survey.retention_days,
            "action": self.action,
            "version": self.definition.version,
            "thanks_url": self.url("thanks", lang),
            "error_url": self.url("error", lang),
            "error_fields": ERROR_FIELDS,
            "back_links": [
                {"name": survey.text(f"locations[{i}].name", lang, loc.name), "url": self.url(loc.id, lang)}
                for i, loc in enumerate(survey.locations)
            ]
            if len(survey.locations) <= MAX_BACK_LINKS
            else [],
        }

    def _localized_names(
        self, lang: str
    ) -> tuple[dict[str, survey_model.Location], dict[str, survey_model.Staff]]:
        """Locations and staff whose names the owner gave in this language (the others keep theirs)."""
        survey = self.survey
        locations = {
            loc.id: replace(loc, name=name)
            for i, loc in enumerate(survey.locations)
            if (name := survey.text(f"locations[{i}].name", lang, loc.name)) != loc.name
        }
        staff = {
            person.id: replace(person, name=name)
            for i, person in enumerate(survey.staff)
            if (name := survey.text(f"staff[{i}].name", lang, person.name)) != person.name
        }
        return locations, staff

    def _once(self, context: jinja2.runtime.Context, name: str) -> Markup:
        """A part of a page rendered once per language and reused for every page (see page.html)."""
        key = (name, context["lang"])
        if key not in self.shared:
            self.shared[key] = Markup(render.render(render.template(self.env, name), context.get_all()))
        return self.shared[key]

    def url(self, *parts: str) -> str:
        """A root-relative URL inside the survey's site (site_url's path, if any, comes first)."""
        return "/".join([self.base, self.survey.id, *parts]) + "/"

    def jobs(self) -> Iterator[Job]:
        """Every page of the layout, in a stable order."""
        survey = self.survey
        versions = [("", survey.languages[0])] + [(lang, lang) for lang in survey.languages]
        for lang_dir, lang in versions:
            prefix = f"{lang_dir}/" if lang_dir else ""
            yield language_page(f"thanks/{prefix}index.html", "thanks", lang)
            yield language_page(f"error/{prefix}index.html", "error", lang)
        staff_at: dict[str, list[survey_model.Staff]] = {}
        for person in survey.staff:  # one pass: Survey.staff_at per location is quadratic for a chain
            for location_id in person.locations:
                staff_at.setdefault(location_id, []).append(person)
        for location in survey.locations:
            everyone = tuple(staff_at.get(location.id, ()))
            for lang_dir, lang in versions:
                base = f"{location.id}/{lang_dir}/" if lang_dir else f"{location.id}/"
                places, names = self.localized[lang]
                staff = tuple(names.get(p.id, p) for p in everyone) if names else everyone
                page = {
                    "location": places.get(location.id, location),
                    "staff": staff,
                    "selected": None,
                    "languages": self._language_links(location.id),
                    "auto": not lang_dir,  # the default address: the script may follow the phone's language
                }
                yield Job(
                    f"{base}index.html", "location" if not lang_dir else "language", "page.html", lang, page
                )
                yield Job(
                    f"{base}kiosk/index.html",
                    "kiosk",
                    "page.html",
                    lang,
                    {
                        **page,
                        "kiosk": True,
                        "page_kind": "kiosk",
                        "auto": False,
                        "languages": self._language_links(location.id, "kiosk"),
                    },
                )
                for person in staff:
                    yield Job(
                        f"{base}s/{person.id}/index.html",
                        "staff",
                        "page.html",
                        lang,
                        {
                            **page,
                            "selected": person.id,
                            "languages": self._language_links(location.id, "s", person.id),
                        },
                    )

    def handoffs(self, paths: Iterable[str]) -> list[Handoff]:
        """The hand-off pages that replace `paths` (pages no longer written): each survey page among them
        (location, language, staff and kiosk pages) in a stable order; other files are left out."""
        survey = self.survey
        found = []
        for path in sorted(paths):
            match = PRINTED_PAGE.match(path)
            if not match or match["location"] in survey_model.RESERVED_LOCATION_IDS:
                continue
            lang = match["lang"] if match["lang"] in survey.languages else None
            location, staff = match["location"], match["staff"]
            if location not in self.definition.location_ids():
                # The location closed: every location when the list stays short, else the first one.
                ids = [loc.id for loc in survey.locations]
                targets = tuple(ids if len(ids) <= MAX_BACK_LINKS else ids[:1])
                reason = f"location {location} left the survey"
            elif staff and staff not in self.definition.staff_ids_at(location):
                targets, reason = (location,), f"{staff} left {location}"
            elif match["lang"]:
                targets, reason = (location,), f"language {match['lang']} left the survey at {location}"
            else:
                targets, reason = (location,), f"{path} is no longer a page of {location}"
            url = "/".join([self.base, survey.id, path.removesuffix("index.html")])
            found.append(Handoff(path, url, reason, location, lang, targets))
        return found

    def handoff_job(self, handoff: Handoff) -> Job:
        lang = handoff.lang or self.survey.languages[0]
        places = self.localized[lang][0]
        names = {loc.id: places.get(loc.id, loc).name for loc in self.survey.locations}
        extra = {
            "page_kind": "error",  # the error page's style: notes and links, no form
            "place": names.get(handoff.location, ""),
            "targets": [{"name": names[t], "url": self.handoff_url(handoff, t)} for t in handoff.targets],
        }
        return Job(handoff.path, "handoff", "handoff.html", lang, extra)

    def former_language_jobs(self, paths: Iterable[str]) -> list[Job]:
        """The thank-you and error pages of languages that left (among `paths`, pages no longer written), kept
        at their addresses in the survey's first language: a page of that language still open on a phone,
        or an answer queued on it, is sent there after it is stored."""
        jobs = []
        for path in sorted(paths):
            match = LANGUAGE_PAGE.match(path)
            if match and match["lang"] not in self.survey.languages:
                jobs.append(language_page(path, match["kind"], self.survey.languages[0]))
        return jobs

    def handoff_url(self, handoff: Handoff, location: str) -> str:
        """The survey page a hand-off sends to: in the hand-off's language where the survey still has it,
        else the location's default address (where the script may follow the phone's language)."""
        return self.url(location, handoff.lang) if handoff.lang else self.url(location)

    def _language_links(self, *parts: str) -> list[dict[str, str]]:
        if len(self.survey.languages) < 2:
            return []
        return [
            {
                "code": lang,
                "name": self.names[lang],
                "url": self.url(parts[0], lang, *parts[1:]),
            }
            for lang in self.survey.languages
        ]

    def render(self, job: Job) -> bytes:
        context = self.contexts[job.lang]
        if job.extra:
            context = {**context, **job.extra}
        try:
            return render.render(self.templates[job.template], context).encode("utf-8")
        except (render.TemplateError, i18n.CatalogError) as exc:
            raise BuildError(str(exc)) from None

    def over_budget(self, page: str, gzipped: int) -> BuildError:
        asset, size = max(self.asset_sizes.items(), key=lambda item: item[1])
        path = "brand.logo" if asset.startswith("brand.logo") else ""
        return BuildError(
            f"{page} would be {gzipped:,} bytes gzipped, over the page budget of {BUDGET:,} bytes; "
            f"its largest part is {asset}: {size:,} bytes gzipped after minifying"
            + ("; use a simpler SVG (fewer shapes and points, no embedded images)" if path else ""),
            path,
            self.survey.source,
        )


def _load_texts(survey: survey_model.Survey, theme: Path | None) -> dict[str, i18n.Texts]:
    """The built-in texts of every survey language; BuildError naming `languages[i]` for one without."""
    available = i18n.available(theme)
    texts = {}
    for i, lang in enumerate(survey.languages):
        if lang not in available:
            close = i18n.suggestion(lang, available)
            hint = f'did you mean "{close}"? ' if close else ""
            raise BuildError(
                f'"{lang}" has no built-in page texts; {hint}available: {", ".join(available)} '
                f"(or add a catalog as templates/{i18n.LOCALE}/{i18n.folder_name(lang)}/LC_MESSAGES/"
                f"{i18n.DOMAIN}.po beside survey.toml)",
                f"languages[{i}]",
                survey.source,
            )
        try:
            texts[lang] = i18n.load(lang, theme)
        except i18n.CatalogError as exc:
            raise BuildError(str(exc), f"languages[{i}]", survey.source) from None
    return texts


def _script_constants() -> dict[str, Any]:
    """What page.js is given at build time, so that the script and the collector share one definition."""
    return {"sources": list(answers.SOURCES)}


def _host(url: str | None) -> str:
    """The site a link leads to, as the customer reads it (www. left out)."""
    match = re.match(r"^https://(?:www\.)?([^/:]+)", url or "")
    return match.group(1) if match else ""


