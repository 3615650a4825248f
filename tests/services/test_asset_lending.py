"""Check-out, check-in, reservations — including racing scans on the same asset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.assets import queries, services
from app.assets.models import Asset, AssetEvent, Loan, Reservation
from app.assets.rules import ImpossibleTransition
from app.errors import AlreadyRecorded, Conflict, Invalid, NotFound
from app.extensions import db
from app.idempotency import AppliedRequest
from app.maintenance.models import MaintenanceRecord
from app.uow import UnitOfWork
from tests.asset_helpers import a_model, an_asset, sid

pytestmark = pytest.mark.usefixtures("app")


def today():
    return datetime.now(UTC).date()


def out(tags, who, due=None, **kw):
    return services.check_out(tags=tags, due_on=due or today() + timedelta(days=7), borrower_id=who.id,
                              actor_id=who.id, scan_id=kw.pop("scan_id", None) or sid(), uow=UnitOfWork(), **kw)


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def test_checking_out_records_the_loan_the_event_and_the_status(make_user):
    tech = make_user("technician")
    an_asset("LN-0001")
    result = out(["ln-0001"], tech, condition_out="worn")
    asset = queries.by_tag(db.session, "LN-0001")
    loan = queries.open_loan(db.session, asset.id)
    assert result.holder == tech.name and asset.status == "checked_out"
    assert loan.borrower_id == tech.id and loan.condition_out == "worn"
    assert queries.timeline(db.session, asset.id)[-1].data["holder"] == tech.name


def test_a_batch_goes_out_all_together_or_not_at_all(make_user):
    tech = make_user("technician")
    m = a_model()
    an_asset("LN-0001", model=m)
    an_asset("LN-0002", model=m)
    an_asset("LN-0003", model=m, pool=None)
    with pytest.raises(Conflict, match="LN-0003 is not in a loan pool"):
        out(["LN-0001", "LN-0002", "LN-0003"], tech)
    assert count(Loan) == 0
    out(["LN-0001", "LN-0002"], tech)
    assert count(Loan) == 2


def test_a_second_check_out_is_refused_saying_who_has_it(make_user):
    tech, other = make_user("technician"), make_user("technician")
    an_asset("LN-0001")
    out(["LN-0001"], tech)
    with pytest.raises(services.AlreadyCheckedOut, match=f"already checked out to {tech.name}"):
        out(["LN-0001"], other)
    assert count(Loan) == 1


def test_the_same_scan_sent_twice_applies_once(make_user):
    tech = make_user("technician")
    an_asset("LN-0001")
    scan = sid()
    out(["LN-0001"], tech, scan_id=scan)
    with pytest.raises(AlreadyRecorded) as err:
        out(["LN-0001"], tech, scan_id=scan)
    assert err.value.outcome["tags"] == ["LN-0001"]
    assert count(Loan) == 1


@pytest.mark.concurrency
def test_ten_simultaneous_check_outs_of_one_loaner_let_exactly_one_through(make_user, concurrently):
    techs = [make_user("technician") for _ in range(10)]
    ids = [t.id for t in techs]
    an_asset("LN-0001")
    due = today() + timedelta(days=2)

    def work(i):
        return services.check_out(tags=["LN-0001"], due_on=due, borrower_id=ids[i], actor_id=ids[i], scan_id=sid(),
                                  uow=UnitOfWork())

    results = concurrently(10, work)
    won = [r for r in results if isinstance(r, services.CheckedOut)]
    lost = [r for r in results if isinstance(r, services.AlreadyCheckedOut)]
    assert len(won) == 1 and len(lost) == 9, results
    assert all("already checked out" in str(e) for e in lost)
    assert count(Loan) == 1
    assert db.session.scalar(select(func.count()).select_from(AssetEvent).where(AssetEvent.kind == "checked_out")) == 1


@pytest.mark.parametrize("status_change, reason", [("retired", "retired"), ("lost", "reported lost")])
def test_a_retired_or_lost_asset_cannot_go_out(make_user, status_change, reason):
    tech = make_user("technician")
    an_asset("LN-0001")
    services.change_status(tag="LN-0001", kind=status_change, actor_id=None, uow=UnitOfWork())
    with pytest.raises(ImpossibleTransition, match=reason):
        out(["LN-0001"], tech)
    assert count(Loan) == 0


def test_an_asset_in_maintenance_cannot_go_out(make_user):
    from app.maintenance.services import open_maintenance

    tech = make_user("technician")
    an_asset("LN-0001")
    open_maintenance(tag="LN-0001", kind="corrective", findings="rattles", actor_id=tech.id, scan_id=sid(),
                     uow=UnitOfWork())
    with pytest.raises(ImpossibleTransition, match="in maintenance"):
        out(["LN-0001"], tech)


def test_a_due_date_in_the_past_is_refused_and_nothing_is_written(make_user):
    tech = make_user("technician")
    an_asset("LN-0001")
    with pytest.raises(Invalid, match="in the past"):
        out(["LN-0001"], tech, due=today() - timedelta(days=1))
    assert count(Loan) == 0 and count(AppliedRequest) == 0


def test_an_unknown_tag_is_refused_clearly(make_user):
    tech = make_user("technician")
    with pytest.raises(NotFound, match="No asset has the tag XX-9"):
        out(["xx-9"], tech)
    assert count(AppliedRequest) == 0


def test_a_loaner_does_not_go_to_a_customer_but_a_demo_unit_does(make_user):
    tech = make_user("technician")
    m = a_model()
    an_asset("LN-0001", model=m)
    an_asset("DM-0001", model=m, pool="demo")
    with pytest.raises(Conflict, match="only demo and rental units go to customers"):
        services.check_out(tags=["LN-0001"], due_on=today(), customer="ACME Ltd", actor_id=tech.id, scan_id=sid(),
                           uow=UnitOfWork())
    r = services.check_out(tags=["DM-0001"], due_on=today(), customer="ACME Ltd", actor_id=tech.id, scan_id=sid(),
                           uow=UnitOfWork())
    assert r.holder == "ACME Ltd"


def test_checking_in_an_asset_that_is_not_out_is_refused_and_nothing_is_written(make_user):
    tech = make_user("technician")
    an_asset("LN-0001")
    with pytest.raises(services.NotCheckedOut, match="not checked out"):
        services.check_in(tag="LN-0001", condition_in="good", actor_id=tech.id, scan_id=sid(), uow=UnitOfWork())
    assert count(AssetEvent) == 1


def test_a_damaged_return_opens_a_maintenance_record_in_the_same_step(make_user):
    tech = make_user("technician")
    an_asset("LN-0001")
    out(["LN-0001"], tech)
    result = services.check_in(tag="LN-0001", condition_in="damaged", damage="cracked case", actor_id=tech.id,
                               scan_id=sid(), uow=UnitOfWork())
    assert result.maintenance_opened
    rec = db.session.scalar(select(MaintenanceRecord))
    assert rec.state == "open" and "cracked case" in rec.findings
    assert queries.by_tag(db.session, "LN-0001").status == "in_maintenance"


def test_damage_without_a_description_is_refused(make_user):
    tech = make_user("technician")
    an_asset("LN-0001")
    out(["LN-0001"], tech)
    with pytest.raises(Invalid, match="Describe the damage"):
        services.check_in(tag="LN-0001", condition_in="damaged", actor_id=tech.id, scan_id=sid(), uow=UnitOfWork())
    assert queries.by_tag(db.session, "LN-0001").status == "checked_out"


def test_overdue_lists_loans_past_their_due_date(make_user):
    tech = make_user("technician")
    m = a_model()
    an_asset("LN-0001", model=m)
    an_asset("LN-0002", model=m)
    out(["LN-0001"], tech, due=today())
    out(["LN-0002"], tech, due=today() + timedelta(days=5))
    assert [loan.asset.tag for loan in queries.overdue(db.session, today() + timedelta(days=1))] == ["LN-0001"]
    assert queries.overdue(db.session, today()) == []


def test_a_kit_goes_out_together_and_missing_pieces_are_reported_at_return(make_user):
    tech = make_user("technician")
    m = a_model()
    for t in ("K-1", "K-2", "K-3"):
        an_asset(t, model=m)
    kit = services.create_kit(code="KIT-A", name="Survey kit", tags=["K-1", "K-2", "K-3"], uow=UnitOfWork())
    _, tags = services.kit_tags(db.session, "KIT-A")
    out(tags, tech, kit_id=kit.id)
    result = services.check_in(tag="K-1", condition_in="good", actor_id=tech.id, scan_id=sid(), uow=UnitOfWork())
    assert result.missing == ["K-2", "K-3"]


# --------------------------------------------------------------------------------------------------- reservations

def window(start_h=24, hours=4):
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=start_h)
    return start, start + timedelta(hours=hours)


def book(who, tag=None, model_id=None, start_h=24, hours=4, customer=None):
    s, e = window(start_h, hours)
    return services.reserve(tag=tag, model_id=model_id, holder_id=None if customer else who.id, customer=customer,
                            starts_at=s, ends_at=e, actor_id=who.id, uow=UnitOfWork())


def test_overlapping_reservations_of_one_asset_are_refused(make_user):
    a, b = make_user("technician"), make_user("technician")
    an_asset("LN-0001")
    book(a, "LN-0001", start_h=24, hours=4)
    with pytest.raises(services.DoubleBooked, match="already reserved"):
        book(b, "LN-0001", start_h=26, hours=4)
    book(b, "LN-0001", start_h=28, hours=4)  # back to back is fine: windows are half-open
    assert count(Reservation) == 2


def test_a_reservation_that_ends_before_it_starts_is_refused(make_user):
    a = make_user("technician")
    an_asset("LN-0001")
    s, e = window()
    with pytest.raises(Invalid, match="ends before it starts"):
        services.reserve(tag="LN-0001", holder_id=a.id, starts_at=e, ends_at=s, actor_id=a.id, uow=UnitOfWork())
    assert count(Reservation) == 0


@pytest.mark.concurrency
def test_concurrent_overlapping_reservations_leave_exactly_one_standing(make_user, concurrently):
    people = [make_user("technician") for _ in range(8)]
    ids = [p.id for p in people]
    an_asset("LN-0001")
    base = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)

    def work(i):
        return services.reserve(tag="LN-0001", holder_id=ids[i], starts_at=base + timedelta(minutes=i),
                                ends_at=base + timedelta(hours=3), actor_id=ids[i], uow=UnitOfWork())

    results = concurrently(8, work)
    assert sum(isinstance(r, Reservation) for r in results) == 1, results
    assert all(isinstance(r, (Reservation, services.DoubleBooked)) for r in results), results
    assert count(Reservation) == 1


def test_the_database_refuses_overlapping_bookings_even_behind_the_services_back(make_user, is_postgres):
    if not is_postgres:
        pytest.skip("the exclusion constraint is PostgreSQL's; SQLite relies on the serialised transaction")
    from sqlalchemy.exc import IntegrityError

    a = make_user("technician")
    asset = an_asset("LN-0001")
    s, e = window()
    with UnitOfWork() as uow:
        uow.session.add(Reservation(model_id=asset.model_id, asset_id=asset.id, holder_id=a.id, starts_at=s, ends_at=e))
        uow.commit()
    with pytest.raises(IntegrityError, match="ex_asset_reservation_no_overlap"), UnitOfWork() as uow:
        uow.session.add(Reservation(model_id=asset.model_id, asset_id=asset.id, holder_id=a.id,
                                    starts_at=s + timedelta(hours=1), ends_at=e + timedelta(hours=1)))
        uow.commit()


def test_any_unit_reservations_cannot_exceed_the_number_of_units(make_user):
    a, b, c = (make_user("technician") for _ in range(3))
    m = a_model()
    an_asset("LN-0001", model=m)
    an_asset("LN-0002", model=m)
    book(a, model_id=m.id)
    book(b, model_id=m.id)
    with pytest.raises(services.DoubleBooked, match="All 2 unit"):
        book(c, model_id=m.id)


def test_a_unit_out_on_loan_cannot_be_booked_by_someone_else_before_it_is_due_back(make_user):
    a, b = make_user("technician"), make_user("technician")
    m = a_model()
    an_asset("LN-0001", model=m)
    an_asset("LN-0002", model=m)
    out(["LN-0001"], a, due=today() + timedelta(days=10))
    with pytest.raises(services.DoubleBooked, match="checked out to .* until"):
        book(b, "LN-0001", start_h=24)
    book(a, "LN-0001", start_h=24)  # the borrower booking on: an extension, not a clash
    book(b, "LN-0001", start_h=24 * 12)  # after it is due back
    # Any unit: LN-0001 is out, so one booking takes the only free unit and the next has none.
    book(b, model_id=m.id, start_h=48)
    with pytest.raises(services.DoubleBooked, match="reserved or out on loan"):
        book(b, model_id=m.id, start_h=49)
    assert count(Reservation) == 3


def test_a_check_out_that_runs_into_someone_elses_reservation_is_refused(make_user):
    a, b = make_user("technician"), make_user("technician")
    an_asset("LN-0001")
    book(a, "LN-0001", start_h=48, hours=4)
    with pytest.raises(services.ReservedForSomeoneElse, match="reserved for"):
        out(["LN-0001"], b, due=today() + timedelta(days=5))
    out(["LN-0001"], b, due=today())  # back before the reservation starts: fine
    assert count(Loan) == 1


def test_fulfilling_a_model_reservation_sets_a_unit_aside_for_its_holder_only(make_user):
    a, b = make_user("technician"), make_user("technician")
    m = a_model()
    an_asset("LN-0001", model=m)
    res = book(a, model_id=m.id, start_h=1)
    services.fulfil_reservation(reservation_id=res.id, tag="LN-0001", actor_id=a.id, scan_id=sid(),
                                uow=UnitOfWork())
    assert queries.by_tag(db.session, "LN-0001").status == "reserved"
    with pytest.raises(services.ReservedForSomeoneElse, match="set aside for"):
        out(["LN-0001"], b)
    out(["LN-0001"], a)
    assert db.session.get(Reservation, res.id).state == "collected"


def test_cancelling_a_fulfilled_reservation_puts_the_unit_back(make_user):
    a = make_user("technician")
    m = a_model()
    an_asset("LN-0001", model=m)
    res = book(a, model_id=m.id, start_h=1)
    services.fulfil_reservation(reservation_id=res.id, tag="LN-0001", actor_id=a.id, scan_id=sid(),
                                uow=UnitOfWork())
    services.cancel_reservation(reservation_id=res.id, actor_id=a.id, uow=UnitOfWork())
    assert queries.by_tag(db.session, "LN-0001").status == "in_stock"


# --------------------------------------------------------------------------------------------------- transfers, audit

def test_a_transfer_moves_the_asset_and_records_where(make_user):
    from tests.asset_helpers import a_location

    tech = make_user("technician")
    a_location("DEP2")
    an_asset("LN-0001")
    services.transfer(tag="LN-0001", location_code="dep2", department="Field service", actor_id=tech.id,
                      scan_id=sid(), uow=UnitOfWork())
    asset = queries.by_tag(db.session, "LN-0001")
    assert asset.location.code == "DEP2" and asset.department == "Field service"
    assert queries.timeline(db.session, asset.id)[-1].data == {"location": "DEP2", "department": "Field service"}


def test_an_audit_reports_found_missing_and_unexpected_and_updates_last_seen(make_user):
    from tests.asset_helpers import a_location

    tech = make_user("technician")
    a_location("ROOM-1")
    a_location("ROOM-2")
    m = a_model()
    an_asset("A-1", model=m, location_code="ROOM-1")
    an_asset("A-2", model=m, location_code="ROOM-1")
    an_asset("A-3", model=m, location_code="ROOM-2")
    result = services.audit(location_code="ROOM-1", tags=["A-1", "A-3", "ZZ-9"], actor_id=tech.id, scan_id=sid(),
                            uow=UnitOfWork())
    assert result.found == ["A-1"] and result.missing == ["A-2"]
    assert result.unexpected == [("A-3", "ROOM-2")] and result.unknown == ["ZZ-9"]
    assert queries.by_tag(db.session, "A-3").last_seen_location.code == "ROOM-1"


def test_an_audit_says_when_a_checked_out_asset_is_here_and_finds_a_lost_one(make_user):
    from tests.asset_helpers import a_location

    tech = make_user("technician")
    a_location("ROOM-1")
    m = a_model()
    an_asset("A-1", model=m, location_code="ROOM-1")
    an_asset("A-2", model=m, location_code="ROOM-1")
    out(["A-1"], tech)
    services.change_status(tag="A-2", kind="lost", actor_id=tech.id, uow=UnitOfWork())
    result = services.audit(location_code="ROOM-1", tags=["A-1", "A-2"], actor_id=tech.id, scan_id=sid(),
                            uow=UnitOfWork())
    assert result.on_loan == [("A-1", tech.name)] and result.unexpected == []
    assert result.recovered == ["A-2"] and result.found == ["A-2"] and result.missing == []
    lost = queries.by_tag(db.session, "A-2")
    assert lost.status == "in_stock"
    assert [e.kind for e in queries.timeline(db.session, lost.id)][-2:] == ["found", "seen"]


def test_replacing_an_asset_keeps_the_link_and_retires_the_old_one(make_user):
    m = a_model()
    an_asset("OLD-1", model=m, pool=None)
    an_asset("NEW-1", model=m, pool=None)
    services.replace_asset(old_tag="OLD-1", new_tag="NEW-1", actor_id=None, uow=UnitOfWork())
    old, new = queries.by_tag(db.session, "OLD-1"), queries.by_tag(db.session, "NEW-1")
    assert old.replaced_by_id == new.id and old.status == "retired"
    assert queries.timeline(db.session, new.id)[-1].data == {"replaces": "OLD-1"}


@pytest.mark.concurrency
def test_overlapping_batches_racing_share_no_asset_and_do_not_deadlock(make_user, concurrently):
    techs = [make_user("technician") for _ in range(4)]
    ids = [t.id for t in techs]
    m = a_model()
    for t in ("A", "B", "C", "D"):
        an_asset(f"LN-{t}", model=m)
    batches = [["LN-A", "LN-B"], ["LN-C", "LN-B"], ["LN-D", "LN-C"], ["LN-B", "LN-D"]]

    def work(i):
        return services.check_out(tags=batches[i], due_on=today(), borrower_id=ids[i], actor_id=ids[i],
                                  scan_id=sid(), uow=UnitOfWork())

    results = concurrently(4, work)
    assert all(isinstance(r, (services.CheckedOut, services.AlreadyCheckedOut)) for r in results), results
    won = [set(r.tags) for r in results if isinstance(r, services.CheckedOut)]
    assert won and all(a.isdisjoint(b) for i, a in enumerate(won) for b in won[i + 1:])
    assert count(Loan) == sum(len(w) for w in won)


@pytest.mark.concurrency
def test_the_same_scan_replayed_at_the_same_moment_applies_once(make_user, concurrently):
    tech = make_user("technician")
    tech_id = tech.id
    an_asset("LN-0001")
    scan = sid()

    def work(_):
        return services.check_out(tags=["LN-0001"], due_on=today(), borrower_id=tech_id, actor_id=tech_id,
                                  scan_id=scan, uow=UnitOfWork())

    results = concurrently(5, work)
    assert sum(isinstance(r, services.CheckedOut) for r in results) == 1, results
    assert all(isinstance(r, (services.CheckedOut, AlreadyRecorded)) for r in results), results
    assert count(Loan) == 1


@pytest.mark.concurrency
def test_racing_any_unit_bookings_never_exceed_the_units(make_user, concurrently):
    people = [make_user("technician") for _ in range(6)]
    ids = [p.id for p in people]
    m = a_model()
    for i in range(3):
        an_asset(f"LN-{i}", model=m)
    model_id = m.id
    base = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)

    def work(i):
        return services.reserve(model_id=model_id, holder_id=ids[i], starts_at=base, ends_at=base + timedelta(hours=2),
                                actor_id=ids[i], uow=UnitOfWork())

    results = concurrently(6, work)
    assert sum(isinstance(r, Reservation) for r in results) == 3, results
    assert sum(isinstance(r, services.DoubleBooked) for r in results) == 3


def test_an_uncollected_reservation_expires_and_its_unit_goes_back_to_stock(make_user):
    a = make_user("technician")
    m = a_model()
    an_asset("LN-0001", model=m)
    res = book(a, model_id=m.id, start_h=1)
    services.fulfil_reservation(reservation_id=res.id, tag="LN-0001", actor_id=a.id, scan_id=sid(),
                                uow=UnitOfWork())
    assert services.expire_reservations(now=datetime.now(UTC) + timedelta(hours=3), uow=UnitOfWork()) == 0
    assert services.expire_reservations(now=datetime.now(UTC) + timedelta(hours=6), uow=UnitOfWork()) == 1
    db.session.rollback()
    assert db.session.get(Reservation, res.id).state == "expired"
    assert queries.by_tag(db.session, "LN-0001").status == "in_stock"


def test_a_kit_comes_back_by_its_code_and_the_pieces_scanned_the_rest_is_reported_missing(make_user):
    tech = make_user("technician")
    m = a_model()
    for t in ("K-1", "K-2", "K-3"):
        an_asset(t, model=m)
    an_asset("X-9", model=m)
    kit = services.create_kit(code="KIT-A", name="Survey kit", tags=["K-1", "K-2", "K-3"], uow=UnitOfWork())
    out(["K-1", "K-2", "K-3"], tech, kit_id=kit.id)
    with pytest.raises(Invalid, match="X-9 is not part of kit KIT-A"):
        services.check_in(tag="KIT-A", pieces=["K-1", "X-9"], condition_in="good", actor_id=tech.id, scan_id=sid(),
                          uow=UnitOfWork())
    result = services.check_in(tag="kit-a", pieces=["K-1", "K-3"], condition_in="good", actor_id=tech.id,
                               scan_id=sid(), uow=UnitOfWork())
    assert result.tags == ("K-1", "K-3") and result.missing == ["K-2"] and result.holder == tech.name
    db.session.rollback()
    assert [queries.by_tag(db.session, t).status for t in ("K-1", "K-2", "K-3")] == [
        "in_stock", "checked_out", "in_stock"]


# ----------------------------------------------------------------------------------- what a second audit found


def test_an_asset_lost_while_out_ends_its_loan_and_once_found_can_go_out_again(make_user):
    a, b = make_user("technician"), make_user("technician")
    an_asset("LN-0001")
    out(["LN-0001"], a)
    services.change_status(tag="LN-0001", kind="lost", actor_id=a.id, note="left on site", uow=UnitOfWork())
    assert queries.overdue(db.session, today() + timedelta(days=30)) == []  # nobody is chased for it any more
    services.change_status(tag="LN-0001", kind="found", actor_id=a.id, uow=UnitOfWork())
    out(["LN-0001"], b)
    loans = db.session.scalars(select(Loan).order_by(Loan.id)).all()
    assert [(loan.borrower_id, loan.condition_in) for loan in loans] == [(a.id, "lost"), (b.id, None)]


def test_retiring_or_losing_a_unit_frees_its_bookings(make_user):
    a = make_user("technician")
    m = a_model()
    an_asset("LN-0001", model=m)
    mine = book(a, "LN-0001", start_h=48)
    services.change_status(tag="LN-0001", kind="retired", actor_id=a.id, uow=UnitOfWork())
    db.session.rollback()
    booking = db.session.get(Reservation, mine.id)
    assert booking.state == "cancelled" and "LN-0001 was retired" in booking.note


def test_disposing_of_an_asset_gives_its_licence_seats_back(make_user):
    an_asset("IT-1", model=a_model("Dell", "Latitude", "IT"), pool=None)
    lic = services.create_licence(name="CAD", seats=1, expires_on=None, uow=UnitOfWork())
    services.assign_seat(licence_id=lic.id, tag="IT-1", actor_id=None, uow=UnitOfWork())
    services.dispose_asset(tag="IT-1", on=today(), how="scrapped", proceeds=Decimal("0"), actor_id=None,
                           uow=UnitOfWork())
    assert queries.open_seats(db.session, licence_id=lic.id) == []
    services.assign_seat(licence_id=lic.id, user_id=make_user("staff").id, actor_id=None, uow=UnitOfWork())


def test_the_holder_taking_a_unit_collects_their_booking_so_it_holds_no_second_unit(make_user):
    a, b = make_user("technician"), make_user("technician")
    m = a_model()
    an_asset("LN-0001", model=m)
    an_asset("LN-0002", model=m)
    mine = book(a, model_id=m.id, start_h=0, hours=48)
    out(["LN-0001"], a, due=today() + timedelta(days=1))
    collected = db.session.get(Reservation, mine.id)
    assert collected.state == "collected" and collected.asset_id == queries.by_tag(db.session, "LN-0001").id
    out(["LN-0002"], b, due=today() + timedelta(days=1))  # the other unit is free for someone else


def test_a_lost_asset_found_in_another_room_now_belongs_there_and_a_rooms_audit_covers_its_shelves(make_user):
    from tests.asset_helpers import a_location

    tech = make_user("technician")
    a_location("ROOM-1")
    a_location("ROOM-2")
    a_location("SHELF-2A", kind="zone", parent="ROOM-2")
    m = a_model()
    an_asset("A-1", model=m, location_code="ROOM-1")
    an_asset("A-2", model=m, location_code="SHELF-2A")
    services.change_status(tag="A-1", kind="lost", actor_id=tech.id, uow=UnitOfWork())
    result = services.audit(location_code="ROOM-2", tags=["A-1", "A-2"], actor_id=tech.id, scan_id=sid(),
                            uow=UnitOfWork())
    assert result.found == ["A-1", "A-2"] and result.recovered == ["A-1"] and result.unexpected == []
    assert queries.by_tag(db.session, "A-1").location.code == "ROOM-2"
    again = services.audit(location_code="ROOM-1", tags=[], actor_id=tech.id, scan_id=sid(), uow=UnitOfWork())
    assert again.missing == []  # no longer expected where it was lost


def test_no_asset_tag_or_location_code_may_look_like_a_persons_badge():
    from app.locations.services import create_location

    with pytest.raises(Invalid, match="people's badges"):
        an_asset("USR-00009")
    with pytest.raises(Invalid, match="people's badges"):
        create_location(code="USR-1", name="x", kind="site", uow=UnitOfWork())
    db.session.rollback()
    assert count(Asset) == 0


def test_a_booking_naming_a_tag_and_another_model_is_refused_not_guessed(make_user):
    a = make_user("technician")
    an_asset("LN-0001", model=a_model("Fluke", "87V"))
    other = a_model("Fluke", "1664 FC")
    s, e = window()
    with pytest.raises(Invalid, match="not the model chosen"):
        services.reserve(tag="LN-0001", model_id=other.id, holder_id=a.id, starts_at=s, ends_at=e, actor_id=a.id,
                         uow=UnitOfWork())
    assert count(Reservation) == 0


def test_a_person_deactivated_after_the_form_listed_them_is_given_nothing(make_user):
    """The check-out form loads the active people; one deactivated before the form is sent gets no asset."""
    from sqlalchemy import text

    from app.auth.models import User

    tech, borrower = make_user("technician"), make_user("technician")
    tech_id, borrower_id = tech.id, borrower.id
    an_asset("LN-0001")
    db.session.remove()
    listed = db.session.get(User, borrower_id)  # the form listed them, and the request still holds the list
    assert listed.active
    with db.engine.begin() as conn:  # an admin, meanwhile
        conn.execute(text("UPDATE user_account SET active = :no WHERE id = :id"), {"no": False, "id": borrower_id})
    with pytest.raises(NotFound, match="not an active user"):
        services.check_out(tags=["LN-0001"], due_on=today() + timedelta(days=7), borrower_id=borrower_id,
                           actor_id=tech_id, scan_id=sid(), uow=UnitOfWork())
    db.session.remove()
    assert count(Loan) == 0
    assert db.session.scalar(select(Asset.status).where(Asset.tag == "LN-0001")) == "in_stock"
