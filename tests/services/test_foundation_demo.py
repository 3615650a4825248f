"""The demo data set as the foundation promises it: UPC-A codes among the EAN-13s, loaners and demo units among
the assets, one sign-in per role."""

from __future__ import annotations

from sqlalchemy import func, select

from app import demo
from app.assets.models import Asset
from app.auth.models import User
from app.extensions import db
from app.stock.models import ItemBarcode


def _upc_a_check_digit_ok(code: str) -> bool:
    digits = [int(c) for c in code]
    odd = sum(digits[0:11:2])  # positions 1, 3, … 11 weigh 3
    even = sum(digits[1:10:2])
    return (10 - (odd * 3 + even) % 10) % 10 == digits[11]


def test_the_demo_has_upc_a_barcodes_loaners_demo_units_and_a_user_per_role(app):
    demo.seed(app, log=lambda *_: None)
    s = db.session
    labels = [row.label for row in s.scalars(select(ItemBarcode))]
    upc_a = [c for c in labels if len(c) == 12 and c.isdigit()]
    assert len(upc_a) >= 5, f"no UPC-A codes among {len(labels)} item barcodes"
    assert all(_upc_a_check_digit_ok(c) for c in upc_a), [c for c in upc_a if not _upc_a_check_digit_ok(c)]
    assert any(len(c) == 13 and c.isdigit() for c in labels)  # EAN-13 as well
    pools = dict(s.execute(select(Asset.pool, func.count()).group_by(Asset.pool)).all())
    assert pools.get("loaner", 0) >= 5 and pools.get("demo", 0) >= 2, pools
    roles = sorted(s.scalars(select(User.role)))
    assert roles == ["admin", "manager", "staff", "technician"]


def test_the_upc_a_check_digit_rule_used_above_is_the_real_one():
    assert _upc_a_check_digit_ok("036000291452")  # the textbook example
    assert not _upc_a_check_digit_ok("036000291453")
