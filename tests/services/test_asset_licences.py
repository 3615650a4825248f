"""Licences (seats to assets or people, expiry) and contracts (service, warranty extension) linked to assets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.assets import queries, services
from app.errors import Invalid
from app.extensions import db
from app.uow import UnitOfWork
from tests.asset_helpers import a_model, an_asset


def today():
    return datetime.now(UTC).date()


def test_seats_go_to_assets_or_people_and_run_out(make_user):
    person = make_user("staff")
    m = a_model("Dell", "Latitude", "IT")
    an_asset("IT-1", model=m, pool=None)
    lic = services.create_licence(name="CAD Pro", seats=2, expires_on=today() + timedelta(days=20), uow=UnitOfWork())
    services.assign_seat(licence_id=lic.id, tag="IT-1", actor_id=None, uow=UnitOfWork())
    seat = services.assign_seat(licence_id=lic.id, user_id=person.id, actor_id=None, uow=UnitOfWork())
    with pytest.raises(services.NoSeatLeft, match="All 2 seat"):
        services.assign_seat(licence_id=lic.id, user_id=make_user("staff").id, actor_id=None, uow=UnitOfWork())
    services.release_seat(seat_id=seat.id, uow=UnitOfWork())
    services.assign_seat(licence_id=lic.id, user_id=person.id, actor_id=None, uow=UnitOfWork())
    assert [s.holder for s in queries.open_seats(db.session, licence_id=lic.id)][0] == "IT-1"


def test_an_assets_timeline_shows_a_seat_given_and_taken_back():
    asset = an_asset("IT-1", model=a_model("Dell", "Latitude", "IT"), pool=None)
    lic = services.create_licence(name="CAD Pro", seats=1, expires_on=None, uow=UnitOfWork())
    seat = services.assign_seat(licence_id=lic.id, tag="IT-1", actor_id=None, uow=UnitOfWork())
    services.release_seat(seat_id=seat.id, uow=UnitOfWork())
    notes = [e.data for e in queries.timeline(db.session, asset.id) if e.kind == "note"]
    assert notes == [{"licence": "CAD Pro", "seat": "assigned"}, {"licence": "CAD Pro", "seat": "released"}]


def test_a_warranty_extension_moves_the_warranty_end_and_expiries_feed_the_alert_list(make_user):
    an_asset("LN-0001")
    end = today() + timedelta(days=10)
    services.create_contract(kind="warranty_extension", supplier="Fluke", reference="WX-1", starts_on=today(),
                             ends_on=end, tags=["LN-0001"], uow=UnitOfWork())
    assert queries.by_tag(db.session, "LN-0001").warranty_end == end
    services.create_licence(name="Office", seats=5, expires_on=today() + timedelta(days=5), uow=UnitOfWork())
    kinds = [e.kind for e in queries.expiring(db.session, today=today(), within_days=30)]
    assert kinds == ["licence", "contract", "warranty"]


def test_a_contract_ending_before_it_starts_or_covering_nothing_is_refused():
    with pytest.raises(Invalid, match="end not before the start"):
        services.create_contract(kind="service", supplier="X", starts_on=date(2026, 2, 1), ends_on=date(2026, 1, 1),
                                 tags=["A-1"], uow=UnitOfWork())
    with pytest.raises(Invalid, match="Scan the assets"):
        services.create_contract(kind="service", supplier="X", starts_on=date(2026, 1, 1), ends_on=date(2026, 2, 1),
                                 tags=[], uow=UnitOfWork())


def test_configuration_lines_are_kept_per_asset_and_each_change_is_in_the_timeline():
    m = a_model("Dell", "Latitude", "IT")
    asset = an_asset("IT-1", model=m, pool=None)
    services.set_config(tag="IT-1", name="OS", version="Windows 11 22H2", actor_id=None, uow=UnitOfWork())
    services.set_config(tag="IT-1", name="OS", version="Windows 11 23H2", actor_id=None, uow=UnitOfWork())
    services.set_config(tag="IT-1", name="AutoCAD LT", version="2026", actor_id=None, uow=UnitOfWork())
    assert [(c.name, c.version) for c in queries.config_of(db.session, asset.id)] == [
        ("AutoCAD LT", "2026"), ("OS", "Windows 11 23H2")]
    services.set_config(tag="IT-1", name="AutoCAD LT", remove=True, actor_id=None, uow=UnitOfWork())
    assert [c.name for c in queries.config_of(db.session, asset.id)] == ["OS"]
    assert [e.data.get("config") for e in queries.timeline(db.session, asset.id)][1:3] == [
        "OS Windows 11 22H2", "OS Windows 11 23H2"]


@pytest.mark.parametrize(("field", "limit"), [("name", 80), ("version", 80), ("note", 200)])
def test_a_configuration_line_longer_than_its_field_is_refused_saying_the_limit(field, limit):
    """PostgreSQL refuses a value longer than its column with an error (a bare 500 before); SQLite would keep it."""
    asset = an_asset("IT-2", model=a_model("Dell", "Latitude", "IT"), pool=None)
    values = {"name": "OS", "version": "11", "note": "fine", field: "x" * (limit + 1)}
    with pytest.raises(Invalid, match=f"The {field} is at most {limit} characters") as refused:
        services.set_config(tag="IT-2", actor_id=None, uow=UnitOfWork(), **values)
    assert refused.value.field == field
    assert queries.config_of(db.session, asset.id) == []
    services.set_config(tag="IT-2", actor_id=None, uow=UnitOfWork(), **{**values, field: "x" * limit})
    assert len(queries.config_of(db.session, asset.id)) == 1
