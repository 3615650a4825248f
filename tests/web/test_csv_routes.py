"""CSV pages: upload with dry run and import, sample files, exports (neutralised), roles, escaping."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from app.csvio.kinds import KINDS
from app.extensions import db
from app.locations.models import Location
from app.stock import queries as stock_queries
from app.stock import services as stock
from app.stock.models import StockMovement
from app.uow import UnitOfWork


def upload(c, kind: str, text: str | bytes, mode: str = "check", htmx: bool = False, url: str | None = None):
    data = text.encode() if isinstance(text, str) else text
    return c.post(url or f"/csv/{kind}/import", data={"mode": mode, "file": (io.BytesIO(data), f"{kind}.csv")},
                  content_type="multipart/form-data", htmx=htmx)


def problems(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<tr data-line="(\d+)" data-column="([^"]*)">', html)


def rows(resp) -> list[list[str]]:
    return list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))


def test_a_manager_checks_a_file_sees_each_problem_and_nothing_is_written(login):
    c = login("manager")
    text = "code,name,kind,parent\nS1,Site,site,\nB-1,Bin,bin,NOPE\nS1,Dup,site,\n"
    resp = upload(c, "locations", text)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert problems(html) == [("3", "parent"), ("4", "code")]
    assert "dry run" in html and "No location with code NOPE" in html
    assert db.session.scalar(select(func.count()).select_from(Location)) == 0


def test_an_htmx_upload_gets_the_report_alone_and_an_import_applies_everything(login, warehouse, make_item):
    make_item("BOLT-M6")
    c = login("manager")
    text = "sku,location,quantity,unit_cost\nBOLT-M6,A-01,10,1.00\nBOLT-M6,A-02,5,1.20\n"
    checked = upload(c, "stock", text, htmx=True)
    assert checked.status_code == 200
    body = checked.get_data(as_text=True)
    assert body.startswith('<section id="csv-report"') and 'data-import-result="checked"' in body
    assert db.session.scalar(select(func.count()).select_from(StockMovement)) == 0
    done = upload(c, "stock", text, mode="apply", htmx=True)
    assert done.status_code == 200 and 'data-import-result="applied"' in done.get_data(as_text=True)
    assert "stock-imported" in done.headers["HX-Trigger"]
    bolt = stock_queries.item_by_sku(db.session, "BOLT-M6")
    assert stock_queries.total_on_hand(db.session, bolt.id) == 15
    assert stock_queries.verify(db.session) == []


def test_an_import_with_one_bad_row_applies_nothing(login, warehouse):
    c = login("manager")
    resp = upload(c, "items", "sku,name,uom\nA-1,One,ea\nA-2,Two,furlong\nA-3,Three,ea\n", mode="apply")
    assert resp.status_code == 422 and problems(resp.get_data(as_text=True)) == [("3", "uom")]
    assert "Nothing was imported" in resp.get_data(as_text=True)
    assert stock_queries.item_by_sku(db.session, "A-1") is None


def test_an_xss_payload_in_an_imported_name_shows_escaped_on_the_pages(login):
    c = login("manager")
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    text = f'code,name,kind\nS1,"{payload.replace(chr(34), chr(34) * 2)}",site\n'
    assert upload(c, "locations", text, mode="apply").status_code == 200
    for page in ("/locations/", "/labels/code/S1"):
        html = c.get(page).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    # What the file itself said comes back escaped in the report too.
    resp = upload(c, "locations", "code,name,kind\nS2,x,<b>bold</b>\n")
    html = resp.get_data(as_text=True)
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html


def test_exports_neutralise_formulas(login, warehouse):
    stock.create_item(sku="EVIL-1", name='=HYPERLINK("http://evil.test","click")', description="@SUM(1)",
                      uow=UnitOfWork())
    stock.create_item(sku="PLAIN-1", name="-10 % discount", uow=UnitOfWork())
    resp = login("manager").get("/csv/items/export.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert 'attachment; filename="items.csv"' in resp.headers["Content-Disposition"]
    table = rows(resp)
    assert table[0] == KINDS["items"].names
    by_sku = {r[0]: r for r in table[1:]}
    assert by_sku["EVIL-1"][1] == "'=HYPERLINK(\"http://evil.test\",\"click\")"
    assert by_sku["EVIL-1"][2] == "'@SUM(1)"
    assert by_sku["PLAIN-1"][1] == "'-10 % discount"


def test_an_export_imports_back_unchanged(login, warehouse, make_item):
    make_item("BOLT-M6", name="=Bolt", case=12)
    c = login("manager")
    exported = c.get("/csv/items/export.csv").get_data()
    # The same file into a store that has none of these items: the SKU is free after a rename.
    text = exported.decode("utf-8-sig").replace("BOLT-M6", "BOLT-M7")
    ean_each = stock_queries.item_by_sku(db.session, "BOLT-M6").barcodes
    for b in ean_each:
        stock.detach_barcode(sku="BOLT-M6", code=b.label, uow=UnitOfWork())
    resp = upload(c, "items", text, mode="apply")
    assert resp.status_code == 200, problems(resp.get_data(as_text=True))
    m7 = stock_queries.item_by_sku(db.session, "BOLT-M7")
    assert m7.name == "=Bolt" and sorted(b.level for b in m7.barcodes) == ["case", "each"]


@pytest.mark.parametrize("kind", ["items", "locations", "assets", "stock", "orders"])
def test_each_kind_has_a_sample_file_with_the_expected_header(login, kind):
    resp = login("manager").get(f"/csv/{kind}/template.csv")
    assert resp.status_code == 200
    table = rows(resp)
    assert table[0] == KINDS[kind].names and len(table) >= 2


def test_the_locations_sample_passes_its_own_dry_run_on_an_empty_store(login):
    c = login("manager")
    resp = upload(c, "locations", c.get("/csv/locations/template.csv").get_data())
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert "Checked 3 rows: no problems" in resp.get_data(as_text=True)


def test_users_are_for_administrators_only(login):
    manager = login("manager")
    assert manager.get("/csv/users/export.csv").status_code == 403
    assert upload(manager, "users", "email,role\na@b.test,staff\n", url="/csv/users/import").status_code == 403
    assert "/csv/users/import" not in manager.get("/csv/").get_data(as_text=True)
    admin = login("admin")
    assert "/csv/users/import" in admin.get("/csv/").get_data(as_text=True)
    resp = upload(admin, "users", "email,name,role\nnew@example.test,New,technician\n", mode="apply",
                  url="/csv/users/import")
    assert resp.status_code == 200
    table = rows(admin.get("/csv/users/export.csv"))
    assert table[0][:4] == ["email", "name", "role", "password"]
    assert any(r[0] == "new@example.test" and r[2] == "technician" for r in table[1:])
    assert all(r[3] == "" for r in table[1:])  # never a password or its hash


@pytest.mark.parametrize("role", ["staff", "technician"])
def test_floor_and_field_roles_cannot_import_or_export(login, role):
    c = login(role)
    assert c.get("/csv/").status_code == 403
    assert c.get("/csv/items/export.csv").status_code == 403
    assert upload(c, "items", "sku,name\nA,B\n").status_code == 403


def test_no_file_and_an_unknown_kind_say_so(login):
    c = login("manager")
    resp = c.post("/csv/items/import", data={"mode": "check"}, content_type="multipart/form-data")
    assert resp.status_code == 422 and "Choose a CSV file" in resp.get_data(as_text=True)
    assert c.get("/csv/widgets/template.csv").status_code == 404
    assert c.get("/csv/users/import").status_code == 403


def test_an_upload_over_8_mb_is_refused(login):
    resp = upload(login("manager"), "items", b"sku,name\n" + b"A,B\n" * (2_200_000))
    assert resp.status_code == 413


def test_locations_assets_and_stock_export_in_their_import_columns(login, warehouse, make_item, put_stock):
    from tests.asset_helpers import an_asset

    bolt = make_item("BOLT-M6", name="Bolt")
    put_stock(bolt, "A-01", 12, cost="0.50")
    an_asset("LN-0042", location_code="WH")
    c = login("manager")
    locations = rows(c.get("/csv/locations/export.csv"))
    assert locations[0] == KINDS["locations"].names and ["A-01", "A-01", "bin", "WH-A", "11"] in locations
    assets = rows(c.get("/csv/assets/export.csv"))
    assert assets[0] == KINDS["assets"].names
    assert assets[1][:7] == ["LN-0042", "Fluke", "87V Multimeter", "Test equipment", "SN-LN-0042", "in_stock", "WH"]
    stock_rows = rows(c.get("/csv/stock/export.csv"))
    assert stock_rows == [["sku", "location", "quantity", "unit_cost", "lot", "expiry", "name"],
                          ["BOLT-M6", "A-01", "12", "", "", "", "Bolt"]]
    # The stock export reads back as an opening-stock file (its name column is ignored and said so).
    resp = upload(c, "stock", c.get("/csv/stock/export.csv").get_data())
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Columns ignored" in html and "name" in html


def test_orders_are_checked_then_imported_over_http_and_land_in_the_order_list(login, warehouse, make_item):
    make_item("BOLT-M6")
    make_item("NUT-M6")
    c = login("manager")
    assert b"/csv/orders/import" in c.get("/stock/orders").data
    sample = c.get("/csv/orders/template.csv").get_data()
    checked = upload(c, "orders", sample)
    assert checked.status_code == 200, problems(checked.get_data(as_text=True))
    bad = upload(c, "orders", "order,customer,sku,quantity\nSO-9,Café,BOLT-M6,two\nSO-9,Bakery,NUT-M6,1\n",
                 mode="apply")
    assert bad.status_code == 422 and problems(bad.get_data(as_text=True)) == [("2", "quantity")]
    done = upload(c, "orders", sample, mode="apply", htmx=True)
    assert done.status_code == 200 and "orders-imported" in done.headers["HX-Trigger"]
    listed = c.get("/stock/orders").get_data(as_text=True)
    assert "SO-2001" in listed and "SO-9" not in listed
    exported = rows(c.get("/csv/orders/export.csv"))
    assert exported[0] == KINDS["orders"].names + ["status"]
    assert exported[1:] == [["SO-2001", "Harbour Café", "BOLT-M6", "50", "Harbour Café, Main Street 1", "", "open"],
                            ["SO-2001", "Harbour Café", "NUT-M6", "50", "Harbour Café, Main Street 1", "", "open"]]
