"""Request and response bodies of the API (pydantic), shared by the handlers and the OpenAPI document."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from ..assets.rules import MAX_LIFE_MONTHS, MAX_MONEY
from ..types import MAX_ROW_ID
from .paging import CURSOR


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value):
        # PostgreSQL cannot store or compare a NUL character: without this a search for one was a 500 there (found
        # by the schemathesis run on PostgreSQL); no code, name or note needs it.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class Body(Strict):
    """A request body. Validated from the JSON text in pydantic's strict mode: a date is a "YYYY-MM-DD" string (not
    0, which lax mode read as 1970-01-01), a whole number is a JSON integer (not true, 1.0 or "1"), a flag is true or
    false. Amounts and quantities stay JSON numbers or decimal strings (strict=False on them), as documented."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)


_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _moment_text(value):
    # Even strict mode reads a number, or a string of digits, as Unix time: a moment is a date and time (with its
    # offset) as text. (The datetime itself is then read leniently: a validator before it sees Python values.)
    if isinstance(value, datetime) or (isinstance(value, str) and _MOMENT.match(value.strip())):
        return value
    raise PydanticCustomError("datetime_from_text", "Give a date and time with its offset, e.g. "
                              "2030-02-01T09:00:00+01:00 or 2030-02-01T08:00:00Z")


Moment = Annotated[AwareDatetime, Field(strict=False), BeforeValidator(_moment_text)]


def in_utc(cls, value: datetime | None) -> datetime | None:
    """The moment in UTC, as the database stores and compares it; one that falls outside the calendar there
    (0001-01-01T00:00:00+14:00 is in year 0) is refused here rather than failing in a query."""
    if value is None:
        return None
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError("datetime_range", "Choose a time within five years of now") from None


class ScanIn(Body):
    code: str = Field(min_length=1, max_length=200, description="What the scanner read (GS1 separators as \\u001d)")
    format: str | None = Field(default=None, max_length=30, description="Symbology, when the decoder reports it")


class Gs1Fields(BaseModel):
    gtin: str | None = None
    lot: str | None = None
    expiry: str | None = None
    best_before: str | None = None
    serial: str | None = None
    quantity: int | None = None
    sscc: str | None = None


class ScanOut(BaseModel):
    kind: Literal["item", "location", "asset", "document", "unknown"] | str
    code: str
    title: str
    target_id: int | None = None
    pack_quantity: int = 1
    gs1: Gs1Fields
    facts: dict[str, str] = {}
    warnings: list[str] = []


LOCATION_CODE = r"^[A-Za-z0-9][A-Za-z0-9\-.]{0,39}$"


class LocationIn(Body):
    code: str = Field(pattern=LOCATION_CODE, description="Letters, digits, '-' and '.'; stored upper-case")
    name: str = Field(default="", max_length=120)
    kind: Literal["site", "zone", "bin", "dock", "van"]
    parent: str | None = Field(default=None, pattern=LOCATION_CODE, description="Code of the parent location")
    walk_order: int = Field(default=0, ge=0, le=1_000_000)


class LocationOut(BaseModel):
    code: str
    name: str
    kind: str
    parent: str | None
    walk_order: int
    active: bool


After = Field(default=None, pattern=CURSOR, description="The `next` of the previous page (opaque)")
Next = Field(default=None, description="Pass as `after` for the rows that follow; null on the last page")


class LocationList(BaseModel):
    """Locations in walking order, then by code; a page at a time."""

    items: list[LocationOut]
    next: str | None = Next


class LocationQuery(Strict):
    kind: Literal["site", "zone", "bin", "dock", "van"] | None = None
    q: str | None = Field(default=None, max_length=80, description="Part of the code or name")
    after: str | None = After
    limit: int = Field(default=500, ge=1, le=1000)


class Me(BaseModel):
    id: int
    email: str
    name: str
    role: str


# --- items and stock -------------------------------------------------------------------------------------------
SKU = r"^[A-Za-z0-9][A-Za-z0-9\-._/]{0,39}$"


class BarcodeIn(Body):
    code: str = Field(min_length=6, max_length=80, description="EAN-8/13, UPC-A/E or GTIN-14, check digit included")
    level: Literal["each", "inner", "case"] = "each"
    pack_quantity: int = Field(default=1, ge=1, le=100_000)


class ItemIn(Body):
    sku: str = Field(pattern=SKU)
    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=4000)
    uom: str = Field(default="ea", max_length=10)
    tracking: Literal["none", "lot", "serial"] = "none"
    expiry_required: bool = False
    reorder_point: Decimal = Field(strict=False, default=Decimal(0), ge=0, le=10**9)
    safety_stock: Decimal = Field(strict=False, default=Decimal(0), ge=0, le=10**9)
    lead_time_days: int = Field(default=0, ge=0, le=3650)
    standard_cost: Decimal = Field(strict=False, default=Decimal(0), ge=0, le=10**9)
    valuation_method: Literal["fifo", "lifo", "average"] | None = None
    barcodes: list[BarcodeIn] = Field(default=[], max_length=20)


class ItemPatch(Body):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=4000)
    uom: str | None = Field(default=None, max_length=10)
    tracking: Literal["none", "lot", "serial"] | None = None
    expiry_required: bool | None = None
    reorder_point: Decimal | None = Field(strict=False, default=None, ge=0, le=10**9)
    safety_stock: Decimal | None = Field(strict=False, default=None, ge=0, le=10**9)
    lead_time_days: int | None = Field(default=None, ge=0, le=3650)
    standard_cost: Decimal | None = Field(strict=False, default=None, ge=0, le=10**9)
    valuation_method: Literal["fifo", "lifo", "average"] | None = None
    active: bool | None = None


class BarcodeOut(BaseModel):
    code: str
    level: str
    pack_quantity: int


class ItemOut(BaseModel):
    sku: str
    name: str
    description: str
    uom: str
    tracking: str
    expiry_required: bool
    reorder_point: Decimal
    safety_stock: Decimal
    lead_time_days: int
    standard_cost: Decimal
    valuation_method: str
    active: bool
    on_hand: Decimal
    barcodes: list[BarcodeOut]


class ItemList(BaseModel):
    """Items by SKU; a page at a time."""

    items: list[ItemOut]
    next: str | None = Next


class ItemQuery(Strict):
    q: str | None = Field(default=None, max_length=80, description="Part of the SKU or name")
    after: str | None = After
    limit: int = Field(default=100, ge=1, le=500)


class StockQuery(Strict):
    sku: str | None = Field(default=None, max_length=40)
    location: str | None = Field(default=None, max_length=40)
    after: str | None = After
    limit: int = Field(default=1000, ge=1, le=5000)


class BalanceOut(BaseModel):
    sku: str
    location: str
    lot: str
    on_hand: Decimal
    allocated: Decimal
    available: Decimal


class BalanceList(BaseModel):
    """Balances by SKU, then location in walking order, then lot; a page at a time."""

    items: list[BalanceOut]
    next: str | None = Next


# As the stock rules take it (GS1 AI 10/21): up to 20 printable characters.
Lot = Field(default=None, max_length=20, description="The lot or serial number: up to 20 characters, no spaces")
Amount = Field(strict=False, gt=0, le=10**9, description="In the item's unit; whole numbers for items counted in units")


class ReceiveIn(Body):
    """Goods arriving. Limits: quantity × unit cost at most 100,000,000,000 for one receipt, and an item's stock at
    most 500,000,000,000 in value (422 beyond)."""

    sku: str = Field(max_length=40)
    location: str = Field(max_length=40)
    quantity: Decimal = Amount
    unit_cost: Decimal | None = Field(strict=False, default=None, ge=0, le=10**9)
    lot: str | None = Lot
    expiry: date | None = None
    purchase_order: str | None = Field(default=None, max_length=40)


class MoveIn(Body):
    sku: str = Field(max_length=40)
    from_location: str = Field(max_length=40)
    to_location: str = Field(max_length=40)
    quantity: Decimal = Amount
    lot: str | None = Lot


class PickIn(Body):
    sku: str = Field(max_length=40)
    location: str = Field(max_length=40)
    quantity: Decimal = Amount
    order: str | None = Field(default=None, max_length=80, description="The number of one of our orders: the "
                              "pick is made from its pick list (its reservation in this location is used up and "
                              "its line counts the pick; 409 when the order has nothing to pick there). Any other "
                              "reference is kept on the movement")
    lot: str | None = Lot


class ReturnIn(Body):
    sku: str = Field(max_length=40)
    location: str = Field(max_length=40, description="The bin the stock goes back into")
    quantity: Decimal = Amount
    lot: str | None = Lot
    reason: str | None = Field(default=None, max_length=40, description="Why it came back, kept on the movement")
    reference: str | None = Field(default=None, max_length=80, description="The job, order or customer it came from")


class CountIn(Body):
    sku: str = Field(max_length=40)
    location: str = Field(max_length=40)
    counted: Decimal = Field(strict=False, ge=0, le=10**9)
    lot: str | None = Lot


class MovedOut(BaseModel):
    kind: str
    sku: str
    quantity: str
    lot: str = ""
    from_location: str | None = None
    to_location: str | None = None
    movement_ids: list[int] = []
    on_hand_from: str | None = None
    on_hand_to: str | None = None
    notes: list[str] = []


class CountOut(BaseModel):
    count: str
    sku: str
    location: str
    expected: Decimal
    counted: Decimal
    adjustment: Decimal


# --- assets ----------------------------------------------------------------------------------------------------

TAG = r"^[A-Za-z0-9][A-Za-z0-9\-._/]{0,39}$"


class ModelRef(Body):
    manufacturer: str = Field(min_length=1, max_length=80)
    name: str = Field(min_length=1, max_length=120)
    category: str = Field(min_length=1, max_length=60, description="Must be the model's category when the make and "
                          "model are registered already (409 otherwise)")


class AssetIn(Body):
    tag: str = Field(pattern=TAG)
    model: ModelRef
    serial: str | None = Field(default=None, max_length=80)
    location: str | None = Field(default=None, max_length=40)
    department: str | None = Field(default=None, max_length=80)
    purchase_date: date | None = None
    cost: Decimal = Field(strict=False, default=Decimal(0), ge=0, le=MAX_MONEY)
    supplier: str | None = Field(default=None, max_length=120)
    po_ref: str | None = Field(default=None, max_length=60)
    warranty_end: date | None = None
    useful_life_months: int | None = Field(default=None, ge=1, le=MAX_LIFE_MONTHS)
    salvage_value: Decimal = Field(strict=False, default=Decimal(0), ge=0, le=MAX_MONEY)
    depreciation_method: Literal["straight_line", "declining_balance", "none"] = "straight_line"
    pool: Literal["loaner", "demo", "rental"] | None = None


class AssetPatch(Body):
    serial: str | None = Field(default=None, max_length=80)
    location: str | None = Field(default=None, max_length=40)
    department: str | None = Field(default=None, max_length=80)
    warranty_end: date | None = None
    pool: Literal["loaner", "demo", "rental"] | None = None
    notes: str | None = Field(default=None, max_length=4000)


class AssetOut(BaseModel):
    tag: str
    manufacturer: str
    model: str
    category: str
    serial: str | None
    status: str
    location: str | None
    department: str | None
    assignee: str | None
    purchase_date: date | None
    cost: Decimal
    warranty_end: date | None
    pool: str | None
    book_value: Decimal | None
    last_seen_at: datetime | None


class AssetList(BaseModel):
    """Assets by tag; a page at a time."""

    items: list[AssetOut]
    next: str | None = Next


class AssetQuery(Strict):
    q: str | None = Field(default=None, max_length=80)
    status: str | None = Field(default=None, max_length=20)
    pool: Literal["loaner", "demo", "rental"] | None = None
    after: str | None = After
    limit: int = Field(default=200, ge=1, le=500)


class CheckoutIn(Body):
    assignee: str = Field(min_length=1, max_length=254, description="A user's email, or a customer's name for demo units")
    due: date
    condition: Literal["new", "good", "fair", "worn", "damaged"] = "good"


class CheckinIn(Body):
    condition: Literal["new", "good", "fair", "worn", "damaged"] = "good"
    damage: str | None = Field(default=None, max_length=2000)
    location: str | None = Field(default=None, max_length=40)


class PartIn(Body):
    sku: str = Field(max_length=40)
    location: str = Field(max_length=40)
    quantity: int = Field(ge=1, le=100_000)


class MaintenanceIn(Body):
    kind: Literal["preventive", "corrective", "inspection", "calibration"]
    findings: str | None = Field(default=None, max_length=4000)
    labour_minutes: int = Field(default=0, ge=0, le=100_000)
    cost: Decimal = Field(strict=False, default=Decimal(0), ge=0, le=10**9)
    downtime_minutes: int = Field(default=0, ge=0, le=1_000_000)
    parts: list[PartIn] = Field(default=[], max_length=50)


class LoanOut(BaseModel):
    tags: list[str]
    holder: str
    due_on: date


class ReturnOut(BaseModel):
    tag: str
    holder: str
    condition: str
    maintenance_opened: bool


class MaintenanceOut(BaseModel):
    tag: str
    record_id: int
    parts: int


class ReservationIn(Body):
    tag: str | None = Field(default=None, max_length=40, description="One asset; or give model_id for any unit")
    model_id: int | None = Field(default=None, ge=1, le=MAX_ROW_ID)
    # Aware only: a time without an offset means a different moment in every time zone (and was a 500).
    starts_at: Moment = Field(description="With its UTC offset, e.g. 2030-02-01T09:00:00+01:00 or …Z; at most "
                              "five years ago")
    ends_at: Moment = Field(description="With its UTC offset; after starts_at and at most five years from now")
    holder: str | None = Field(default=None, max_length=254, description="A user's email (default: you)")
    customer: str | None = Field(default=None, max_length=120)
    note: str | None = Field(default=None, max_length=200)

    # Stored and compared in UTC: 0001-01-01T00:00:00+14:00 is before year 1 there (it was a 500 in the overlap
    # query). The five-year window itself is the rule's (assets.rules.check_window), for forms as well.
    _in_utc = field_validator("starts_at", "ends_at", mode="after")(in_utc)


class ReservationOut(BaseModel):
    id: int
    tag: str | None
    model_id: int
    starts_at: datetime
    ends_at: datetime
    state: str
    holder: str


class ReservationList(BaseModel):
    """Reservations by start, then id; a page at a time."""

    items: list[ReservationOut]
    next: str | None = Next


class ReservationQuery(Strict):
    """Without filters: the open reservations (booked, or a unit set aside) that have not ended yet."""

    tag: str | None = Field(default=None, max_length=40, description="Only this asset's")
    state: Literal["open", "booked", "ready", "collected", "cancelled", "expired", "any"] = Field(
        default="open", description="open = booked or ready; any = every state")
    since: Moment | None = Field(default=None, description="Only those ending after this moment (default: "
                                        "now), with its UTC offset")
    after: str | None = After
    limit: int = Field(default=200, ge=1, le=500)

    _in_utc = field_validator("since", mode="after")(in_utc)


# --- feeds -----------------------------------------------------------------------------------------------------


class FeedQuery(Strict):
    after: str | None = Field(default=None, pattern=r"^\d{1,18}-\d{1,18}$", description="The `next` of the last page")
    limit: int = Field(default=200, ge=1, le=1000)


class MovementOut(BaseModel):
    id: int
    kind: str
    sku: str
    from_location: str | None
    to_location: str | None
    quantity: Decimal
    lot: str
    unit_cost: Decimal | None
    total_cost: Decimal | None
    reference: str
    actor: str | None
    source: str
    scan_id: str | None
    at: datetime


class MovementPage(BaseModel):
    items: list[MovementOut]
    next: str = Field(description="Pass as `after` to get what follows; unchanged when nothing new")


class EventOut(BaseModel):
    id: int
    tag: str
    seq: int
    kind: str
    status_after: str
    actor: str | None
    source: str | None
    data: dict | None
    at: datetime


class EventPage(BaseModel):
    items: list[EventOut]
    next: str
