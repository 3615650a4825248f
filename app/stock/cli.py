"""flask stock … commands."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from ..extensions import db
from . import queries


def register(app: Flask) -> None:
    group = AppGroup("stock", help="Stock ledger commands.")

    @group.command("verify")
    def verify() -> None:
        """Prove every balance equals the sum of its ledger (exit code 1 when one does not)."""
        db.session.rollback()  # a fresh snapshot: what is committed now
        problems = queries.verify(db.session)
        db.session.rollback()
        if problems:
            for p in problems:
                click.echo(f"MISMATCH {p}", err=True)
            click.echo(f"{len(problems)} balance(s) disagree with the ledger.", err=True)
            raise SystemExit(1)
        click.echo("OK: every balance equals the sum of its ledger.")

    app.cli.add_command(group)
