"""Read side of the asset register: search, timeline, loans, overdue, reservations, book values."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..auth.models import User
from . import rules
from .models import RESERVATION_OPEN, Asset, AssetEvent, AssetModel, Loan, Reservation
from .services import settings


def by_tag(session: Session, tag: str) -> Asset | None:
    return session.scalar(select(Asset).where(Asset.tag == (tag or "").strip().upper()))


def search(session: Session, *, q: str = "", status: str = "", pool: str = "", limit: int = 200) -> list[Asset]:
    stmt = select(Asset).join(AssetModel, AssetModel.id == Asset.model_id)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(Asset.tag.ilike(like), Asset.serial.ilike(like), AssetModel.name.ilike(like),
                              AssetModel.manufacturer.ilike(like), AssetModel.category.ilike(like),
                              Asset.department.ilike(like)))
    if status:
        stmt = stmt.where(Asset.status == status)
    if pool:
        stmt = stmt.where(Asset.pool == pool)
    return list(session.scalars(stmt.order_by(Asset.tag).limit(limit)))


def models(session: Session) -> list[AssetModel]:
    return list(session.scalars(select(AssetModel).order_by(AssetModel.category, AssetModel.manufacturer,
                                                            AssetModel.name)))


def people(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.active.is_(True)).order_by(User.name)))


def timeline(session: Session, asset_id: int) -> list[AssetEvent]:
    return list(session.scalars(select(AssetEvent).where(AssetEvent.asset_id == asset_id).order_by(AssetEvent.seq)))


def replayed_status(session: Session, asset_id: int) -> str | None:
    return rules.replay((e.kind, e.data) for e in timeline(session, asset_id))


def open_loan(session: Session, asset_id: int) -> Loan | None:
    return session.scalar(select(Loan).where(Loan.asset_id == asset_id, Loan.returned_at.is_(None)))


def loans_out(session: Session, *, borrower_id: int | None = None) -> list[Loan]:
    stmt = select(Loan).where(Loan.returned_at.is_(None))
    if borrower_id is not None:
        stmt = stmt.where(Loan.borrower_id == borrower_id)
    return list(session.scalars(stmt.order_by(Loan.due_on)))


@dataclass(frozen=True)
class RentalStock:
    """An item's serialized rental units: how many there are and how many can go out now."""

    units: int
    available: int  # in stock: not out, set aside, reserved or in maintenance
    out: int


def rental_stock(session: Session, item_id: int) -> RentalStock | None:
    from sqlalchemy import func

    from .models import RentalUnit

    counts = dict(session.execute(
        select(Asset.status, func.count()).join(RentalUnit, RentalUnit.asset_id == Asset.id)
        .where(RentalUnit.item_id == item_id, Asset.status.not_in(("retired", "disposed", "lost")))
        .group_by(Asset.status)).all())
    if not counts:
        return None
    return RentalStock(sum(counts.values()), counts.get("in_stock", 0), counts.get("checked_out", 0))


def stock_item_of(session: Session, asset_id: int):
    from .models import RentalUnit

    link = session.get(RentalUnit, asset_id)
    return link.item if link is not None else None


def loans_of(session: Session, user_id: int) -> list[Loan]:
    """What a person has out now, soonest due first."""
    return list(session.scalars(select(Loan).where(Loan.returned_at.is_(None), Loan.borrower_id == user_id)
                                .order_by(Loan.due_on, Loan.id)))


def overdue(session: Session, today: date) -> list[Loan]:
    return list(session.scalars(select(Loan).where(Loan.returned_at.is_(None), Loan.due_on < today)
                                .order_by(Loan.due_on)))


def reservations(session: Session, *, since: datetime, asset_id: int | None = None) -> list[Reservation]:
    stmt = select(Reservation).where(Reservation.state.in_(RESERVATION_OPEN), Reservation.ends_at > since)
    if asset_id is not None:
        stmt = stmt.where(Reservation.asset_id == asset_id)
    return list(session.scalars(stmt.order_by(Reservation.starts_at)))


def next_reservation(session: Session, asset: Asset, since: datetime) -> Reservation | None:
    return session.scalar(select(Reservation).where(
        Reservation.asset_id == asset.id, Reservation.state.in_(RESERVATION_OPEN), Reservation.ends_at > since)
        .order_by(Reservation.starts_at).limit(1))


def book_value(session: Session, asset: Asset, at: date) -> Decimal | None:
    dep = asset.depreciable(settings(session).month_convention)
    return None if dep is None else rules.book_value(dep, at)


def schedule(session: Session, asset: Asset) -> list[rules.YearRow]:
    dep = asset.depreciable(settings(session).month_convention)
    return [] if dep is None else rules.schedule(dep)


@dataclass
class CategoryTotal:
    category: str
    count: int = 0
    cost: Decimal = Decimal("0.00")
    book_value: Decimal = Decimal("0.00")

    @property
    def depreciated(self) -> Decimal:
        return self.cost - self.book_value


def totals_by_category(session: Session, at: date) -> list[CategoryTotal]:
    conv = settings(session).month_convention
    totals: dict[str, CategoryTotal] = defaultdict(lambda: CategoryTotal(""))
    # What the business owned at the end of `at`: bought by then (an undated asset counts as always owned) and not
    # yet disposed of; an asset disposed of later still counts at a date before its disposal.
    owned = select(Asset).where(
        or_(Asset.purchase_date.is_(None), Asset.purchase_date <= at),
        or_(Asset.disposed_on.is_(None), Asset.disposed_on > at),
        or_(Asset.status != "disposed", Asset.disposed_on.is_not(None)),
    )
    for asset in session.scalars(owned):
        t = totals[asset.model.category]
        t.category = asset.model.category
        t.count += 1
        t.cost += rules.money(asset.cost or 0)
        dep = asset.depreciable(conv)
        t.book_value += rules.money(asset.cost or 0) if dep is None else rules.book_value(dep, at)
    return sorted(totals.values(), key=lambda t: t.category)


@dataclass(frozen=True)
class Expiring:
    kind: str  # licence, contract, warranty
    label: str
    ends_on: date
    url_tag: str | None = None


def expiring(session: Session, *, today: date, within_days: int = 30) -> list[Expiring]:
    """Licences, contracts and warranties that end within the window (or ended already and are still in use)."""
    from datetime import timedelta

    from sqlalchemy import exists

    from .models import Contract, Licence, LicenceSeat

    until = today + timedelta(days=within_days)
    seat_in_use = exists().where(LicenceSeat.licence_id == Licence.id, LicenceSeat.released_at.is_(None))
    out = [Expiring("licence", f"{lic.name} ({lic.seats} seats)", lic.expires_on)
           for lic in session.scalars(select(Licence).where(
               Licence.expires_on <= until, (Licence.expires_on >= today) | seat_in_use))]
    out += [Expiring("contract", f"{c.kind.replace('_', ' ')} {c.supplier} {c.reference or ''}".strip(), c.ends_on)
            for c in session.scalars(select(Contract).where(Contract.ends_on >= today, Contract.ends_on <= until))]
    out += [Expiring("warranty", f"{a.tag} {a.model.label}", a.warranty_end, a.tag)
            for a in session.scalars(select(Asset).where(Asset.warranty_end >= today, Asset.warranty_end <= until,
                                                         Asset.status.not_in(("disposed", "retired"))))]
    return sorted(out, key=lambda e: e.ends_on)


def licences(session: Session):
    from sqlalchemy import func

    from .models import Licence, LicenceSeat

    used = dict(session.execute(select(LicenceSeat.licence_id, func.count()).where(LicenceSeat.released_at.is_(None))
                                .group_by(LicenceSeat.licence_id)).all())
    return [(lic, used.get(lic.id, 0)) for lic in session.scalars(select(Licence).order_by(Licence.name))]


def open_seats(session: Session, *, licence_id: int | None = None, asset_id: int | None = None):
    from .models import LicenceSeat

    stmt = select(LicenceSeat).where(LicenceSeat.released_at.is_(None))
    if licence_id is not None:
        stmt = stmt.where(LicenceSeat.licence_id == licence_id)
    if asset_id is not None:
        stmt = stmt.where(LicenceSeat.asset_id == asset_id)
    return list(session.scalars(stmt.order_by(LicenceSeat.assigned_at)))


def contracts(session: Session, *, asset_id: int | None = None):
    from .models import Contract, ContractAsset

    stmt = select(Contract)
    if asset_id is not None:
        stmt = stmt.join(ContractAsset, ContractAsset.contract_id == Contract.id).where(ContractAsset.asset_id == asset_id)
    return list(session.scalars(stmt.order_by(Contract.ends_on.desc())))


@dataclass(frozen=True)
class Summary:
    """Counts for the manager's dashboard (the dashboard only reads; it calls this)."""

    total: int
    out: int
    overdue: int
    reserved: int
    in_maintenance: int
    maintenance_due: int
    maintenance_overdue: int
    expiring: int
    book_value: Decimal


def summary(session: Session, today: date) -> Summary:
    from sqlalchemy import func

    from ..maintenance.queries import due_list

    counts = dict(session.execute(select(Asset.status, func.count()).group_by(Asset.status)).all())
    due = due_list(session, today=today)
    return Summary(
        total=sum(v for k, v in counts.items() if k != "disposed"), out=counts.get("checked_out", 0),
        overdue=len(overdue(session, today)), reserved=counts.get("reserved", 0),
        in_maintenance=counts.get("in_maintenance", 0),
        maintenance_due=sum(1 for i in due if i.due.state == "due"),
        maintenance_overdue=sum(1 for i in due if i.due.state == "overdue"),
        expiring=len(expiring(session, today=today, within_days=30)),
        book_value=sum((t.book_value for t in totals_by_category(session, today)), Decimal("0.00")),
    )


def config_of(session: Session, asset_id: int):
    from .models import ConfigItem

    return list(session.scalars(select(ConfigItem).where(ConfigItem.asset_id == asset_id).order_by(ConfigItem.name)))
