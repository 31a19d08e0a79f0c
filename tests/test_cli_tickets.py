"""``mailbot tickets``: staff list, read, approve, reject, assign and close what customers' mail asked for."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from mailbot.app import App
from mailbot.cli import main
from mailbot.db.engine import transaction
from mailbot.db.models import AuditEvent, Order, Service, Ticket
from mailbot.domain import PaymentMethod, TicketStatus
from mailbot.orders import NewOrder, create_order
from mailbot.paths import rules_dir
from mailbot.understand.rules import load_rules
from tests.support.factories import make_service
from tests.support.inbound import PA_BODY, autorenew_customer, deliver, eml, pa_order

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(config_file: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    def run(*argv: str) -> tuple[int, str, str]:
        code = main(["--config", str(config_file), "tickets", *argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def _request_and_support(app: App) -> tuple[int, int, int]:
    """A staff request (PA details from another address) and a support ticket (an invoice copy)."""
    rules = load_rules(rules_dir())
    order_id, token, _ = pa_order(app)
    deliver(app, eml(PA_BODY, sender="economato@comune.esempio.it", to=f"rinnovi+{token}@example.it"), rules)
    deliver(app, eml("Mi inviate una copia della fattura?", sender="x@example.org", mid="m2@x.org"), rules)
    with app.sessions() as session:
        request, support = session.scalars(select(Ticket.id).order_by(Ticket.id)).all()
    return request, support, order_id


def test_list_show_and_approve(app: App, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    request, support, order_id = _request_and_support(app)
    code, out, _ = cli("list")
    assert code == 0 and "2 tickets" in out and "pa_billing_details" in out and "invoice_request" in out
    code, out, _ = cli("list", "--kind", "request", "--json")
    assert [row["id"] for row in json.loads(out)] == [request]
    code, out, _ = cli("show", str(request))
    assert code == 0
    for text in (
        "from: economato@comune.esempio.it",
        "staged change",
        "Z213346E34",
        "not verified",
        "new text:",
        "rule pa_billing_codes: HIT",
    ):
        assert text in out
    view = json.loads(cli("show", str(request), "--json")[1])
    assert view["message"]["intent"] == "pa_billing_details" and view["message"]["fields"]["office_code"] == "UFXK9T"
    assert "CIG: Z213346E34" in view["message"]["reply_text"] and view["message"]["rules"]
    monkeypatch.setenv("USER", "marco")
    code, out, _ = cli("approve", str(request))
    assert code == 0 and "approved" in out
    with app.sessions() as session:
        assert session.get_one(Order, order_id).cig == "Z213346E34"
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "ticket.approved")).one()
        assert event.actor == "marco"
    assert cli("list")[1].splitlines()[-1] == "1 ticket"
    assert cli("list", "--status", "all")[1].splitlines()[-1] == "2 tickets"
    code, _, err = cli("approve", str(request))
    assert code == 2 and f"ticket {request}: is approved, not open" in err
    code, _, err = cli("approve", str(support))
    assert code == 2 and f"ticket {support}: a support ticket has no change to approve" in err


def test_assign_reject_close_and_errors(app: App, cli: Cli) -> None:
    request, support, order_id = _request_and_support(app)
    code, out, _ = cli("assign", str(support), "giulia", "--by", "anna")
    assert code == 0 and "assigned to giulia" in out
    assert "[giulia]" in cli("list")[1]
    code, out, _ = cli("close", str(support), "--note", "invoice sent by hand", "--by", "giulia")
    assert code == 0
    code, out, _ = cli("reject", str(request), "--reason", "the office code is not theirs", "--by", "anna")
    assert code == 0 and "rejected" in out
    with app.sessions() as session:
        closed, rejected = session.get_one(Ticket, support), session.get_one(Ticket, request)
        assert (closed.status, closed.resolved_by, closed.resolution) == (
            TicketStatus.CLOSED,
            "giulia",
            "invoice sent by hand",
        )
        assert rejected.status == TicketStatus.REJECTED and rejected.resolution == "the office code is not theirs"
        assert session.get_one(Order, order_id).cig is None  # a rejection changes nothing
    assert cli("show", "999")[0] == 2
    assert "ticket 999: not found" in cli("close", "999")[2]
    code, _, err = cli("close", str(support))
    assert code == 2 and f"ticket {support}: is closed" in err
    code, _, err = cli("reject", str(support), "--reason", "  ")
    assert code == 2 and "needs a reason" in err


def test_approve_names_the_order_when_the_message_did_not(app: App, cli: Cli) -> None:
    rules = load_rules(rules_dir())
    first_id, _, _ = pa_order(app)
    with transaction(app.sessions) as session:  # a second open order of the same customer
        first = session.get_one(Order, first_id)
        other = make_service(session, first.customer, username="comune.archivio")
        second = create_order(
            session, app, NewOrder(first.customer, [other], 1, PaymentMethod.BANK_TRANSFER), now=first.created_at
        )
        numbers = (first.number, second.number)
    deliver(app, eml(PA_BODY, sender="ragioneria@comune.esempio.it"), rules)  # no token, no order number
    with app.sessions() as session:
        ticket = session.scalars(select(Ticket)).one()
        assert ticket.details["change"]["order_id"] is None
        assert any("2 orders await payment" in r for r in ticket.details["why_not_automatic"])
    code, _, err = cli("approve", str(ticket.id))
    assert code == 2 and "no single order awaiting payment" in err
    code, _, err = cli("approve", str(ticket.id), "--order", "ORD-1999-000001")
    assert code == 2 and "ORD-1999-000001 does not exist" in err
    code, out, _ = cli("approve", str(ticket.id), "--order", numbers[1], "--by", "anna")
    assert code == 0 and numbers[1] in out
    with app.sessions() as session:
        orders = {o.number: o for o in session.scalars(select(Order))}
        assert orders[numbers[1]].cig == "Z213346E34" and orders[numbers[0]].cig is None


def test_autorenew_request_approved_from_the_cli(app: App, cli: Cli) -> None:
    _, service_id = autorenew_customer(app)
    deliver(app, eml("Vorrei disattivare il rinnovo automatico.", sender="anna@example.org"), load_rules(rules_dir()))
    with app.sessions() as session:
        ticket_id = session.scalars(select(Ticket.id)).one()
    assert cli("approve", str(ticket_id), "--by", "anna")[0] == 0
    with app.sessions() as session:
        assert not session.get_one(Service, service_id).autorenew
