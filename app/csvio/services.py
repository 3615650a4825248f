"""Import a CSV file: a dry run that reports every problem, or an all-or-nothing apply in ONE transaction.

Both run the very same code: every row goes through the owning feature's services (`*_within` variants that take
the open session) inside a savepoint, so later rows see earlier ones (a bin whose zone is three lines up, a
duplicate SKU two lines apart) exactly as the apply will. A dry run always rolls back; an apply commits only when
no row had a problem — one bad row and nothing at all is written. Opening stock is received through
stock.services.receive_within: ledger movements (kind receipt, reference "opening stock (CSV import)") with
their cost layers, never a raw balance update.

An applied file claims its content hash (kind + SHA-256) as an idempotency key in the same transaction, so a
double-clicked Import, a resent request or the same file uploaded again cannot receive the opening stock twice;
a refused import claims nothing and can be retried.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError

from ..errors import AlreadyRecorded, DomainError
from ..uow import UnitOfWork
from . import reader
from .kinds import Context, Kind, Row
from .reader import Problem


@dataclass
class Report:
    kind: Kind
    dry_run: bool
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def bad_lines(self) -> int:
        return len({p.line for p in self.problems})


def run_import(kind: Kind, data: bytes, *, actor_id: int | None, dry_run: bool, uow: UnitOfWork,
               hash_method: str = "scrypt", max_rows: int | None = None) -> Report:
    report = Report(kind=kind, dry_run=dry_run)
    table, problems = reader.read(data, columns=kind.names, required=kind.required, max_rows=max_rows)
    report.problems.extend(problems)
    if table is not None:
        report.rows = len(table.rows)
        if table.ignored:
            report.notices.append(f"Columns ignored (not part of an {kind.title.lower()} import): "
                                  f"{', '.join(table.ignored)}.")
        if table.delimiter != ",":
            report.notices.append("Read as " + ("semicolon" if table.delimiter == ";" else "tab") + "-separated.")
    if report.problems or table is None:
        return report
    with uow:
        s = uow.session
        if not dry_run:
            digest = hashlib.sha256(data).hexdigest()
            try:
                uow.claim(f"csv:{kind.key}:{digest}", scope=f"csv.{kind.key}", actor_id=actor_id, fingerprint=digest)
            except AlreadyRecorded as err:
                when = f" on {err.recorded_at:%Y-%m-%d %H:%M} UTC" if err.recorded_at else ""
                report.problems.append(Problem(0, "", f"This very file was already imported{when}; nothing was "
                                                      "applied twice. To import more, upload a file with the new rows."))
                return report
        ctx = Context(session=s, actor_id=actor_id, hash_method=hash_method, dry_run=dry_run)
        for line, values in kind.order(table.rows):
            row = Row(line, values)
            savepoint = s.begin_nested()
            try:
                kind.apply(row, ctx)
                if not row.problems:
                    s.flush()
            except DomainError as err:
                row.fail(err.field or "", err.message)
            except SQLAlchemyError:
                row.fail("", "This line clashes with data already there or with another line (a duplicate?).")
            if row.problems:
                savepoint.rollback()
            else:
                savepoint.commit()
            report.problems.extend(row.problems)
        report.problems.sort()
        if report.problems or dry_run:
            return report  # leaving the unit of work without commit rolls everything back
        uow.record({"rows": report.rows, "kind": kind.key})
        uow.commit()
        report.applied = True
    return report
