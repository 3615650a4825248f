"""In-app notifications (each person sees their own) and the `flask notify` command for cron."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import click
from flask import Blueprint, Flask, current_app, flash, redirect, url_for
from flask_login import current_user

from ..auth.roles import ANYONE
from ..errors import DomainError
from ..extensions import db
from ..uow import UnitOfWork
from ..web import menu
from ..web.guards import roles
from ..web.htmx import hx_trigger, render_panel, wants_partial
from . import rules, services

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


def add_menu(app: Flask) -> None:
    menu.add(app, menu.MenuEntry("more", "Notifications", "notifications.index", ANYONE,
                                 "Digests of low stock, overdue loans, maintenance and warranties", 9))


def _panel(status: int = 200, error=None):
    uid = current_user.id
    return render_panel("notifications/page.html", "notifications/_list.html", status=status, error=error,
                        items=services.for_user(db.session, uid), unread=services.unread_count(db.session, uid))


@bp.get("/")
@roles(ANYONE)
def index():
    return _panel()


@bp.post("/<int:notification_id>/read")
@roles(ANYONE)
def read(notification_id: int):
    return _mark(notification_id)


@bp.post("/read-all")
@roles(ANYONE)
def read_all():
    return _mark(None)


def _mark(notification_id):
    try:
        services.mark_read(user_id=current_user.id, notification_id=notification_id, uow=UnitOfWork())
    except DomainError as err:
        db.session.rollback()
        return _panel(err.status, err)
    if not wants_partial():
        flash("Marked as read.")
        return redirect(url_for("notifications.index"), 303)
    return hx_trigger(_panel(), "notifications-read")


def register_cli(app: Flask) -> None:
    @app.cli.command("notify")
    @click.option("--dry-run", is_flag=True, help="Print the digest; store and send nothing.")
    def notify(dry_run: bool) -> None:
        """Build the digest for managers (cron): in-app notifications, and email when SMTP_HOST is set."""
        today = datetime.now(UTC).date()
        if dry_run:
            click.echo(services.build_digest(db.session, today=today).text(), nl=False)
            return
        smtp = rules.smtp_settings(current_app.config, os.environ)
        sent = services.send_digest(today=today, smtp=smtp, link="/dashboard/", uow=UnitOfWork())
        if sent.digest.empty:
            click.echo("Nothing needs attention; no digest made.")
            return
        click.echo(f"{sent.notified} notification(s) stored.")
        if smtp is None:
            click.echo("SMTP_HOST is not set: no email sent.")
        elif sent.email_error:
            raise click.ClickException(f"Email not sent ({sent.email_error}); the notifications are stored.")
        else:
            click.echo(f"Emailed {sent.emailed} manager(s) through {smtp.host}:{smtp.port}.")
