"""Property: any sequence of receive / move / pick / count keeps every balance equal to the sum of its ledger, each
item's kept on-hand total and stock value equal to its balances and cost layers, and nothing below zero."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.errors import DomainError
from app.extensions import db
from app.locations import services as location_services
from app.stock import counting, queries
from app.stock import services as stock
from app.stock.models import StockBalance
from app.uow import UnitOfWork
from tests.conftest import empty_all_tables

BINS = ["P-01", "P-02", "P-03"]
SKUS = ["PROP-1", "PROP-2", "PROP-3"]

qty = st.integers(min_value=1, max_value=6)
op = st.one_of(
    st.tuples(st.just("receive"), st.sampled_from(SKUS), st.sampled_from(BINS), qty),
    st.tuples(st.just("move"), st.sampled_from(SKUS), st.sampled_from(BINS), st.sampled_from(BINS), qty),
    st.tuples(st.just("pick"), st.sampled_from(SKUS), st.sampled_from(BINS), qty),
    st.tuples(st.just("count"), st.sampled_from(SKUS), st.sampled_from(BINS), st.integers(0, 8)),
)


def _world(make_user):
    empty_all_tables()
    location_services.create_location(code="P", name="Prop site", kind="site", uow=UnitOfWork())
    for i, code in enumerate(BINS):
        location_services.create_location(code=code, name=code, kind="bin", parent_code="P", walk_order=i,
                                          uow=UnitOfWork())
    for sku, method in zip(SKUS, ("fifo", "average", "lifo"), strict=True):
        stock.create_item(sku=sku, name=sku, valuation_method=method, standard_cost="1.5", uow=UnitOfWork())
    return make_user("manager").id


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(op, min_size=1, max_size=12))
def test_any_sequence_of_scans_keeps_balances_equal_to_the_ledger_and_never_negative(make_user, ops):
    actor = _world(make_user)
    for n, step in enumerate(ops):
        who = stock.Actor(actor, scan_id=f"prop-{n:04d}")
        try:
            if step[0] == "receive":
                _, sku, loc, q = step
                stock.receive(sku=sku, location_code=loc, quantity=q, unit_cost=str(q), who=who, uow=UnitOfWork())
            elif step[0] == "move":
                _, sku, src, dst, q = step
                stock.relocate(sku=sku, from_code=src, to_code=dst, quantity=q, who=who, uow=UnitOfWork())
            elif step[0] == "pick":
                _, sku, loc, q = step
                stock.take_out(sku=sku, location_code=loc, quantity=q, who=who, uow=UnitOfWork())
            else:
                _, sku, loc, counted = step
                counting.count_now(sku=sku, location_code=loc, counted=counted, who=who, uow=UnitOfWork())
        except DomainError:
            pass  # refusals (not enough stock, same bin) write nothing — checked below like everything else
        db.session.remove()
        assert queries.verify(db.session) == []
        assert all(b.on_hand >= 0 for b in db.session.query(StockBalance)), "a balance went below zero"
    assert sum((b.on_hand for b in db.session.query(StockBalance)), Decimal(0)) >= 0
