"""Stock settings, read from the app config (environment) with safe defaults.

STOCK_ALLOW_NEGATIVE        "1" lets picks take a bin below zero (off: a pick of more than is there is refused)
STOCK_OVER_RECEIPT_PERCENT  how far over its ordered quantity a PO line may be received (default 0: not at all)
STOCK_DEFAULT_VALUATION     fifo, lifo or average: the valuation method new items get (default fifo)
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class StockSettings:
    allow_negative: bool = False
    over_receipt_percent: Decimal = Decimal(0)
    default_valuation: str = "fifo"

    @classmethod
    def from_config(cls, config) -> StockSettings:
        def flag(value) -> bool:
            return str(value).strip().lower() in ("1", "true", "yes", "on")

        return cls(
            allow_negative=flag(config.get("STOCK_ALLOW_NEGATIVE", False)),
            over_receipt_percent=Decimal(str(config.get("STOCK_OVER_RECEIPT_PERCENT", 0))),
            default_valuation=str(config.get("STOCK_DEFAULT_VALUATION", "fifo")).lower(),
        )


def current() -> StockSettings:
    from flask import current_app, has_app_context

    if not has_app_context():
        return StockSettings()
    return StockSettings.from_config(current_app.config)
