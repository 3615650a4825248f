"""CSV out: one helper every feature can use for its exports and reports.

    from app.csvio.writer import csv_response
    return csv_response("stock.csv", ["sku", "quantity"], rows)

Every cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading single quote, so a
spreadsheet shows it as text instead of running it as a formula (CSV/formula injection, OWASP). Values that look
like negative numbers are quoted too: safety over convenience. Our own importer takes exactly that quote off
again (see reader.unneutralise), so an export can be imported back.

The file starts with a UTF-8 byte order mark: Excel then reads it as UTF-8 (without it, Excel on Windows guesses
the ANSI code page and mangles accents); LibreOffice and Python's csv ignore it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from flask import Response

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def cell(value) -> str:
    """A value as the text of one CSV cell, neutralised."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, datetime):
        text = value.isoformat(timespec="seconds")
    elif isinstance(value, date):
        text = value.isoformat()
    elif isinstance(value, Decimal):
        text = format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    else:
        text = str(value)
    return neutralise(text)


def neutralise(text: str) -> str:
    return "'" + text if text.startswith(DANGEROUS) else text


def csv_text(header: Iterable[str], rows: Iterable[Iterable]) -> str:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell(h) for h in header])
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return out.getvalue()


def csv_response(filename: str, header: Iterable[str], rows: Iterable[Iterable]) -> Response:
    """A download of `rows` under `header` as `filename` (made safe for the Content-Disposition header)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip("-.") or "export"
    if not safe.lower().endswith(".csv"):
        safe += ".csv"
    resp = Response(csv_text(header, rows), mimetype="text/csv")
    resp.charset = "utf-8"
    resp.headers["Content-Disposition"] = f'attachment; filename="{safe}"'
    resp.headers["Cache-Control"] = "no-store"
    return resp
