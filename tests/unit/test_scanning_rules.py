"""What a scanned string means: GTINs with check digits, GS1 element strings, our own codes."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.errors import Invalid
from app.scanning.rules import GS, gtin_check_digit, parse


def test_an_ean13_is_an_item_gtin_keyed_by_its_14_digit_form():
    p = parse("4006381333931")
    assert (p.kind, p.key, p.gtin) == ("gtin", "04006381333931", "04006381333931")


def test_an_ean13_starting_with_400_is_not_mistaken_for_gs1_ai_400():
    assert parse("4006381333931").kind == "gtin"


def test_upc_a_ean8_and_upc_e_find_the_same_key_as_their_gtin14():
    assert parse("012345678905").key == "00012345678905"
    assert parse("96385074").key == "00000096385074"
    upc_e = parse("0123456")  # UPC-E without check digit from a scanner → expanded to UPC-A 012345000065
    assert upc_e.key == "00012345000065"


def test_a_wrong_check_digit_is_refused_with_the_expected_digit():
    with pytest.raises(Invalid, match="wrong check digit.*end in 1"):
        parse("4006381333932")


def test_a_gs1_string_gives_gtin_lot_expiry_serial_and_quantity():
    p = parse(f"0107032069804988172612311012AB{GS}21SN-9{GS}3012")
    assert p.kind == "gs1" and p.key == "07032069804988"
    assert (p.lot, p.expiry, p.serial, p.quantity) == ("12AB", date(2026, 12, 31), "SN-9", 12)
    assert p.fields()["expiry"] == "2026-12-31"


def test_gs1_in_human_readable_form_and_with_an_aim_prefix_is_read_alike():
    a = parse("(01)07032069804988(17)261231(10)L1")
    b = parse("]C1010703206980498817261231" + "10L1")
    assert (a.key, a.expiry, a.lot) == (b.key, b.expiry, b.lot) == ("07032069804988", date(2026, 12, 31), "L1")


def test_gs1_separator_stand_ins_typed_by_wedge_scanners_are_understood():
    p = parse("01070320698049881012AB<GS>21X")
    assert (p.lot, p.serial) == ("12AB", "X")


def test_a_contained_trade_item_count_becomes_the_quantity():
    p = parse("02070320698049883712")
    assert (p.gtin, p.quantity) == ("07032069804988", 12)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("0107032069804989", "check digit"),  # bad GTIN check digit inside GS1
        ("010703206980498817261332", "not a real date"),  # month 13
        ("0107032069804988172612", "expiry date \\(AI 17\\) is cut short"),  # truncated expiry
        ("0107032069804988172102301099", "expiry date"),  # 30 February
        ("01070320698049881", "malformed"),  # a stray digit after the GTIN
        (f"{GS}", "names no product"),
    ],
)
def test_malformed_gs1_is_refused_with_a_specific_reason(raw, message):
    with pytest.raises(Invalid, match=message):
        parse(raw)


def test_own_codes_are_upper_cased_and_trimmed_of_scanner_suffixes():
    p = parse("  wh1-a1-1\r\n")
    assert (p.kind, p.key) == ("code", "WH1-A1-1")


@pytest.mark.parametrize("raw", ["", "   ", "\r\n"])
def test_an_empty_scan_asks_for_a_code(raw):
    with pytest.raises(Invalid, match="Scan or type a code"):
        parse(raw)


def test_absurdly_long_or_control_character_input_is_refused():
    with pytest.raises(Invalid, match="too long"):
        parse("A" * 500)
    with pytest.raises(Invalid, match="control characters"):
        parse("AB\x07C")


@given(st.text(max_size=120))
def test_any_input_either_parses_or_raises_invalid_never_anything_else(raw):
    try:
        parse(raw)
    except Invalid:
        pass


@given(st.text(alphabet="0123456789", min_size=7, max_size=13))
def test_every_body_with_its_computed_check_digit_is_a_valid_gtin(body):
    digits = body + str(gtin_check_digit(body))
    if len(digits) in (8, 12, 13, 14):
        assert parse(digits).key == digits.zfill(14)


def test_a_gs1_string_cut_off_inside_its_gtin_is_called_cut_short_not_unknown():
    with pytest.raises(Invalid, match=r"cut short: the GTIN \(AI 01\) needs 14 digits, and only 13 were read"):
        parse("010950600013435")


def test_an_impossible_expiry_quotes_the_date_alone():
    with pytest.raises(Invalid, match=r"not a real date in YYMMDD form \(got '251331'\)\.$"):
        parse("0107032069804988172513311012A")
