"""A message that asks several things at once, on a real database: each request acted on in order, one reply.

The public administration's own flow: "rinnovate per un anno con bonifico; CIG ..., codice ufficio ...,
username ...". A renewal order is made, then the codes go on it; from a verified sender at once, else
in one staff request that ``tickets approve`` applies in the same order.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from mailbot.act.tickets import TicketError, approve_ticket
from mailbot.app import App, create_app
from mailbot.cli import main
from mailbot.db.engine import transaction
from mailbot.db.models import InboundMessage, Order, OutboundMessage, Ticket
from mailbot.domain import InboundStatus, OrderStatus, PaymentMethod, TicketKind
from mailbot.paths import rules_dir
from mailbot.understand.rules import load_rules
from tests.support.config import make_config
from tests.support.inbound import NOW, OFFICE, PA_EMAIL, VALID_CIG, deliver, eml, outbound_to, pa_customer

OTHER = "economato@comune.esempio.it"  # not the address on file: not verified
PA_RENEWAL = (
    "Buongiorno,\nrinnovate per un anno con bonifico; "
    f"CIG {VALID_CIG}, codice univoco ufficio {OFFICE}, username comune.esempio\nCordiali saluti\n"
)


def pa_with_reminder(app: App) -> tuple[int, str]:
    """A public administration whose service's reminder went out: (customer id, the reminder's reply token)."""
    with transaction(app.sessions) as session:
        customer_id = pa_customer(session)[0].id
    token, _mid, _id = outbound_to(app, customer_id, PA_EMAIL)
    return customer_id, token


def replies(app: App) -> list[OutboundMessage]:
    with app.sessions() as session:
        return list(session.scalars(select(OutboundMessage).where(OutboundMessage.template.like("reply_%"))))


def test_a_verified_pa_renews_and_its_codes_go_on_the_new_order(app: App) -> None:
    customer_id, token = pa_with_reminder(app)
    raw = eml(PA_RENEWAL, sender=PA_EMAIL, to=f"rinnovi+{token}@example.it")
    outcome = deliver(app, raw, load_rules(rules_dir()))
    assert outcome.status == InboundStatus.PROCESSED
    with app.sessions() as session:
        order = session.scalars(select(Order).where(Order.customer_id == customer_id)).one()
        assert (order.status, order.payment_method, order.years) == (
            OrderStatus.AWAITING_PAYMENT,
            PaymentMethod.BANK_TRANSFER,
            1,
        )
        assert (order.cig, order.office_code, order.pa_username) == (VALID_CIG, OFFICE, "comune.esempio")
        row = session.scalars(select(InboundMessage)).one()
        assert row.understanding["intents"] == ["renewal_request", "pa_billing_details"]
        assert session.scalars(select(Ticket)).all() == []
    [reply] = replies(app)
    assert reply.template == "reply_pa_details"
    assert "1. Rinnovo: ordine creato" in reply.body_text and "2. Dati per la fattura elettronica" in reply.body_text
    assert order.number in reply.body_text and "Nome utente" in reply.body_text
    assert "ci servono ancora" not in reply.body_text  # nothing asked again: every code came


def test_an_unverified_pa_waits_in_one_request_that_approval_applies_in_order(app: App) -> None:
    customer_id, token = pa_with_reminder(app)
    raw = eml(PA_RENEWAL, sender="economato@comune.esempio.it", to=f"rinnovi+{token}@example.it")
    outcome = deliver(app, raw, load_rules(rules_dir()))
    assert outcome.status == InboundStatus.REVIEW
    with app.sessions() as session:
        ticket = session.scalars(select(Ticket)).one()
        assert ticket.kind == TicketKind.REQUEST
        assert [c["intent"] for c in ticket.details["changes"]] == ["renewal_request", "pa_billing_details"]
        assert session.scalars(select(Order)).all() == []
        ticket_id = ticket.id
    [reply] = replies(app)  # to a sender not on file: the neutral answer, the requests each named
    assert (
        "1. Rinnovo: inoltrata" in reply.body_text
        and "2. Dati per la fattura elettronica: inoltrata" in reply.body_text
    )
    with transaction(app.sessions) as session:
        approve_ticket(session, app, ticket_id, "staff:anna", NOW)
    with app.sessions() as session:
        order = session.scalars(select(Order).where(Order.customer_id == customer_id)).one()
        assert (order.cig, order.office_code, order.pa_username, order.years) == (
            VALID_CIG,
            OFFICE,
            "comune.esempio",
            1,
        )
        ticket = session.get_one(Ticket, ticket_id)
        assert ticket.resolution is not None and order.number in ticket.resolution
        instructions = session.scalars(
            select(OutboundMessage).where(OutboundMessage.template == "payment_instructions")
        ).one()
        assert instructions.order_id == order.id
    confirmation = [r for r in replies(app) if r.idempotency_key == f"approved:{ticket_id}"]
    assert len(confirmation) == 1 and "1. Rinnovo: ordine creato" in confirmation[0].body_text


def test_approving_twice_makes_one_order(app: App) -> None:
    customer_id, token = pa_with_reminder(app)
    raw = eml(PA_RENEWAL, sender="economato@comune.esempio.it", to=f"rinnovi+{token}@example.it")
    deliver(app, raw, load_rules(rules_dir()))
    with app.sessions() as session:
        ticket_id = session.scalars(select(Ticket.id)).one()
    with transaction(app.sessions) as session:
        approve_ticket(session, app, ticket_id, "staff:anna", NOW)
    with pytest.raises(TicketError, match="not open"), transaction(app.sessions) as session:
        approve_ticket(session, app, ticket_id, "staff:anna", NOW)
    with app.sessions() as session:
        assert len(session.scalars(select(Order).where(Order.customer_id == customer_id)).all()) == 1


def test_a_staff_confirmation_is_not_held_back_by_the_daily_cap(
    tmp_path: Path, db_url: str, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(make_config(tmp_path, db_url, inbound={"max_auto_replies_per_day": 0}), engine=engine)
    _customer_id, token = pa_with_reminder(app)
    raw = eml(PA_RENEWAL, sender="economato@comune.esempio.it", to=f"rinnovi+{token}@example.it")
    caplog.set_level("INFO", logger="mailbot.act.pipeline")
    deliver(app, raw, load_rules(rules_dir()))
    assert replies(app) == []  # the automatic reply is over the cap (none allowed), and the log says so
    assert "no reply: economato@comune.esempio.it: already 0 automatic replies today" in caplog.text
    with app.sessions() as session:
        ticket_id = session.scalars(select(Ticket.id)).one()
    with transaction(app.sessions) as session:
        approve_ticket(session, app, ticket_id, "staff:anna", NOW)
    assert [r.idempotency_key for r in replies(app)] == [f"approved:{ticket_id}"]


def test_a_confirmation_that_cannot_go_is_said_on_the_ticket(app: App, caplog: pytest.LogCaptureFixture) -> None:
    _customer_id, token = pa_with_reminder(app)
    # Its Reply-To is our own address: never answered, neither automatically nor by staff.
    raw = eml(PA_RENEWAL, sender=OTHER, to=f"rinnovi+{token}@example.it", extra="Reply-To: rinnovi@example.it\n")
    deliver(app, raw, load_rules(rules_dir()))
    with app.sessions() as session:
        ticket_id = session.scalars(select(Ticket.id)).one()
    with transaction(app.sessions) as session:
        ticket = approve_ticket(session, app, ticket_id, "staff:anna", NOW)
        assert ticket.resolution is not None and "confirmation not sent: no reply:" in ticket.resolution
    assert f"ticket {ticket_id}: approved, confirmation not sent" in caplog.text


def test_tickets_show_lists_each_staged_change(app: App, config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _customer_id, token = pa_with_reminder(app)
    deliver(app, eml(PA_RENEWAL, sender=OTHER, to=f"rinnovi+{token}@example.it"), load_rules(rules_dir()))
    with app.sessions() as session:
        ticket_id = session.scalars(select(Ticket.id)).one()
    assert main(["--config", str(config_file), "tickets", "show", str(ticket_id)]) == 0
    out = capsys.readouterr().out
    assert "staged change 1 (renewal_request):" in out and "staged change 2 (pa_billing_details):" in out
    assert '"order_id": "new"' in out and VALID_CIG in out
