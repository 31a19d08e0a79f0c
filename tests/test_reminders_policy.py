"""The reminder policy, pure: steps of a cycle, catch-up, autorenew and card, suppression, the daily digest."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from mailbot.config import RemindersConfig, StorageConfig
from mailbot.outbound.context import CompanyInfo, CustomerInfo, ReminderContext, ReminderItem, ServiceInfo
from mailbot.outbound.links import LinkSigner
from mailbot.outbound.outbox import Claim
from mailbot.outbound.plan import PlannedEmail
from mailbot.outbound.reminders import (
    DueItem,
    Recipient,
    ServiceState,
    card_valid_until,
    choose_language,
    cycle_steps,
    digest_key,
    due_items,
    email_template,
    plan_digests,
    step_offset,
)

EXPIRY = date(2026, 12, 31)
POLICY = RemindersConfig()
STORAGE = StorageConfig()
NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
COMPANY = CompanyInfo(name="Example S.r.l.", support_address="assistenza@example.it", support_phone="")
SIGNER = LinkSigner("test-secret", "https://portal.example.it/rinnovo", 120)


def info(service_id: int = 3, **kw: Any) -> ServiceInfo:
    values: dict[str, object] = {
        "id": service_id,
        "label": f"Impianto {service_id}",
        "username": f"user{service_id}",
        "product_name": "Portale Impianti",
        "expires_on": EXPIRY,
        "autorenew": False,
        "payment_method": "none",
        "card_expires": None,
        "storage_quota_mb": 1024,
        "storage_used_mb": 100,
    }
    values.update(kw)
    return ServiceInfo(**values)  # type: ignore[arg-type]


def state(claimed: tuple[str, ...] = (), open_order: str | None = None, **kw: Any) -> ServiceState:
    return ServiceState(
        info=info(**kw), status="active", started_on=None, claimed=frozenset(claimed), open_order=open_order
    )


def steps_on(today: date, st: ServiceState | None = None, policy: RemindersConfig = POLICY) -> list[str]:
    return [d.claim.step for d in due_items(st or state(), today, policy, STORAGE)]


def day(offset: int) -> date:
    return EXPIRY + timedelta(days=offset)


# Steps of a cycle -------------------------------------------------------------------------------

DEFAULT_STEPS = [
    ("before_90", -90, "expiry"),
    ("before_60", -60, "expiry"),
    ("before_30", -30, "expiry"),
    ("before_15", -15, "expiry"),
    ("before_7", -7, "expiry"),
    ("before_1", -1, "expiry"),
    ("expiry_day", 0, "expiry"),
    ("grace_7", 7, "grace"),
    ("grace_30", 30, "grace"),
    ("grace_60", 60, "grace"),
    ("grace_85", 85, "grace"),
    ("suspended", 91, "suspension"),  # the day after the last day of grace
]


def test_default_cycle_has_every_step_in_order() -> None:
    assert [(s.name, s.offset, s.kind) for s in cycle_steps(info(), POLICY)] == DEFAULT_STEPS


@pytest.mark.parametrize(("step", "offset", "kind"), DEFAULT_STEPS)
def test_each_step_is_due_on_its_own_day(step: str, offset: int, kind: str) -> None:
    due = due_items(state(), day(offset), POLICY, STORAGE)
    assert [(d.claim.step, d.item.kind, d.due_on) for d in due] == [(step, kind, day(offset))]
    assert due[0].claim == Claim(3, EXPIRY, step)
    assert due[0].item.days_to_expiry == -offset
    assert due[0].item.grace_ends_on == date(2027, 3, 31)
    assert "catch-up" not in due[0].reason


def test_nothing_before_the_first_step() -> None:
    assert steps_on(day(-91)) == []
    assert steps_on(date(2025, 1, 1)) == []


def test_step_days_count_calendar_days_across_dst() -> None:
    # Expiry 2026-04-28: 30 days before is 2026-03-29, the day Europe/Rome moves to summer time.
    st = state(expires_on=date(2026, 4, 28))
    assert steps_on(date(2026, 3, 28), st) == ["before_60"]  # catch-up of the earlier step, nothing new
    assert steps_on(date(2026, 3, 29), st) == ["before_30"]


def test_policy_comes_from_config() -> None:
    policy = RemindersConfig(
        before_days=(45, 10), on_expiry=False, grace_days=30, grace_after_days=(5,), suspension_notice=False
    )
    assert [s.name for s in cycle_steps(info(), policy)] == ["before_45", "before_10", "grace_5"]
    assert steps_on(day(-45), policy=policy) == ["before_45"]
    assert steps_on(day(0), policy=policy) == ["before_10"]  # caught up on the expiry day itself
    assert steps_on(day(30), policy=policy) == ["grace_5"]  # no suspension notice


def test_step_offset_reads_names_from_any_policy() -> None:
    assert step_offset("before_45", 90) == -45
    assert step_offset("autorenew_7", 90) == -7
    assert step_offset("expiry_day", 90) == 0
    assert step_offset("grace_5", 90) == 5
    assert step_offset("suspended", 60) == 61
    assert step_offset("storage_warning", 90) is None


# Catch-up ---------------------------------------------------------------------------------------


def test_catch_up_sends_only_the_latest_due_step() -> None:
    # Down from day -95 to day -20: before_90, before_60 and before_30 all came due; only before_30 goes.
    due = due_items(state(), day(-20), POLICY, STORAGE)
    assert [d.claim.step for d in due] == ["before_30"]
    assert due[0].due_on == day(-30)
    assert due[0].reason == "Impianto 3 (user3): expires 2026-12-31, 30 days before (catch-up: step due 2026-12-01)"
    assert due[0].item.days_to_expiry == 20


def test_no_catch_up_when_that_step_or_a_later_one_was_claimed() -> None:
    assert steps_on(day(-20), state(claimed=("before_30",))) == []
    assert steps_on(day(-20), state(claimed=("before_15",))) == []  # later step already out
    assert steps_on(day(-20), state(claimed=("grace_7",))) == []
    # an earlier claim does not stop the next step
    assert steps_on(day(-20), state(claimed=("before_90", "before_60"))) == ["before_30"]
    # storage claims do not count as lifecycle steps
    assert steps_on(day(-20), state(claimed=("storage_critical",))) == ["before_30"]


def test_before_expiry_steps_are_stale_once_expired() -> None:
    policy = replace(POLICY, on_expiry=False)
    assert steps_on(day(-1), policy=policy) == ["before_1"]
    assert steps_on(day(3), policy=policy) == []  # before_1 is past use; grace_7 not yet due
    assert steps_on(day(7), policy=policy) == ["grace_7"]


def test_long_forgotten_service_gets_only_its_suspension_notice() -> None:
    assert steps_on(day(400)) == ["suspended"]
    assert steps_on(day(400), state(claimed=("suspended",))) == []


# Status and open orders -------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["suspended", "cancelled"])
def test_nothing_for_suspended_or_cancelled_services(status: str) -> None:
    st = replace(state(storage_used_mb=1000), status=status)
    assert due_items(st, day(-30), POLICY, STORAGE) == ()


@pytest.mark.parametrize(("offset", "step"), [(-30, "before_30"), (0, "expiry_day"), (30, "grace_30")])
def test_open_order_suppresses_expiry_and_grace_items(offset: int, step: str) -> None:
    due = due_items(state(open_order="2026-000123 awaiting_payment"), day(offset), POLICY, STORAGE)
    assert [d.claim.step for d in due] == [step]
    assert due[0].suppressed == "open order 2026-000123 awaiting_payment: the payment reminders handle it"


def test_open_order_leaves_suspension_and_storage_alone() -> None:
    st = state(open_order="2026-000123 payment_announced", storage_used_mb=950)
    due = due_items(st, day(91), POLICY, STORAGE)
    assert [(d.claim.step, d.suppressed) for d in due] == [("suspended", None), ("storage_critical", None)]


# Automatic renewal and the card on file ---------------------------------------------------------


def autorenew(**kw: Any) -> ServiceState:
    values: dict[str, Any] = {"autorenew": True, "payment_method": "card", "card_expires": date(2027, 5, 1)}
    values.update(kw)
    return state(**values)


def test_autorenew_gets_notices_instead_of_renew_reminders() -> None:
    names = [s.name for s in cycle_steps(autorenew().info, POLICY)]
    assert names == ["autorenew_30", "autorenew_7", "grace_7", "grace_30", "grace_60", "grace_85", "suspended"]
    assert steps_on(day(-90), autorenew()) == []
    assert steps_on(day(-1), autorenew(claimed=("autorenew_7",))) == []
    due = due_items(autorenew(), day(-30), POLICY, STORAGE)
    assert [(d.claim.step, d.item.kind) for d in due] == [("autorenew_30", "autorenew")]
    assert due[0].reason == "Impianto 3 (user3): automatic renewal on 2026-12-31, 30 days before"


def test_autorenew_with_paypal_counts_too() -> None:
    assert steps_on(day(-7), autorenew(payment_method="paypal", card_expires=None)) == ["autorenew_7"]


def test_autorenew_without_a_chargeable_method_gets_normal_reminders() -> None:
    assert steps_on(day(-30), autorenew(payment_method="bank_transfer")) == ["before_30"]


def test_card_is_valid_to_the_end_of_its_month() -> None:
    assert card_valid_until(date(2026, 12, 1)) == date(2026, 12, 31)
    assert card_valid_until(date(2028, 2, 1)) == date(2028, 2, 29)
    # last valid month is the renewal month: the charge goes through
    due = due_items(autorenew(card_expires=date(2026, 12, 1)), day(-7), POLICY, STORAGE)
    assert [d.item.kind for d in due] == ["autorenew"]


def test_card_expiring_before_the_renewal_date() -> None:
    due = due_items(autorenew(card_expires=date(2026, 11, 1)), day(-30), POLICY, STORAGE)
    assert [(d.claim.step, d.item.kind) for d in due] == [("autorenew_30", "card_expiring")]
    assert "card on file expires 2026-11: request a card change" in due[0].reason


def test_autorenew_after_a_failed_charge_follows_grace_and_suspension() -> None:
    assert steps_on(day(3), autorenew()) == []  # autorenew notices are stale after expiry
    assert [d.item.kind for d in due_items(autorenew(), day(7), POLICY, STORAGE)] == ["grace"]
    assert steps_on(day(91), autorenew()) == ["suspended"]


# Storage ----------------------------------------------------------------------------------------


def test_storage_levels_are_items_once_per_cycle_and_level() -> None:
    today = day(-45)  # no lifecycle step due that day beyond before_60 (claimed below)
    warn = due_items(state(claimed=("before_60",), storage_used_mb=800), today, POLICY, STORAGE)
    assert [(d.claim.step, d.item.kind) for d in warn] == [("storage_warning", "storage")]
    assert warn[0].item.storage is not None and warn[0].item.storage.level == "warning"
    assert warn[0].reason == "Impianto 3 (user3): storage 78% of 1024 MB (warning)"
    assert steps_on(today, state(claimed=("before_60", "storage_warning"), storage_used_mb=800)) == []
    crit = state(claimed=("before_60", "storage_warning"), storage_used_mb=950)
    assert steps_on(today, crit) == ["storage_critical"]
    # after a critical alert, falling back to the warning level sends nothing more this cycle
    assert steps_on(today, state(claimed=("before_60", "storage_critical"), storage_used_mb=800)) == []
    assert steps_on(today, state(claimed=("before_60",), storage_used_mb=717)) == ["storage_warning"]
    assert steps_on(today, state(claimed=("before_60",), storage_used_mb=716)) == []


def test_storage_item_carries_the_projection() -> None:
    st = replace(state(claimed=("before_60",), storage_used_mb=922), started_on=date(2026, 8, 18))
    (due,) = due_items(st, day(-45), POLICY, STORAGE)  # 922 MB in 90 days; 45 days to go -> 1383 MB
    assert due.item.storage is not None
    assert (due.item.storage.level, due.item.storage.extra_gb_needed) == ("critical", 1)
    assert due.reason.endswith("storage 90% of 1024 MB (critical), about 1 GB more needed by 2026-12-31")


# The daily digest -------------------------------------------------------------------------------


def due(kind_step: str, service_id: int, today: date, **kw: Any) -> DueItem:
    """The item a service with id ``service_id`` has on ``today`` (built by the real policy)."""
    st = state(service_id=service_id, **kw)
    (found,) = [d for d in due_items(st, today, POLICY, STORAGE) if d.claim.step == kind_step]
    return found


def recipient(language: str = "it", undeliverable: str | None = None) -> Recipient:
    customer = CustomerInfo(
        name="Mario Rossi", kind="private", email="mario@example.org", language=language, split_payment=False
    )
    return Recipient(id=42, customer=customer, undeliverable=undeliverable)


def digest(items: list[DueItem], rcpt: Recipient | None = None, today: date = EXPIRY) -> list[PlannedEmail]:
    return plan_digests(rcpt or recipient(), items, today=today, now=NOW, company=COMPANY, links=SIGNER)


def reminder(email: PlannedEmail) -> ReminderContext:
    """A digest's context (always a reminder's)."""
    assert isinstance(email.context, ReminderContext)
    return email.context


def link_of(email: PlannedEmail) -> str:
    link = reminder(email).renew_link
    assert link is not None
    return link


def test_template_is_the_most_urgent_kind_present() -> None:
    order = [
        "suspension_notice",
        "grace_reminder",
        "expiry_reminder",
        "card_expiring",
        "autorenew_notice",
        "storage_alert",
    ]
    kinds = ["suspension", "grace", "expiry", "card_expiring", "autorenew", "storage"]

    def item(kind: str) -> ReminderItem:
        return ReminderItem(kind=kind, step="x", service=info(), days_to_expiry=0, grace_ends_on=EXPIRY)

    for i, expected in enumerate(order):
        assert email_template([item(k) for k in kinds[i:]]) == expected
        assert email_template([item(k) for k in reversed(kinds[i:])]) == expected


def test_one_email_with_every_item_and_one_link_for_those_needing_action() -> None:
    today = EXPIRY
    items = [
        due("storage_critical", 5, today, storage_used_mb=990),
        due("expiry_day", 3, today),
        due("grace_30", 4, today, expires_on=day(-30)),
    ]
    (email,) = digest(items)
    assert email.template == "grace_reminder"
    assert [(i.service.id, i.step) for i in reminder(email).items] == [
        (4, "grace_30"),
        (3, "expiry_day"),
        (5, "storage_critical"),
    ]
    assert email.claims == (
        Claim(4, day(-30), "grace_30"),
        Claim(3, EXPIRY, "expiry_day"),
        Claim(5, EXPIRY, "storage_critical"),
    )
    assert email.reason == "; ".join(d.reason for d in (items[2], items[1], items[0]))
    assert reminder(email).action == "renew"  # both present: renew for the link, every item included
    check = SIGNER.check_url(link_of(email), NOW)
    assert check.valid and check.grant is not None
    assert check.grant.customer_id == 42
    assert check.grant.action == "renew"
    assert check.grant.services == ((3, EXPIRY), (4, day(-30)))
    assert check.grant.issued_at == NOW
    assert email.suppressed is None
    assert (email.to_address, email.language, email.customer_id) == ("mario@example.org", "it", 42)


def test_only_grace_items_reactivate_and_no_action_means_no_link() -> None:
    (grace,) = digest([due("grace_7", 4, day(7))], today=day(7))
    assert reminder(grace).action == "reactivate"
    grant = SIGNER.check_url(link_of(grace), NOW).grant
    assert grant is not None and grant.action == "reactivate"
    (notice,) = digest([due("autorenew_30", 6, day(-30), autorenew=True, payment_method="card")], today=day(-30))
    assert notice.template == "autorenew_notice"
    assert (reminder(notice).renew_link, reminder(notice).action) == (None, None)


def test_idempotency_key_depends_on_customer_day_and_claims() -> None:
    a, b = Claim(3, EXPIRY, "before_30"), Claim(4, EXPIRY, "before_30")
    key = digest_key(42, EXPIRY, [a, b])
    assert key.startswith("reminders:42:2026-12-31:") and len(key.rsplit(":", 1)[1]) == 16
    assert digest_key(42, EXPIRY, [b, a]) == key
    assert digest_key(42, EXPIRY, [a]) != key
    assert digest_key(43, EXPIRY, [a, b]) != key
    assert digest_key(42, day(1), [a, b]) != key
    (email,) = digest([due("expiry_day", 3, EXPIRY)])
    assert email.idempotency_key == digest_key(42, EXPIRY, [Claim(3, EXPIRY, "expiry_day")])


def test_undeliverable_address_suppresses_the_whole_email() -> None:
    (email,) = digest([due("expiry_day", 3, EXPIRY)], recipient(undeliverable="550 mailbox unavailable"))
    assert email.suppressed == "address undeliverable: 550 mailbox unavailable"
    (email,) = digest([due("expiry_day", 3, EXPIRY)], recipient(undeliverable=""))
    assert email.suppressed == "address undeliverable: no reason recorded"


def test_items_waiting_on_an_open_order_go_in_a_separate_suppressed_entry() -> None:
    waiting = due("expiry_day", 3, EXPIRY, open_order="2026-000007 awaiting_payment")
    sending = due("expiry_day", 4, EXPIRY)
    first, second = digest([waiting, sending])
    assert first.suppressed is None and [c.service_id for c in first.claims] == [4]
    assert second.suppressed == "open order 2026-000007 awaiting_payment: the payment reminders handle it"
    assert [c.service_id for c in second.claims] == [3]
    assert first.idempotency_key != second.idempotency_key


def test_language_falls_back_to_the_configured_one() -> None:
    assert choose_language("en", "it") == "en"
    assert choose_language("it", "en") == "it"
    assert choose_language("de", "it") == "it"
    assert choose_language("", "en") == "en"
    assert choose_language(None, "it") == "it"
