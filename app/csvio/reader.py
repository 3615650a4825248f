"""CSV in: decode, find the delimiter, check the header, hand out rows with their line numbers. Pure.

Decisions:
- Encoding: UTF-8, with or without a byte order mark. Anything else is refused with a message that says what the
  file seems to be (UTF-16 from "Unicode text" exports, or a legacy code page such as Windows-1252) and how to save
  it as "CSV UTF-8". Guessing a code page would silently turn "Müller" into "MÃ¼ller" or worse.
- Delimiter: comma, semicolon (Excel in much of Europe) or tab, chosen by which one splits the header into the
  most known column names. Quotes follow RFC 4180 (a quoted cell may hold the delimiter and line breaks).
- Limits: the app refuses uploads over 8 MB (MAX_CONTENT_LENGTH); a file may hold at most MAX_ROWS data rows and
  a cell at most MAX_CELL characters.
- Column names are matched without regard to case or surrounding spaces; columns we do not know are ignored and
  named in a notice (so an export with extra columns can be imported back); a missing required column is a
  problem.
Line numbers are the file's own (the header is line 1), so a spreadsheet user finds the row.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

MAX_ROWS = 3000  # ≈ 4 ms a row on a busy 2-core box: a full file stays well inside the 30 s worker timeout
MAX_CELL = 2000
DELIMITERS = (",", ";", "\t")
NEUTRALISED = ("'=", "'+", "'-", "'@", "'\t", "'\r")


@dataclass(frozen=True, order=True)
class Problem:
    line: int
    column: str
    message: str


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    delimiter: str = ","


def unneutralise(text: str) -> str:
    """Take off the quote our writer put before a formula-like cell."""
    return text[1:] if text.startswith(NEUTRALISED) else text


def decode(data: bytes) -> str:
    """The text of an uploaded file, or ValueError with what is wrong with its encoding."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValueError("The file is UTF-16 (“Unicode text”), not UTF-8. Save it as “CSV UTF-8 (comma delimited)”.")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise ValueError(
            f"The file is not UTF-8: byte 0x{data[err.start]:02X} on line {line} is not valid UTF-8 (the file was "
            "probably saved in a legacy encoding such as Windows-1252). Save it as “CSV UTF-8” and upload it again."
        ) from None
    if "\x00" in text:
        raise ValueError("The file contains NUL characters; it is not a text CSV file (is it an .xlsx?).")
    return text


def _sniff(first_line: str, known: set[str]) -> str:
    def score(d: str) -> tuple[int, int]:
        names = [c.strip().lower() for c in next(csv.reader([first_line], delimiter=d), [])]
        return (sum(1 for n in names if n in known), len(names))

    return max(DELIMITERS, key=score)


def read(data: bytes, *, columns: list[str], required: list[str],
         max_rows: int | None = None) -> tuple[Table | None, list[Problem]]:
    """Parse an upload against the expected columns. Returns the table (None when unusable) and the problems."""
    max_rows = max_rows or MAX_ROWS
    try:
        text = decode(data)
    except ValueError as err:
        return None, [Problem(0, "", str(err))]
    if not text.strip():
        return None, [Problem(0, "", "The file is empty.")]
    known = set(columns)
    first = text.splitlines()[0]
    delimiter = _sniff(first, known)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    problems: list[Problem] = []
    try:
        raw_header = next(reader)
    except csv.Error as err:
        return None, [Problem(1, "", f"The header cannot be read: {err}.")]
    header = [h.strip().lower().lstrip("\ufeff") for h in raw_header]
    seen: set[str] = set()
    for name in header:
        if name in seen and name:
            problems.append(Problem(1, name, f"The column {name} appears twice in the header."))
        seen.add(name)
    missing = [c for c in required if c not in seen]
    for name in missing:
        problems.append(Problem(1, name, f"The required column {name} is missing. Expected columns: "
                                         f"{', '.join(columns)}."))
    table = Table(header=header, ignored=[h for h in header if h and h not in known], delimiter=delimiter)
    if problems:
        return table, problems
    count, last_end = 0, reader.line_num
    try:
        for cells in reader:
            line = last_end + 1
            last_end = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            count += 1
            if count > max_rows:
                problems.append(Problem(line, "", f"Too many rows: at most {max_rows} per file; split the file."))
                break
            if len(cells) > len(header):
                extra = cells[len(header):]
                if any(c.strip() for c in extra):
                    problems.append(Problem(line, "", f"This line has {len(cells)} cells but the header has "
                                                      f"{len(header)}; is a delimiter inside an unquoted cell?"))
                    continue
            row = {}
            for name, value in zip(header, cells, strict=False):
                if name not in known:
                    continue
                if len(value) > MAX_CELL:
                    problems.append(Problem(line, name, f"This cell is too long ({len(value)} characters; "
                                                        f"{MAX_CELL} at most)."))
                row[name] = unneutralise(value.strip())
            table.rows.append((line, row))
    except csv.Error as err:
        problems.append(Problem(reader.line_num, "", f"The file cannot be read from here on: {err}."))
    if not table.rows and not problems:
        problems.append(Problem(0, "", "The file has a header but no rows."))
    return table, problems
