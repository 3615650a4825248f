"""flask commands: create-user and seed-demo."""

from __future__ import annotations

from sqlalchemy import func, select

from app.auth.models import User
from app.extensions import db
from app.locations.models import Location


def test_create_user_command_adds_a_user_who_can_sign_in(app, client):
    result = app.test_cli_runner().invoke(
        args=["create-user", "ops@example.test", "--role", "manager", "--name", "Ops"],
        input="a-good-password\na-good-password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created ops@example.test (manager)" in result.output
    assert client.post("/login", data={"email": "ops@example.test", "password": "a-good-password"}).status_code == 303


def test_create_user_command_explains_a_refusal(app, make_user):
    make_user("staff", email="taken@example.test")
    result = app.test_cli_runner().invoke(
        args=["create-user", "taken@example.test", "--role", "staff"], input="a-good-password\na-good-password\n"
    )
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_seed_demo_fills_an_empty_database_once_and_prints_the_sign_ins(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo", "--if-empty"])
    assert first.exit_code == 0, first.output
    for email in ("admin@storekeeper.test", "manager@storekeeper.test", "staff@storekeeper.test",
                  "tech@storekeeper.test"):
        assert email in first.output, email
    assert "storekeeper-demo" in first.output
    users = db.session.scalar(select(func.count()).select_from(User))
    assert users == 4
    sites = db.session.scalar(select(func.count()).where(Location.kind == "site"))
    vans = db.session.scalar(select(func.count()).where(Location.kind == "van"))
    assert sites == 2 and vans == 1
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0 and "not loaded" in again.output
    assert db.session.scalar(select(func.count()).select_from(User)) == users


def test_seed_demo_never_runs_in_production(app):
    app.config["SEED_DEMO_ALLOWED"] = False
    try:
        result = app.test_cli_runner().invoke(args=["seed-demo"])
    finally:
        app.config["SEED_DEMO_ALLOWED"] = True
    assert result.exit_code == 1
    assert "never loaded in production" in result.output


def test_csv_import_command_checks_then_applies_and_exports(app, tmp_path):
    path = tmp_path / "locations.csv"
    path.write_text("code,name,kind,parent\nS1,=Site,site,\nZ1,Zone,zone,S1\n", encoding="utf-8")
    runner = app.test_cli_runner()
    checked = runner.invoke(args=["csv", "import", "locations", str(path)])
    assert checked.exit_code == 0 and "Checked 2 row(s): no problems" in checked.output
    assert db.session.scalar(select(func.count()).select_from(Location)) == 0
    applied = runner.invoke(args=["csv", "import", "locations", str(path), "--apply"])
    assert applied.exit_code == 0 and "Imported 2 row(s)" in applied.output
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Location)) == 2
    exported = runner.invoke(args=["csv", "export", "locations"])
    assert "S1,'=Site,site,,0" in exported.output


def test_csv_import_command_lists_problems_and_fails(app, tmp_path):
    path = tmp_path / "locations.csv"
    path.write_text("code,name,kind,parent\nB1,Bin,bin,NOPE\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["csv", "import", "locations", str(path), "--apply"])
    assert result.exit_code == 1
    assert "line 2, column parent: No location with code NOPE." in result.output
