"""`wowcard import`: answers from a CSV file (paper wow cards, history kept elsewhere) turned into the same
records the collector stores, validated all at once before anything is written.

Columns (header names, any order, case-insensitive; only `date` and `location` are required):

| column    | holds                                                                                  |
|-----------|----------------------------------------------------------------------------------------|
| date      | a day (2026-11-02) or an ISO time (2026-11-02T14:30, 2026-11-02 14:30+01:00); without   |
|           | an offset it is in the survey's time zone; a day alone stands for noon of that day;     |
|           | no other form, nothing before 1970 or in the future                                    |
| location  | location id                                                                             |
| wow       | yes / no (y / n), empty: not answered                                                   |
| staff     | staff id at that location, or "_" for "I didn't catch their name"                      |
| what      | what they did                                                                           |
| people, process, product | ratings 1-5, empty: skipped                                              |
| promises  | promise ids separated by ";"                                                            |
| comment   | text                                                                                    |
| lang      | the card's language (default: the survey's first)                                      |
| src       | where the answer came from (default: the --src option, "paper")                        |

Every row goes through `answers.validate`, the collector's own validation, against the survey's published
definition; its id is a hash of the survey, the row's cells and its line, so importing the same file again
stores nothing new. The file is read whole and every row checked before the first write: one bad row
(`ImportProblem`, naming file, line and column) and nothing is stored.

Hostile files: a UTF-8 BOM is skipped; a file that is not UTF-8 (or is UTF-16) is refused naming the line;
control characters other than tab and line breaks are refused; a field longer than the csv module's limit is
refused naming its line; so is a file over 64 MB or 100,000 rows; `;` or tab instead of `,` is recognised
from the header line; cells that look like spreadsheet formulas (`=…`, `+…`, `@…`) are plain text here and
in every output (export and reports escape them).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .collector import answers, tally
from .collector.store import Record
from .collector.survey import RATINGS, Definition, control_character, printable

COLUMNS = ("date", "location", "wow", "staff", "what", *RATINGS, "promises", "comment", "lang", "src")
REQUIRED = ("date", "location")
TEXT_COLUMNS = ("what", "comment")
DEFAULT_SOURCE = "paper"
IMPORTED_ID = (
    "i-"  # a prefix the collector refuses from clients (answers.MADE_HERE): nobody can post one first
)
assert IMPORTED_ID in answers.MADE_HERE
# Where an imported answer may say it came from: the page's sources and the ones only an import can have.
IMPORT_SOURCES = (*answers.SOURCES, "paper", "phone", "letter")
# Comma, or the semicolon or tab a spreadsheet saved instead: read from the header line, or from the
# "sep=;" line Excel may write above it.
DELIMITERS = (",", ";", "\t")
SEPARATOR_LINE = re.compile(r"^sep=([,;\t])\Z")
NOON = time(12, 0)
# A day, or a day and a time (T or one space between) with an optional offset; nothing else that Python's
# fromisoformat takes (it reads "2026-11-02+05:00" as 05:00 local time, and "2026-W45-1" as a day).
DATE_FORM = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?\Z", re.ASCII
)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)  # before it, days are not written as the store keeps them
MAX_FILE_BYTES = 64 * 2**20  # read whole, validated whole
# Every row is held, validated, until the first write (about 2 KB each): the bytes alone do not bound that,
# as 64 MB of the shortest rows ("2026-11-02,quay") is 4 million of them.
MAX_ROWS = 100_000


class ImportProblem(Exception):
    """A file that cannot be imported as it is: which file, which line and column, what is wrong."""

    def __init__(self, file: Path, message: str, line: int | None = None, column: str | None = None):
        self.file = file
        self.line = line
        self.column = column
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = printable(str(self.file)) + (f", line {self.line}" if self.line else "")
        column = f'column "{printable(self.column)}": ' if self.column else ""
        return f"{where}: {column}{self.message}"


@dataclass(frozen=True, slots=True)
class Row:
    """One row of the file as read: the line it starts on and its cells by column name."""

    line: int
    cells: dict[str, str]


@dataclass(slots=True)
class Plan:
    """Every record a file holds, validated, in file order; nothing is written yet."""

    file: Path
    records: list[Record] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        days = sorted(r.day for r in self.records)
        return {
            "rows": len(self.records),
            "first_day": days[0] if days else None,
            "last_day": days[-1] if days else None,
            "locations": dict(sorted(Counter(r.location for r in self.records).items())),
        }


def plan(
    path: Path,
    definition: Definition,
    *,
    earlier: Sequence[Definition] = (),
    source: str = DEFAULT_SOURCE,
    now: datetime,
) -> Plan:
    """Read and validate every row of the CSV file at `path` against `definition`, or, for history that
    names someone (or something) no longer in it, against an `earlier` published version (newest first),
    as the collector validates an answer against the version its page was built from. Raises ImportProblem
    at the first problem; `now` (aware) bounds the dates (an answer cannot be received in the future)."""
    if source not in IMPORT_SOURCES:
        raise ImportProblem(path, f"--src must be one of {', '.join(IMPORT_SOURCES)}")
    versions = [definition, *(d for d in earlier if d.version != definition.version)]
    result = Plan(path)
    for row in read_rows(path, _read_bytes(path)):
        if len(result.records) == MAX_ROWS:
            raise ImportProblem(path, f"the file has more than {MAX_ROWS:,} rows; split it", row.line)
        result.records.append(to_record(path, row, versions, source, now))
    return result


def _read_bytes(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ImportProblem(path, f"the file is larger than {MAX_FILE_BYTES // 2**20} MB; split it")
        return path.read_bytes()
    except OSError as exc:
        raise ImportProblem(path, f"cannot read: {exc.strerror or exc}") from None


def read_rows(path: Path, data: bytes) -> Iterator[Row]:
    """The file's rows (blank ones skipped), each with the line it starts on; the header checked first."""
    text = _decode(path, data)
    first = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    hint = SEPARATOR_LINE.match(first)
    delimiter = hint[1] if hint else next((d for d in DELIMITERS if d in first), ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        if hint:
            next(reader)
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            names = ", ".join(COLUMNS)
            raise ImportProblem(path, f"the file is empty: its first line names the columns ({names})")
        columns = _columns(path, header, reader.line_num)
        start = reader.line_num + 1
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            yield Row(line, _cells(path, line, columns, cells))
    except csv.Error as exc:
        raise ImportProblem(path, f"not a readable CSV row: {exc}", reader.line_num or 1) from None


def _cells(path: Path, line: int, columns: list[str], cells: list[str]) -> dict[str, str]:
    """A row's cells by column name; cells past the header's columns, or under a column with no name, must
    be empty."""
    if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns) :]):
        raise ImportProblem(
            path, f"the row has {len(cells)} cells and the header names {len(columns)} columns", line
        )
    stray = next((i for i, c in enumerate(cells[: len(columns)]) if not columns[i] and c.strip()), None)
    if stray is not None:
        raise ImportProblem(path, f"cell {stray + 1} is under a column the header does not name", line)
    return {name: cells[i] if i < len(cells) else "" for i, name in enumerate(columns) if name}


def _decode(path: Path, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportProblem(path, "the file is UTF-16; save it as CSV UTF-8", 1)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ImportProblem(
            path, f"byte 0x{data[exc.start]:02x} is not UTF-8; save the file as CSV UTF-8", line
        ) from None


def _columns(path: Path, header: list[str], line: int) -> list[str]:
    # A column with no name is what a spreadsheet leaves after the last one (a trailing delimiter): it may
    # be there as long as its cells are empty.
    columns = [h.strip().lower() for h in header]
    for name in columns:
        if name and name not in COLUMNS:
            raise ImportProblem(path, f"not a column wowcard knows; use {', '.join(COLUMNS)}", line, name)
    repeated = next((name for name, n in Counter(columns).items() if n > 1 and name), None)
    if repeated:
        raise ImportProblem(path, "the header names this column twice", line, repeated)
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise ImportProblem(path, "the header has no such column, and every row needs one", line, missing[0])
    return columns


def to_record(path: Path, row: Row, versions: Sequence[Definition], source: str, now: datetime) -> Record:
    """One row as the record `store.put` writes: validated as a posted answer against the first of
    `versions` that accepts it (the problem named is the current version's), received at its date."""
    definition = versions[0]
    for name, value in row.cells.items():
        bad = control_character(value, allow_line_breaks=name in TEXT_COLUMNS)
        if bad:
            raise ImportProblem(path, f"holds the control character {bad}", row.line, name)
    received_at = _received_at(path, row, definition, now)
    src = row.cells.get("src", "").strip().lower() or source
    if src not in IMPORT_SOURCES:
        raise ImportProblem(path, f"must be one of {', '.join(IMPORT_SOURCES)}", row.line, "src")
    # The answer as a page would post it (src aside: "paper" is no source a page can send).
    fields: dict[str, Any] = {k: v.strip() for k, v in row.cells.items() if k not in ("date", "src")}
    wow = fields.get("wow", "").lower()
    fields["wow"] = {"y": "yes", "n": "no"}.get(wow, wow)
    fields["promises"] = [p.strip() for p in fields.get("promises", "").split(";") if p.strip()]
    fields["id"] = row_id(definition.survey, row)
    submission = answers.Submission(fields, False, b"")
    problem: answers.InvalidResponse | None = None
    for version in versions:
        try:
            record = answers.record(submission, version, received_at, "", "")
            break
        except answers.InvalidResponse as exc:
            problem = problem or exc
    else:
        assert problem is not None
        raise ImportProblem(path, _explained(problem, fields, definition), row.line, problem.field)
    response = {**record.response, "src": src}
    return replace(record, response=response, increments=tally.increments(response))


def row_id(survey: str, row: Row) -> str:
    """The row's response id: a hash of the survey, its cells (in column order) and its line. The same file
    imported again gives the same ids, so the store keeps each answer once; also when it was saved again
    with other line ends (CRLF, LF or CR, inside a quoted cell too: a line count does not change) or with
    spaces around a cell's value (which is stored without them)."""
    cells = (f"{name}={_as_stored(row.cells.get(name, ''))}" for name in COLUMNS)
    material = "\0".join([survey, str(row.line), *cells])
    return IMPORTED_ID + hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


def _as_stored(text: str) -> str:
    return text.strip().replace("\r\n", "\n").replace("\r", "\n")


def _received_at(path: Path, row: Row, definition: Definition, now: datetime) -> datetime:
    text = row.cells.get("date", "").strip()
    zone = ZoneInfo(definition.time_zone)
    if not text:
        raise ImportProblem(path, "every row needs a date (2026-11-02 or 2026-11-02T14:30)", row.line, "date")
    try:
        if not DATE_FORM.match(text):
            raise ValueError(text)
        if ":" not in text:
            at = datetime.combine(date.fromisoformat(text), NOON, zone)
        else:
            at = datetime.fromisoformat(text)
            at = at.replace(tzinfo=zone) if at.tzinfo is None else at
        utc = at.astimezone(UTC)
    except ValueError:
        raise ImportProblem(
            path,
            f'"{printable(text)}" is not a day or time such as 2026-11-02 or 2026-11-02T14:30',
            row.line,
            "date",
        ) from None
    except OverflowError:  # an offset that takes the time past year 1 or 9999
        utc = (datetime.min if at.year < 1970 else datetime.max).replace(tzinfo=UTC)
    if utc > now.astimezone(UTC):
        raise ImportProblem(path, f'"{printable(text)}" is in the future', row.line, "date")
    if utc < EARLIEST:
        message = f'"{printable(text)}" is too early: wowcard keeps answers from 1970 on'
        raise ImportProblem(path, message, row.line, "date")
    return at


def _explained(exc: answers.InvalidResponse, fields: dict[str, Any], definition: Definition) -> str:
    """The collector's message, with the ids the owner could have meant where a list helps."""
    if exc.field == "location":
        known = ", ".join(sorted(definition.location_ids()))
        return f'"{printable(str(fields.get("location")))}" is not a location of this survey ({known})'
    if exc.field == "staff":
        at = ", ".join(sorted(definition.staff_ids_at(str(fields.get("location"))))) or "nobody"
        return (
            f'"{printable(str(fields.get("staff")))}" is not a member of staff at {fields.get("location")} '
            f'({at}, or "_" for a name nobody caught)'
        )
    if exc.field == "promises":
        return f"{exc.message} ({', '.join(sorted(definition.promise_ids()))}, separated by ;)"
    return exc.message


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an import did (or, dry, would do): rows read, answers stored now, answers already stored."""

    rows: int
    stored: int
    already: int


def check(store: Any, plan: Plan) -> Outcome:
    """What importing would store, without writing: one read per row to see whether it is stored already."""
    already = sum(store.get(r.survey, r.id) is not None for r in plan.records)
    return Outcome(len(plan.records), len(plan.records) - already, already)


def write(store: Any, plan: Plan) -> Outcome:
    """Store every record of the plan, each in the collector's own transaction (response and tally increments
    together, exactly once). SQLite takes them in batches (`put_many`: many such transactions' work in one
    commit); DynamoDB one TransactWriteItems per answer."""
    put_many = getattr(store, "put_many", None)
    if put_many is not None:
        stored = put_many(plan.records)
    else:
        stored = sum(store.put(r) for r in plan.records)
    return Outcome(len(plan.records), stored, len(plan.records) - stored)
