"""Deciding, as values: plain snapshots in, plans out. No database, no session, no server."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from email.message import EmailMessage
from typing import Any

import pytest

from mailbot.act.changes import ChangeNotApplicable, check_change, check_changes
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
from mailbot.understand.engine import Request
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
    assert len(plan.changes) == 1
    assert plan.changes[0].effect == CreateOrder(7, (1,), 1, PaymentMethod.BANK_TRANSFER)
    assert plan.reply is not None and plan.reply.outcome == ReplyOutcome.APPLIED and plan.reply.order_of_change
    assert plan.notices == ("mario@example.org",)


def test_an_unverified_renewal_waits_for_staff_with_the_change_staged() -> None:
    plan = decide(situation(understanding(Intent.RENEWAL_REQUEST), UNVERIFIED, Snapshot(customer())))
    assert plan.status == InboundStatus.REVIEW and plan.changes == ()
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
    assert len(plan.changes) == 1 and isinstance(plan.changes[0].effect, SetOrderFields)
    assert plan.changes[0].effect.order_id == 5 and plan.changes[0].effect.values["office_code"] == "UFABCD"
    assert [a.action for a in plan.changes[0].audit] == ["order.pa_details"]


def test_a_billing_update_of_the_pec_rematches_and_tells_the_old_and_new_addresses() -> None:
    u = understanding(Intent.BILLING_UPDATE, {"pec": "nuova@pec.example.it"})
    snapshot = Snapshot(customer(pec="vecchia@pec.example.it"))
    plan = decide(situation(u, VERIFIED, snapshot))
    assert len(plan.changes) == 1 and isinstance(plan.changes[0].effect, SetCustomerFields)
    assert plan.changes_matching
    assert plan.notices == ("mario@example.org", "vecchia@pec.example.it", "nuova@pec.example.it")


def test_autorenew_off_names_the_services_of_the_email_answered() -> None:
    services = (service(1, autorenew=True), service(2, autorenew=True))
    email = EmailView(11, "<e@example.it>", "mario@example.org", OutboundStatus.SENT, 7, "reminder", (2,))
    plan = decide(situation(understanding(Intent.AUTORENEW_OFF), VERIFIED, Snapshot(customer(*services), email=email)))
    assert len(plan.changes) == 1 and plan.changes[0].effect == SetAutorenew((2,), False)


def test_a_sender_matched_to_no_customer_gets_a_support_ticket_and_changes_nothing() -> None:
    plan = decide(situation(understanding(Intent.CANCELLATION), UNMATCHED, Snapshot()))
    assert plan.status == InboundStatus.REVIEW and plan.changes == ()
    assert plan.ticket is not None and plan.ticket.kind == TicketKind.SUPPORT
    assert "matched to no customer" in plan.ticket.summary
    assert plan.reply is not None and plan.reply.outcome == ReplyOutcome.TICKET


def test_machines_are_recorded_and_never_answered() -> None:
    u = understanding(Intent.OTHER)
    auto = replace(u, reading=replace(u.reading, kind="auto_reply"))
    plan = decide(situation(auto, VERIFIED, Snapshot(customer())))
    assert plan.status == InboundStatus.PROCESSED
    assert plan.notes == ("auto_reply: recorded, never answered",)
    assert plan.reply is None and plan.ticket is None and plan.changes == ()


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


# Several requests in one message ------------------------------------------------------------------


def several(*intents: str, fields: dict[str, Any] | None = None) -> Understanding:
    """A message asking ``intents`` (in acting order), each by a confident rule."""
    base = understanding(intents[0], fields)
    requests = tuple(Request(i, f"{i}_rule", 0.9, frozenset()) for i in intents)
    return replace(base, requests=requests)


PA = {"kind": CustomerKind.PUBLIC_ADMINISTRATION, "split_payment": True}
PA_FIELDS = {"years": 1, "cig": ["Z213346E34"], "office_code": "UFXK9T", "username": "user1"}


def test_a_verified_renewal_with_pa_codes_makes_the_order_then_puts_the_codes_on_it() -> None:
    u = several(Intent.RENEWAL_REQUEST, Intent.PA_BILLING_DETAILS, fields=PA_FIELDS)
    plan = decide(situation(u, VERIFIED, Snapshot(customer(**PA))))
    assert plan.status == InboundStatus.PROCESSED and plan.ticket is None
    assert [c.intent for c in plan.changes] == [Intent.RENEWAL_REQUEST, Intent.PA_BILLING_DETAILS]
    assert plan.changes[0].effect == CreateOrder(7, (1,), 1, PaymentMethod.BANK_TRANSFER)
    codes = plan.changes[1].effect
    assert isinstance(codes, SetOrderFields) and codes.order_id is None  # the order the renewal makes
    assert dict(codes.values) == {"cig": "Z213346E34", "office_code": "UFXK9T", "pa_username": "user1"}
    assert plan.reply is not None and plan.reply.order_of_change
    assert [(p.intent, p.outcome) for p in plan.reply.parts] == [
        (Intent.RENEWAL_REQUEST, ReplyOutcome.APPLIED),
        (Intent.PA_BILLING_DETAILS, ReplyOutcome.APPLIED),
    ]


def test_an_unverified_renewal_with_pa_codes_waits_whole_in_one_request() -> None:
    u = several(Intent.RENEWAL_REQUEST, Intent.PA_BILLING_DETAILS, fields=PA_FIELDS)
    plan = decide(situation(u, UNVERIFIED, Snapshot(customer(**PA))))
    assert plan.status == InboundStatus.REVIEW and plan.changes == ()
    assert plan.ticket is not None and plan.ticket.kind == TicketKind.REQUEST
    staged = plan.ticket.details["changes"]
    assert [item["intent"] for item in staged] == [Intent.RENEWAL_REQUEST, Intent.PA_BILLING_DETAILS]
    assert staged[0]["change"]["years"] == 1 and staged[1]["change"]["order_id"] == "new"
    assert staged[1]["change"]["set"]["cig"] == "Z213346E34"
    assert plan.ticket.reason.startswith("sender not verified")
    assert plan.reply is not None and [p.outcome for p in plan.reply.parts] == [ReplyOutcome.STAFF] * 2


def test_the_staged_changes_of_several_requests_pass_the_approval_check_in_order() -> None:
    u = several(Intent.RENEWAL_REQUEST, Intent.PA_BILLING_DETAILS, fields=PA_FIELDS)
    snapshot = Snapshot(customer(**PA))
    plan = decide(situation(u, UNVERIFIED, snapshot))
    assert plan.ticket is not None
    staged = [(item["intent"], item["change"]) for item in plan.ticket.details["changes"]]
    checked = check_changes(staged, snapshot, CONFIG, NOW.date())
    assert [type(c.effect) for c in checked] == [CreateOrder, SetOrderFields]
    with pytest.raises(ChangeNotApplicable, match="pa_billing_details: no renewal before it"):
        check_changes(staged[1:], snapshot, CONFIG, NOW.date())


def test_a_change_and_a_request_for_a_person_apply_the_change_and_open_a_support_ticket() -> None:
    u = several(Intent.AUTORENEW_OFF, Intent.INVOICE_REQUEST)
    plan = decide(
        situation(u, VERIFIED, Snapshot(customer(service(autorenew=True, payment_method=PaymentMethod.CARD))))
    )
    assert [c.effect for c in plan.changes] == [SetAutorenew((1,), False)]
    assert plan.status == InboundStatus.REVIEW and plan.ticket is not None
    assert plan.ticket.kind == TicketKind.SUPPORT and plan.ticket.intent == Intent.INVOICE_REQUEST
    assert plan.reply is not None and [(p.intent, p.outcome) for p in plan.reply.parts] == [
        (Intent.AUTORENEW_OFF, ReplyOutcome.APPLIED),
        (Intent.INVOICE_REQUEST, ReplyOutcome.TICKET),
    ]


def test_one_request_that_may_not_be_applied_at_once_holds_all_of_them_for_staff() -> None:
    u = several(Intent.BILLING_UPDATE, Intent.RENEWAL_REQUEST, fields={"pec": "mario@pec.example.org"})
    weak = (replace(u.requests[0], confidence=0.5), u.requests[1])  # words alone said it
    plan = decide(situation(replace(u, requests=weak), VERIFIED, Snapshot(customer())))
    assert plan.changes == () and plan.ticket is not None and plan.ticket.kind == TicketKind.REQUEST
    assert [item["intent"] for item in plan.ticket.details["changes"]] == [
        Intent.BILLING_UPDATE,
        Intent.RENEWAL_REQUEST,
    ]
    assert plan.ticket.reason == "billing_update: rule confidence 0.50 below 0.80"


def test_a_request_that_finds_nothing_to_change_goes_to_a_person_beside_the_others() -> None:
    u = several(Intent.RENEWAL_REQUEST, Intent.AUTORENEW_ON)  # paid by bank transfer: no automatic renewal
    plan = decide(situation(u, VERIFIED, Snapshot(customer())))
    assert [c.intent for c in plan.changes] == [Intent.RENEWAL_REQUEST]
    assert plan.ticket is not None and plan.ticket.kind == TicketKind.SUPPORT
    assert plan.ticket.details["notes"] == [
        "autorenew_on: no service that can renew automatically (active, paid by card or PayPal)"
    ]


def asking(u: Understanding, method: PaymentMethod) -> Understanding:
    return replace(u, reading=replace(u.reading, payment_method=method.value))


def test_three_years_by_bank_transfer_is_one_year_by_bank_transfer_and_the_reply_says_why() -> None:
    u = asking(understanding(Intent.RENEWAL_REQUEST, {"years": 3}), PaymentMethod.BANK_TRANSFER)
    paypal_on_file = customer(service(payment_method=PaymentMethod.PAYPAL))
    plan = decide(situation(u, VERIFIED, Snapshot(paypal_on_file)))
    assert plan.changes[0].effect == CreateOrder(7, (1,), 1, PaymentMethod.BANK_TRANSFER)  # not 3 years by PayPal
    assert plan.reply is not None and plan.reply.years_asked == 3 and plan.reply.method_asked is None


def test_the_way_to_pay_asked_is_kept_and_a_pa_is_told_why_it_pays_by_transfer() -> None:
    u = asking(understanding(Intent.RENEWAL_REQUEST, {"years": 2}), PaymentMethod.CARD)
    plan = decide(situation(u, VERIFIED, Snapshot(customer())))  # a bank transfer on file
    assert plan.changes[0].effect == CreateOrder(7, (1,), 2, PaymentMethod.CARD)
    pa = customer(kind=CustomerKind.PUBLIC_ADMINISTRATION, split_payment=True)
    plan = decide(situation(u, VERIFIED, Snapshot(pa)))
    assert plan.changes[0].effect == CreateOrder(7, (1,), 1, PaymentMethod.BANK_TRANSFER)
    assert plan.reply is not None and plan.reply.method_asked == PaymentMethod.CARD and plan.reply.years_asked == 2


def test_a_username_that_names_no_service_of_the_customer_waits_for_a_person() -> None:
    order = OrderView(5, "ORD-2026-000005", 7, OrderStatus.AWAITING_PAYMENT, (1,))
    pa = customer(kind=CustomerKind.PUBLIC_ADMINISTRATION, split_payment=True)
    fields = {"cig": ["Z213346E34"], "username": "portale"}  # a word of the label, not the service's name
    plan = decide(situation(understanding(Intent.PA_BILLING_DETAILS, fields), VERIFIED, Snapshot(pa, (order,))))
    assert plan.changes == () and plan.ticket is not None and plan.ticket.kind == TicketKind.REQUEST
    assert plan.ticket.reason == "username portale names no service of this customer: a person checks it"
    fields = {"cig": ["Z213346E34"], "username": "USER1"}  # the service's own name, written in capitals
    plan = decide(situation(understanding(Intent.PA_BILLING_DETAILS, fields), VERIFIED, Snapshot(pa, (order,))))
    assert len(plan.changes) == 1 and plan.ticket is None


def test_contradicting_requests_wait_whole_for_a_person() -> None:
    u = replace(several(Intent.RENEWAL_REQUEST, Intent.CANCELLATION), contradicted=(Intent.RENEWAL_REQUEST,))
    both = customer(service(1), service(2, username="user2"))
    plan = decide(situation(replace(u, intent=Intent.CANCELLATION), VERIFIED, Snapshot(both)))
    assert plan.changes == () and plan.ticket is not None and plan.ticket.kind == TicketKind.REQUEST
    assert plan.ticket.reason == "cancellation and renewal_request contradict each other: a person reads the message"
    assert [item["intent"] for item in plan.ticket.details["changes"]] == [Intent.RENEWAL_REQUEST, Intent.CANCELLATION]
