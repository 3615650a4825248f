"""Build asset data through the services, as a manager would."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from app.assets import services
from app.locations.services import create_location
from app.uow import UnitOfWork


def sid() -> str:
    return uuid.uuid4().hex


def a_model(manufacturer="Fluke", name="87V Multimeter", category="Test equipment"):
    return services.ensure_model(manufacturer=manufacturer, name=name, category=category, uow=UnitOfWork())


def a_location(code="POOL", kind="site", holder_id=None, parent=None):
    return create_location(code=code, name=code, kind=kind, holder_id=holder_id, parent_code=parent, uow=UnitOfWork())


def an_asset(tag="LN-0001", *, model=None, pool="loaner", status="in_stock", cost="1200.00", actor_id=None,
             location_code=None, purchase_date=date(2024, 4, 15), life=60, salvage="200.00", method="straight_line"):
    model = model or a_model()
    fields = services.AssetFields(
        model_id=model.id, serial=f"SN-{tag}", pool=pool, cost=Decimal(cost), purchase_date=purchase_date,
        useful_life_months=life, salvage_value=Decimal(salvage), depreciation_method=method,
        location_code=location_code)
    return services.register_asset(tag=tag, fields=fields, status=status, actor_id=actor_id, uow=UnitOfWork())
