"""Build the digest (low stock, overdue loans, maintenance due, warranties, licences and contracts ending), store it as an in-app
notification for each manager, and email it when SMTP is configured. Reading a notification is a small write too."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..assets.queries import expiring, overdue
from ..auth.models import User
from ..auth.roles import MANAGERS
from ..errors import NotFound
from ..insights.queries import qty_sum
from ..maintenance.queries import due_list
from ..stock.models import Item, StockBalance
from ..types import utcnow
from ..uow import UnitOfWork
from . import rules
from .models import Notification


def build_digest(s: Session, *, today: date, warranty_days: int = 30) -> rules.Digest:
    on_hand = func.coalesce(qty_sum(StockBalance.on_hand), 0)
    low = s.execute(select(Item.sku, Item.name, Item.reorder_point, on_hand)
                    .join(StockBalance, StockBalance.item_id == Item.id, isouter=True)
                    .where(Item.active.is_(True)).group_by(Item.id, Item.sku, Item.name, Item.reorder_point)
                    .having((on_hand <= Item.reorder_point) & (Item.reorder_point > 0) | (on_hand <= 0))
                    .order_by(Item.sku)).all()
    loans = overdue(s, today)
    due = due_list(s, today=today)
    ending = expiring(s, today=today, within_days=warranty_days)
    return rules.Digest([
        rules.section("Low stock", [f"{sku} {name}: {qty} on hand (reorder at {rop})" for sku, name, rop, qty in low]),
        rules.section("Overdue loans", [f"{loan.asset.tag} with {loan.holder}, due {loan.due_on.isoformat()}"
                                        for loan in loans]),
        rules.section("Maintenance due", [f"{d.asset.tag} {d.schedule.title}: {d.due.state} ({d.due.reason})"
                                          for d in due]),
        rules.section(f"Warranties ending within {warranty_days} days",
                      [f"{e.label}: {e.ends_on.isoformat()}" for e in ending if e.kind == "warranty"]),
        rules.section(f"Licences and contracts ending within {warranty_days} days",
                      [f"{e.kind.capitalize()} {e.label}: {e.ends_on.isoformat()}"
                       + (" (ended; seats still in use)" if e.ends_on < today else "")
                       for e in ending if e.kind != "warranty"]),
    ])


@dataclass(frozen=True)
class Sent:
    digest: rules.Digest
    notified: int
    emailed: int
    email_error: str | None = None


def send_digest(*, today: date, smtp: rules.SmtpSettings | None, link: str | None = None,
                uow: UnitOfWork) -> Sent:
    """One notification per active manager (only when there is something to say, and not again while the same
    digest is still unread); email those people when SMTP is set.

    The notifications are committed first; an email failure is reported, never loses them."""
    with uow:
        s = uow.session
        digest = build_digest(s, today=today)
        if digest.empty:
            return Sent(digest, 0, 0)
        body = digest.text()
        managers = list(s.scalars(select(User).where(User.active.is_(True), User.role.in_(MANAGERS))
                                  .order_by(User.id)))
        # A person whose latest digest says exactly this and is still unread is not told again (hourly cron).
        latest = dict(s.execute(select(Notification.user_id, func.max(Notification.id))
                                .where(Notification.kind == "digest").group_by(Notification.user_id)).all())
        same = set(s.scalars(select(Notification.user_id).where(
            Notification.id.in_(list(latest.values()) or [0]), Notification.read_at.is_(None),
            Notification.body == body)))
        people = [u for u in managers if u.id not in same]
        rows = [Notification(user_id=u.id, kind="digest", title=digest.title[:200], body=body, link=link)
                for u in people]
        s.add_all(rows)
        uow.commit()
        recipients = [u.email for u in people]
        ids = [r.id for r in rows]
    if smtp is None or not recipients:
        return Sent(digest, len(ids), 0)
    try:
        email(smtp, recipients, digest.title, digest.text() + (f"\n{link}\n" if link else ""))
    except (OSError, smtplib.SMTPException) as err:
        return Sent(digest, len(ids), 0, f"{type(err).__name__}: {err}")
    with uow:
        uow.session.execute(update(Notification).where(Notification.id.in_(ids)).values(emailed_at=utcnow()))
        uow.commit()
    return Sent(digest, len(ids), len(recipients))


def email(smtp: rules.SmtpSettings, to: list[str], subject: str, body: str) -> None:
    msg = EmailMessage()
    msg["From"] = smtp.sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg.set_content(body)
    with smtplib.SMTP(smtp.host, smtp.port, timeout=20) as conn:
        conn.ehlo()
        if conn.has_extn("starttls"):
            conn.starttls()
            conn.ehlo()
        if smtp.user:
            conn.login(smtp.user, smtp.password or "")
        conn.send_message(msg)


def mark_read(*, user_id: int, notification_id: int | None, uow: UnitOfWork) -> int:
    """Mark one of the person's notifications read (or all of them when no id is given)."""
    with uow:
        q = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
        if notification_id is not None:
            exists = uow.session.scalar(select(Notification.id).where(Notification.id == notification_id,
                                                                       Notification.user_id == user_id))
            if exists is None:
                raise NotFound("No such notification.", field="id")
            q = q.where(Notification.id == notification_id)
        n = uow.session.execute(q.values(read_at=utcnow())).rowcount
        uow.commit()
        return n


def unread_count(s: Session, user_id: int) -> int:
    return s.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def for_user(s: Session, user_id: int, limit: int = 50) -> list[Notification]:
    return list(s.scalars(select(Notification).where(Notification.user_id == user_id)
                          .order_by(Notification.id.desc()).limit(limit)))


def seed_demo(ctx: dict) -> None:
    """Demo step: the first digest, so managers find a notification waiting."""
    from datetime import UTC, datetime

    send_digest(today=datetime.now(UTC).date(), smtp=None, link="/dashboard/", uow=UnitOfWork())
