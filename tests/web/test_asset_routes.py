"""Asset routes in both modes: full page (plain form posts, 303 after POST) and htmx partial with events."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.assets import queries
from app.assets.models import Asset, AssetEvent, Loan, Reservation
from app.extensions import db
from tests.asset_helpers import a_model, an_asset, sid


def today():
    return datetime.now(UTC).date()


def events(resp) -> dict:
    return json.loads(resp.headers.get("HX-Trigger", "{}"))


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def checkout_form(tags="LN-0001", due=None, **extra):
    return {"scan_id": sid(), "source": "typed", "tags": tags,
            "due_on": (due or today() + timedelta(days=3)).isoformat(), "condition_out": "good", **extra}


def test_the_check_out_page_has_a_scan_action_form_with_a_fresh_scan_id(login):
    c = login("technician")
    page = c.get("/assets/checkout?tags=LN-0001")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "data-scan-action" in html and 'name="scan_id"' in html and 'value="LN-0001"' in html
    partial = c.hx_get("/assets/checkout")
    assert partial.get_data(as_text=True).lstrip().startswith('<section id="checkout-panel"')
    assert "HX-Request" in partial.headers["Vary"]


def test_an_htmx_check_out_answers_with_the_panel_and_an_asset_checked_out_event(login):
    c = login("technician")
    an_asset("LN-0001")
    resp = c.post("/assets/checkout", data=checkout_form(), htmx=True)
    assert resp.status_code == 200
    ev = events(resp)
    assert "asset-checked-out" in ev and "Checked out LN-0001" in ev["scan-succeeded"]["message"]
    html = resp.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="checkout-panel"') and "Checked out LN-0001" in html
    assert queries.by_tag(db.session, "LN-0001").status == "checked_out"


def test_a_plain_form_check_out_redirects_with_a_message(login):
    c = login("technician")
    an_asset("LN-0001")
    resp = c.post("/assets/checkout", data=checkout_form())
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/assets/checkout")
    page = c.get(resp.headers["Location"])
    assert "Checked out LN-0001" in page.get_data(as_text=True)


def test_a_technician_who_names_nobody_takes_the_asset_themselves(login):
    c = login("technician")
    an_asset("LN-0001")
    c.post("/assets/checkout", data=checkout_form(), htmx=True)
    assert db.session.scalar(select(Loan.borrower_id)) == c.user.id


def test_a_second_check_out_gets_409_with_the_reason_and_a_scan_failed_event(login):
    c = login("technician")
    an_asset("LN-0001")
    c.post("/assets/checkout", data=checkout_form(), htmx=True)
    resp = c.post("/assets/checkout", data=checkout_form(), htmx=True)
    assert resp.status_code == 409
    assert "already checked out" in events(resp)["scan-failed"]["message"]
    assert "already checked out" in resp.get_data(as_text=True)
    assert count(Loan) == 1


def test_the_same_scan_id_posted_twice_is_recorded_once(login):
    c = login("technician")
    an_asset("LN-0001")
    form = checkout_form()
    c.post("/assets/checkout", data=form, htmx=True)
    again = c.post("/assets/checkout", data=form, htmx=True)
    assert again.status_code == 200 and events(again)["scan-succeeded"]["already"] is True
    assert count(Loan) == 1


@pytest.mark.parametrize("form, status, message", [
    (checkout_form("NOPE-1"), 404, "No asset has the tag NOPE-1"),
    (checkout_form(due=datetime(2020, 1, 1).date()), 422, "in the past"),
    (checkout_form(due_on="tomorrow"), 422, "is not a date"),
])
def test_bad_check_outs_get_a_clear_message_the_right_status_and_write_nothing(login, form, status, message):
    c = login("technician")
    an_asset("LN-0001")
    for htmx in (True, False):
        resp = c.post("/assets/checkout", data={**form, "scan_id": sid()}, htmx=htmx)
        assert resp.status_code == status
        assert message in resp.get_data(as_text=True)
    assert count(Loan) == 0 and count(AssetEvent) == 1


def test_checking_in_an_asset_that_is_not_out_gets_409(login):
    c = login("technician")
    an_asset("LN-0001")
    resp = c.post("/assets/checkin", data={"scan_id": sid(), "tag": "LN-0001", "condition_in": "good"}, htmx=True)
    assert resp.status_code == 409 and "not checked out" in resp.get_data(as_text=True)


def test_an_htmx_check_in_announces_asset_checked_in_and_damage_sends_it_to_maintenance(login):
    c = login("technician")
    an_asset("LN-0001")
    c.post("/assets/checkout", data=checkout_form(), htmx=True)
    resp = c.post("/assets/checkin", data={"scan_id": sid(), "tag": "ln-0001", "condition_in": "damaged",
                                           "damage": "bent probe"}, htmx=True)
    assert resp.status_code == 200 and "asset-checked-in" in events(resp)
    assert "Sent to maintenance" in resp.get_data(as_text=True)
    assert queries.by_tag(db.session, "LN-0001").status == "in_maintenance"


def test_the_overdue_list_marks_late_loans(login):
    c = login("technician")
    an_asset("LN-0001")
    c.post("/assets/checkout", data=checkout_form(due=today()), htmx=True)
    db.session.execute(Loan.__table__.update().values(due_on=today() - timedelta(days=2)))
    db.session.commit()
    html = c.get("/assets/loans").get_data(as_text=True)
    assert "overdue 2 day(s)" in html


def test_a_manager_registers_an_asset_and_lands_on_its_timeline(login):
    c = login("manager")
    m = a_model()
    resp = c.post("/assets/new", data={"tag": "ln-0100", "model_id": m.id, "cost": "1500", "purchase_date": "2025-01-10",
                                       "useful_life_months": "36", "salvage_value": "0", "pool": "loaner",
                                       "depreciation_method": "straight_line", "status": "in_stock"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/assets/LN-0100")
    page = c.get("/assets/LN-0100").get_data(as_text=True)
    assert "Registered" in page and "Book value" in page and "Depreciation schedule" in page


def test_registering_with_salvage_above_cost_is_refused_with_422(login):
    c = login("manager")
    m = a_model()
    resp = c.post("/assets/new", data={"tag": "LN-0100", "model_id": m.id, "cost": "100", "salvage_value": "200",
                                       "useful_life_months": "12"})
    assert resp.status_code == 422 and "salvage value cannot be more than the cost" in resp.get_data(as_text=True)
    assert count(Asset) == 0


def test_the_register_search_answers_htmx_with_the_list_only(login):
    c = login("manager")
    m = a_model()
    an_asset("LN-0001", model=m)
    an_asset("DM-0001", model=m, pool="demo")
    resp = c.hx_get("/assets/?pool=demo")
    html = resp.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="asset-list"') and "DM-0001" in html and "LN-0001" not in html


def test_disposing_of_a_checked_out_asset_is_refused_with_409(login, make_user):
    c = login("manager")
    an_asset("LN-0001")
    assert c.post("/assets/checkout", data=checkout_form(borrower_id=c.user.id), htmx=True).status_code == 200
    resp = c.post("/assets/LN-0001/dispose", data={"on": today().isoformat(), "how": "sold", "proceeds": "100"})
    assert resp.status_code == 409 and "check it in before disposing" in resp.get_data(as_text=True)
    db.session.rollback()
    assert queries.by_tag(db.session, "LN-0001").status == "checked_out"


def test_disposal_shows_the_gain_or_loss(login):
    c = login("manager")
    an_asset("LN-0001")
    resp = c.post("/assets/LN-0001/dispose", data={"on": "2025-06-30", "how": "sold", "proceeds": "1000"},
                  follow_redirects=True)
    assert "book value 950.00, proceeds 1000.00, gain 50.00" in resp.get_data(as_text=True)


def test_a_reservation_ending_before_it_starts_is_refused_with_422_and_not_stored(login):
    c = login("technician")
    an_asset("LN-0001")
    resp = c.post("/assets/reservations", data={"scan_id": sid(), "tag": "LN-0001", "starts_at": "2030-01-02T10:00",
                                                "ends_at": "2030-01-01T10:00"}, htmx=True)
    assert resp.status_code == 422 and "ends before it starts" in resp.get_data(as_text=True)
    assert count(Reservation) == 0


def test_a_reservation_is_booked_and_announced(login):
    c = login("technician")
    an_asset("LN-0001")
    resp = c.post("/assets/reservations", data={"scan_id": sid(), "tag": "LN-0001", "starts_at": "2030-01-01T10:00",
                                                "ends_at": "2030-01-02T10:00"}, htmx=True)
    assert resp.status_code == 200 and "asset-reserved" in events(resp)
    assert "Reserved LN-0001" in resp.get_data(as_text=True)


def test_scanning_an_asset_in_the_hub_shows_holder_due_date_and_actions_for_the_role(login):
    tech = login("technician")
    an_asset("LN-0001")
    due = today() + timedelta(days=3)
    tech.post("/assets/checkout", data=checkout_form(due=due), htmx=True)
    html = tech.hx_get("/scan/resolve?code=ln-0001").get_data(as_text=True)
    assert tech.user.name in html and due.isoformat() in html and "Check in" in html and "Dispose" not in html
    staff = login("staff")
    html = staff.hx_get("/scan/resolve?code=LN-0001").get_data(as_text=True)
    assert "Checked out" in html and "Check in" not in html


def test_the_classification_page_gives_a_verdict_and_its_reason(login):
    c = login("manager")
    resp = c.post("/assets/classify", data={"unit_cost": "250", "useful_life_months": "36"}, htmx=True)
    html = resp.get_data(as_text=True)
    assert 'data-verdict="inventory"' in html and "below the capitalization threshold of 1000.00" in html


def test_the_depreciation_page_totals_by_category(login):
    c = login("manager")
    an_asset("LN-0001")
    html = c.get("/assets/depreciation?at=2025-06-30").get_data(as_text=True)
    assert 'data-category-book="Test equipment">950.00' in html


def test_an_admin_changes_the_month_convention(login):
    c = login("admin")
    resp = c.post("/assets/settings", data={"capitalization_threshold": "800", "min_useful_life_months": "12",
                                            "month_convention": "actual_days"})
    assert resp.status_code == 303
    assert "Actual days" in c.get("/assets/depreciation").get_data(as_text=True)


def test_an_unknown_asset_page_is_404(login):
    c = login("manager")
    assert c.get("/assets/NOPE-1").status_code == 404


def test_the_register_form_shows_the_classification_of_the_cost_and_life_given(login):
    c = login("manager")
    html = c.hx_get("/assets/classify/verdict?cost=1500&useful_life_months=36").get_data(as_text=True)
    assert 'data-verdict="asset"' in html and "reaches the capitalization threshold" in html
    html = c.hx_get("/assets/classify/verdict?cost=80&useful_life_months=36").get_data(as_text=True)
    assert 'data-verdict="inventory"' in html


def test_a_new_stock_item_is_classified_by_the_same_rule_as_an_asset(login):
    c = login("manager")
    form = c.get("/stock/items/new").get_data(as_text=True)
    assert "/assets/classify/verdict?for=item" in form and 'name="useful_life_months"' in form
    html = c.hx_get("/assets/classify/verdict?for=item&standard_cost=1500&useful_life_months=36").get_data(as_text=True)
    assert 'data-verdict="asset"' in html and "asset register" in html
    html = c.hx_get("/assets/classify/verdict?for=item&standard_cost=2.50&useful_life_months=36").get_data(as_text=True)
    assert 'data-verdict="inventory"' in html and "below the capitalization threshold" in html


def test_a_manager_scanning_an_unknown_tag_is_offered_to_register_it(login):
    html = login("manager").hx_get("/scan/resolve?code=NEW-777").get_data(as_text=True)
    assert "Register as an asset" in html and "/assets/new?tag=NEW-777" in html
    assert "Register as an asset" not in login("technician").hx_get("/scan/resolve?code=NEW-777").get_data(
        as_text=True)


def test_a_technician_cannot_cancel_someone_elses_reservation(login):
    owner, other = login("technician"), login("technician")
    an_asset("LN-0001")
    owner.post("/assets/reservations", data={"scan_id": sid(), "tag": "LN-0001", "starts_at": "2030-01-01T10:00",
                                             "ends_at": "2030-01-02T10:00"})
    res_id = db.session.scalar(select(Reservation.id))
    resp = other.post(f"/assets/reservations/{res_id}/cancel")
    assert resp.status_code == 403 and "ask them or a manager" in resp.get_data(as_text=True)
    assert owner.post(f"/assets/reservations/{res_id}/cancel").status_code == 303


def test_a_kit_is_created_and_its_code_checks_out_every_piece(login):
    mgr = login("manager")
    m = a_model()
    for t in ("K-1", "K-2"):
        an_asset(t, model=m)
    assert mgr.post("/assets/kits", data={"code": "kit-1", "name": "Survey", "tags": "K-1\nK-2"}).status_code == 303
    tech = login("technician")
    resp = tech.post("/assets/checkout", data=checkout_form("KIT-1"), htmx=True)
    assert resp.status_code == 200 and "Checked out K-1, K-2" in resp.get_data(as_text=True)
    back = tech.post("/assets/checkin", data={"scan_id": sid(), "tag": "K-1", "condition_in": "good"}, htmx=True)
    assert "Missing kit pieces, still out with" in back.get_data(as_text=True) and "K-2" in back.get_data(as_text=True)


def test_replacing_an_asset_links_both_and_lands_on_the_new_one(login):
    c = login("manager")
    m = a_model()
    an_asset("OLD-1", model=m)
    an_asset("NEW-1", model=m)
    resp = c.post("/assets/OLD-1/replace", data={"new_tag": "new-1"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/assets/NEW-1")
    assert "replaces: OLD-1" in c.get("/assets/NEW-1").get_data(as_text=True)


def test_licences_and_contracts_pages_add_and_list(login):
    c = login("manager")
    an_asset("LN-0001")
    assert c.post("/assets/licences", data={"name": "CAD Pro", "seats": "1"}).status_code == 303
    assert "0 of 1 seats used" in c.get("/assets/licences").get_data(as_text=True)
    bad = c.post("/assets/licences", data={"name": "CAD Pro", "seats": "0"})
    assert bad.status_code == 422 and "at least 1" in bad.get_data(as_text=True)
    resp = c.post("/assets/contracts", data={"kind": "service", "supplier": "Fluke Care", "starts_on": "2026-01-01",
                                             "ends_on": "2030-01-01", "tags": "LN-0001"})
    assert resp.status_code == 303
    assert "Fluke Care" in c.get("/assets/LN-0001").get_data(as_text=True)


def test_the_asset_page_gives_the_book_value_at_any_date(login):
    c = login("manager")
    an_asset("LN-0001")  # 1,200 − 1,000 × 15/60 at 30 Jun 2025 = 950
    html = c.get("/assets/LN-0001?at=2025-06-30").get_data(as_text=True)
    assert "Book value at 2025-06-30" in html and "<dd data-book-value>950.00</dd>" in html


def test_batch_mode_collects_scans_without_writing_then_checks_all_out_at_once(login):
    c = login("technician")
    m = a_model()
    for t in ("B-1", "B-2", "B-3"):
        an_asset(t, model=m)
    first = c.post("/assets/checkout", data={"tags": "b-1", "collect": "1"}, htmx=True)
    assert first.status_code == 200 and 'name="batch" value="B-1"' in first.get_data(as_text=True)
    second = c.post("/assets/checkout", data={"tags": "B-2", "batch": ["B-1"], "collect": "1"}, htmx=True)
    html = second.get_data(as_text=True)
    assert 'value="B-1"' in html and 'value="B-2"' in html and "2 in the batch" in html
    unknown = c.post("/assets/checkout", data={"tags": "NOPE-1", "batch": ["B-1", "B-2"], "collect": "1"}, htmx=True)
    assert unknown.status_code == 404 and 'value="B-2"' in unknown.get_data(as_text=True)
    assert count(Loan) == 0
    done = c.post("/assets/checkout", data={**checkout_form("B-3"), "batch": ["B-1", "B-2"]}, htmx=True)
    assert done.status_code == 200 and "Checked out B-1, B-2, B-3" in done.get_data(as_text=True)
    assert count(Loan) == 3


def test_the_check_out_form_works_without_javascript_using_the_token_in_the_form(login):
    import re

    c = login("technician")
    an_asset("LN-0001")
    page = c.get("/assets/checkout").get_data(as_text=True)
    form = dict(re.findall(r'name="(csrf_token|scan_id)" value="([^"]+)"', page))
    resp = c.post("/assets/checkout", csrf=False, data={**checkout_form(), **form})
    assert resp.status_code == 303
    assert count(Loan) == 1


def test_a_resent_reservation_form_books_once(login):
    c = login("technician")
    m = a_model()
    an_asset("LN-0001", model=m)
    an_asset("LN-0002", model=m)
    form = {"scan_id": sid(), "model_id": m.id, "starts_at": "2030-01-01T10:00", "ends_at": "2030-01-02T10:00"}
    assert c.post("/assets/reservations", data=form, htmx=True).status_code == 200
    again = c.post("/assets/reservations", data=form, htmx=True)
    assert again.status_code == 200 and events(again)["scan-succeeded"]["already"] is True
    assert count(Reservation) == 1


def test_a_technician_sees_what_they_have(login):
    me, other = login("technician"), login("technician")
    m = a_model()
    an_asset("LN-0001", model=m)
    an_asset("LN-0002", model=m)
    me.post("/assets/checkout", data=checkout_form("LN-0001"), htmx=True)
    other.post("/assets/checkout", data=checkout_form("LN-0002"), htmx=True)
    html = me.get("/assets/loans?mine=1").get_data(as_text=True)
    assert "LN-0001" in html and "LN-0002" not in html


def test_a_location_page_lists_its_assets_and_offers_an_audit(login):
    from tests.asset_helpers import a_location

    c = login("technician")
    a_location("ROOM-1")
    an_asset("LN-0001", location_code="ROOM-1")
    html = c.get("/locations/ROOM-1").get_data(as_text=True)
    assert "Assets here (1)" in html and "LN-0001" in html and "/assets/audit?location_code=ROOM-1" in html


def test_an_audit_by_htmx_reports_missing_and_unexpected(login):
    from tests.asset_helpers import a_location

    c = login("technician")
    a_location("ROOM-1")
    a_location("ROOM-2")
    an_asset("A-1", location_code="ROOM-1")
    an_asset("A-2", location_code="ROOM-1", model=a_model("Bosch", "Drill", "Power tools"))
    an_asset("A-3", location_code="ROOM-2", model=a_model("Bosch", "Saw", "Power tools"))
    resp = c.post("/assets/audit", data={"scan_id": sid(), "location_code": "ROOM-1", "tags": "A-1\nA-3"}, htmx=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "asset-audited" in events(resp)
    assert "Missing (1):</strong> A-2" in html and "A-3 (registered at ROOM-2)" in html


def test_scanning_a_kit_offers_check_out_then_check_in(login):
    c = login("technician")
    m = a_model()
    for t in ("K-1", "K-2"):
        an_asset(t, model=m)
    from app.assets import services
    from app.uow import UnitOfWork

    services.create_kit(code="KIT-1", name="Survey", tags=["K-1", "K-2"], uow=UnitOfWork())
    assert "Check out the kit" in c.hx_get("/scan/resolve?code=KIT-1").get_data(as_text=True)
    c.post("/assets/checkout", data=checkout_form("KIT-1"), htmx=True)
    html = c.hx_get("/scan/resolve?code=KIT-1").get_data(as_text=True)
    assert "Check in the kit" in html and "K-1, K-2" in html


def test_a_technician_records_the_configuration_of_an_it_asset(login):
    c = login("technician")
    an_asset("IT-1", model=a_model("Dell", "Latitude", "IT"), pool=None)
    resp = c.post("/assets/IT-1/config", data={"name": "OS", "version": "Windows 11 23H2"})
    assert resp.status_code == 303
    assert "Windows 11 23H2" in c.get("/assets/IT-1").get_data(as_text=True)
    bad = c.post("/assets/IT-1/config", data={"name": " "})
    assert bad.status_code == 422 and "Name what is configured" in bad.get_data(as_text=True)


# ------------------------------------------------------------------------------------------- badges and rental stock

def test_a_persons_badge_scans_as_them_and_offers_a_check_out_to_them(login, make_user):
    from app.auth.rules import badge_code

    tech = make_user("technician")
    an_asset("LN-0001")
    c = login("manager")
    c.post("/assets/checkout", data=checkout_form(tags=f"{badge_code(tech.id)} LN-0001"))
    resp = login("technician").hx_get(f"/scan/resolve?code={badge_code(tech.id).lower()}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and tech.name in html and "LN-0001" in html  # what they have out
    assert f"/assets/checkout?borrower_id={tech.id}" in html


def test_scanning_a_badge_then_the_asset_checks_it_out_to_that_person(login, make_user):
    from app.auth.rules import badge_code

    tech = make_user("technician")
    an_asset("LN-0001")
    c = login("manager")
    first = c.post("/assets/checkout", data=checkout_form(tags=badge_code(tech.id)), htmx=True)
    html = first.get_data(as_text=True)
    assert first.status_code == 200 and f"Checking out to {tech.name}" in html
    assert f'<option value="{tech.id}" selected>' in html and count(Loan) == 0  # nothing written yet
    resp = c.post("/assets/checkout", data=checkout_form(tags="LN-0001", borrower_id=str(tech.id)), htmx=True)
    assert resp.status_code == 200
    # The badge and the asset in one go, in either order, also in a batch: the badge names the borrower.
    an_asset("LN-0002")
    batch = c.post("/assets/checkout", data={**checkout_form(tags=badge_code(tech.id)), "collect": "1",
                                             "batch": "LN-0002"}, htmx=True)
    assert f"To {tech.name}: 1 in the batch" in batch.get_data(as_text=True)
    c.post("/assets/checkout", data=checkout_form(tags=f"LN-0002 {badge_code(tech.id)}"), htmx=True)
    loans = db.session.scalars(select(Loan).order_by(Loan.id)).all()
    assert [(loan.asset.tag, loan.borrower_id) for loan in loans] == [("LN-0001", tech.id), ("LN-0002", tech.id)]


def test_a_deactivated_persons_badge_is_refused_at_check_out(login, make_user):
    from app.auth import services as accounts
    from app.auth.rules import badge_code
    from app.uow import UnitOfWork

    admin = make_user("admin")
    gone = make_user("technician")
    accounts.set_active(user_id=gone.id, active=False, actor_id=admin.id, uow=UnitOfWork())
    an_asset("LN-0001")
    resp = login("manager").post("/assets/checkout", data=checkout_form(tags=f"{badge_code(gone.id)} LN-0001"),
                                 htmx=True)
    assert resp.status_code == 422 and "deactivated" in resp.get_data(as_text=True)
    assert count(Loan) == 0


def test_badges_print_as_labels(login, make_user):
    from app.auth.rules import badge_code

    tech = make_user("technician")
    c = login("manager")
    one = c.get(f"/labels/code/{badge_code(tech.id)}")
    assert one.status_code == 200 and badge_code(tech.id) in one.get_data(as_text=True)
    assert tech.name in one.get_data(as_text=True)
    sheet = c.get(f"/labels/sheet?kind=person&code={badge_code(tech.id)}&layout=a4-3x8").get_data(as_text=True)
    assert tech.name in sheet and c.user.name not in sheet  # only the badge asked for


def test_a_rental_unit_counts_as_available_stock_of_its_item(login, make_item):
    from app.assets.services import AssetFields

    item = make_item("RENT-DRILL", tracking="serial")
    plain = make_item("PLAIN-1")
    m = a_model("Hilti", "TE 30", "Power tools")
    c = login("manager")
    form = {"tag": "RN-0001", "status": "in_stock", "model_id": str(m.id), "serial": "H-1", "pool": "rental",
            "stock_sku": "rent-drill", "cost": "0", "depreciation_method": "none"}
    assert c.post("/assets/new", data=form).status_code == 303
    assert c.post("/assets/new", data={**form, "tag": "RN-0002", "serial": "H-2"}).status_code == 303
    page = c.get(f"/stock/items/{item.sku}").get_data(as_text=True)
    assert "Rental units" in page and "2 available of 2 (0 out)" in page
    assert "RENT-DRILL" in c.get("/assets/RN-0001").get_data(as_text=True)
    login("technician").post("/assets/checkout", data=checkout_form(tags="RN-0001"))
    hub = login("staff").hx_get(f"/scan/resolve?code={item.ean}").get_data(as_text=True)
    assert "1 available of 2 (1 out)" in hub
    # Only a serial-numbered rental unit of a serial-tracked item; nothing is written otherwise.
    for bad, status, says in (({"pool": "loaner"}, 422, "rental pool"), ({"stock_sku": plain.sku}, 422,
                              "not tracked by serial"), ({"stock_sku": "NOPE"}, 404, "No stock item"),
                              ({"serial": ""}, 422, "serial number")):
        resp = c.post("/assets/new", data={**form, "tag": "RN-0009", **bad})
        assert resp.status_code == status and says in resp.get_data(as_text=True), bad
    assert queries.by_tag(db.session, "RN-0009") is None
    # Editing it out of stock (an empty SKU) unlinks it; an API-style edit without the field keeps the link.
    unit = queries.by_tag(db.session, "RN-0002")
    assets_services = __import__("app.assets.services", fromlist=["edit_asset"])
    from app.uow import UnitOfWork

    fields = AssetFields(model_id=m.id, serial="H-2", pool="rental", depreciation_method="none")
    assets_services.edit_asset(asset_id=unit.id, fields=fields, actor_id=None, uow=UnitOfWork())
    assert queries.rental_stock(db.session, item.id).units == 2
    c.post("/assets/RN-0002/edit", data={**form, "stock_sku": ""})
    assert queries.rental_stock(db.session, item.id).units == 1


def test_a_badge_that_rode_in_an_offline_batch_names_the_borrower(login, make_user):
    from app.auth.rules import badge_code

    tech = make_user("technician")
    an_asset("LN-0001")
    c = login("manager")  # a manager must name a borrower: the badge in the batch does
    resp = c.post("/assets/checkout", data={**checkout_form(tags=""), "batch": [badge_code(tech.id), "LN-0001"]},
                  htmx=True)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert [(loan.asset.tag, loan.borrower_id) for loan in db.session.scalars(select(Loan))] == [("LN-0001", tech.id)]


def test_scanning_a_badge_as_the_destination_transfers_the_asset_to_that_person(login, make_user):
    from app.auth.rules import badge_code

    tech = make_user("technician")
    an_asset("IT-1", pool=None)
    resp = login("manager").post("/assets/transfer", data={"scan_id": sid(), "source": "typed", "tag": "IT-1",
                                                           "location_code": badge_code(tech.id)}, htmx=True)
    assert resp.status_code == 200
    assert queries.by_tag(db.session, "IT-1").assignee_id == tech.id
