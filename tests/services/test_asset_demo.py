"""The demo data set for assets loads through the services and shows every situation worth trying."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from app import demo
from app.assets import queries
from app.assets.models import Asset
from app.extensions import db
from app.maintenance import queries as mq


def test_the_demo_has_about_fifty_assets_some_out_one_overdue_one_reserved_one_in_maintenance(app):
    demo.seed(app, log=lambda *_: None)
    today = datetime.now(UTC).date()
    s = db.session
    assert 45 <= s.scalar(select(func.count()).select_from(Asset)) <= 60
    by_status = dict(s.execute(select(Asset.status, func.count()).group_by(Asset.status)).all())
    assert by_status["checked_out"] == 3 and by_status["reserved"] == 1 and by_status["in_maintenance"] == 1
    assert [loan.asset.tag for loan in queries.overdue(s, today)] == ["LN-0003"]
    assert any(i.due.state == "overdue" for i in mq.due_list(s, today=today))
    van = queries.search(s, q="")
    assert {a.location.code for a in van if a.tag in ("LN-0029", "LN-0030")} == {"VAN-07"}
    for asset in s.scalars(select(Asset)):
        assert queries.replayed_status(s, asset.id) == asset.status
    from app.stock.models import Item

    rental = s.scalar(select(Item).where(Item.sku == "RENT-EU22I"))
    assert queries.rental_stock(s, rental.id).units == 2  # the rental generators are also its stock


def test_the_dashboard_summary_counts_the_demo(app):
    demo.seed(app, log=lambda *_: None)
    s = queries.summary(db.session, datetime.now(UTC).date())
    assert (s.out, s.overdue, s.reserved, s.in_maintenance) == (3, 1, 1, 1)
    assert s.maintenance_overdue >= 2 and s.total >= 45 and s.book_value > 0
