"""CSV plumbing shared by import and export: decoding, reading with line numbers, forgiving value parsers,
and formula neutralisation.

Decisions: only UTF-8 (with or without BOM) is accepted. Anything else is refused with a message that
names the likely encoding (Windows-1252/Latin-1 or UTF-16, what Excel writes) and the line of the first bad
byte, instead of guessing and silently storing mangled names.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime

from app.spreadsheet import FORMULA_START, neutralise, unneutralise  # noqa: F401  (re-exported for imports)

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
MAX_CELL = 10_000


class ImportFileError(ValueError):
    """The whole file is refused (encoding, size, header); ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def decode_upload(data: bytes) -> str:
    """Text of an uploaded CSV, or ImportFileError naming what is wrong with its encoding."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is {MAX_BYTES // 1024 // 1024} MB. "
            "Split it into smaller files and import them one after the other.",
            status=413,
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:4096]:
        raise ImportFileError(
            "This file is not UTF-8 text: it looks like UTF-16 (Excel's “Unicode Text”) or a binary file. "
            "Save it as “CSV UTF-8 (Comma delimited)” and upload it again."
        )
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ImportFileError(_encoding_message(data, exc.start)) from None
    if "\x00" in text:
        raise ImportFileError("The file contains NUL characters; it is not a CSV text file.")
    return text


def _encoding_message(data: bytes, position: int) -> str:
    line = data.count(b"\n", 0, position) + 1
    byte = data[position]
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        guess = "It is in an encoding Clearloop does not read."
    else:
        char = bytes([byte]).decode("cp1252")
        guess = f"It looks like Windows-1252/Latin-1 (byte 0x{byte:02X} would be “{char}” there)."
    return (
        f"This file is not UTF-8: the first unreadable byte (0x{byte:02X}) is on line {line}. {guess} "
        "In Excel choose “Save as → CSV UTF-8 (Comma delimited)”; in Numbers or LibreOffice pick UTF-8 "
        "when exporting. Nothing was imported."
    )


def normalise_header(name: str) -> str:
    """Header (or choice value) folded for matching: lower case, runs of non-alphanumerics as ``_``."""
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


@dataclass(frozen=True)
class Record:
    """A data row of the file: the physical line it starts on (the header is line 1) and its cells."""

    line: int
    cells: list[str]


@dataclass(frozen=True)
class Table:
    """A parsed CSV: its header cells, its non-blank records and the separator used."""

    header: list[str]
    records: list[Record]
    delimiter: str


def _delimiter(first_line: str) -> str:
    """Comma unless the header clearly uses semicolons (European Excel) or tabs."""
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def read_table(text: str) -> Table:
    """Split CSV text into header and records, keeping each record's starting line number."""
    if not text.strip():
        raise ImportFileError("The file is empty.")
    delimiter = _delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[Record] = []
    header: list[str] | None = None
    try:
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            if header is None:
                header = [c.strip() for c in cells]
                continue
            if not any(c.strip() for c in cells):
                continue  # blank lines and rows of empty cells (spreadsheets leave them at the end)
            if len(records) >= MAX_ROWS:
                raise ImportFileError(
                    f"The file has more than {MAX_ROWS:,} rows. Split it into files of at most "
                    f"{MAX_ROWS:,} rows.",
                    status=413,
                )
            records.append(Record(start, cells))
    except csv.Error as exc:
        raise ImportFileError(
            f"Line {reader.line_num} is not valid CSV ({exc}). Nothing was imported."
        ) from None
    if not header or not any(header):
        raise ImportFileError("The first line must name the columns (for example: external_id,name,arr).")
    return Table(header, records, delimiter)


_CURRENCY = re.compile(r"^(?:us\$|usd|eur|gbp|[$€£])|(?:usd|eur|gbp|[$€£])$", re.IGNORECASE)


def parse_money(raw: str) -> int:
    """Whole currency units from forms like 12000, 12,000, $12,000.50, 12.000 €, 12k, 1.2m."""
    value = raw.strip().replace("\u00a0", "").replace(" ", "")
    negative = value.startswith("-") or (value.startswith("(") and value.endswith(")"))
    value = value.strip("()-")
    value = _CURRENCY.sub("", value)  # one pass takes a symbol or code off each end
    multiplier = 1
    if value[-1:].lower() in ("k", "m"):
        multiplier = 1000 if value[-1].lower() == "k" else 1_000_000
        value = value[:-1]
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", value):
        value = value.replace(",", "")
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?", value):
        value = value.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d+,\d{1,2}", value):
        value = value.replace(",", ".")
    if not re.fullmatch(r"\d+(\.\d+)?", value):
        raise ValueError(f"“{raw}” is not an amount; write it like 12000 or $12,000.")
    if negative:
        raise ValueError(f"“{raw}” is negative; amounts cannot be below 0.")
    return int(float(value) * multiplier + 0.5)


_SLASHED = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{2}|\d{4})$")
_NAMED_FORMATS = ("%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y")


def _year(text: str) -> int:
    return int(text) + 2000 if len(text) == 2 else int(text)


def infer_day_first(values: list[str]) -> bool | None:
    """Whether a column's a/b/yyyy dates are day-first, judged from its unambiguous values."""
    day_first = month_first = False
    for value in values:
        match = _SLASHED.match(value.strip())
        if match:
            a, b = int(match[1]), int(match[2])
            day_first |= a > 12
            month_first |= b > 12
    if day_first == month_first:
        return None
    return day_first


def parse_date(raw: str, day_first: bool | None = None) -> date:
    """A date from ISO (2025-03-31), 31.03.2025, 03/31/2025 or 31/03/2025, or 31 Mar 2025 and kin."""
    value = raw.strip()
    iso = re.match(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ].*)?$", value)
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        dotted = re.match(r"^(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})$", value)
        if dotted:
            return date(_year(dotted[3]), int(dotted[2]), int(dotted[1]))
        slashed = _SLASHED.match(value)
        if slashed:
            a, b, year = int(slashed[1]), int(slashed[2]), _year(slashed[3])
            if a > 12 or (day_first and b <= 12):
                return date(year, b, a)
            if b > 12 or day_first is False:
                return date(year, a, b)
            if a == b:
                return date(year, a, b)
            raise ValueError(f"“{raw}” could be {a} {_month(b)} or {b} {_month(a)}; write it as YYYY-MM-DD.")
    except ValueError as exc:
        if "could be" in str(exc):
            raise
        raise ValueError(f"“{raw}” is not a real date.") from None
    cleaned = re.sub(r"[,\-]", " ", value)
    cleaned = re.sub(r"\s+", " ", cleaned).strip()
    for fmt in _NAMED_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"“{raw}” is not a date; write it as YYYY-MM-DD (for example 2025-03-31).")


def _month(number: int) -> str:
    return date(2000, number, 1).strftime("%B")


TRUE_WORDS = {"yes", "y", "true", "t", "1", "x", "unsubscribed", "ja", "oui", "si"}
FALSE_WORDS = {"no", "n", "false", "f", "0", "subscribed", "nein", "non"}


def parse_flag(raw: str) -> tuple[bool, date | None]:
    """A yes/no cell; a date counts as yes (and is returned). Raises ValueError otherwise."""
    value = raw.strip().lower()
    if value in TRUE_WORDS:
        return True, None
    if value in FALSE_WORDS:
        return False, None
    try:
        return True, parse_date(raw)
    except ValueError:
        raise ValueError(f"“{raw}” is not yes/no (or a date).") from None
