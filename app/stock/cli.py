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
        db.session.rollback()
        # One snapshot for all of verify's reads, while the app may be writing: the ledger, the balances and the
        # layers it compares must be read as of one moment, or a pick committed between two of them would show as
        # a mismatch. PostgreSQL: REPEATABLE READ (its default, READ COMMITTED, takes a snapshot per statement);
        # SQLite: a read transaction (the app's session otherwise reads statement by statement, see db_setup).
        postgres = db.session.get_bind().dialect.name == "postgresql"
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"} if postgres
                              else {"sqlite_begin": "DEFERRED"})
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
