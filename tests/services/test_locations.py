import pytest

from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.locations.services import create_location
from app.scanning.registry import lookup
from app.uow import UnitOfWork


def test_a_new_bin_gets_a_scannable_code_and_a_path():
    create_location(code="wh9", name="Warehouse 9", kind="site", uow=UnitOfWork())
    create_location(code="WH9-A", name="Zone A", kind="zone", parent_code="WH9", uow=UnitOfWork())
    b = create_location(code="wh9-a-01", name="Bin", kind="bin", parent_code="wh9-a", uow=UnitOfWork())
    assert b.code == "WH9-A-01"
    assert lookup(db.session, "WH9-A-01").kind == "location"
    assert db.session.merge(b).path() == "WH9 › WH9-A › WH9-A-01"


def test_location_rules_refuse_bad_codes_parents_and_duplicates():
    create_location(code="S1", name="s", kind="site", uow=UnitOfWork())
    with pytest.raises(Invalid, match="location code"):
        create_location(code="bad code!", name="x", kind="site", uow=UnitOfWork())
    with pytest.raises(Invalid, match="cannot be placed at the top level"):
        create_location(code="Z1", name="x", kind="zone", uow=UnitOfWork())
    with pytest.raises(NotFound, match="No location with code NOPE"):
        create_location(code="Z1", name="x", kind="zone", parent_code="NOPE", uow=UnitOfWork())
    with pytest.raises(Conflict, match="already used"):
        create_location(code="s1", name="x", kind="site", uow=UnitOfWork())
