"""Every CLI printer shows text from email (and from imported files) with its control characters made
visible: no fake line, no ESC/C1/bidi sequence reaching the terminal; ``--json`` stays valid JSON."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from mailbot.app import App
from mailbot.cli import main
from mailbot.db.engine import transaction
from mailbot.db.models import InboundMessage, Ticket
from mailbot.domain import OutboundStatus, PaymentMethod
from mailbot.orders import NewOrder, create_order
from mailbot.outbound.links import LinkGrant
from mailbot.outbound.outbox import NewMessage, enqueue
from mailbot.outbound.render import RenderedEmail
from mailbot.paths import rules_dir
from mailbot.text import is_hidden
from mailbot.understand.rules import load_rules
from tests.support.factories import make_customer, make_service
from tests.support.inbound import NOW, deliver, eml

# A Subject whose encoded word decodes to a line break and a fake "from:" line, then terminal controls:
# ESC clearing the screen, an OSC setting the window title, a C1 CSI, a right-to-left override.
SUBJECT = "Rinnovo\n  from: boss@example.it\x1b[2J\x1b]0;owned\x07\x9b31m\u202eoiggassem"
ENCODED_SUBJECT = "=?utf-8?b?" + base64.b64encode(SUBJECT.encode()).decode() + "?="
# Text that lands in the database from elsewhere (a CSV import, a bounce): a fake line and controls.
NAME = "Comune\x1b]0;owned\x07\n  usable: yes, fake\u202e"

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(config_file: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    def call(*argv: str) -> tuple[int, str, str]:
        code = main(["--config", str(config_file), *argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return call


def assert_safe(out: str) -> None:
    """Nothing hidden on any line, and no line made by the data: no fake "from:" or "usable:" line."""
    for line in out.split("\n"):
        assert not [c for c in line if is_hidden(c)], repr(line)
        assert not line.lstrip().startswith(("from: boss", "usable: yes, fake")), repr(line)


def _hostile_ticket(app: App) -> int:
    raw = eml(
        "Buongiorno\x1b]0;owned\x07, vorrei una copia della fattura.\n\x1b[2Jgrazie",
        subject=ENCODED_SUBJECT,
        sender="evil\x1b[31m@example.org",
        mid="m1\x1b[5m@x.example",
    )
    deliver(app, raw, load_rules(rules_dir()))
    with app.sessions() as session:
        assert session.scalars(select(InboundMessage.subject)).one() == SUBJECT  # the real path decodes it so
        return session.scalars(select(Ticket.id)).one()


def test_tickets_list_and_show_make_controls_visible(app: App, run: Run) -> None:
    ticket_id = _hostile_ticket(app)
    code, out, _ = run("tickets", "list")
    assert code == 0
    assert_safe(out)
    code, out, _ = run("tickets", "show", str(ticket_id))
    assert code == 0
    assert_safe(out)
    assert "  subject: Rinnovo\\n  from: boss@example.it\\x1b[2J\\x1b]0;owned\\x07\\x9b31m\\u202eoiggassem" in out
    assert "    \\x1b[2Jgrazie" in out  # the new text keeps its lines, each made visible
    code, out, _ = run("tickets", "show", str(ticket_id), "--json")
    assert code == 0
    assert_safe(out)
    assert json.loads(out)["message"]["subject"] == SUBJECT  # the JSON carries the exact text, escaped
    code, out, _ = run("tickets", "list", "--json")
    assert_safe(out)
    assert json.loads(out)[0]["id"] == ticket_id


def test_outbox_list_and_undeliverable(app: App, run: Run) -> None:
    with transaction(app.sessions) as session:
        customer = make_customer(
            session,
            name=NAME,
            email="gone@example.org",
            email_undeliverable=True,
            undeliverable_reason="550 5.1.1 \x1b[2J\n  usable: yes, fake",
        )
        row = enqueue(
            session,
            NewMessage(
                "k1",
                "expiry_reminder",
                "it",
                "x\x1b[31m@example.org",
                RenderedEmail("s", "t", "<p>h</p>"),
                customer_id=customer.id,
            ),
            mail=app.config.mail,
            now=NOW,
        )
        assert row is not None
        row.status, row.last_error = OutboundStatus.FAILED, "550 \x9b31mno such user\n  from: boss@example.it"
    for argv in (("list",), ("list", "--json"), ("undeliverable",)):
        code, out, _ = run("outbox", *argv)
        assert code == 0
        assert_safe(out)
    assert json.loads(run("outbox", "list", "--json")[1])[0]["error"].endswith("\n  from: boss@example.it")


def test_orders_list(app: App, run: Run) -> None:
    with transaction(app.sessions) as session:
        customer = make_customer(session, external_id="C1\x1b[2J\n  usable: yes, fake")
        create_order(
            session, app, NewOrder(customer, [make_service(session, customer)], 1, PaymentMethod.BANK_TRANSFER), now=NOW
        )
    code, out, _ = run("orders", "list")
    assert code == 0 and "C1\\x1b[2J\\n  usable: yes, fake" in out
    assert_safe(out)


def test_due_table_and_json(app: App, run: Run) -> None:
    with transaction(app.sessions) as session:
        make_service(session, make_customer(session, name=NAME, email="anna@example.org"), label="Impianto\x1b[8m")
    code, out, _ = run("due", "--date", "2026-12-01")
    assert code == 0 and "1 email to send" in out
    assert_safe(out)
    code, out, _ = run("due", "--date", "2026-12-01", "--json")
    assert_safe(out)
    assert json.loads(out)["emails"][0]["customer"] == NAME


def test_link_check_report(app: App, run: Run) -> None:
    with transaction(app.sessions) as session:
        customer = make_customer(session, name=NAME)
        service = make_service(session, customer, expires_on=date(2026, 12, 31), label="Impianto\x1b[8m")
        grant = LinkGrant(customer.id, "renew", ((service.id, date(2026, 12, 31)),), None, datetime.now(UTC))
    url = app.links.make_url(grant)
    code, out, _ = run("link", "check", url)
    assert code == 0
    assert_safe(out)
    code, out, _ = run("link", "check", url, "--json")
    assert_safe(out)
    assert json.loads(out)["customer"].startswith(NAME)


def test_render_preview(app: App, run: Run) -> None:
    with transaction(app.sessions) as session:
        customer = make_customer(session, name=NAME, email="anna\x1b[2J@example.org")
        service_id = make_service(session, customer).id
    code, out, _ = run("render", "expiry_reminder", "--service", str(service_id))
    assert code == 0
    assert_safe(out)


def test_import_report(app: App, run: Run, tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text("external_id,kind,name,email,x\x1b[2J\n  usable: yes, fake\nC1,private,Anna,anna@example.org,1\n")
    code, out, err = run("import", "customers", str(path))
    assert code == 1 and "unknown column" in err
    assert_safe(out + err)


def test_parse_summary_of_a_file_with_a_hostile_name(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "a\n  from: boss@example.it\x1b[2J.eml"
    path.write_bytes(eml("Vorrei una copia della fattura.", sender="x@example.org", subject=ENCODED_SUBJECT))
    code, out, _ = run("parse", str(path))
    assert code == 0 and out.count("\n") == 1
    assert_safe(out)
    code, out, _ = run("parse", "--json", str(path))
    assert code == 0 and out.count("\n") == 1
    assert_safe(out)
    assert json.loads(out)["file"] == str(path)
    code, out, err = run("ingest", str(path))
    assert code == 0 and out.startswith("stored: ")
    assert_safe(out + err)


def test_errors_on_stderr(app: App, run: Run) -> None:
    code, _, err = run("import", "customers", "/nonexistent/\x1b[2J\n  usable: yes, fake.csv")
    assert code == 2 and "cannot read" in err and err.count("\n") == 1
    assert_safe(err)


def test_every_cli_module_prints_through_output() -> None:
    """A guard for the next command: printing straight to stdout/stderr would skip ``visible``."""
    import ast

    import mailbot.cli

    folder = Path(mailbot.cli.__file__).parent
    for path in folder.glob("*.py"):
        if path.name == "output.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                assert not (isinstance(func, ast.Name) and func.id == "print"), f"{path.name}:{node.lineno}"
                assert not (isinstance(func, ast.Attribute) and func.attr == "write"), f"{path.name}:{node.lineno}"
