"""find_match against the database: each method, their order of trust, and what proves the sender."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from mailbot.app import App
from mailbot.db.engine import transaction
from mailbot.db.models import CustomerKind, OutboundMessage, PaymentMethod
from mailbot.inbound.matching import UNMATCHED, Match, MatchKeys, find_match, find_matches
from mailbot.inbound.mime import normalize_message_id
from mailbot.orders import create_order
from tests.factories import make_customer, make_service

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def seed(app: App) -> tuple[int, int, str, str, str]:
    """A customer with an order awaiting payment: (customer id, order id, order number, reply token,
    normalised Message-ID of the payment instructions)."""
    with transaction(app.sessions) as session:
        customer = make_customer(session, kind=CustomerKind.PUBLIC_ADMINISTRATION, email="Ente@Example.org",
                                 pec="ente@pec.example.org")  # fmt: skip
        make_customer(session, email="shared@example.org")
        make_customer(session, email="other@example.org", pec="shared@example.org")
        service = make_service(session, customer)
        order = create_order(session, app.config, app.links, app.renderer, customer=customer, services=[service],
                             years=1, method=PaymentMethod.BANK_TRANSFER, now=NOW)  # fmt: skip
        row = session.scalars(select(OutboundMessage).where(OutboundMessage.order_id == order.id)).one()
        mid = normalize_message_id(row.message_id)
        assert row.reply_token and mid
        return customer.id, order.id, order.number, row.reply_token, mid


def keys(**kw: object) -> MatchKeys:
    values: dict[str, object] = {"tokens": (), "message_ids": (), "order_numbers": (), "sender": None,
                                 "message_id_domain": "example.it"}  # fmt: skip
    return MatchKeys(**{**values, **kw})  # type: ignore[arg-type]


def test_each_method_and_their_order(app: App) -> None:
    customer_id, order_id, number, token, mid = seed(app)
    with app.sessions() as session:
        outbound_id = session.scalars(select(OutboundMessage.id).where(OutboundMessage.order_id == order_id)).one()
        everything = keys(tokens=("zzzzzzzz99", token), message_ids=(mid,), order_numbers=(number,),
                          sender="ente@pec.example.org")  # fmt: skip
        assert find_match(session, everything) == Match("token", customer_id, order_id, outbound_id, True)
        stranger = keys(tokens=(token,), sender="someone@else.org")
        assert find_match(session, stranger) == Match("token", customer_id, order_id, outbound_id, False)
        by_id = keys(tokens=("zzzzzzzz99",), message_ids=("nope@x.org", mid), order_numbers=(number,))
        assert find_match(session, by_id) == Match("in_reply_to", customer_id, order_id, outbound_id, False)
        by_number = keys(message_ids=("nope@x.org",), order_numbers=("ORD-2000-000001", number), sender="x@y.org")
        assert find_match(session, by_number) == Match("order_number", customer_id, order_id, None, False)
        assert find_match(session, keys(sender="ente@example.org")) == Match("sender", customer_id, None, None, False)
        assert find_match(session, keys(sender="shared@example.org")) == UNMATCHED  # two customers: a person decides
        assert find_match(session, keys(sender="nobody@example.org")) == UNMATCHED
        assert find_match(session, keys()) == UNMATCHED


def test_find_matches_answers_each_as_find_match_does(app: App) -> None:
    """Matched together, the messages' keys never answer for one another."""
    _customer, _order, number, token, mid = seed(app)
    batch = [
        keys(tokens=("zzzzzzzz99", token), message_ids=(mid,), order_numbers=(number,), sender="ente@pec.example.org"),
        keys(tokens=(token,), sender="someone@else.org"),
        keys(tokens=("zzzzzzzz99",), message_ids=("nope@x.org", mid), order_numbers=(number,)),
        keys(message_ids=("nope@x.org",), order_numbers=("ORD-2000-000001", number), sender="x@y.org"),
        keys(sender="ente@example.org"),
        keys(sender="ente@pec.example.org"),
        keys(sender="shared@example.org"),
        keys(sender="nobody@example.org"),
        keys(),
        keys(tokens=(token,), sender="ente@example.org"),
    ]
    with app.sessions() as session:
        one_by_one = [find_match(session, k) for k in batch]
        assert find_matches(session, batch) == one_by_one
        assert find_matches(session, []) == []
    methods = [m.method for m in one_by_one]
    assert methods == ["token", "token", "in_reply_to", "order_number", "sender", "sender", None, None, None, "token"]
    assert [m.verified for m in one_by_one] == [True, False, False, False, False, False, False, False, False, True]
