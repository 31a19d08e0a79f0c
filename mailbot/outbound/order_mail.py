"""The emails about one order: its ``PaymentContext`` and the ``PlannedEmail`` of each step.

Pure: an order (with its customer and services loaded), the config, the link signer and ``now``
in; values out. Shared by ``create_order`` (the instructions, enqueued with the order) and the
unpaid-order sweep (reminders and the cancellation notice), so both send the same email.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from mailbot.config import LANGUAGES, Config
from mailbot.db.models import Order, Service
from mailbot.domain import CustomerKind, OrderStatus
from mailbot.outbound.context import (
    BankDetails,
    CompanyInfo,
    CustomerInfo,
    InvoiceInfo,
    OrderInfo,
    PaymentContext,
    PostalDetails,
    ServiceInfo,
)
from mailbot.outbound.links import LinkGrant, LinkSigner
from mailbot.outbound.plan import PlannedEmail
from mailbot.outbound.render import cents

STEP_TEMPLATES = {
    "instructions": "payment_instructions",
    "cancelled": "order_cancelled",
    "paid": "payment_confirmation",
    "invoice": "invoice",
    "charge_failed": "charge_failed",
}
INVOICE_REMINDER = "invoice_reminder_"  # an invoice issued before payment, not paid by its due date
DONE_STEPS = frozenset(
    {"paid", "invoice", "charge_failed"}
)  # sent because something happened, not because it is unpaid
REMINDER_TEMPLATE = "payment_reminder"


def order_key(order_id: int, step: str) -> str:
    """Idempotency key of the email of ``step`` (instructions, reminder_N, cancelled) of an order."""
    return f"order:{order_id}:{step}"


def template_for(step: str) -> str:
    if step.startswith(INVOICE_REMINDER):
        return "invoice_reminder"
    return STEP_TEMPLATES.get(step, REMINDER_TEMPLATE)


def reminder_number(step: str) -> int:
    """``reminder_2`` and ``invoice_reminder_2`` -> 2; 0 for the other steps."""
    for prefix in (INVOICE_REMINDER, "reminder_"):
        if step.startswith(prefix):
            return int(step.removeprefix(prefix))
    return 0


def local_day(instant: datetime, config: Config) -> date:
    return instant.astimezone(config.tz).date()


def service_info(service: Service) -> ServiceInfo:
    return ServiceInfo(
        id=service.id,
        label=service.label,
        username=service.username,
        product_name=service.product.name,
        expires_on=service.expires_on,
        autorenew=service.autorenew,
        payment_method=service.payment_method.value,
        card_expires=service.card_expires,
        storage_quota_mb=service.storage_quota_mb,
        storage_used_mb=service.storage_used_mb,
    )


def pa_missing(order: Order) -> tuple[str, ...]:
    """What a PA / split payment order still needs from the customer: cig, office_code, username."""
    if not (order.split_payment or order.customer.kind == CustomerKind.PUBLIC_ADMINISTRATION):
        return ()
    fields = (("cig", order.cig), ("office_code", order.office_code), ("username", order.pa_username))
    return tuple(name for name, value in fields if not value)


def order_info(order: Order, config: Config) -> OrderInfo:
    created_on = local_day(order.created_at, config)
    return OrderInfo(
        number=order.number,
        type=order.type.value,
        status=order.status.value,
        payment_method=order.payment_method.value,
        years=order.years,
        net=cents(order.net_cents),
        fee=cents(order.fee_cents),
        vat=cents(order.vat_cents),
        total=cents(order.total_cents),
        due=cents(order.due_cents),
        split_payment=order.split_payment,
        created_on=created_on,
        cancel_on=created_on + timedelta(days=config.payments.cancel_after_days),
        services=tuple(service_info(s) for s in order.services),
        cig=order.cig,
        cup=order.cup,
        office_code=order.office_code,
        pa_username=order.pa_username,
    )


def customer_language(language: str | None, config: Config) -> str:
    return language if language in LANGUAGES else config.general.language


def payment_context(
    order: Order, config: Config, links: LinkSigner, now: datetime, reminder_number: int = 0
) -> PaymentContext:
    """What the payment templates see for ``order`` on the day of ``now``."""
    customer = order.customer
    lang = customer_language(customer.language, config)
    grant = LinkGrant(
        customer_id=customer.id,
        action="pay",
        services=tuple((s.id, s.expires_on) for s in order.services),
        order_number=order.number,
        issued_at=now,
    )
    pay = config.payments
    return PaymentContext(
        lang=lang,
        today=local_day(now, config),
        customer=CustomerInfo(
            name=customer.name,
            kind=customer.kind.value,
            email=customer.email,
            language=lang,
            split_payment=customer.split_payment,
        ),
        company=CompanyInfo(config.mail.company_name, config.mail.support_address, config.mail.support_phone),
        order=order_info(order, config),
        bank=BankDetails(beneficiary=pay.beneficiary, iban=pay.iban, bank_name=pay.bank_name),
        postal=PostalDetails(account=pay.postal_account, holder=pay.postal_account_holder),
        pay_link=links.make_url(grant),
        reminder_number=reminder_number,
        pa_missing=pa_missing(order),
        split_payment_valid_until=pay.split_payment_valid_until,
    )


def plan_order_email(
    order: Order,
    step: str,
    config: Config,
    links: LinkSigner,
    now: datetime,
    *,
    invoice: InvoiceInfo | None = None,
    charge_failed: str = "",
) -> PlannedEmail:
    """The email of ``step`` for ``order`` (``invoice``: the one the invoice email sends); suppressed
    (with the reason) when the address bounces."""
    context = replace(
        payment_context(order, config, links, now, reminder_number(step)), invoice=invoice, charge_failed=charge_failed
    )
    if step == "cancelled":
        context = replace(context, order=replace(context.order, status=OrderStatus.CANCELLED.value))
    customer = order.customer
    suppressed = None
    if customer.email_undeliverable:
        suppressed = f"address undeliverable: {customer.undeliverable_reason or 'marked by a bounce'}"
    age = (local_day(now, config) - context.order.created_on).days
    if step in DONE_STEPS:
        why = f"order {order.number} {step}"
    elif invoice is not None and invoice.payment_due_on is not None:
        late = (local_day(now, config) - invoice.payment_due_on).days
        why = f"invoice {invoice.number} of order {order.number} unpaid, due {late} days ago"
    else:
        why = f"order {order.number} {step.replace('_', ' ')} (created {age} days ago, unpaid)"
    return PlannedEmail(
        idempotency_key=order_key(order.id, step),
        template=template_for(step),
        customer_id=customer.id,
        to_address=customer.email,
        language=context.lang,
        reason=why,
        context=context,
        order_id=order.id,
        suppressed=suppressed,
        details={"order": order.number, "step": step},
    )
