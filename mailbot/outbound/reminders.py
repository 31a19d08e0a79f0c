"""Service reminders: which step of its expiry cycle a service is due for today.

Pure policy: values in, values out; ``today`` is a local calendar date given by the caller and
every day count is date arithmetic (never 24-hour timedeltas across a DST change).

A cycle is one expiry date. Its steps, by days from expiry: ``before_N`` (renew), ``expiry_day``,
``grace_N`` (reactivate), ``suspended`` the day after grace ends. With automatic renewal on, the steps
before expiry are ``autorenew_N`` instead (kind ``card_expiring`` when the card on file expires
before the renewal date); after a failed charge the grace steps apply as usual.

Catch-up: a service gets only its latest due step, and only if neither it nor a later step of the
same cycle was claimed. Storage alerts are a separate track: once per cycle and level.

The end of grace is also a change of state: ``suspension_due`` says which services the sweep records
as suspended (with or without a notice), and from then on a service gets nothing.
"""

from __future__ import annotations

import calendar
import functools
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from mailbot.config import LANGUAGES, RemindersConfig, StorageConfig
from mailbot.outbound.context import CompanyInfo, CustomerInfo, ReminderContext, ReminderItem, ServiceInfo
from mailbot.outbound.links import LinkGrant, LinkSigner
from mailbot.outbound.outbox import Claim
from mailbot.outbound.plan import PlannedEmail
from mailbot.outbound.storage import assess_storage

AUTORENEW_PAYMENT_METHODS = frozenset({"card", "paypal"})
# Items of these kinds wait while an open order covers their service: the payment reminders speak.
ORDER_SUPPRESSED_KINDS = frozenset({"expiry", "grace"})


@dataclass(frozen=True)
class Step:
    name: str  # before_30, expiry_day, grace_7, suspended, autorenew_30
    kind: str  # expiry | grace | suspension | autorenew | card_expiring
    offset: int  # days from the expiry date: negative before it


@dataclass(frozen=True)
class ServiceState:
    """What the policy needs to know about one service, read by the sweep."""

    info: ServiceInfo
    status: str  # active | suspended | cancelled
    started_on: date | None
    claimed: frozenset[str]  # steps already claimed for the current cycle (info.expires_on)
    open_order: str | None = None  # e.g. "2026-000123 awaiting_payment" when an open order covers it


@dataclass(frozen=True)
class DueItem:
    """One reminder item due today, with its claim and a reason for people."""

    item: ReminderItem
    claim: Claim
    due_on: date
    reason: str
    suppressed: str | None = None  # why it waits (open order); None when it goes out


@dataclass(frozen=True)
class Suspension:
    """A service whose grace ended: the sweep records it as suspended, in the transaction of the notice."""

    service_id: int
    cycle: date  # the expiry whose grace ended: the write checks it is still the service's
    grace_ended_on: date


def suspension_due(state: ServiceState, today: date, policy: RemindersConfig) -> Suspension | None:
    """The service's suspension, from the day after its grace ends (the day of the ``suspended`` step,
    whether the notice is configured or not: the grace emails promise reactivation "until" the last day
    of grace, and orders accept it that day); None while it is recoverable or when it is not active."""
    if state.status != "active":
        return None
    ends_on = state.info.expires_on + timedelta(days=policy.grace_days)
    return Suspension(state.info.id, state.info.expires_on, ends_on) if ends_on < today else None


@dataclass(frozen=True)
class ServiceToday:
    """What the sweep does for one service today: its items for the customer's email, its suspension."""

    items: tuple[DueItem, ...]
    suspension: Suspension | None


def plan_service(state: ServiceState, today: date, policy: RemindersConfig, storage: StorageConfig) -> ServiceToday:
    """``due_items`` and ``suspension_due`` together. A service suspended today is not asked to renew or
    reactivate: without a suspension notice (``reminders.suspension_notice`` false) the grace reminder
    that ``due_items`` would catch up is dropped."""
    items = due_items(state, today, policy, storage)
    suspension = suspension_due(state, today, policy)
    if suspension is not None:
        items = tuple(d for d in items if d.item.kind not in ACTION_BY_KIND)
    return ServiceToday(items, suspension)


def is_autorenewing(info: ServiceInfo) -> bool:
    """Automatic renewal counts only with a method that can be charged (card or PayPal)."""
    return info.autorenew and info.payment_method in AUTORENEW_PAYMENT_METHODS


def card_valid_until(card_expires: date) -> date:
    """The last day a card is valid: the end of the month ``card_expires`` names."""
    return card_expires.replace(day=calendar.monthrange(card_expires.year, card_expires.month)[1])


def is_card_expiring(card_expires: date | None, renewal_on: date) -> bool:
    return card_expires is not None and card_valid_until(card_expires) < renewal_on


def cycle_steps(info: ServiceInfo, policy: RemindersConfig) -> tuple[Step, ...]:
    """Every step of the service's current cycle, earliest first."""
    if is_autorenewing(info):
        kind = "card_expiring" if is_card_expiring(info.card_expires, info.expires_on) else "autorenew"
        return _cycle_steps(kind, policy)
    return _cycle_steps(None, policy)


@functools.lru_cache(maxsize=64)  # three answers per policy; the sweep asks once per service
def _cycle_steps(autorenew_kind: str | None, policy: RemindersConfig) -> tuple[Step, ...]:
    steps: list[Step] = []
    if autorenew_kind is not None:
        steps += [Step(f"autorenew_{d}", autorenew_kind, -d) for d in policy.autorenew_before_days]
    else:
        steps += [Step(f"before_{d}", "expiry", -d) for d in policy.before_days]
        if policy.on_expiry:
            steps.append(Step("expiry_day", "expiry", 0))
    steps += [Step(f"grace_{d}", "grace", d) for d in policy.grace_after_days]
    if policy.suspension_notice:
        steps.append(Step("suspended", "suspension", policy.grace_days + 1))
    return tuple(sorted(steps, key=lambda s: s.offset))


def step_offset(name: str, grace_days: int) -> int | None:
    """Days from expiry of a step name (also one claimed under an older policy); None for storage steps."""
    if name == "expiry_day":
        return 0
    if name == "suspended":
        return grace_days + 1
    prefix, _, days = name.rpartition("_")
    sign = {"before": -1, "autorenew": -1, "grace": 1}.get(prefix)
    return sign * int(days) if sign is not None and days.isdigit() else None


def latest_due_step(state: ServiceState, today: date, policy: RemindersConfig) -> Step | None:
    """The one lifecycle step to send today, or None (nothing due, already claimed, or stale)."""
    expires_on = state.info.expires_on
    due = [s for s in cycle_steps(state.info, policy) if expires_on + timedelta(days=s.offset) <= today]
    if not due:
        return None
    latest = due[-1]
    if latest.offset < 0 and today > expires_on:
        return None  # a "before expiry" step is stale once the service has expired
    claimed = (step_offset(name, policy.grace_days) for name in state.claimed)
    if any(offset is not None and offset >= latest.offset for offset in claimed):
        return None
    return latest


def storage_step(state: ServiceState, today: date, policy: RemindersConfig, storage: StorageConfig) -> DueItem | None:
    info = state.info
    alert = assess_storage(
        used_mb=info.storage_used_mb,
        quota_mb=info.storage_quota_mb,
        started_on=state.started_on,
        today=today,
        next_expiry=info.expires_on,
        levels=storage,
    )
    if alert is None:
        return None
    step = f"storage_{alert.level}"
    if step in state.claimed or "storage_critical" in state.claimed:
        return None  # once per cycle and level, and no warning after a critical alert
    item = replace(_item("storage", step, state, today, policy), storage=alert)
    return DueItem(item, Claim(info.id, info.expires_on, step), today, describe(item, today, today))


def due_items(state: ServiceState, today: date, policy: RemindersConfig, storage: StorageConfig) -> tuple[DueItem, ...]:
    """What one service contributes to its customer's email today (0, 1 or 2 items)."""
    if state.status != "active":
        return ()
    items: list[DueItem] = []
    step = latest_due_step(state, today, policy)
    if step is not None:
        item = _item(step.kind, step.name, state, today, policy)
        due_on = state.info.expires_on + timedelta(days=step.offset)
        suppressed = None
        if state.open_order and step.kind in ORDER_SUPPRESSED_KINDS:
            suppressed = f"open order {state.open_order}: the payment reminders handle it"
        claim = Claim(state.info.id, state.info.expires_on, step.name)
        items.append(DueItem(item, claim, due_on, describe(item, due_on, today), suppressed))
    alert = storage_step(state, today, policy, storage)
    if alert is not None:
        items.append(alert)
    return tuple(items)


def _item(kind: str, step: str, state: ServiceState, today: date, policy: RemindersConfig) -> ReminderItem:
    expires_on = state.info.expires_on
    return ReminderItem(
        kind=kind,
        step=step,
        service=state.info,
        days_to_expiry=(expires_on - today).days,
        grace_ends_on=expires_on + timedelta(days=policy.grace_days),
    )


def describe(item: ReminderItem, due_on: date, today: date) -> str:
    """``Impianto 3 (user3): expires 2026-12-31, 30 days before`` and the like."""
    info = item.service
    exp = info.expires_on.isoformat()
    days = abs((info.expires_on - due_on).days)
    if item.kind == "expiry":
        what = f"expires {exp}, {days} days before" if days else f"expires today {exp}"
    elif item.kind == "grace":
        what = f"expired {exp}, {days} days after, reactivate by {item.grace_ends_on.isoformat()}"
    elif item.kind == "suspension":
        what = f"grace ended {item.grace_ends_on.isoformat()}, suspended"
    elif item.kind in ("autorenew", "card_expiring"):
        what = f"automatic renewal on {exp}, {days} days before"
        if item.kind == "card_expiring" and info.card_expires is not None:
            what += f", but the card on file expires {info.card_expires:%Y-%m}: request a card change"
    elif item.storage is not None:
        storage = item.storage
        what = f"storage {storage.percent}% of {info.storage_quota_mb} MB ({storage.level})"
        if storage.extra_gb_needed:
            what += f", about {storage.extra_gb_needed} GB more needed by {exp}"
    else:
        what = item.step
    late = f" (catch-up: step due {due_on.isoformat()})" if due_on < today else ""
    return f"{info.label} ({info.username}): {what}{late}"


# One email per customer per day -----------------------------------------------------------------

# Item kind -> template, most urgent first: an email takes the template of its most urgent item.
TEMPLATE_BY_KIND = {
    "suspension": "suspension_notice",
    "grace": "grace_reminder",
    "expiry": "expiry_reminder",
    "card_expiring": "card_expiring",
    "autorenew": "autorenew_notice",
    "storage": "storage_alert",
}
ACTION_BY_KIND = {"expiry": "renew", "grace": "reactivate"}


@dataclass(frozen=True)
class Recipient:
    id: int
    customer: CustomerInfo  # with the language the email is written in
    undeliverable: str | None = None  # why mail to the address bounces; None when it is deliverable


def choose_language(language: str | None, default: str) -> str:
    return language if language in LANGUAGES else default


def email_template(items: Sequence[ReminderItem]) -> str:
    kinds = {item.kind for item in items}
    return next(template for kind, template in TEMPLATE_BY_KIND.items() if kind in kinds)


def link_grant(customer_id: int, items: Sequence[ReminderItem], now: datetime) -> LinkGrant | None:
    """One grant covering every item that needs action: renew if any is not yet expired, else reactivate."""
    actionable = [item for item in items if item.kind in ACTION_BY_KIND]
    if not actionable:
        return None
    action = "renew" if any(item.kind == "expiry" for item in actionable) else "reactivate"
    services = tuple(sorted({(item.service.id, item.service.expires_on) for item in actionable}))
    return LinkGrant(customer_id=customer_id, action=action, services=services, order_number=None, issued_at=now)


def digest_key(customer_id: int, today: date, claims: Iterable[Claim]) -> str:
    """Same customer, day and claims: same key. A service imported later that day makes a new key."""
    blob = "\n".join(sorted(f"{c.service_id}:{c.cycle.isoformat()}:{c.step}" for c in claims))
    return f"reminders:{customer_id}:{today.isoformat()}:{hashlib.sha256(blob.encode()).hexdigest()[:16]}"


def plan_digests(
    recipient: Recipient,
    due: Sequence[DueItem],
    *,
    today: date,
    now: datetime,
    company: CompanyInfo,
    links: LinkSigner,
) -> list[PlannedEmail]:
    """The customer's email for today, plus (for the preview) one marked suppressed for items that wait."""
    bounce = None
    if recipient.undeliverable is not None:
        bounce = f"address undeliverable: {recipient.undeliverable or 'no reason recorded'}"
    waiting = [d for d in due if d.suppressed]
    groups = [
        ([d for d in due if not d.suppressed], bounce),
        (waiting, "; ".join(sorted({d.suppressed or "" for d in waiting}))),
    ]
    ranks = {kind: rank for rank, kind in enumerate(TEMPLATE_BY_KIND)}
    planned: list[PlannedEmail] = []
    for group, suppressed in groups:
        if not group:
            continue
        ordered = sorted(group, key=lambda d: (ranks[d.item.kind], d.item.service.id, d.item.step))
        items = tuple(d.item for d in ordered)
        claims = tuple(d.claim for d in ordered)
        grant = link_grant(recipient.id, items, now)
        context = ReminderContext(
            lang=recipient.customer.language,
            today=today,
            customer=recipient.customer,
            company=company,
            items=items,
            renew_link=links.make_url(grant) if grant else None,
            action=grant.action if grant else None,
        )
        planned.append(
            PlannedEmail(
                idempotency_key=digest_key(recipient.id, today, claims),
                template=email_template(items),
                customer_id=recipient.id,
                to_address=recipient.customer.email,
                language=recipient.customer.language,
                reason="; ".join(d.reason for d in ordered),
                context=context,
                claims=claims,
                suppressed=suppressed,
                details={
                    "source": "reminders",
                    "today": today.isoformat(),
                    "steps": [f"{c.service_id}:{c.step}" for c in claims],
                },
            )
        )
    return planned
