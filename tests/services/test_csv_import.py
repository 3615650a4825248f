"""CSV imports through the services: the dry run lists every problem and writes nothing; an import applies every
row or none, in one transaction, and opening stock goes through the ledger."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from app.assets.models import Asset, AssetEvent
from app.auth.models import User
from app.csvio.kinds import KINDS
from app.csvio.services import run_import
from app.extensions import db
from app.locations.models import Location
from app.scanning.models import ScanCode
from app.stock import orders
from app.stock import queries as stock_queries
from app.stock.models import Item, ItemBarcode, Order, OrderLine, StockMovement
from app.uow import UnitOfWork
from tests.stock_fixtures import new_ean


def run(kind: str, text: str, *, dry_run: bool = False, actor_id: int | None = None):
    report = run_import(KINDS[kind], text.encode(), actor_id=actor_id, dry_run=dry_run, uow=UnitOfWork(),
                        hash_method="pbkdf2:sha256:1000")
    db.session.rollback()
    return report


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def where(report) -> list[tuple[int, str]]:
    return [(p.line, p.column) for p in report.problems]


def snapshot():
    return [count(m) for m in (Item, ItemBarcode, ScanCode, Location, StockMovement, Asset, User)]


# --- items -----------------------------------------------------------------------------------------------------------

def test_a_dry_run_of_items_reports_each_problem_with_its_line_and_column_and_writes_nothing(warehouse):
    good, case = new_ean(), new_ean()
    bad_check = good[:-1] + str((int(good[-1]) + 1) % 10)
    text = (
        "sku,name,uom,reorder_point,each_barcode,case_barcode,case_qty,expiry_required\n"
        f"BOLT-M6,Bolt M6,ea,50,{good},{case},100,no\n"          # 2 fine
        f"NUT-M6,Nut M6,bucket,10,{bad_check},,,\n"              # 3 unknown uom + bad check digit
        "BOLT-M6,Bolt again,ea,,,,,\n"                           # 4 duplicate SKU of line 2
        "WASHER,Washer,ea,-5,,,,maybe\n"                         # 5 negative reorder point, not a yes/no
        f"PIN,Pin,ea,,,{new_ean()},,\n"                           # 6 case barcode without its quantity
        ",No SKU,ea,,,,,\n"                                      # 7 empty SKU
    )
    before = snapshot()
    report = run("items", text, dry_run=True)
    assert where(report) == [(3, "each_barcode"), (3, "uom"), (4, "sku"), (5, "expiry_required"),
                             (5, "reorder_point"), (6, "case_qty"), (7, "sku")]
    messages = {(p.line, p.column): p.message for p in report.problems}
    assert "wrong check digit" in messages[(3, "each_barcode")]
    assert "Unknown unit of measure 'bucket'" in messages[(3, "uom")]
    assert "BOLT-M6 is already used" in messages[(4, "sku")]
    assert "cannot be negative" in messages[(5, "reorder_point")]
    assert not report.applied and snapshot() == before


def test_a_clean_items_file_is_checked_then_imported_with_barcodes_and_pack_quantities(warehouse):
    each, case = new_ean(), new_ean()
    text = ("sku,name,uom,standard_cost,each_barcode,case_barcode,case_qty\n"
            f"bolt-m6,Bolt M6,ea,0.12,{each},{case},100\nRAG,Rag,kg,1.50,,,\n")
    before = snapshot()
    checked = run("items", text, dry_run=True)
    assert checked.ok and checked.rows == 2 and not checked.applied and snapshot() == before
    done = run("items", text)
    assert done.applied and done.problems == []
    bolt = stock_queries.item_by_sku(db.session, "BOLT-M6")
    assert bolt.standard_cost == Decimal("0.12")
    assert {(b.level, b.label, b.pack_qty) for b in bolt.barcodes} == {("each", each, 1), ("case", case, 100)}
    assert db.session.get(ScanCode, "BOLT-M6").kind == "item"


def test_one_bad_row_and_nothing_of_the_file_is_imported(warehouse):
    text = "sku,name\nA-1,One\nA-2,Two\nA 3,Three\nA-4,Four\n"
    before = snapshot()
    report = run("items", text)
    assert where(report) == [(4, "sku")] and not report.applied
    assert snapshot() == before


def test_a_barcode_already_on_another_item_is_reported_on_its_column(warehouse, make_item):
    existing = make_item("OLD")
    report = run("items", f"sku,name,each_barcode\nNEW,New,{existing.ean}\n")
    assert where(report) == [(2, "each_barcode")] and "already belongs" in report.problems[0].message


# --- locations -------------------------------------------------------------------------------------------------------

def test_locations_report_unknown_parents_duplicates_and_kinds_and_accept_children_before_parents(app):
    text = ("code,name,kind,parent,walk_order\n"
            "B-01,Bin 1,bin,Z-A,10\n"       # 2 fine: its zone comes later in the file
            "Z-A,Zone A,zone,S1,\n"          # 3 fine
            "S1,Site,site,,\n"               # 4 fine
            "B-02,Bin 2,bin,Z-NOPE,11\n"     # 5 unknown parent
            "B-01,Again,bin,Z-A,\n"          # 6 duplicate code
            "V1,Van,truck,,\n"               # 7 unknown kind
            "B-03,Bin 3,bin,Z-A,first\n")    # 8 not a number
    report = run("locations", text, dry_run=True)
    assert where(report) == [(5, "parent"), (6, "code"), (7, "kind"), (8, "walk_order")]
    assert "No location with code Z-NOPE" in report.problems[0].message
    assert count(Location) == 0
    good = "\n".join(text.splitlines()[:4]) + "\n"
    assert run("locations", good).applied
    assert db.session.scalar(select(Location).where(Location.code == "B-01")).path() == "S1 › Z-A › B-01"


# --- opening stock ---------------------------------------------------------------------------------------------------

def test_opening_stock_problems_are_listed_by_line_and_column(warehouse, make_item):
    make_item("BOLT-M6")
    make_item("LOT-1", tracking="lot")
    text = ("sku,location,quantity,unit_cost,lot,expiry\n"
            "BOLT-M6,A-01,-5,,,\n"                  # 2 negative
            "BOLT-M6,A-01,5000000000,,,\n"          # 3 absurd
            "BOLT-M6,A-01,1.5,,,\n"                 # 4 fraction of a unit
            "NOPE,A-01,5,,,\n"                      # 5 unknown SKU
            "BOLT-M6,Z-99,5,,,\n"                   # 6 unknown location
            "LOT-1,A-02,5,,L1,31/12/2030\n"         # 7 malformed date
            "LOT-1,A-02,5,,,\n"                     # 8 lot missing for a lot-tracked item
            "BOLT-M6,A-01,5,abc,,\n")               # 9 bad cost
    before = snapshot()
    report = run("stock", text, dry_run=True)
    assert where(report) == [(2, "quantity"), (3, "quantity"), (4, "quantity"), (5, "sku"), (6, "location"),
                             (7, "expiry"), (8, "lot"), (9, "unit_cost")]
    assert "cannot be negative" in report.problems[0].message
    assert "not believable" in report.problems[1].message
    assert "not a date" in report.problems[5].message
    assert snapshot() == before


def test_opening_stock_applies_as_ledger_receipts_and_the_ledger_reconciles(warehouse, make_item):
    make_item("BOLT-M6", standard_cost="0.10")
    make_item("LOT-1", tracking="lot")
    text = ("sku,location,quantity,unit_cost,lot,expiry\n"
            "BOLT-M6,A-01,500,0.12,,\nBOLT-M6,A-02,250,,,\nLOT-1,A-03,40,2.00,L-2030,2030-12-31\n")
    report = run("stock", text, actor_id=warehouse.manager_id)
    assert report.applied, report.problems
    s = db.session
    bolt = stock_queries.item_by_sku(s, "BOLT-M6")
    assert stock_queries.total_on_hand(s, bolt.id) == Decimal(750)
    moves = s.scalars(select(StockMovement).order_by(StockMovement.id)).all()
    assert [(m.kind, m.quantity, m.reference, m.actor_id) for m in moves] == [
        ("receipt", Decimal(500), "opening stock (CSV import)", warehouse.manager_id),
        ("receipt", Decimal(250), "opening stock (CSV import)", warehouse.manager_id),
        ("receipt", Decimal(40), "opening stock (CSV import)", warehouse.manager_id)]
    assert moves[1].unit_cost == Decimal("0.10")  # the item's standard cost when the file gives none
    assert moves[2].lot == "L-2030"
    assert stock_queries.verify(s) == []


def test_opening_stock_with_one_bad_line_writes_no_movement(warehouse, make_item):
    make_item("BOLT-M6")
    report = run("stock", "sku,location,quantity\nBOLT-M6,A-01,5\nBOLT-M6,A-02,0\nBOLT-M6,A-03,7\n")
    assert where(report) == [(3, "quantity")]
    assert count(StockMovement) == 0 and stock_queries.verify(db.session) == []


# --- assets ----------------------------------------------------------------------------------------------------------

def test_assets_report_dates_statuses_people_and_places_and_register_a_clean_file(warehouse):
    header = "tag,manufacturer,model,category,status,location,assignee_email,purchase_date,cost,useful_life_months,pool\n"
    bad = header + (
        "LN-0001,Fluke,87V,Test equipment,in_stock,WH,,2025-02-30,1200,60,loaner\n"   # 2 not a date
        "LN-0002,Fluke,87V,Test equipment,broken,NOWHERE,ghost@x.test,,abc,,\n"     # 3 status, location, person, cost
        "LN-0003,,87V,Test equipment,,,,,,,\n"                                       # 4 no manufacturer
        "LN-0004,Fluke,87V,Test equipment,,,,,1200,,\n")                             # 5 cost without a useful life
    report = run("assets", bad, dry_run=True)
    assert where(report) == [(2, "purchase_date"), (3, "assignee_email"), (3, "cost"), (3, "location"),
                             (3, "status"), (4, "model"), (5, "useful_life_months")]
    assert count(Asset) == 0
    good = header + ("LN-0001,Fluke,87V,Test equipment,in_stock,WH,,2025-02-28,1200,60,loaner\n"
                     f"LN-0002,Fluke,87V,Test equipment,deployed,A-01,{warehouse.staff.email},,0,,\n")
    assert run("assets", good, actor_id=warehouse.manager_id).applied
    assets = db.session.scalars(select(Asset).order_by(Asset.tag)).all()
    assert [(a.tag, a.status, a.location.code) for a in assets] == [("LN-0001", "in_stock", "WH"),
                                                                  ("LN-0002", "deployed", "A-01")]
    assert assets[1].assignee_id == warehouse.staff_id
    assert count(AssetEvent) == 2 and db.session.get(ScanCode, "LN-0001").kind == "asset"


# --- orders ----------------------------------------------------------------------------------------------------------

def test_a_dry_run_of_orders_lists_every_problem_by_line_and_column_and_writes_nothing(warehouse, make_item):
    make_item("BOLT-M6")
    make_item("NUT-M6")
    orders.create_order(customer="Old", lines=[("BOLT-M6", 1)], actor_id=None, number="SO-OLD", uow=UnitOfWork())
    text = ("order,customer,sku,quantity,ship_to,site\n"
            "SO-1,Café,BOLT-M6,5,Main Street 1,WH\n"     # 2 fine
            "SO-1,Café,NUT-M6,5,,\n"                     # 3 fine: the second line of SO-1
            "SO-1,Bakery,NUT-M6,2,,\n"                   # 4 another customer for SO-1, and NUT-M6 again
            "SO-1,Café,BOLT-M6,1,,\n"                    # 5 BOLT-M6 is on SO-1 already
            "SO-2,Café,NOPE,0,,Z-99\n"                   # 6 unknown item, zero quantity, unknown site
            "SO-OLD,Old,NUT-M6,1,,\n"                    # 7 an order already in Storekeeper
            ",,BOLT-M6,1.5,,\n"                          # 8 no order number, no customer, half a unit
            "4006381333931,Café,BOLT-M6,1,,\n"           # 9 a number that scans as a product barcode
            "SO-3,Café,NUT-M6,2,Elsewhere,WH\n"          # 10 fine
            "SO-3,Café,BOLT-M6,2,Somewhere else,\n")     # 11 another address for SO-3
    before = snapshot() + [count(Order), count(OrderLine)]
    report = run("orders", text, dry_run=True)
    assert where(report) == [(4, "customer"), (5, "sku"), (6, "quantity"), (6, "site"), (6, "sku"), (7, "order"),
                             (8, "customer"), (8, "order"), (8, "quantity"), (9, "order"), (11, "ship_to")]
    by_place = {(p.line, p.column): p.message for p in report.problems}
    assert "is for Café on an earlier line" in by_place[(4, "customer")]
    assert "on the order twice" in by_place[(5, "sku")]
    assert "already used" in by_place[(7, "order")]
    assert "product barcode" in by_place[(9, "order")]
    assert not report.applied and snapshot() + [count(Order), count(OrderLine)] == before


def test_a_clean_orders_file_makes_each_order_with_its_lines_open_and_scannable(warehouse, make_item):
    make_item("BOLT-M6")
    make_item("NUT-M6")
    text = ("order,customer,sku,quantity,ship_to,site\n"
            "SO-1,Café,BOLT-M6,5,Main Street 1,WH\n"
            "SO-2,Bakery,NUT-M6,3,,\n"
            "so-1,Café,NUT-M6,2,,\n")
    assert run("orders", text, dry_run=True).ok and count(Order) == 0
    report = run("orders", text, actor_id=warehouse.manager_id)
    assert report.applied, report.problems
    first = orders.get_order(db.session, "SO-1")
    assert (first.customer, first.ship_to, first.site.code, first.status) == ("Café", "Main Street 1", "WH", "open")
    assert [(x.item.sku, x.ordered_qty) for x in first.lines] == [("BOLT-M6", 5), ("NUT-M6", 2)]
    assert [(x.item.sku, x.ordered_qty) for x in orders.get_order(db.session, "SO-2").lines] == [("NUT-M6", 3)]
    assert db.session.get(ScanCode, "SO-2").kind == "order"
    # One bad line and none of the file's orders is made.
    assert not run("orders", "order,customer,sku,quantity\nSO-5,X,BOLT-M6,1\nSO-6,X,NOPE,1\n").applied
    assert db.session.scalar(select(Order).where(Order.number == "SO-5")) is None


# --- users -----------------------------------------------------------------------------------------------------------

def test_users_report_unknown_roles_bad_emails_and_duplicates_and_import_a_clean_file(make_user):
    make_user("admin", email="boss@example.test")
    bad = ("email,name,role,password\nsam@example.test,Sam,staff,long-enough-1\nbad-email,X,staff,\n"
           "kim@example.test,Kim,boss,\nboss@example.test,Boss,admin,\nsam@example.test,Sam again,staff,\n"
           "lee@example.test,Lee,staff,short\n")
    report = run("users", bad, dry_run=True)
    assert where(report) == [(3, "email"), (4, "role"), (5, "email"), (6, "email"), (7, "password")]
    assert "Unknown role 'boss'" in report.problems[1].message
    assert count(User) == 1
    good = "email,name,role,password\nsam@example.test,Sam,staff,long-enough-1\nkim@example.test,Kim,technician,\n"
    assert run("users", good).applied
    sam = db.session.scalar(select(User).where(User.email == "sam@example.test"))
    assert sam.role == "staff" and check_password_hash(sam.password_hash, "long-enough-1")


def test_a_file_that_is_not_utf8_is_refused_before_any_row(warehouse):
    report = run_import(KINDS["items"], "sku,name\nA,Müller\n".encode("cp1252"), actor_id=None, dry_run=False,
                        uow=UnitOfWork())
    assert report.rows == 0 and "not UTF-8" in report.problems[0].message and count(Item) == 0


def test_the_same_opening_stock_file_applied_twice_receives_once(warehouse, make_item):
    make_item("BOLT-M6")
    text = "sku,location,quantity\nBOLT-M6,A-01,5\n"
    assert run("stock", text).applied
    again = run("stock", text)
    assert not again.applied and "already imported" in again.problems[0].message
    assert count(StockMovement) == 1 and stock_queries.verify(db.session) == []


def test_a_refused_file_can_be_fixed_and_the_same_content_retried(warehouse, make_item):
    text = "sku,location,quantity\nBOLT-M6,A-01,5\n"
    assert run("stock", text).problems[0].column == "sku"  # the item does not exist yet
    make_item("BOLT-M6")
    assert run("stock", text).applied


@pytest.mark.concurrency
def test_two_simultaneous_imports_of_one_file_apply_it_once(warehouse, make_item, concurrently):
    make_item("BOLT-M6")
    data = b"sku,location,quantity\nBOLT-M6,A-01,5\nBOLT-M6,A-02,7\n"
    reports = concurrently(3, lambda i: run_import(KINDS["stock"], data, actor_id=None, dry_run=False,
                                                   uow=UnitOfWork()))
    assert sorted(r.applied for r in reports) == [False, False, True], reports
    db.session.rollback()
    assert count(StockMovement) == 2 and stock_queries.verify(db.session) == []


def test_a_line_with_several_bad_cells_reports_each_of_them(warehouse):
    report = run("items", "sku,name,uom,tracking,reorder_point,standard_cost\nA 1,,furlong,batch,-1,cheap\n",
                 dry_run=True)
    assert where(report) == [(2, "name"), (2, "reorder_point"), (2, "sku"), (2, "standard_cost"), (2, "tracking"),
                             (2, "uom")]


def test_a_location_line_reports_its_bad_code_kind_and_walk_order_together(app):
    report = run("locations", "code,name,kind,parent,walk_order\nA 1,x,shelf,bad parent,first\n", dry_run=True)
    assert where(report) == [(2, "code"), (2, "kind"), (2, "parent"), (2, "walk_order")]


def test_an_opening_stock_line_reports_its_unknown_item_place_and_bad_quantity_together(warehouse):
    report = run("stock", "sku,location,quantity,unit_cost\nNOPE,Z-99,-3,-1\n", dry_run=True)
    assert where(report) == [(2, "location"), (2, "quantity"), (2, "sku"), (2, "unit_cost")]


def test_a_user_line_reports_its_bad_email_role_and_password_together(app):
    report = run("users", "email,name,role,password\nnot-an-email,X,boss,short\n", dry_run=True)
    assert where(report) == [(2, "email"), (2, "password"), (2, "role")]


def test_asset_lines_with_text_longer_than_its_field_are_reported_on_their_line_and_column(warehouse):
    """The session's length net (app/extensions.py) meets the row inside its savepoint: the line says why, the file
    is not applied — on PostgreSQL as on SQLite (PostgreSQL failed the whole import with a database error before)."""
    header = "tag,manufacturer,model,category,serial,supplier\n"
    text = header + (f"LN-0001,Fluke,87V,Test equipment,{'S' * 81},\n"
                     "LN-0002,Fluke,87V,Test equipment,SN-2,\n"
                     f"LN-0003,Fluke,87V,Test equipment,SN-3,{'A' * 121}\n")
    report = run("assets", text, actor_id=warehouse.manager_id)
    assert not report.applied
    assert [(p.line, p.column, p.message) for p in report.problems] == [
        (2, "serial", "The serial is at most 80 characters (81 given)."),
        (4, "supplier", "The supplier is at most 120 characters (121 given).")]
    assert count(Asset) == 0
