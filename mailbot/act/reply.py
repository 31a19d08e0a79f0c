"""The automatic reply to a person's message and the notice of a change: which template, and what they say.

``reply_context`` and ``notice_context`` build the values a template renders; the writer
(``write.Writer``) takes the daily cap (``reply_cap``) and enqueues each reply under the key
``reply:<inbound id>:<template>`` in the transaction that acts on the message, so processing a
message twice answers it once and two jobs at once never pass the cap.

Privacy: a reply shows the account (the customer's name and language, order and service details, what
the order still lacks) only when it goes to the customer's email or PEC on file. Any other recipient
(a stranger, or a Reply-To that is not on file, whatever the From says) gets a neutral answer: in the
language of their message, with the values they sent, and the same words whether or not their message
was matched to an account or waits for staff. A change applied is confirmed to every address on file
that the reply did not reach (the ``account_change`` notice: what was changed, at the request of which
From address and when, and whom to call if it was not them); a changed PEC is told to the old one too.
Notices are not automatic replies: the daily cap does not hold them back, but our own addresses never
get one. Each goes through the outbox once, under ``notice:<inbound id>:<address>``
(``notice:approved:<ticket>:<address>`` for a staff approval).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from mailbot.act.matching import is_customer_address
from mailbot.act.replies import company_info, customer_info, reply_language, reply_subject, reply_to_address
from mailbot.config import LANGUAGES, Config
from mailbot.db.models import Customer, Order, Service
from mailbot.domain import CustomerKind, Intent, ReplyOutcome
from mailbot.outbound.context import (
    ChangeNoticeContext,
    CustomerInfo,
    ReplyContext,
    ReplyField,
    ReplyInvalid,
    RequestOutcome,
)
from mailbot.outbound.order_mail import order_info, service_info
from mailbot.understand.reading import Understanding

TEMPLATES = {
    Intent.PA_BILLING_DETAILS: "reply_pa_details",
    Intent.RENEWAL_REQUEST: "reply_renewal",
    Intent.CARD_CHANGE: "reply_card_change",
}
DEFAULT_TEMPLATE = "reply_received"
NOTICE_TEMPLATE = "account_change"
PA_FIELDS = ("cig", "office_code", "username")
# Order column -> the PA field it holds.
_PA_COLUMNS = {"cig": "cig", "office_code": "office_code", "pa_username": "username"}


@dataclass(frozen=True)
class Reply:
    """What a reply (and the notices of a change) say, before the writer gives the ticket's number."""

    config: Config
    understanding: Understanding
    customer: Customer | None
    now: datetime
    outcome: ReplyOutcome
    card_number_stored: bool = False  # the message's row says a card number came (found when stored)
    ticket_id: int | None = None
    order: Order | None = None
    services: Sequence[Service] = ()
    years_asked: int | None = None
    method_asked: str | None = None  # renewal: the way to pay asked, when the order is paid another way
    staged_values: Mapping[str, str] = field(default_factory=dict)  # order column -> value, held for staff
    parts: tuple[RequestOutcome, ...] = ()  # a message of several requests: each one's outcome


def template_for(intent: str) -> str:
    return TEMPLATES.get(Intent(intent), DEFAULT_TEMPLATE) if intent in set(Intent) else DEFAULT_TEMPLATE


def is_to_holder(r: Reply) -> bool:
    """The reply goes to the matched customer's email or PEC on file: it may show the account."""
    c = r.customer
    return c is not None and is_customer_address(reply_to_address(r.understanding), c.email, c.pec)


def neutral(r: Reply) -> Reply:
    """``r`` as it may be answered to anyone: no account, and "staff" said as any ticket is."""
    outcome = ReplyOutcome.TICKET if r.outcome == ReplyOutcome.STAFF else r.outcome
    return replace(
        r,
        customer=None,
        order=None,
        services=(),
        staged_values={},
        years_asked=None,
        method_asked=None,
        outcome=outcome,
    )


def reply_context(r: Reply) -> ReplyContext:
    config, understanding = r.config, r.understanding
    template = template_for(understanding.intent)
    shown = r if is_to_holder(r) else neutral(r)
    lang = reply_language(shown.customer, understanding)
    info = replace(customer_info(shown.customer, understanding, lang), email=reply_to_address(understanding))
    return ReplyContext(
        lang=lang,
        today=r.now.astimezone(config.tz).date(),
        customer=info,
        company=company_info(config),
        subject=reply_subject(understanding.reading.message.subject, lang),
        intent=understanding.intent,
        outcome=shown.outcome,
        ticket_id=r.ticket_id,
        order=order_info(shown.order, config) if shown.order is not None else None,
        understood=understood_fields(understanding),
        invalid=tuple(ReplyInvalid(v.field, v.value, v.reason) for v in understanding.invalid),
        pa_missing=pa_missing(shown) if template == "reply_pa_details" else (),
        card_number_detected=card_found(r),
        card_number_removed=card_found(r) and not understanding.reading.card_number_kept,
        years_asked=shown.years_asked,
        method_asked=shown.method_asked,
        services=tuple(service_info(s) for s in shown.services),
        parts=tuple(
            RequestOutcome(p.intent, ReplyOutcome.TICKET if p.outcome == ReplyOutcome.STAFF else p.outcome)
            for p in r.parts
        )
        if shown is not r
        else r.parts,
    )


def notice_context(r: Reply, address: str, requested_by: str, requested_at: datetime) -> ChangeNoticeContext:
    """The ``account_change`` notice to ``address`` on file of ``r.customer``."""
    assert r.customer is not None
    config, c = r.config, r.customer
    lang = c.language if c.language in LANGUAGES else config.general.language
    return ChangeNoticeContext(
        lang=lang,
        today=r.now.astimezone(config.tz).date(),
        customer=CustomerInfo(c.name, c.kind.value, address, lang, c.split_payment),
        company=company_info(config),
        intent=r.understanding.intent,
        requested_by=requested_by,
        requested_on=requested_at.astimezone(config.tz).date(),
        ticket_id=r.ticket_id,
        order=order_info(r.order, config) if r.order is not None else None,
        understood=understood_fields(r.understanding),
        services=tuple(service_info(s) for s in r.services),
    )


def understood_fields(understanding: Understanding) -> tuple[ReplyField, ...]:
    """The values understood from the message, each as it will be used."""
    return tuple(
        ReplyField(name, str(value))
        for name, found in understanding.fields.items()
        for value in (found if isinstance(found, list | tuple) else [found])
    )


def card_found(r: Reply) -> bool:
    """A card number came in the message (found when it was stored, or in the copy read now)."""
    return r.understanding.reading.card_number_detected or r.card_number_stored


def pa_missing(r: Reply) -> tuple[str, ...]:
    """What the invoice still needs: neither on the order, nor in this message, nor held for staff."""
    c = r.customer
    if c is not None and not (c.kind == CustomerKind.PUBLIC_ADMINISTRATION or c.split_payment):
        return ()
    have = {name for name in PA_FIELDS if r.understanding.fields.get(name)}
    have |= {_PA_COLUMNS[col] for col, value in r.staged_values.items() if col in _PA_COLUMNS and value}
    if r.order is not None:
        have |= {_PA_COLUMNS[col] for col in _PA_COLUMNS if getattr(r.order, col)}
    return tuple(name for name in PA_FIELDS if name not in have)
