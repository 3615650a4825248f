"""Exact quantities and money on every database.

SQLite has no decimal type (SQLAlchemy warns and goes through float), so quantities and amounts are stored as
scaled integers: a quantity in thousandths of its unit, money in ten-thousandths. Python always sees Decimal;
SQL arithmetic in guarded updates and SUM() stays exact because it is integer arithmetic.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import BigInteger
from sqlalchemy.types import TypeDecorator

QTY_PLACES = 3
MONEY_PLACES = 4
QTY_STEP = Decimal(1).scaleb(-QTY_PLACES)
MONEY_STEP = Decimal(1).scaleb(-MONEY_PLACES)


def money(value) -> Decimal:
    """Round an amount to the stored precision (half up, as accountants expect)."""
    return Decimal(value).quantize(MONEY_STEP, rounding=ROUND_HALF_UP)


class _Scaled(TypeDecorator):
    impl = BigInteger
    cache_ok = True
    places = 0

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        scaled = Decimal(value).scaleb(self.places)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.places} decimal places")
        return int(scaled)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return tidy(Decimal(value).scaleb(-self.places))

    def coerce_compared_value(self, op, value):
        return self  # `on_hand - :qty`, `on_hand >= :qty`: the literal is scaled like the column


class Qty(_Scaled):
    """A quantity in the item's unit of measure, exact to 0.001."""

    cache_ok = True
    places = QTY_PLACES


class Money(_Scaled):
    """An amount of money, exact to 0.0001."""

    cache_ok = True
    places = MONEY_PLACES


class Value(_Scaled):
    """Quantity × unit cost, exact: the scaled product of a Qty and a Money (0.0000001). An item's stock value is
    kept in it so that adding and taking away layer values never rounds."""

    cache_ok = True
    places = QTY_PLACES + MONEY_PLACES


def tidy(value: Decimal) -> Decimal:
    # 12.000 → 12, 0.500 → 0.5: what people expect to read, with no loss.
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()
