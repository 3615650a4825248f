"""flask stock … commands."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from ..db_setup import read_one_snapshot
from ..extensions import db
from . import queries


def register(app: Flask) -> None:
    group = AppGroup("stock", help="Stock ledger commands.")

    @group.command("verify")
    def verify() -> None:
        """Prove every balance equals the sum of its ledger (exit code 1 when one does not)."""
        # The ledger, balances and layers as of one moment, while the app may be writing: a movement committed
        # between two of verify's reads would otherwise show as a mismatch.
        read_one_snapshot(db.session)
        try:
            problems = queries.verify(db.session)
        finally:
            db.session.rollback()
        if problems:
            for p in problems:
                click.echo(f"MISMATCH {p}", err=True)
            click.echo(f"{len(problems)} balance(s) disagree with the ledger.", err=True)
            raise SystemExit(1)
        click.echo("OK: every balance equals the sum of its ledger.")

    app.cli.add_command(group)
