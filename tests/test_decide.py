"""Deciding, as values: plain snapshots in, plans out. No database, no session, no server."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from email.message import EmailMessage
from typing import Any

import pytest

from mailbot.act.changes import ChangeNotApplicable, check_change
from mailbot.act.decide import MessageFacts, Situation, decide
from mailbot.act.plan import (
    CreateOrder,
    FailEmail,
    MarkUndeliverable,
    SetAutorenew,
    SetCustomerFields,
    SetOrderFields,
)
from mailbot.act.views import (
    UNMATCHED,
    CustomerView,
    EmailView,
    Match,
    OrderView,
    ProductView,
    ServiceView,
    Snapshot,
)
from mailbot.config import Config, load_config
from mailbot.domain import (
    Cadence,
    CustomerKind,
    InboundStatus,
    Intent,
    OrderStatus,
    OutboundStatus,
    PaymentMethod,
    ReplyOutcome,
    ServiceStatus,
    TicketKind,
)
from mailbot.understand.bounces import BounceInfo
from mailbot.understand.reading import Understanding, read_message

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CONFIG: Config = load_config(None, env={})
PRODUCT = ProductView("CAM-1Y", False, 5, 10000, Cadence.ANNUAL, 300)


def service(n: int = 1, **changes: Any) -> ServiceView:
    base = ServiceView(
        id=n,
        external_id=f"S00{n}",
        customer_id=7,
        label=f"Camera {n}",
        username=f"user{n}",
        status=ServiceStatus.ACTIVE,
        expires_on=date(2026, 12, 31),
        autorenew=False,
        payment_method=PaymentMethod.BANK_TRANSFER,
        card_expires=None,
        product=PRODUCT,
    )
    return replace(base, **changes)


def customer(*services: ServiceView, **changes: Any) -> CustomerView:
    base = CustomerView(
        id=7,
        external_id="C007",
        name="Mario Rossi",
        kind=CustomerKind.PRIVATE,
        language="it",
        email="mario@example.org",
        pec=None,
        split_payment=False,
        services=services or (service(),),
    )
    return replace(base, **changes)


def understanding(
    intent: str, fields: dict[str, Any] | None = None, *, sender: str = "mario@example.org"
) -> Understanding:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "rinnovi@example.it", "Rinnovo"
    msg["Message-ID"] = "<m1@example.org>"
    msg.set_content("Buongiorno, vorrei rinnovare. Grazie")
    reading = read_message(msg.as_bytes())
    return Understanding(reading, intent, "rule", 0.9, fields or {}, (), False, (), ())


VERIFIED = Match("token", 7, None, 11, True, authentication="dkim=pass")
UNVERIFIED = Match("sender", 7, None, None, False, "no valid reply token of ours")


def situation(u: Understanding, match: Match, snapshot: Snapshot) -> Situation:
    facts = MessageFacts(1, "m1@example.org", "mario@example.org", False)
    return Situation(u, match, snapshot, facts, CONFIG, NOW)


def test_a_verified_renewal_creates_an_order_and_confirms_it() -> None:
    plan = decide(situation(understanding(Intent.RENEWAL_REQUEST), VERIFIED, Snapshot(customer())))
    assert plan.status == InboundStatus.PROCESSED and plan.ticket is None
    assert plan.change is not None
    assert plan.change.effect == CreateOrder(7, (1,), 1, PaymentMethod.BANK_TRANSFER)
    assert plan.reply is not None and plan.reply.outcome == ReplyOutcome.APPLIED and plan.reply.order_of_change
    assert plan.notices == ("mario@example.org",)


def test_an_unverified_renewal_waits_for_staff_with_the_change_staged() -> None:
    plan = decide(situation(understanding(Intent.RENEWAL_REQUEST), UNVERIFIED, Snapshot(customer())))
    assert plan.status == InboundStatus.REVIEW and plan.change is None
    assert plan.ticket is not None and plan.ticket.kind == TicketKind.REQUEST
    assert plan.ticket.reason.startswith("sender not verified")
    assert plan.ticket.details["change"] == {
        "service_ids": [1],
        "years": 1,
        "method": "bank_transfer",
        "years_asked": 1,
    }
    assert plan.reply is not None and plan.reply.outcome == ReplyOutcome.STAFF


def test_a_renewal_of_services_an_open_order_holds_goes_to_staff() -> None:
    open_order = OrderView(5, "ORD-2026-000005", 7, OrderStatus.AWAITING_PAYMENT, (1,))
    snapshot = Snapshot(customer(), open_orders=(open_order,))
    plan = decide(situation(understanding(Intent.RENEWAL_REQUEST), VERIFIED, snapshot))
    assert plan.status == InboundStatus.REVIEW and plan.ticket is not None
    assert "order ORD-2026-000005 already awaits payment for these services" in plan.ticket.summary


def test_a_verified_pa_sets_the_codes_on_its_only_open_order() -> None:
    open_order = OrderView(5, "ORD-2026-000005", 7, OrderStatus.AWAITING_PAYMENT, (1,))
    pa = customer(kind=CustomerKind.PUBLIC_ADMINISTRATION)
    u = understanding(Intent.PA_BILLING_DETAILS, {"office_code": "UFABCD"})
    plan = decide(situation(u, VERIFIED, Snapshot(pa, open_orders=(open_order,))))
    assert plan.change is not None and isinstance(plan.change.effect, SetOrderFields)
    assert plan.change.effect.order_id == 5 and plan.change.effect.values["office_code"] == "UFABCD"
    assert [a.action for a in plan.change.audit] == ["order.pa_details"]


def test_a_billing_update_of_the_pec_rematches_and_tells_the_old_and_new_addresses() -> None:
    u = understanding(Intent.BILLING_UPDATE, {"pec": "nuova@pec.example.it"})
    snapshot = Snapshot(customer(pec="vecchia@pec.example.it"))
    plan = decide(situation(u, VERIFIED, snapshot))
    assert plan.change is not None and isinstance(plan.change.effect, SetCustomerFields)
    assert plan.changes_matching
    assert plan.notices == ("mario@example.org", "vecchia@pec.example.it", "nuova@pec.example.it")


def test_autorenew_off_names_the_services_of_the_email_answered() -> None:
    services = (service(1, autorenew=True), service(2, autorenew=True))
    email = EmailView(11, "<e@example.it>", "mario@example.org", OutboundStatus.SENT, 7, "reminder", (2,))
    plan = decide(situation(understanding(Intent.AUTORENEW_OFF), VERIFIED, Snapshot(customer(*services), email=email)))
    assert plan.change is not None and plan.change.effect == SetAutorenew((2,), False)


def test_a_sender_matched_to_no_customer_gets_a_support_ticket_and_changes_nothing() -> None:
    plan = decide(situation(understanding(Intent.CANCELLATION), UNMATCHED, Snapshot()))
    assert plan.status == InboundStatus.REVIEW and plan.change is None
    assert plan.ticket is not None and plan.ticket.kind == TicketKind.SUPPORT
    assert "matched to no customer" in plan.ticket.summary
    assert plan.reply is not None and plan.reply.outcome == ReplyOutcome.TICKET


def test_machines_are_recorded_and_never_answered() -> None:
    u = understanding(Intent.OTHER)
    auto = replace(u, reading=replace(u.reading, kind="auto_reply"))
    plan = decide(situation(auto, VERIFIED, Snapshot(customer())))
    assert plan.status == InboundStatus.PROCESSED
    assert plan.notes == ("auto_reply: recorded, never answered",)
    assert plan.reply is None and plan.ticket is None and plan.change is None


def test_a_permanent_bad_address_bounce_fails_the_email_and_flags_the_address() -> None:
    u = understanding(Intent.OTHER)
    bounce = BounceInfo(("mario@example.org",), True, "5.1.1")
    u = replace(u, reading=replace(u.reading, kind="bounce", bounce=bounce))
    email = EmailView(11, "<e@example.it>", "mario@example.org", OutboundStatus.SENT, 7, "reminder")
    plan = decide(situation(u, Match("in_reply_to", 7, None, 11, False), Snapshot(customer(), email=email)))
    assert [type(e) for e in plan.bounce] == [FailEmail, MarkUndeliverable]
    assert plan.reply is None and plan.ticket is None


def test_a_full_mailbox_bounce_fails_the_email_and_keeps_the_address() -> None:
    u = understanding(Intent.OTHER)
    u = replace(u, reading=replace(u.reading, kind="bounce", bounce=BounceInfo(("mario@example.org",), True, "5.2.2")))
    email = EmailView(11, "<e@example.it>", "mario@example.org", OutboundStatus.SENT, 7, "reminder")
    plan = decide(situation(u, Match("in_reply_to", 7, None, 11, False), Snapshot(customer(), email=email)))
    assert [type(e) for e in plan.bounce] == [FailEmail]
    assert "address kept" in plan.notes[0]


def test_only_invalid_codes_ask_to_check_with_a_ticket_if_the_reply_cannot_go() -> None:
    from mailbot.understand.extract.fields import InvalidValue

    u = replace(understanding(Intent.PA_BILLING_DETAILS), invalid=(InvalidValue("cig", "123", "bad check"),))
    plan = decide(situation(u, VERIFIED, Snapshot(customer())))
    assert plan.status == InboundStatus.PROCESSED and plan.reply is not None
    assert plan.reply.outcome == ReplyOutcome.NONE
    assert plan.unanswered is not None and plan.unanswered.ticket is not None


def test_check_change_refuses_a_renewal_once_an_order_is_open_for_the_services() -> None:
    change = {"service_ids": [1], "years": 1, "method": "bank_transfer"}
    open_order = OrderView(5, "ORD-2026-000005", 7, OrderStatus.AWAITING_PAYMENT, (1,))
    with pytest.raises(ChangeNotApplicable, match="already open"):
        check_change(
            Intent.RENEWAL_REQUEST, change, Snapshot(customer(), open_orders=(open_order,)), CONFIG, NOW.date()
        )
    checked = check_change(Intent.RENEWAL_REQUEST, change, Snapshot(customer()), CONFIG, NOW.date())
    assert isinstance(checked.effect, CreateOrder)


def test_check_change_refuses_a_service_of_another_customer() -> None:
    with pytest.raises(ChangeNotApplicable, match="not this customer's"):
        check_change(Intent.CANCELLATION, {"service_ids": [99]}, Snapshot(customer()), CONFIG, NOW.date())
