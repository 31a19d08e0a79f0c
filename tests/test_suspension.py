"""The end of grace: the reminder sweep records the service as suspended, in the transaction that
enqueues the suspension notice, with an audit entry; a suspended service gets no reminder and cannot be
ordered; a paid reactivation makes it active again."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from mailbot.app import App
from mailbot.config import RemindersConfig, StorageConfig
from mailbot.db.engine import transaction
from mailbot.db.models import AuditEvent, OutboundMessage, ReminderClaim, Service
from mailbot.domain import OrderType, PaymentMethod, ServiceStatus
from mailbot.errors import InputError
from mailbot.order_rules import orderable_problem
from mailbot.orders import NewOrder, create_order, is_orderable, mark_paid
from mailbot.outbound.context import REMINDER_TEMPLATES, ServiceInfo
from mailbot.outbound.reminders import ServiceState, Suspension, due_items, plan_service, suspension_due
from mailbot.outbound.render import Renderer
from mailbot.outbound.sweep import plan_reminders, plan_sweep, run_reminder_sweep
from tests.support.factories import make_customer, make_service
from tests.support.templates import write_payment_templates

ROME = ZoneInfo("Europe/Rome")
EXPIRY = date(2026, 9, 1)
GRACE_END = EXPIRY + timedelta(days=90)  # 2026-11-30: the last day it can be reactivated
SUSPEND_DAY = GRACE_END + timedelta(days=1)  # the sweep suspends it the day after
POLICY = RemindersConfig()


def at(day: date, hour: int = 8) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=ROME)


# The decision, pure -----------------------------------------------------------------------------


def state(status: str = "active", expires_on: date = EXPIRY) -> ServiceState:
    info = ServiceInfo(
        id=7,
        label="Impianto 7",
        username="user7",
        product_name="Portale",
        expires_on=expires_on,
        autorenew=False,
        payment_method="none",
        card_expires=None,
        storage_quota_mb=1024,
        storage_used_mb=100,
    )
    return ServiceState(info=info, status=status, started_on=None, claimed=frozenset())


def test_suspension_is_due_from_the_day_grace_ends() -> None:
    assert suspension_due(state(), GRACE_END, POLICY) is None  # the grace emails promise it "until" that day
    assert suspension_due(state(), SUSPEND_DAY, POLICY) == Suspension(7, EXPIRY, GRACE_END)
    assert suspension_due(state(), GRACE_END + timedelta(days=300), POLICY) == Suspension(7, EXPIRY, GRACE_END)


@pytest.mark.parametrize("status", ["suspended", "cancelled"])
def test_no_suspension_for_a_service_not_active(status: str) -> None:
    assert suspension_due(state(status), SUSPEND_DAY, POLICY) is None


def test_suspension_follows_the_configured_grace_even_without_a_notice() -> None:
    policy = RemindersConfig(grace_days=30, grace_after_days=(7,), suspension_notice=False)
    end = EXPIRY + timedelta(days=30)
    assert suspension_due(state(), end, policy) is None
    assert suspension_due(state(), end + timedelta(days=1), policy) == Suspension(7, EXPIRY, end)


def test_a_service_suspended_today_is_not_asked_to_reactivate() -> None:
    """Without a notice, ``due_items`` still catches up the last grace reminder on the day after grace
    ends (tests/test_reminders_policy.py); the sweep's plan drops it, since the service is suspended."""
    policy = RemindersConfig(grace_days=30, grace_after_days=(5,), suspension_notice=False)
    end = EXPIRY + timedelta(days=30)
    after = end + timedelta(days=1)
    assert [d.claim.step for d in due_items(state(), after, policy, StorageConfig())] == ["grace_5"]
    today = plan_service(state(), after, policy, StorageConfig())
    assert (today.items, today.suspension) == ((), Suspension(7, EXPIRY, end))
    last_day = plan_service(state(), end, policy, StorageConfig())
    assert ([d.claim.step for d in last_day.items], last_day.suspension) == (["grace_5"], None)
    with_notice = plan_service(state(), SUSPEND_DAY, POLICY, StorageConfig())
    assert [d.claim.step for d in with_notice.items] == ["suspended"]


# The sweep on a real database -------------------------------------------------------------------


@pytest.fixture
def sapp(app: App, tmp_path: Path) -> Iterator[App]:
    """The app with tiny reminder templates (the steps) and the payment templates of the order tests."""
    root = tmp_path / "templates"
    write_payment_templates(root)
    for name in REMINDER_TEMPLATES:
        for lang in ("it", "en"):
            folder = root / "mail" / name / lang
            folder.mkdir(parents=True)
            (folder / "subject.txt").write_text(f"{name}\n")
            (folder / "body.txt").write_text("{% for i in items %}{{ i.step }}:{{ i.service.username }}\n{% endfor %}")
            (folder / "body.html").write_text("<p>{{ items|length }}</p>")
    yield dataclasses.replace(app, renderer=Renderer(root=root))


def add(app: App, **kw: Any) -> int:
    customer_kw = {k.removeprefix("customer_"): v for k, v in kw.items() if k.startswith("customer_")}
    service_kw = {k: v for k, v in kw.items() if not k.startswith("customer_")}
    with app.sessions.begin() as session:
        customer = make_customer(session, **customer_kw)
        return make_service(session, customer, **{"expires_on": EXPIRY, **service_kw}).id


def status_of(app: App, service_id: int) -> ServiceStatus:
    with app.sessions() as session:
        return session.get_one(Service, service_id).status


def suspended_events(app: App) -> list[AuditEvent]:
    with app.sessions() as session:
        query = select(AuditEvent).where(AuditEvent.action == "service.suspended").order_by(AuditEvent.id)
        return list(session.scalars(query))


def templates_sent(app: App) -> list[str]:
    with app.sessions() as session:
        return list(session.scalars(select(OutboundMessage.template).order_by(OutboundMessage.id)))


def test_the_sweep_records_the_suspension_with_its_notice(sapp: App) -> None:
    service = add(sapp)
    run_reminder_sweep(sapp, at(GRACE_END - timedelta(days=1)))  # grace_85 was due: still active
    assert status_of(sapp, service) == ServiceStatus.ACTIVE
    assert templates_sent(sapp) == ["grace_reminder"]
    result = run_reminder_sweep(sapp, at(SUSPEND_DAY))
    assert result.enqueued == 1
    assert templates_sent(sapp) == ["grace_reminder", "suspension_notice"]
    assert status_of(sapp, service) == ServiceStatus.SUSPENDED
    (event,) = suspended_events(sapp)
    assert (event.actor, event.entity) == ("mailbot", "service")
    assert event.details == {
        "service_id": service,
        "expired_on": "2026-09-01",
        "grace_ended_on": "2026-11-30",
        "status": ["active", "suspended"],
    }
    with sapp.sessions() as session:
        assert session.get_one(Service, service).updated_at == at(SUSPEND_DAY).astimezone(UTC)


def test_nothing_more_after_the_suspension_and_no_second_audit(sapp: App) -> None:
    service = add(sapp, storage_used_mb=1000)  # storage alerts too stop with the suspension
    run_reminder_sweep(sapp, at(SUSPEND_DAY))
    for later in (at(SUSPEND_DAY, 14), at(SUSPEND_DAY + timedelta(days=1)), at(GRACE_END + timedelta(days=400))):
        result = run_reminder_sweep(sapp, later)
        assert (result.enqueued, result.already_there, result.suppressed) == (0, 0, 0)
    assert templates_sent(sapp) == ["suspension_notice"]
    assert len(suspended_events(sapp)) == 1
    with sapp.sessions() as session:
        steps = session.scalars(select(ReminderClaim.step).where(ReminderClaim.service_id == service)).all()
        assert sorted(steps) == ["storage_critical", "suspended"]


def test_the_preview_suspends_nothing(sapp: App) -> None:
    service = add(sapp)
    with sapp.sessions() as session:
        plan = plan_sweep(session, sapp.config, sapp.links, at(SUSPEND_DAY))
        assert plan.suspensions == [Suspension(service, EXPIRY, GRACE_END)]
        assert [p.template for p in plan.emails] == ["suspension_notice"]
        assert plan_reminders(session, sapp.config, sapp.links, at(SUSPEND_DAY)) == plan.emails
    assert status_of(sapp, service) == ServiceStatus.ACTIVE
    assert suspended_events(sapp) == []


def test_suspended_even_when_the_notice_cannot_go_out(sapp: App) -> None:
    service = add(sapp, customer_email_undeliverable=True, customer_undeliverable_reason="550 no such user")
    result = run_reminder_sweep(sapp, at(SUSPEND_DAY))
    assert (result.enqueued, result.suppressed) == (0, 1)
    assert status_of(sapp, service) == ServiceStatus.SUSPENDED
    assert len(suspended_events(sapp)) == 1


def test_suspended_when_no_notice_is_configured(sapp: App) -> None:
    config = dataclasses.replace(
        sapp.config, reminders=dataclasses.replace(sapp.config.reminders, suspension_notice=False)
    )
    quiet = dataclasses.replace(sapp, config=config)
    service = add(quiet)  # its grace_85 reminder was never sent: no "reactivate" as it is suspended
    assert run_reminder_sweep(quiet, at(SUSPEND_DAY)).enqueued == 0
    assert status_of(quiet, service) == ServiceStatus.SUSPENDED
    assert templates_sent(quiet) == []


def test_two_concurrent_sweeps_suspend_once(sapp: App) -> None:
    services = [add(sapp) for _ in range(4)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait(timeout=30)
            run_reminder_sweep(sapp, at(SUSPEND_DAY))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert all(status_of(sapp, s) == ServiceStatus.SUSPENDED for s in services)
    assert sorted(e.details["service_id"] for e in suspended_events(sapp)) == services
    assert templates_sent(sapp) == ["suspension_notice"] * 4


def test_a_service_renewed_meanwhile_is_not_suspended(sapp: App) -> None:
    """Planned on the old expiry, written after a payment moved it: the write checks the expiry again."""
    service = add(sapp)
    with sapp.sessions() as session:
        plan = plan_sweep(session, sapp.config, sapp.links, at(SUSPEND_DAY))
    with sapp.sessions.begin() as session:
        session.get_one(Service, service).expires_on = date(2027, 9, 1)
    from mailbot.outbound.sweep import suspend_services

    with transaction(sapp.sessions) as session:
        assert suspend_services(session, plan.suspensions, now=at(SUSPEND_DAY)) == []
    assert status_of(sapp, service) == ServiceStatus.ACTIVE
    assert suspended_events(sapp) == []


@dataclasses.dataclass(frozen=True)
class Held:
    """A service as a plain value: the rule reads only its status and expiry."""

    status: ServiceStatus
    expires_on: date = EXPIRY


@pytest.mark.parametrize(
    ("held", "day", "problem"),
    [
        (Held(ServiceStatus.ACTIVE), GRACE_END, None),  # the last day of grace, before the sweep
        (Held(ServiceStatus.ACTIVE), GRACE_END + timedelta(days=1), "grace ended on 2026-11-30: a new purchase"),
        (Held(ServiceStatus.SUSPENDED), EXPIRY, "it is suspended (expired on 2026-09-01, grace ended on 2026-11-30)"),
        (Held(ServiceStatus.CANCELLED), EXPIRY, "status cancelled"),
    ],
)
def test_orderable_problem_is_a_pure_rule(held: Held, day: date, problem: str | None) -> None:
    found = orderable_problem(held, day, 90)
    assert found is None if problem is None else (found is not None and problem in found)


# Ordering a suspended service, and its reactivation ---------------------------------------------


def test_a_suspended_service_cannot_be_ordered_a_new_purchase_is_needed(sapp: App) -> None:
    service = add(sapp)
    run_reminder_sweep(sapp, at(SUSPEND_DAY))
    with transaction(sapp.sessions) as session:
        row = session.get_one(Service, service)
        assert not is_orderable(row, SUSPEND_DAY, 90)
        with pytest.raises(InputError) as info:
            create_order(session, sapp, NewOrder(row.customer, [row], 1, PaymentMethod.CARD), now=at(SUSPEND_DAY, 10))
    message = str(info.value)
    assert f"service {row.external_id} cannot be renewed" in message
    assert "suspended" in message and "a new purchase is needed" in message
    assert "\n" not in message


def test_past_grace_but_not_yet_swept_also_needs_a_new_purchase(sapp: App) -> None:
    service = add(sapp)
    day_after = GRACE_END + timedelta(days=1)
    with transaction(sapp.sessions) as session:
        row = session.get_one(Service, service)
        assert is_orderable(row, GRACE_END, 90)  # the last day of grace, before the sweep
        assert not is_orderable(row, day_after, 90)
        with pytest.raises(InputError, match="grace ended on 2026-11-30: a new purchase is needed"):
            create_order(session, sapp, NewOrder(row.customer, [row], 1, PaymentMethod.CARD), now=at(day_after))


def test_a_paid_reactivation_makes_the_suspended_service_active_again(sapp: App) -> None:
    service = add(sapp)
    with transaction(sapp.sessions) as session:  # ordered on the last days of grace, paid after the sweep
        row = session.get_one(Service, service)
        new = NewOrder(row.customer, [row], 1, PaymentMethod.BANK_TRANSFER, OrderType.REACTIVATION)
        order_id = create_order(session, sapp, new, now=at(GRACE_END - timedelta(days=3))).id
    run_reminder_sweep(sapp, at(SUSPEND_DAY))
    assert status_of(sapp, service) == ServiceStatus.SUSPENDED
    paid_at = at(GRACE_END + timedelta(days=2)).astimezone(UTC)
    with transaction(sapp.sessions) as session:
        from mailbot.db.models import Order

        moved = mark_paid(session, session.get_one(Order, order_id), paid_at, "staff:anna")
    assert moved == {service: (EXPIRY, date(2027, 9, 1))}
    assert status_of(sapp, service) == ServiceStatus.ACTIVE
    with sapp.sessions() as session:
        paid = session.scalars(select(AuditEvent).where(AuditEvent.action == "order.paid")).one()
        assert paid.details["status"] == {str(service): ["suspended", "active"]}
    # the new cycle starts from scratch: its first reminder 90 days before the new expiry
    assert run_reminder_sweep(sapp, at(date(2027, 6, 2))).enqueued == 0
    assert run_reminder_sweep(sapp, at(date(2027, 6, 3))).enqueued == 1
    assert templates_sent(sapp)[-1] == "expiry_reminder"
