"""What goes on a label, read from items, locations, assets, kits and people (badges). Never writes.

Every label carries the thing's scan code as a QR (exactly the key the scan hub resolves: SKU, location code,
asset tag, kit code) and a 1D barcode for laser scanners: an item's own EAN/UPC when it has an 'each' barcode
that is one, otherwise Code 128 of the same scan code.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..assets.models import Asset, AssetModel, Kit
from ..auth.models import User
from ..auth.rules import BADGE_PREFIX, badge_code
from ..errors import Invalid, NotFound
from ..locations.models import Location
from ..scanning.registry import lookup
from ..scanning.rules import parse
from ..stock.models import Item
from ..stock.queries import descendant_ids
from . import symbols
from .rules import MAX_LABELS

KINDS = {"item": "Items", "location": "Locations", "asset": "Assets", "kit": "Kits", "person": "People's badges"}


@dataclass(frozen=True)
class Label:
    kind: str
    code: str  # the scan key, printed under the symbols and encoded in the QR
    title: str
    subtitle: str
    qr: symbols.Symbol
    bars: symbols.Symbol | None  # None once placed on a layout too small for them (rules.fit): QR only
    printed: str  # the human-readable line under the bars (the EAN digits, or the code)


def _label(kind: str, code: str, title: str, subtitle: str = "", printed_barcode: str | None = None) -> Label:
    bars = symbols.product_barcode(printed_barcode, code) if printed_barcode else symbols.linear("code128", code)
    return Label(kind, code, title, subtitle, symbols.qr(code), bars, bars.data)


def _like(q: str) -> str:
    return "%" + q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def item_label(item: Item) -> Label:
    each = next((b for b in item.barcodes if b.level == "each"), None)
    printed = each.label if each is not None else None
    return _label("item", item.sku, item.name, f"{item.sku} · {item.uom}", printed)


def items(s: Session, *, q: str = "", skus: list[str] = ()) -> list[Label]:
    stmt = select(Item).where(Item.active).order_by(Item.sku).limit(MAX_LABELS + 1)
    if skus:
        stmt = stmt.where(Item.sku.in_([x.strip().upper() for x in skus]))
    if q.strip():
        stmt = stmt.where(or_(Item.sku.ilike(_like(q), escape="\\"), Item.name.ilike(_like(q), escape="\\")))
    return [item_label(i) for i in s.scalars(stmt)]


def location_label(loc: Location) -> Label:
    return _label("location", loc.code, loc.name, f"{loc.kind.title()} · {loc.path()}")


def locations(s: Session, *, under: str = "", kind: str = "", q: str = "", codes: list[str] = ()) -> list[Label]:
    stmt = select(Location).where(Location.active).order_by(Location.walk_order, Location.code)
    if under.strip():
        root = s.scalar(select(Location).where(Location.code == under.strip().upper()))
        if root is None:
            raise NotFound(f"No location with code {under.strip().upper()}.", field="under")
        stmt = stmt.where(Location.id.in_(descendant_ids(s, root.id)))
    if kind.strip():
        stmt = stmt.where(Location.kind == kind.strip())
    if codes:
        stmt = stmt.where(Location.code.in_([c.strip().upper() for c in codes]))
    if q.strip():
        stmt = stmt.where(or_(Location.code.ilike(_like(q), escape="\\"), Location.name.ilike(_like(q), escape="\\")))
    return [location_label(loc) for loc in s.scalars(stmt.limit(MAX_LABELS + 1))]


def asset_label(asset: Asset) -> Label:
    sub = asset.model.category + (f" · S/N {asset.serial}" if asset.serial else "")
    return _label("asset", asset.tag, asset.model.label, sub)


def assets(s: Session, *, q: str = "", tags: list[str] = ()) -> list[Label]:
    stmt = select(Asset).join(AssetModel).order_by(Asset.tag).limit(MAX_LABELS + 1)
    if tags:
        stmt = stmt.where(Asset.tag.in_([t.strip().upper() for t in tags]))
    if q.strip():
        like = _like(q)
        stmt = stmt.where(or_(Asset.tag.ilike(like, escape="\\"), AssetModel.name.ilike(like, escape="\\"),
                              AssetModel.category.ilike(like, escape="\\"), Asset.serial.ilike(like, escape="\\")))
    return [asset_label(a) for a in s.scalars(stmt)]


def kit_label(kit: Kit) -> Label:
    return _label("kit", kit.code, kit.name, "Kit")


def kits(s: Session, *, q: str = "", codes: list[str] = ()) -> list[Label]:
    stmt = select(Kit).order_by(Kit.code).limit(MAX_LABELS + 1)
    if codes:
        stmt = stmt.where(Kit.code.in_([c.strip().upper() for c in codes]))
    if q.strip():
        stmt = stmt.where(or_(Kit.code.ilike(_like(q), escape="\\"), Kit.name.ilike(_like(q), escape="\\")))
    return [kit_label(k) for k in s.scalars(stmt)]


def person_label(person: User) -> Label:
    return _label("person", badge_code(person.id), person.name, f"{person.role_label} · scan at check-out")


def people(s: Session, *, q: str = "", codes: list[str] = ()) -> list[Label]:
    stmt = select(User).where(User.active.is_(True)).order_by(User.name).limit(MAX_LABELS + 1)
    if codes:
        wanted = [c.strip().upper() for c in codes]
        ids = [int(c[len(BADGE_PREFIX):]) for c in wanted if c.startswith(BADGE_PREFIX) and c[len(BADGE_PREFIX):].isdigit()]
        stmt = stmt.where(or_(User.id.in_(ids or [0]), User.email.in_([c.lower() for c in wanted])))
    if q.strip():
        stmt = stmt.where(or_(User.name.ilike(_like(q), escape="\\"), User.email.ilike(_like(q), escape="\\")))
    return [person_label(u) for u in s.scalars(stmt)]


def select_labels(s: Session, kind: str, args) -> list[Label]:
    """The labels a selection form asks for (`args` is a mapping with getlist, like request.args)."""
    q = args.get("q", "") or ""
    codes = [c for raw in args.getlist("code") for c in raw.replace(",", " ").split() if c]
    if kind == "item":
        return items(s, q=q, skus=codes)
    if kind == "location":
        return locations(s, under=args.get("under", "") or "", kind=args.get("loc_kind", "") or "", q=q, codes=codes)
    if kind == "asset":
        return assets(s, q=q, tags=codes)
    if kind == "kit":
        return kits(s, q=q, codes=codes)
    if kind == "person":
        return people(s, q=q, codes=codes)
    raise Invalid(f"Unknown kind of label {kind!r}; choose one of {', '.join(KINDS)}.", field="kind")


def for_code(s: Session, raw: str) -> Label:
    """The label of whatever a scanned or typed code names (what the scan hub's "Print label" opens)."""
    parsed = parse(raw)
    row = lookup(s, parsed.key)
    if row is None:
        raise NotFound(f"Nothing has the code {parsed.gtin or parsed.key}.", field="code")
    target = {"item": Item, "location": Location, "asset": Asset, "kit": Kit, "person": User}.get(row.kind)
    thing = s.get(target, row.target_id) if target is not None else None
    if thing is None:
        raise NotFound(f"There is no label for a {row.kind}.", field="code")
    return {"item": item_label, "location": location_label, "asset": asset_label, "kit": kit_label,
            "person": person_label}[row.kind](thing)
