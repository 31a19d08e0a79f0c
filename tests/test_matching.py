"""find_match against the database: each method, their order of trust, and what proves the sender."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.act.matching import find_match, find_matches, match_keys
from mailbot.act.views import UNMATCHED, Match, MatchKeys
from mailbot.app import App
from mailbot.db.engine import transaction
from mailbot.db.models import Customer, OutboundMessage
from mailbot.domain import CustomerKind
from mailbot.understand.authentication import NOT_CHECKED, SenderAuth
from mailbot.understand.mime import normalize_message_id, parse_message
from tests.support.factories import make_customer, make_order, make_service

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def seed(app: App) -> tuple[int, int, str, str, str]:
    """A customer with an order awaiting payment: (customer id, order id, order number, reply token,
    normalised Message-ID of the payment instructions)."""
    with transaction(app.sessions) as session:
        customer = make_customer(
            session, kind=CustomerKind.PUBLIC_ADMINISTRATION, email="Ente@Example.org", pec="ente@pec.example.org"
        )
        make_customer(session, email="shared@example.org")
        make_customer(session, email="other@example.org", pec="shared@example.org")
        service = make_service(session, customer)
        order = make_order(session, app, customer, [service], now=NOW)
        row = session.scalars(select(OutboundMessage).where(OutboundMessage.order_id == order.id)).one()
        mid = normalize_message_id(row.message_id)
        assert row.reply_token and mid
        return customer.id, order.id, order.number, row.reply_token, mid


AUTHENTICATED = SenderAuth(True, "dmarc=pass header.from=example.org (mx.example.it)")


def keys(**kw: object) -> MatchKeys:
    values: dict[str, object] = {
        "tokens": (),
        "message_ids": (),
        "order_numbers": (),
        "sender": None,
        "message_id_domain": "example.it",
        "sender_auth": AUTHENTICATED,
    }
    return MatchKeys(**{**values, **kw})  # type: ignore[arg-type]


def match(session: Session, k: MatchKeys, now: datetime = NOW) -> Match:
    return find_match(session, k, now=now, token_days=180)


def short(m: Match) -> tuple[object, ...]:
    return m.method, m.customer_id, m.order_id, m.outbound_id, m.verified


def test_each_method_and_their_order(app: App) -> None:
    customer_id, order_id, number, token, mid = seed(app)
    with app.sessions() as session:
        outbound_id = session.scalars(select(OutboundMessage.id).where(OutboundMessage.order_id == order_id)).one()
        everything = keys(
            tokens=("zzzzzzzz99", token), message_ids=(mid,), order_numbers=(number,), sender="ente@example.org"
        )
        assert short(match(session, everything)) == ("token", customer_id, order_id, outbound_id, True)
        stranger = keys(tokens=(token,), sender="someone@else.org")
        assert short(match(session, stranger)) == ("token", customer_id, order_id, outbound_id, False)
        by_id = keys(tokens=("zzzzzzzz99",), message_ids=("nope@x.org", mid), order_numbers=(number,))
        assert short(match(session, by_id)) == ("in_reply_to", customer_id, order_id, outbound_id, False)
        by_number = keys(
            message_ids=("nope@x.org",), order_numbers=("ORD-2000-000001", number), sender="ente@pec.example.org"
        )
        assert short(match(session, by_number)) == ("order_number", customer_id, order_id, None, False)
        assert short(match(session, keys(sender="ente@example.org"))) == ("sender", customer_id, None, None, False)
        for nobody in ("shared@example.org", "nobody@example.org", None):  # shared by two customers: a person decides
            assert short(match(session, keys(sender=nobody))) == short(UNMATCHED)


def test_verified_needs_the_token_its_address_and_an_authenticated_from(app: App) -> None:
    """The token binds the customer and the address its email went to; the From must be authenticated."""
    _customer_id, _order_id, _number, token, _mid = seed(app)  # the payment instructions went to Ente@Example.org
    with app.sessions() as session:
        assert match(session, keys(tokens=(token,), sender="ente@example.org")).verified
        pec = match(session, keys(tokens=(token,), sender="ente@pec.example.org"))
        assert not pec.verified and "where the reply token was sent" in pec.unverified
        claim = match(session, keys(tokens=(token,), sender="ente@example.org", sender_auth=NOT_CHECKED))
        assert not claim.verified and claim.unverified == "From not authenticated: not checked"
    with transaction(app.sessions) as session:  # the customer's address changed since: the token binds no more
        row = session.scalars(select(OutboundMessage).where(OutboundMessage.reply_token == token)).one()
        session.get_one(Customer, row.customer_id).email = "nuovo@example.org"
    with app.sessions() as session:
        moved = match(session, keys(tokens=(token,), sender="ente@example.org"))
        assert moved.method == "token" and not moved.verified
        assert "not to the customer's address on file" in moved.unverified


def test_an_expired_token_matches_nothing_by_itself(app: App) -> None:
    customer_id, order_id, _number, token, mid = seed(app)  # the token's email was created at NOW
    with app.sessions() as session:
        k = keys(tokens=(token,), sender="ente@example.org")
        assert match(session, k, NOW + timedelta(days=179)).verified
        expired = match(session, k, NOW + timedelta(days=181))
        assert short(expired) == ("sender", customer_id, None, None, False)
        assert "expired" in expired.notes[0] and "expired" in expired.unverified
        threaded = match(session, keys(tokens=(token,), message_ids=(mid,)), NOW + timedelta(days=181))
        assert threaded.method == "in_reply_to" and threaded.order_id == order_id and not threaded.verified


def test_an_order_number_identifies_only_its_own_customer(app: App) -> None:
    customer_id, order_id, number, _token, _mid = seed(app)
    with app.sessions() as session:
        other = session.scalars(select(Customer.id).where(Customer.email == "other@example.org")).one()
        stranger = match(session, keys(order_numbers=(number,), sender="x@y.org"))
        assert short(stranger) == ("order_number", None, order_id, None, False)  # the order, for staff; nobody
        assert "identifies nobody" in stranger.notes[0]
        another = match(session, keys(order_numbers=(number,), sender="other@example.org"))
        assert short(another) == ("sender", other, None, None, False)
        own = match(session, keys(order_numbers=(number,), sender="ente@example.org"))
        assert short(own) == ("order_number", customer_id, order_id, None, False)


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
        one_by_one = [match(session, k) for k in batch]
        assert find_matches(session, batch, now=NOW, token_days=180) == one_by_one
        assert find_matches(session, [], now=NOW, token_days=180) == []
    methods = [m.method for m in one_by_one]
    assert methods == ["token", "token", "in_reply_to", "order_number", "sender", "sender", None, None, None, "token"]
    assert [m.verified for m in one_by_one] == [False, False, False, False, False, False, False, False, False, True]


def test_a_reply_token_hidden_in_a_recipient_header_display_name_is_no_token() -> None:
    """Delivered-To and X-Original-To are parsed before their names are decoded (RFC 2047, section 5): an
    encoded word that decodes to our reply address is a name, not an address."""
    hidden = "=?utf-8?b?" + base64.b64encode(b"<rinnovi+tok12345@example.it>").decode() + "?="
    raw = (
        "From: x@attacker.example\r\nTo: someone@example.org\r\n"
        f"Delivered-To: {hidden} <someone@example.org>\r\nX-Original-To: {hidden}\r\n"
        "Subject: hi\r\nMessage-ID: <h1@attacker.example>\r\n\r\nciao\r\n"
    ).encode()
    keys = match_keys(parse_message(raw), "ciao", reply_to="rinnovi+{token}@example.it", message_id_domain="example.it")
    assert keys.tokens == ()
    plain = raw.replace(f"X-Original-To: {hidden}".encode(), b"X-Original-To: rinnovi+tok12345@example.it")
    keys = match_keys(parse_message(plain), "", reply_to="rinnovi+{token}@example.it", message_id_domain="example.it")
    assert keys.tokens == ("tok12345",)
