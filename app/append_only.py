"""The stock ledger and the asset history are append-only in the database itself.

The ORM refuses to change or delete a loaded StockMovement (app/stock/models.py), but a Core UPDATE, a raw
statement, a script or another tool connected with the app's credentials would not meet that guard. Triggers do:
on both databases an UPDATE or DELETE of a row of these tables (and on PostgreSQL a TRUNCATE) fails, and the
statement's whole transaction with it. A mistake is corrected by a new movement or event, never by rewriting one.

Someone who owns the database can still drop a trigger; this guards against our own code and careless tools,
not against the database's owner. The migration 0c4f7a2e9b13 installs the same triggers in deployed databases;
`install` adds them wherever the schema is created from the models (tests, the benchmark's data sets).
"""

from __future__ import annotations

from sqlalchemy import DDL, Table, event

TABLES = ("stock_movement", "asset_event")

_PG_FUNCTION = """CREATE OR REPLACE FUNCTION storekeeper_append_only() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only: ' || TG_OP
    || ' refused; record a correcting entry instead';
END
$body$"""


def create_statements(dialect: str, table: str) -> list[str]:
    """What makes `table` append-only on this database."""
    if dialect == "postgresql":
        return [
            _PG_FUNCTION,
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION storekeeper_append_only()",
            f"CREATE TRIGGER {table}_never_truncated BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION storekeeper_append_only()",
        ]
    return [
        f"CREATE TRIGGER {table}_never_{verb}d BEFORE {verb.upper()} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb.upper()} refused; "
        "record a correcting entry instead'); END"
        for verb in ("update", "delete")
    ]


def drop_statements(dialect: str, table: str) -> list[str]:
    if dialect == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
                f"DROP TRIGGER IF EXISTS {table}_never_truncated ON {table}"]
    return [f"DROP TRIGGER IF EXISTS {table}_never_{verb}d" for verb in ("update", "delete")]


def install(table: Table) -> None:
    """Create the triggers right after the table whenever the schema is created from the models."""
    if getattr(table, "_append_only_installed", False):
        return
    for dialect in ("postgresql", "sqlite"):
        for sql in create_statements(dialect, table.name):
            # DDL formats its text with %; the statements have none.
            event.listen(table, "after_create", DDL(sql).execute_if(dialect=dialect))
    table._append_only_installed = True
