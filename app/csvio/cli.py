"""flask csv … commands: the same import and export as the web pages, for files too big for one request."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ..extensions import db
from ..uow import UnitOfWork
from .kinds import KINDS, export_header
from .services import run_import
from .writer import csv_text


def register(app: Flask) -> None:
    group = AppGroup("csv", help="CSV import and export.")

    @group.command("import")
    @click.argument("kind", type=click.Choice(list(KINDS)))
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--apply", "apply_", is_flag=True, help="Write the rows (all or none). Without it: a dry run.")
    @click.option("--max-rows", default=100_000, show_default=True, help="Refuse files with more rows.")
    def import_(kind: str, path: str, apply_: bool, max_rows: int) -> None:
        """Check a CSV file (default) or import it with --apply; problems are listed by line and column."""
        with open(path, "rb") as fh:
            data = fh.read()
        report = run_import(KINDS[kind], data, actor_id=None, dry_run=not apply_, uow=UnitOfWork(),
                            hash_method=current_app.config["PASSWORD_HASH_METHOD"], max_rows=max_rows)
        for notice in report.notices:
            click.echo(notice)
        for p in report.problems:
            click.echo(f"line {p.line or '-'}, column {p.column or '-'}: {p.message}", err=True)
        if report.problems:
            click.echo(f"{len(report.problems)} problem(s); nothing was written.", err=True)
            raise SystemExit(1)
        click.echo(f"Imported {report.rows} row(s)." if report.applied
                   else f"Checked {report.rows} row(s): no problems. Run again with --apply to import them.")

    @group.command("export")
    @click.argument("kind", type=click.Choice(list(KINDS)))
    def export(kind: str) -> None:
        """Write a CSV export to standard output (formula-like cells neutralised)."""
        k = KINDS[kind]
        sys.stdout.write(csv_text(export_header(k), k.export(db.session)))

    app.cli.add_command(group)
