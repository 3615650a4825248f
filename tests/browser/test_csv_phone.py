"""On a phone: a manager checks a CSV file, then imports the same selected file without choosing it again."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.locations.models import Location
from tests.browser.conftest import sign_in_page
from tests.conftest import PASSWORD

GOOD = b"code,name,kind,parent\nS1,Site,site,\nZ1,Zone,zone,S1\nZ1-01,Bin,bin,Z1\n"


def _locations() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Location))


def test_a_manager_checks_then_imports_a_locations_file_on_a_phone(phone, make_user):
    manager = make_user("manager")
    sign_in_page(phone, manager.email, PASSWORD)
    phone.goto("/csv/locations/import")
    phone.set_input_files("#csv-file", files=[{"name": "bad.csv", "mimeType": "text/csv",
                                               "buffer": GOOD + b"Z1-02,Bin,bin,NOPE\n"}])
    phone.click("button[value=check]")
    phone.locator("[data-import-result=refused]").wait_for()
    assert phone.locator("tr[data-line='5'][data-column='parent']").is_visible()
    assert _locations() == 0

    phone.set_input_files("#csv-file", files=[{"name": "good.csv", "mimeType": "text/csv", "buffer": GOOD}])
    phone.click("button[value=check]")
    phone.locator("[data-import-result=checked]").wait_for()
    assert _locations() == 0
    phone.click("button[value=apply]")  # the file is still selected: only the report was swapped
    phone.locator("[data-import-result=applied]").wait_for()
    assert _locations() == 3
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.js_errors == []
