"""Demo stock: ~200 items with valid EAN-13 / UPC-A barcodes (some with case codes), opening stock received
through the services into both sites, purchase orders to receive, orders to pick and a count to do."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from ..uow import UnitOfWork
from . import counting, orders, purchasing, services
from .rules import with_check_digit

FAMILIES = [
    # (name, uom, base cost, sizes, tracking, case pack)
    ("Cable tie", "pack", "3.20", ["100 mm", "200 mm", "300 mm", "450 mm"], "none", 20),
    ("Hex bolt M{}", "box", "6.50", ["4", "5", "6", "8", "10", "12"], "none", 10),
    ("Hex nut M{}", "box", "3.10", ["4", "5", "6", "8", "10", "12"], "none", 10),
    ("Washer M{}", "box", "2.40", ["4", "5", "6", "8", "10", "12"], "none", 10),
    ("Nitrile gloves", "box", "7.90", ["S", "M", "L", "XL"], "lot", 10),
    ("Safety glasses", "ea", "4.75", ["clear", "tinted", "over-spec"], "none", 12),
    ("Ear plugs", "box", "12.00", ["foam", "corded"], "none", 6),
    ("Battery", "pack", "5.60", ["AA", "AAA", "C", "D", "9V", "CR2032"], "lot", 12),
    ("Fuse", "pack", "2.10", ["1 A", "2 A", "5 A", "10 A", "13 A", "20 A"], "none", 0),
    ("Bearing", "ea", "8.30", ["6001", "6201", "6202", "6203", "6204", "6205"], "none", 0),
    ("V-belt", "ea", "11.40", ["A30", "A40", "B50", "B60"], "none", 0),
    ("Air filter", "ea", "14.90", ["F7 592", "G4 287", "M5 490"], "none", 4),
    ("Label roll", "roll", "9.80", ["50×25", "100×50", "100×150"], "none", 6),
    ("Thermal paper", "roll", "1.20", ["57 mm", "80 mm"], "none", 50),
    ("Packing tape", "roll", "1.90", ["clear", "brown", "fragile"], "none", 36),
    ("Stretch film", "roll", "13.50", ["500 mm", "450 mm"], "none", 6),
    ("Cardboard box", "ea", "0.85", ["S", "M", "L", "XL"], "none", 25),
    ("Toner", "ea", "64.00", ["black", "cyan", "magenta", "yellow"], "none", 0),
    ("Copper cable", "m", "0.95", ["1.5 mm²", "2.5 mm²", "4 mm²", "6 mm²"], "none", 0),
    ("Hydraulic oil", "l", "4.30", ["HLP 32", "HLP 46"], "lot", 0),
    ("Grease", "kg", "7.20", ["lithium", "food grade"], "lot", 0),
    ("Contact cleaner", "ea", "6.90", ["200 ml", "400 ml"], "lot", 12),
    ("Hand sanitiser", "ea", "3.40", ["500 ml", "1 l"], "lot", 12),
    ("Cleaning wipes", "pack", "4.10", ["50", "100"], "lot", 12),
    ("Screw 4×{}", "box", "4.60", ["20", "30", "40", "50", "60"], "none", 10),
    ("Drill bit HSS", "ea", "2.80", ["3 mm", "4 mm", "5 mm", "6 mm", "8 mm", "10 mm"], "none", 0),
    ("Hose clamp", "pack", "3.90", ["8–12", "12–20", "16–27", "20–32"], "none", 0),
    ("Zip bag", "pack", "2.20", ["60×80", "100×150", "150×200"], "none", 20),
    ("Marker", "ea", "1.10", ["black", "red", "blue", "paint"], "none", 12),
    ("Sensor", "ea", "42.00", ["PIR", "door", "temperature"], "serial", 0),
    ("Router", "ea", "89.00", ["4-port", "8-port"], "serial", 0),
    ("Spare handset", "ea", "120.00", ["model A", "model B"], "serial", 0),
    ("O-ring kit", "set", "15.00", ["metric", "imperial"], "none", 0),
    ("LED tube", "ea", "6.20", ["60 cm", "120 cm", "150 cm"], "none", 10),
    ("Wall plug", "box", "3.30", ["5 mm", "6 mm", "8 mm", "10 mm"], "none", 10),
    ("Work gloves", "pair", "3.60", ["M", "L", "XL"], "none", 12),
    ("Hi-vis vest", "ea", "2.90", ["M", "L", "XL", "XXL"], "none", 10),
    ("Duct tape", "roll", "3.70", ["silver", "black"], "none", 24),
    ("Silicone", "ea", "5.40", ["clear", "white"], "lot", 12),
    ("Pallet label", "pack", "6.00", ["A5", "A4"], "none", 0),
    ("Socket", "ea", "3.50", ["8 mm", "10 mm", "13 mm", "17 mm", "19 mm", "22 mm"], "none", 0),
    ("Allen key", "ea", "1.40", ["2 mm", "2.5 mm", "3 mm", "4 mm", "5 mm", "6 mm"], "none", 10),
    ("Spray paint", "ea", "5.90", ["white", "black", "grey", "red", "yellow"], "lot", 6),
    ("Rubber feet", "pack", "2.60", ["10 mm", "15 mm", "20 mm"], "none", 0),
    ("Cable gland", "pack", "4.20", ["M16", "M20", "M25", "M32"], "none", 0),
    ("Terminal block", "pack", "5.10", ["2.5 mm²", "4 mm²", "6 mm²"], "none", 0),
    ("Heat shrink", "pack", "3.80", ["3 mm", "6 mm", "9 mm", "12 mm"], "none", 0),
    ("Patch cable", "ea", "2.30", ["0.5 m", "1 m", "2 m", "3 m", "5 m"], "none", 10),
    ("USB charger", "ea", "9.90", ["USB-A", "USB-C"], "none", 0),
    ("Power strip", "ea", "12.50", ["4-way", "6-way"], "none", 0),
    ("First-aid refill", "pack", "8.40", ["plasters", "bandage", "eye wash"], "lot", 0),
    ("Coffee beans", "kg", "14.00", ["house", "decaf"], "lot", 0),
    ("Printer paper", "box", "22.00", ["A4", "A3"], "none", 0),
    ("Sticky notes", "pack", "2.90", ["yellow", "assorted"], "none", 12),
    ("Padlock", "ea", "7.80", ["30 mm", "40 mm", "50 mm"], "none", 0),
    ("Spirit level", "ea", "11.00", ["40 cm", "60 cm"], "none", 0),
    ("Mop head", "ea", "4.50", ["cotton", "microfibre"], "none", 10),
    ("Bin liner", "roll", "3.20", ["30 l", "60 l", "120 l"], "none", 20),
]


def _ean(n: int) -> str:
    return with_check_digit(f"5901234{n:05d}")  # EAN-13


def _upc(n: int) -> str:
    return with_check_digit(f"08412{n:06d}")  # UPC-A, 12 digits


def _case(n: int) -> str:
    return with_check_digit(f"5901235{n:05d}")


def _items() -> list[dict]:
    out = []
    n = 0
    for name, uom, cost, sizes, tracking, case in FAMILIES:
        for size in sizes:
            n += 1
            full = name.format(size) if "{}" in name else f"{name} {size}"
            code = _upc(n) if n % 4 == 0 else _ean(n)
            barcodes = [(code, "each", 1)]
            if case:
                barcodes.append((_case(n), "case", case))
            out.append({
                "sku": f"SKU-{n:04d}", "name": full, "uom": uom, "tracking": tracking,
                "expiry_required": tracking == "lot", "standard_cost": Decimal(cost),
                "reorder_point": Decimal(0 if tracking == "serial" else 5 + n % 20),
                "safety_stock": Decimal(n % 5), "lead_time_days": 3 + n % 12,
                "valuation_method": ("fifo", "fifo", "average", "lifo")[n % 4] if tracking == "none" else "fifo",
                "barcodes": barcodes,
            })
    return out


def seed(ctx: dict) -> None:
    rng = ctx["rng"]
    manager = ctx["users"]["manager"].id
    staff = ctx["users"]["staff"].id
    wh_bins = [c for c, loc in ctx["locations"].items() if loc.kind == "bin" and c.startswith("WH1")]
    dep_bins = [c for c, loc in ctx["locations"].items() if loc.kind == "bin" and c.startswith("DEP2")]
    specs = _items()
    today = date.today()
    seq = iter(range(1, 100_000))

    def who():
        return services.Actor(manager, "api", f"demo-seed-{next(seq):06d}")

    for spec in specs:
        barcodes = spec.pop("barcodes")
        services.create_item(barcodes=barcodes, uow=UnitOfWork(), **spec)
        spec["ean"] = barcodes[0][0]
    ctx["items"] = specs

    # Opening stock: most items in a warehouse bin; spare parts also at the depot; a few left out of stock.
    for i, spec in enumerate(specs):
        if i % 17 == 5:
            continue  # out of stock, for the reorder report
        places = [rng.choice(wh_bins)] + ([rng.choice(dep_bins)] if i % 3 == 0 else [])
        for place in places:
            cost = (spec["standard_cost"] * Decimal(rng.choice(("0.9", "1", "1.1")))).quantize(Decimal("0.01"))
            if spec["tracking"] == "serial":
                for k in range(3):
                    services.receive(sku=spec["sku"], location_code=place, quantity=1, unit_cost=cost,
                                     lot=f"SN{i:03d}{place[-2:]}{k}", reference="OPENING", who=who(), uow=UnitOfWork())
                continue
            lot = f"L{today:%y%m}{i:03d}" if spec["tracking"] == "lot" else None
            expiry = today + timedelta(days=90 + i * 3) if spec["tracking"] == "lot" else None
            qty = rng.randint(2, 12) if spec["uom"] in ("kg", "l", "m") else rng.randint(6, 80)
            services.receive(sku=spec["sku"], location_code=place, quantity=qty, unit_cost=cost, lot=lot,
                             expiry=expiry, reference="OPENING", who=who(), uow=UnitOfWork())

    plain = [s for s in specs if s["tracking"] == "none"]
    # Purchase orders to receive at the warehouse dock; the first one half received.
    for n, supplier in enumerate(("Nordic Fasteners", "Office & Pack Supply", "Volt Parts")):
        lines = [(s["sku"], rng.randint(2, 8) * 6, s["standard_cost"]) for s in plain[n * 9:(n * 9) + 5]]
        po = purchasing.create_po(supplier=supplier, lines=lines, actor_id=manager, expected_on=today + timedelta(days=n),
                                  site_code="WH1", uow=UnitOfWork())
        if n == 0:
            sku, qty, _ = lines[0]
            services.receive(sku=sku, location_code="WH1-DOCK", quantity=qty // 2, po_number=po.number, who=who(),
                             uow=UnitOfWork())

    # Orders to pick from the warehouse.
    stocked = [s for s in plain if specs.index(s) % 17 != 5]
    for n, customer in enumerate(("Harbour Café", "City Library", "North Clinic")):
        lines = [(s["sku"], rng.randint(1, 4)) for s in stocked[n * 7:(n * 7) + 4]]
        order = orders.create_order(customer=customer, lines=lines, actor_id=manager, site_code="WH1",
                                    ship_to=f"{customer}, Main Street {n + 1}", uow=UnitOfWork())
        orders.allocate(number=order.number, uow=UnitOfWork())

    counting.create_count(location_code="WH1-A", blind=True, assigned_to=staff, actor_id=manager, uow=UnitOfWork())
