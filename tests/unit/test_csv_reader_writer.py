"""Reading uploads and writing exports — without Flask or a database."""

from __future__ import annotations

import csv
import io

import pytest

from app.csvio import reader, writer

COLS, REQ = ["sku", "name", "uom"], ["sku", "name"]


@pytest.mark.parametrize("value", ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://x\")"])
def test_cells_that_a_spreadsheet_would_run_get_a_leading_quote(value):
    assert writer.cell(value) == "'" + value


@pytest.mark.parametrize(("value", "text"), [("plain", "plain"), (None, ""), (True, "yes"), (7, "7"),
                                             ("a=b", "a=b"), (" =x", " =x")])
def test_harmless_cells_are_left_as_they_are(value, text):
    assert writer.cell(value) == text


def test_an_export_is_utf8_with_a_bom_and_reads_back_with_the_neutralised_cells():
    text = writer.csv_text(["sku", "name"], [["A-1", "=cmd|' /C calc'!A0"], ["B", "Müller, \"Bob\""]])
    assert text.startswith("\ufeffsku,name\r\n")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[1] == ["A-1", "'=cmd|' /C calc'!A0"] and rows[2] == ["B", "Müller, \"Bob\""]
    table, problems = reader.read(text.encode(), columns=COLS, required=REQ)
    assert problems == [] and table.rows[0][1]["name"] == "=cmd|' /C calc'!A0"


def test_utf8_with_and_without_bom_is_read():
    for data in ("sku,name\nA,Müller\n".encode(), b"\xef\xbb\xbf" + "sku,name\nA,Müller\n".encode()):
        table, problems = reader.read(data, columns=COLS, required=REQ)
        assert problems == [] and table.rows == [(2, {"sku": "A", "name": "Müller"})]


def test_a_windows_1252_file_is_refused_with_the_line_of_the_first_bad_byte():
    _, problems = reader.read("sku,name\nA,x\nB,Müller\n".encode("cp1252"), columns=COLS, required=REQ)
    assert len(problems) == 1 and "not UTF-8" in problems[0].message and "line 3" in problems[0].message


def test_a_utf16_file_is_named_as_such():
    _, problems = reader.read("sku,name\nA,B\n".encode("utf-16"), columns=COLS, required=REQ)
    assert "UTF-16" in problems[0].message


def test_semicolons_and_tabs_are_recognised_by_the_header():
    for sep in (";", "\t"):
        table, problems = reader.read(f"SKU{sep} Name\nA{sep}1,5 kg\n".encode(), columns=COLS, required=REQ)
        assert problems == [] and table.rows == [(2, {"sku": "A", "name": "1,5 kg"})]


def test_line_numbers_count_the_file_lines_through_quoted_line_breaks_and_blank_lines():
    data = b'sku,name\nA,"two\nlines"\n\nB,b\n'
    table, _ = reader.read(data, columns=COLS, required=REQ)
    assert [line for line, _ in table.rows] == [2, 5]


def test_a_missing_required_column_and_a_doubled_column_are_header_problems():
    _, problems = reader.read(b"sku,uom,uom\nA,ea,ea\n", columns=COLS, required=REQ)
    assert [(p.line, p.column) for p in problems] == [(1, "uom"), (1, "name")]
    assert "required column name is missing" in problems[1].message


def test_unknown_columns_are_ignored_and_named():
    table, problems = reader.read(b"sku,name,colour\nA,B,red\n", columns=COLS, required=REQ)
    assert problems == [] and table.ignored == ["colour"] and table.rows[0][1] == {"sku": "A", "name": "B"}


def test_too_many_rows_are_refused(monkeypatch):
    monkeypatch.setattr(reader, "MAX_ROWS", 3)
    _, problems = reader.read(b"sku,name\n" + b"A,B\n" * 4, columns=COLS, required=REQ)
    assert problems[-1].line == 5 and "at most 3" in problems[-1].message


def test_a_row_with_more_cells_than_the_header_is_a_problem_of_its_line():
    _, problems = reader.read(b"sku,name\nA,B,C\n", columns=COLS, required=REQ)
    assert problems[0].line == 2 and "3 cells" in problems[0].message


def test_an_empty_file_and_a_header_only_file_say_so():
    assert "empty" in reader.read(b"", columns=COLS, required=REQ)[1][0].message
    assert "no rows" in reader.read(b"sku,name\n", columns=COLS, required=REQ)[1][0].message
