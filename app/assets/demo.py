"""Demo data for assets: ~50 assets (loaners, demo units, IT, generators), some out (one overdue), one reserved, one
in maintenance, schedules due. Everything goes through the services, as a user's actions would."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ..maintenance import services as maintenance
from ..uow import UnitOfWork
from . import services

MODELS = [
    # manufacturer, model, category, cost, life months, salvage, method
    ("Fluke", "87V Multimeter", "Test equipment", "489.00", 60, "40.00", "straight_line"),
    ("Fluke", "1664 FC Installation tester", "Test equipment", "2150.00", 60, "200.00", "straight_line"),
    ("FLIR", "E8-XT Thermal camera", "Test equipment", "3290.00", 48, "300.00", "declining_balance"),
    ("Leica", "DISTO X4 Laser meter", "Survey", "1090.00", 48, "100.00", "straight_line"),
    ("Bosch", "GBH 2-28 Rotary hammer", "Power tools", "1120.00", 36, "50.00", "declining_balance"),
    ("Honda", "EU22i Generator", "Power", "1850.00", 84, "250.00", "straight_line"),
    ("Dell", "Latitude 5440 Laptop", "IT", "1390.00", 36, "0.00", "straight_line"),
    ("Zebra", "TC52 Handheld computer", "IT", "1240.00", 48, "0.00", "straight_line"),
    ("Acme", "HeatPump Controller HP-9 (demo)", "Demo units", "2600.00", 36, "400.00", "straight_line"),
]


def _sid() -> str:
    return uuid.uuid4().hex


def seed(ctx: dict) -> None:
    rng = ctx["rng"]
    users = ctx["users"]
    tech, manager = users["technician"], users["manager"]
    today = datetime.now(UTC).date()
    models = {}
    for make, name, category, cost, life, salvage, method in MODELS:
        models[name] = (services.ensure_model(manufacturer=make, name=name, category=category, uow=UnitOfWork()),
                        Decimal(cost), life, Decimal(salvage), method)

    # The rental generators are also stock of a serial-tracked rental item: its page shows how many can go out.
    from ..stock import services as stock

    stock.create_item(sku="RENT-EU22I", name="Generator hire, Honda EU22i (per day)", tracking="serial",
                      standard_cost="0", uow=UnitOfWork())

    def add(tag, model_name, *, pool=None, location="DEP2-POOL", status="in_stock", department=None, assignee=None,
            age_days=None, stock_sku=None):
        model, cost, life, salvage, method = models[model_name]
        bought = today - timedelta(days=age_days if age_days is not None else rng.randint(30, 1600))
        fields = services.AssetFields(
            model_id=model.id, serial=f"{model.manufacturer[:3].upper()}{rng.randint(100000, 999999)}",
            location_code=location, department=department, assignee_id=assignee, purchase_date=bought, cost=cost,
            supplier=rng.choice(["Rexel", "RS Components", "Farnell", "Dell Direct"]),
            po_ref=f"PO-{rng.randint(24000, 26999)}", warranty_end=bought + timedelta(days=730),
            useful_life_months=life, salvage_value=salvage, depreciation_method=method, pool=pool,
            stock_sku=stock_sku, link_stock=stock_sku is not None)
        return services.register_asset(tag=tag, fields=fields, status=status, actor_id=manager.id, uow=UnitOfWork())

    loaner_models = ["87V Multimeter", "1664 FC Installation tester", "E8-XT Thermal camera", "DISTO X4 Laser meter",
                     "GBH 2-28 Rotary hammer"]
    for i in range(1, 31):
        where = "VAN-07" if i in (29, 30) else "DEP2-POOL"
        add(f"LN-{i:04d}", loaner_models[(i - 1) % len(loaner_models)], pool="loaner", location=where)
    for i in range(1, 7):
        add(f"DM-{i:04d}", "HeatPump Controller HP-9 (demo)", pool="demo", location="WH1-A1-1")
    for i in range(1, 3):
        add(f"RN-{i:04d}", "EU22i Generator", pool="rental", location="DEP2-S-01", stock_sku="RENT-EU22I")
    for i in range(1, 9):
        model = "Latitude 5440 Laptop" if i <= 5 else "TC52 Handheld computer"
        add(f"IT-{i:04d}", model, location="WH1", status="deployed", department=rng.choice(["Service", "Sales", "Ops"]),
            assignee=rng.choice([tech.id, manager.id, users["staff"].id]))
    for i in range(1, 5):
        add(f"GEN-{i:02d}", "EU22i Generator", location="DEP2-S-02")
    add("IT-0099", "Latitude 5440 Laptop", location="WH1", status="planned", age_days=0)

    # Out: two with Theo (one overdue), a demo unit with a customer, a kit.
    services.check_out(tags=["LN-0001"], due_on=today + timedelta(days=3), borrower_id=tech.id, actor_id=tech.id,
                       scan_id=_sid(), condition_out="good", uow=UnitOfWork())
    services.check_out(tags=["LN-0003"], due_on=today - timedelta(days=2), borrower_id=tech.id, actor_id=tech.id,
                       scan_id=_sid(), today=today - timedelta(days=9), uow=UnitOfWork())  # now overdue
    services.check_out(tags=["DM-0001"], due_on=today + timedelta(days=10), customer="Northwind Facilities",
                       actor_id=manager.id, scan_id=_sid(), uow=UnitOfWork())
    services.create_kit(code="KIT-SURVEY", name="Survey kit", tags=["LN-0004", "LN-0009", "LN-0014"], uow=UnitOfWork())

    # Reservations: LN-0005 booked for tomorrow; one DISTO set aside for Theo this afternoon.
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    services.reserve(tag="LN-0005", holder_id=tech.id, starts_at=start, ends_at=start + timedelta(hours=8),
                     actor_id=manager.id, note="Site survey, Harbour Rd", uow=UnitOfWork())
    soon = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=2)
    disto = models["DISTO X4 Laser meter"][0]
    res = services.reserve(model_id=disto.id, holder_id=tech.id, starts_at=soon, ends_at=soon + timedelta(hours=6),
                           actor_id=manager.id, uow=UnitOfWork())
    services.fulfil_reservation(reservation_id=res.id, tag="LN-0019", actor_id=manager.id, scan_id=_sid(),
                                uow=UnitOfWork())

    # In the workshop: a thermal camera with a flickering display.
    maintenance.open_maintenance(tag="LN-0008", kind="corrective", findings="Display flickers when cold",
                                 actor_id=tech.id, scan_id=_sid(), uow=UnitOfWork())

    # Schedules: yearly calibration of the testers (two overdue), generator oil every 250 h (one due by hours).
    for i, tag in enumerate(("LN-0001", "LN-0002", "LN-0006", "LN-0007")):
        maintenance.add_schedule(tag=tag, title="Annual calibration", kind="calibration", every_days=365,
                                 starts_on=today - timedelta(days=370 if i < 2 else 200), uow=UnitOfWork())
    for i in range(1, 5):
        tag = f"GEN-{i:02d}"
        maintenance.record_meter(tag=tag, hours=rng.randint(50, 150), actor_id=tech.id, uow=UnitOfWork())
        maintenance.add_schedule(tag=tag, title="Oil change", kind="preventive", every_hours=250, every_days=365,
                                 starts_on=today - timedelta(days=100), uow=UnitOfWork())
    maintenance.record_meter(tag="GEN-01", hours=380, actor_id=tech.id, uow=UnitOfWork())
    maintenance.log_maintenance(tag="GEN-02", kind="inspection", findings="Leads and plugs fine", labour_minutes=20,
                                actor_id=tech.id, scan_id=_sid(), uow=UnitOfWork())
    # IT: configuration, a licence with seats, a service contract and a warranty extension.
    for i in range(1, 6):
        services.set_config(tag=f"IT-{i:04d}", name="OS", version="Windows 11 Pro 23H2", actor_id=manager.id,
                            uow=UnitOfWork())
    services.set_config(tag="IT-0001", name="AutoCAD LT", version="2026", actor_id=manager.id, uow=UnitOfWork())
    cad = services.create_licence(name="AutoCAD LT 2026", vendor="Autodesk", seats=3,
                                  expires_on=today + timedelta(days=21), uow=UnitOfWork())
    services.assign_seat(licence_id=cad.id, tag="IT-0001", actor_id=manager.id, uow=UnitOfWork())
    services.assign_seat(licence_id=cad.id, user_id=tech.id, actor_id=manager.id, uow=UnitOfWork())
    services.create_contract(kind="service", supplier="Fluke Calibration Services", reference="FCS-2026-118",
                             starts_on=today - timedelta(days=200), ends_on=today + timedelta(days=165),
                             cost=Decimal("1450.00"), tags=["LN-0001", "LN-0006", "LN-0011"], uow=UnitOfWork())
    services.create_contract(kind="warranty_extension", supplier="Dell", reference="PS-4471",
                             starts_on=today, ends_on=today + timedelta(days=3 * 365),
                             cost=Decimal("310.00"), tags=["IT-0002", "IT-0003"], actor_id=manager.id, uow=UnitOfWork())
    ctx["assets"] = {"models": {k: v[0] for k, v in models.items()}, "kit": "KIT-SURVEY"}
