"""What a scanned string means, before any database lookup. Pure: no Flask, no session.

GS1 parsing is done by `biip` (imported through .gs1, which leaves out its company-prefix table). Our decisions on top of it:
- digits only, 8/12/13/14 long → a GTIN (EAN-8, UPC-A, EAN-13, GTIN-14), check digit enforced. A plain EAN-13
  starting with 400 is therefore an item, never GS1 AI 400 (a trap noted in FIELD-NOTES).
- GS1 element strings (GS1-128, GS1 DataMatrix/QR, with GS as the FNC1 separator; also the human-readable
  "(01)…(17)…" form and AIM symbology prefixes like "]C1") → GTIN, lot, expiry, serial, quantity.
- anything else → one of our own codes (locations, assets, documents), upper-cased.
The lookup key of a GTIN is its 14-digit form, so an EAN-13 and the GTIN inside a GS1 string find the same item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ..errors import Invalid
from .gs1 import GS1Message, Gtin, ParseConfig
from .gs1 import parse as biip_parse

GS = "\x1d"
MAX_LENGTH = 200
GTIN_LENGTHS = (8, 12, 13, 14)
# Symbology identifiers (ISO/IEC 15424) a scanner may prefix; the GS1 ones announce an element string.
AIM_GS1 = ("]C1", "]e0", "]d2", "]Q3", "]J1")
AIM_PREFIX = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
OWN_CODE = re.compile(r"^[A-Z0-9][A-Z0-9\-./:_ ]{0,79}$")
GS1_SYMBOLOGIES = {"gs1_128", "gs1_datamatrix", "gs1_qr", "databar", "databar_expanded"}
# AIs that make a digit string look like GS1 even without a separator: SSCC, GTIN, contained GTIN.
# The code on a person's badge begins so (app.auth.rules.badge_code); no other thing may take such a code.
BADGE_PREFIX = "USR-"

GS1_LEAD = re.compile(r"^(00\d{18}|0[12]\d{14})")
# All digits, "01"/"02" and then fewer than 14: a GTIN field cut off (a torn label, a scan stopped early). Shorter
# strings stay candidates for our own codes and UPC-E.
GS1_CUT_SHORT = re.compile(r"^0[12]\d{9,13}$")


@dataclass(frozen=True)
class ParsedCode:
    raw: str
    key: str  # what the code registry is searched by
    kind: str  # "gtin", "gs1" or "code"
    gtin: str | None = None  # 14 digits
    lot: str | None = None
    expiry: date | None = None
    best_before: date | None = None
    serial: str | None = None
    quantity: int | None = None  # AI 30 (variable count) or AI 37 (count of contained items)
    sscc: str | None = None
    symbology: str | None = None

    @property
    def is_gs1(self) -> bool:
        return self.kind == "gs1"

    def fields(self) -> dict:
        """The parsed GS1 data as plain values (for the API and the page)."""
        out = {"gtin": self.gtin, "lot": self.lot, "serial": self.serial, "quantity": self.quantity, "sscc": self.sscc}
        out["expiry"] = self.expiry.isoformat() if self.expiry else None
        out["best_before"] = self.best_before.isoformat() if self.best_before else None
        return {k: v for k, v in out.items() if v is not None}


def gtin_check_digit(body: str) -> int:
    """GS1 mod-10 check digit of the digits before it."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def normalise_gtin(digits: str) -> str:
    return digits.zfill(14)


def _clean(raw: str) -> str:
    if raw is None:
        raw = ""
    # Keyboard-wedge scanners end with Enter or Tab; some send the FNC1 separator as a visible stand-in.
    text = raw.strip(" \r\n\t")
    text = text.replace("<GS>", GS).replace("\\x1d", GS).replace("\u241d", GS)
    return text


def parse(raw: str, symbology: str | None = None) -> ParsedCode:
    text = _clean(raw)
    if not text:
        raise Invalid("Scan or type a code.", field="code")
    if len(text) > MAX_LENGTH:
        raise Invalid(f"That code is too long ({len(text)} characters; {MAX_LENGTH} at most).", field="code")
    if any(ord(c) < 32 and c != GS for c in text):
        raise Invalid("That code contains control characters; scan it again.", field="code")

    aim = None
    if AIM_PREFIX.match(text):
        aim, text = text[:3], text[3:]
    gs1_announced = (aim in AIM_GS1) or (symbology in GS1_SYMBOLOGIES) or GS in text or text.startswith("(")

    if text.isdigit() and len(text) in GTIN_LENGTHS and not gs1_announced:
        return _parse_gtin(raw, text, symbology or aim)
    if text.isdigit() and len(text) in (6, 7) and symbology in (None, "upc_e"):
        return _parse_upc_e(raw, text, symbology or aim)
    if gs1_announced or GS1_LEAD.match(text):
        return _parse_gs1(raw, text, symbology or aim)
    if GS1_CUT_SHORT.match(text):
        raise Invalid(f"This GS1 code is cut short: the GTIN (AI {text[:2]}) needs 14 digits, and only "
                      f"{len(text) - 2} were read. Scan it again.", field="code")
    return _own_code(raw, text, symbology or aim)


def _parse_gtin(raw: str, digits: str, symbology: str | None) -> ParsedCode:
    expected = gtin_check_digit(digits[:-1])
    if int(digits[-1]) != expected:
        if len(digits) == 8:
            # Eight digits with a bad EAN-8 check digit may still be a UPC-E with number system and check digit.
            try:
                return _parse_upc_e(raw, digits, symbology)
            except Invalid:
                pass
        raise Invalid(
            f"The barcode {digits} has a wrong check digit (it should end in {expected}). "
            "Scan it again, or type it carefully.",
            field="code",
        )
    gtin = normalise_gtin(digits)
    return ParsedCode(raw=raw, key=gtin, kind="gtin", gtin=gtin, symbology=symbology)


def _parse_upc_e(raw: str, digits: str, symbology: str | None) -> ParsedCode:
    result = biip_parse(digits)
    if result.upc is None:
        raise Invalid(f"The barcode {digits} is not a valid UPC-E code.", field="code")
    upc_a = result.upc.as_upc_a()
    gtin = normalise_gtin(upc_a)
    return ParsedCode(raw=raw, key=gtin, kind="gtin", gtin=gtin, symbology=symbology or "upc_e")


def _parse_gs1(raw: str, text: str, symbology: str | None) -> ParsedCode:
    try:
        if text.startswith("("):
            message = GS1Message.parse_hri(text, config=ParseConfig())
        else:
            result = biip_parse(text, config=ParseConfig(separator_chars=(GS,)))
            message = result.gs1_message
            if message is None:
                raise ValueError(result.gs1_message_error or "not a GS1 element string")
            if result.gtin_error and "check digit" in result.gtin_error:
                raise ValueError(result.gtin_error)
    except Exception as err:  # noqa: BLE001 - biip raises several error types; all mean "malformed"
        raise Invalid(f"This GS1 code is malformed: {_friendly(str(err))}", field="code") from None

    values: dict[str, str] = {}
    dates: dict[str, date] = {}
    for element in message.element_strings:
        values[element.ai.ai] = element.value
        if element.date is not None:
            dates[element.ai.ai] = element.date
    gtin_raw = values.get("01") or values.get("02")
    if gtin_raw is not None:
        try:
            Gtin.parse(gtin_raw)
        except Exception as err:  # noqa: BLE001
            raise Invalid(f"This GS1 code is malformed: {_friendly(str(err))}", field="code") from None
    quantity = None
    for ai in ("30", "37"):
        if ai in values:
            quantity = int(values[ai])
    if quantity is not None and quantity <= 0:
        raise Invalid("This GS1 code carries a quantity of zero.", field="code")
    gtin = normalise_gtin(gtin_raw) if gtin_raw else None
    sscc = values.get("00")
    key = gtin or sscc
    if key is None:
        raise Invalid("This GS1 code names no product (it has no GTIN, AI 01 or 02, and no SSCC).", field="code")
    return ParsedCode(
        raw=raw,
        key=key,
        kind="gs1",
        gtin=gtin,
        lot=values.get("10"),
        expiry=dates.get("17"),
        best_before=dates.get("15"),
        serial=values.get("21"),
        quantity=quantity,
        sscc=sscc,
        symbology=symbology,
    )


def _own_code(raw: str, text: str, symbology: str | None) -> ParsedCode:
    key = text.upper()
    if not OWN_CODE.match(key):
        raise Invalid(
            "That is not a code Storekeeper knows how to read (letters, digits and - . / : _ only).", field="code"
        )
    return ParsedCode(raw=raw, key=key, kind="code", symbology=symbology)


AI_NAMES = {"00": "SSCC", "01": "GTIN", "02": "contained GTIN", "10": "lot", "11": "production date",
            "15": "best-before date", "17": "expiry date", "21": "serial", "30": "count", "37": "count"}
DATE_AIS = {"11", "13", "15", "16", "17"}
_PATTERN_MISS = re.compile(r"Failed to match '([^']*)' with GS1 AI \((\d+)\)")
_DATE_MISS = re.compile(r"Failed to parse GS1 AI \((\d+)\) date/time from '([^']*)'")


def _friendly(message: str) -> str:
    """biip's messages name regexes; a person at a shelf needs to know which part of the label is wrong."""
    miss = _PATTERN_MISS.search(message) or _DATE_MISS.search(message)
    if miss:
        if miss.re is _PATTERN_MISS:
            ai, value = miss.group(2), miss.group(1)[len(miss.group(2)):]
        else:
            ai, value = miss.groups()
        what = AI_NAMES.get(ai, "value")
        if ai in DATE_AIS and len(value) < 6:
            return f"the {what} (AI {ai}) is cut short: a date needs 6 digits, YYMMDD (got '{value}')."
        if ai in DATE_AIS:  # biip quotes the rest of the string; the date is its first six digits
            return f"the {what} (AI {ai}) is not a real date in YYMMDD form (got '{value[:6]}')."
        return f"the {what} (AI {ai}) is missing or cut short (got '{value}')."
    stray = re.search(r"Failed to get GS1 Application Identifier from '([^']*)'", message)
    if stray:
        return f"'{stray.group(1)}' is not a GS1 field (unknown application identifier, or a field cut short)."
    message = message.replace("Invalid GTIN check digit", "wrong GTIN check digit")
    return message.rstrip(".") + "."
