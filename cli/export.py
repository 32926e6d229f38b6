"""`wowcard export`: raw responses as CSV or JSON Lines, streamed row by row (constant memory however many
responses there are), with spreadsheet formula injection neutralised.

A cell a spreadsheet would run as a formula (one starting with =, +, -, @, a tab or a carriage return) gets a
leading apostrophe, so a customer's comment `=HYPERLINK(...)` shows as text when the owner opens the file.
Text in CSV goes through `safe_text` (terminal escapes, control and bidi characters removed; line breaks
kept); JSON Lines keeps the text as stored.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

from .collector.safe_text import json_safe, safe_text
from .collector.store import RESPONSE_FIELDS

EXPORT_FORMATS = ("csv", "jsonl")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse(value: str) -> str:
    """A text cell a spreadsheet shows as text, never runs as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_cell(value: Any) -> str:
    """How one value reads in a CSV cell: empty for None, true/false, lists joined by spaces; text made safe
    (`safe_text`, line breaks kept) and defused. Numbers are written as numbers (a rating is never a
    formula)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return defuse(safe_text(" ".join(str(v) for v in value)))
    return defuse(safe_text(value, keep_newlines=True))


def write_csv(responses: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    """One header row of RESPONSE_FIELDS, then one row per response. Returns how many rows were written."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(RESPONSE_FIELDS)
    count = 0
    for response in responses:
        writer.writerow([csv_cell(response.get(name)) for name in RESPONSE_FIELDS])
        count += 1
    return count


def write_jsonl(responses: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    """One JSON object per line with every field of RESPONSE_FIELDS (null when absent), keys in that order.
    JSON is for programs, so text is exported as stored (defusing is a spreadsheet concern), with what a
    terminal would act on written as \\u escapes (`json_safe`)."""
    count = 0
    for response in responses:
        out.write(
            json_safe(json.dumps({name: response.get(name) for name in RESPONSE_FIELDS}, ensure_ascii=False))
        )
        out.write("\n")
        count += 1
    return count


def export(responses: Iterable[Mapping[str, Any]], out: TextIO, fmt: str) -> int:
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}")
    return write_csv(responses, out) if fmt == "csv" else write_jsonl(responses, out)
