"""The digest, in-app notifications and `flask notify`, with email caught by a fake SMTP server on 127.0.0.1."""

from __future__ import annotations

import socketserver
import threading
from datetime import date, timedelta

import pytest

from app.extensions import db
from app.notifications import rules, services
from app.notifications.models import Notification
from app.uow import UnitOfWork
from tests.asset_helpers import an_asset


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) to accept one message: EHLO, MAIL, RCPT, DATA, QUIT."""

    def handle(self):
        box = self.server.box
        self.wfile.write(b"220 fake ESMTP\r\n")
        while line := self.rfile.readline():
            cmd = line.decode().strip()
            verb = cmd.split(" ")[0].upper()
            if verb in ("EHLO", "HELO"):
                self.wfile.write(b"250 fake\r\n")
            elif verb == "MAIL":
                box.append({"from": cmd, "to": [], "data": ""})
                self.wfile.write(b"250 OK\r\n")
            elif verb == "RCPT":
                box[-1]["to"].append(cmd)
                self.wfile.write(b"250 OK\r\n")
            elif verb == "DATA":
                self.wfile.write(b"354 go on\r\n")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data.decode())
                box[-1]["data"] = "".join(lines)
                self.wfile.write(b"250 queued\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 OK\r\n")


@pytest.fixture
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    server.daemon_threads = True
    server.box = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _data(make_item, make_user):
    make_item(sku="LOW-1", reorder_point="5")
    make_user("manager")
    make_user("admin")
    make_user("staff")
    an_asset("LN-0001", purchase_date=date(2024, 1, 1))
    from app.assets import services as assets
    from app.assets.services import AssetFields

    a = an_asset("LN-0002")
    fields = AssetFields(model_id=a.model_id, serial="SN-2", pool="loaner", cost=a.cost, purchase_date=a.purchase_date,
                         useful_life_months=60, salvage_value=a.salvage_value, depreciation_method="straight_line",
                         warranty_end=date.today() + timedelta(days=10))
    assets.edit_asset(asset_id=a.id, fields=fields, actor_id=None, uow=UnitOfWork())


def test_smtp_settings_only_when_host_is_set():
    assert rules.smtp_settings({}, {"SMTP_PORT": "2525"}) is None
    cfg = rules.smtp_settings({}, {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": "2525", "SMTP_FROM": "sk@example.test"})
    assert (cfg.host, cfg.port, cfg.user, cfg.sender) == ("127.0.0.1", 2525, None, "sk@example.test")


def test_empty_digest_says_so():
    d = rules.Digest([rules.section("Low stock", [])])
    assert d.empty and d.text() == "Nothing needs attention.\n"


def test_digest_lists_low_stock_and_warranties_and_notifies_each_manager(make_item, make_user, warehouse):
    _data(make_item, make_user)
    digest = services.build_digest(db.session, today=date.today())
    text = digest.text()
    assert "LOW-1" in text and "Low stock" in text and "LN-0002" in text and "Warranties ending" in text
    sent = services.send_digest(today=date.today(), smtp=None, link="/dashboard/", uow=UnitOfWork())
    managers = 3  # the warehouse fixture's manager, a manager and an admin
    assert sent.notified == managers and sent.emailed == 0
    assert db.session.query(Notification).filter(Notification.read_at.is_(None)).count() == managers


def test_email_goes_through_smtp_when_configured(make_item, make_user, warehouse, smtp_server):
    _data(make_item, make_user)
    smtp = rules.SmtpSettings("127.0.0.1", smtp_server.server_address[1], None, None, "sk@example.test")
    sent = services.send_digest(today=date.today(), smtp=smtp, uow=UnitOfWork())
    assert sent.email_error is None and sent.emailed == 3
    [mail] = smtp_server.box
    assert "Subject: Storekeeper:" in mail["data"] and "LOW-1" in mail["data"] and len(mail["to"]) == 3
    assert all(n.emailed_at for n in db.session.query(Notification))


def test_unreachable_smtp_keeps_the_notifications(make_item, make_user, warehouse):
    _data(make_item, make_user)
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    sent = services.send_digest(today=date.today(), smtp=rules.SmtpSettings("127.0.0.1", port, None, None, "x@y"),
                                uow=UnitOfWork())
    assert sent.email_error and sent.notified == 3 and db.session.query(Notification).count() == 3


def test_flask_notify_command(app, make_item, make_user, warehouse, smtp_server, monkeypatch):
    _data(make_item, make_user)
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["notify", "--dry-run"])
    assert dry.exit_code == 0 and "LOW-1" in dry.output and db.session.query(Notification).count() == 0
    monkeypatch.delenv("SMTP_HOST", raising=False)
    plain = runner.invoke(args=["notify"])
    assert plain.exit_code == 0 and "SMTP_HOST is not set" in plain.output
    for uid in {n.user_id for n in db.session.query(Notification)}:  # read, so the next run tells them again
        services.mark_read(user_id=uid, notification_id=None, uow=UnitOfWork())
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(smtp_server.server_address[1]))
    mailed = runner.invoke(args=["notify"])
    assert mailed.exit_code == 0, mailed.output
    assert "Emailed 3" in mailed.output and len(smtp_server.box) == 1


def test_notifications_page_read_and_unread(login, make_item, make_user, warehouse):
    c = login("manager")
    other = login("technician")
    make_item(sku="LOW-1", reorder_point="5")
    services.send_digest(today=date.today(), smtp=None, link="/dashboard/", uow=UnitOfWork())
    page = c.get("/notifications/")
    assert page.status_code == 200 and "1 unread" in page.get_data(as_text=True)
    mine = db.session.query(Notification).filter_by(user_id=c.user.id).one()
    assert other.post(f"/notifications/{mine.id}/read", htmx=True).status_code == 404  # not theirs
    resp = c.post(f"/notifications/{mine.id}/read", htmx=True)
    assert resp.status_code == 200 and "0 unread" in resp.get_data(as_text=True)
    assert "notifications-read" in resp.headers["HX-Trigger"]
    assert c.post("/notifications/read-all").status_code == 303


def test_digest_title_counts_and_long_sections_are_cut():
    d = rules.Digest([rules.section("Low stock", [f"item {i}" for i in range(25)], limit=20),
                      rules.section("Overdue loans", ["LN-1"]), rules.section("Maintenance due", [])])
    assert d.title == "Storekeeper: 25 low stock, 1 overdue loans"
    text = d.text()
    assert "Low stock (25)" in text and "… and 5 more" in text and "Maintenance due" not in text


def test_flask_notify_with_nothing_to_say(app, warehouse):
    out = app.test_cli_runner().invoke(args=["notify"])
    assert out.exit_code == 0 and "Nothing needs attention" in out.output
    assert db.session.query(Notification).count() == 0


def test_the_same_digest_is_not_repeated_while_unread(make_item, make_user, warehouse):
    _data(make_item, make_user)
    first = services.send_digest(today=date.today(), smtp=None, uow=UnitOfWork())
    again = services.send_digest(today=date.today(), smtp=None, uow=UnitOfWork())
    assert first.notified == 3 and again.notified == 0
    services.mark_read(user_id=warehouse.manager_id, notification_id=None, uow=UnitOfWork())
    assert services.send_digest(today=date.today(), smtp=None, uow=UnitOfWork()).notified == 1
    make_item(sku="LOW-2", reorder_point="1")  # something new: everyone hears of it
    assert services.send_digest(today=date.today(), smtp=None, uow=UnitOfWork()).notified == 3
