"""The reminder sweep on a real database: what it enqueues, what it suppresses, and that it never repeats."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from mailbot.app import App
from mailbot.db.engine import transaction
from mailbot.db.models import Customer, Order, OutboundMessage, ReminderClaim, Service
from mailbot.domain import OrderStatus, OrderType, PaymentMethod, ServiceStatus
from mailbot.outbound.context import REMINDER_TEMPLATES
from mailbot.outbound.plan import enqueue_planned
from mailbot.outbound.render import Renderer
from mailbot.outbound.sweep import plan_reminders, run_reminder_sweep
from tests.support.factories import make_customer, make_product, make_service

ROME = ZoneInfo("Europe/Rome")
EXPIRY = date(2026, 12, 31)
BODY = (
    "{% for i in items %}{{ i.step }}:{{ i.service.username }}\n{% endfor %}link={{ renew_link }} action={{ action }}\n"
)


def at(day: date, hour: int = 8, minute: int = 0) -> datetime:
    """An aware instant at a local Rome time."""
    return datetime.combine(day, time(hour, minute), tzinfo=ROME)


@pytest.fixture
def sweep_app(app: App, tmp_path: Path) -> Iterator[App]:
    """The app with tiny templates that print the steps, the link and the action."""
    root = tmp_path / "templates"
    for name in REMINDER_TEMPLATES:
        for lang in ("it", "en"):
            folder = root / "mail" / name / lang
            folder.mkdir(parents=True)
            (folder / "subject.txt").write_text(f"{name} {lang} {{{{ customer.name }}}}\n")
            (folder / "body.txt").write_text(BODY)
            (folder / "body.html").write_text(f"<p>{BODY}</p>")
    yield dataclasses.replace(app, renderer=Renderer(root=root))


def add(app: App, **kw: Any) -> tuple[int, int]:
    """A customer (``customer_*`` keywords) with one service; returns (customer id, service id)."""
    customer_kw = {k.removeprefix("customer_"): v for k, v in kw.items() if k.startswith("customer_")}
    service_kw = {k: v for k, v in kw.items() if not k.startswith("customer_")}
    with app.sessions.begin() as session:
        customer = make_customer(session, **customer_kw)
        service = make_service(session, customer, **service_kw)
        return customer.id, service.id


def add_service(app: App, customer_id: int, **kw: object) -> int:
    with app.sessions.begin() as session:
        customer = session.get_one(Customer, customer_id)
        return make_service(session, customer, make_product(session), **kw).id


def outbox(app: App) -> list[OutboundMessage]:
    with app.sessions() as session:
        return list(session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))


def claims(app: App) -> list[tuple[int, date, str]]:
    with app.sessions() as session:
        rows = session.execute(
            select(ReminderClaim.service_id, ReminderClaim.cycle, ReminderClaim.step).order_by(ReminderClaim.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def update_service(app: App, service_id: int, **values: object) -> None:
    with app.sessions.begin() as session:
        service = session.get_one(Service, service_id)
        for key, value in values.items():
            setattr(service, key, value)


# What gets sent ---------------------------------------------------------------------------------


def test_one_email_per_customer_with_every_due_item(sweep_app: App) -> None:
    a, s1 = add(sweep_app, customer_name="Anna", username="anna1")
    s2 = add_service(sweep_app, a, username="anna2", expires_on=date(2026, 11, 30), storage_used_mb=950)
    b, s3 = add(sweep_app, customer_name="Bruno", username="bruno1", expires_on=date(2027, 3, 2))
    result = run_reminder_sweep(sweep_app, at(date(2026, 12, 1)))
    assert (result.enqueued, result.already_there, result.suppressed) == (1, 0, 0)
    (row,) = outbox(sweep_app)
    assert row.customer_id == a
    assert row.template == "expiry_reminder"
    assert row.subject == "expiry_reminder it Anna"
    assert row.body_text.startswith("before_30:anna1\nexpiry_day:anna2\nstorage_critical:anna2\nlink=https://")
    assert "action=renew" in row.body_text
    assert row.reason.startswith("Impianto")
    assert "expires 2026-12-31, 30 days before" in row.reason
    assert row.idempotency_key.startswith(f"reminders:{a}:2026-12-01:")
    assert row.to_address.startswith("cliente")
    assert sorted(claims(sweep_app)) == sorted(
        [
            (s1, EXPIRY, "before_30"),
            (s2, date(2026, 11, 30), "expiry_day"),
            (s2, date(2026, 11, 30), "storage_critical"),
        ]
    )
    assert b and s3  # Bruno's service is 91 days from expiry: nothing for him today


def test_signed_link_covers_the_services_needing_action(sweep_app: App) -> None:
    _, s1 = add(sweep_app)
    run_reminder_sweep(sweep_app, at(date(2026, 12, 24)))
    (row,) = outbox(sweep_app)
    link = row.body_text.split("link=")[1].split()[0]
    check = sweep_app.links.check_url(link, at(date(2026, 12, 24)))
    assert check.valid and check.grant is not None
    assert (check.grant.action, check.grant.services) == ("renew", ((s1, EXPIRY),))


def test_language_is_the_customers_or_the_configured_default(sweep_app: App) -> None:
    add(sweep_app, customer_language="en")
    add(sweep_app, customer_language="de")
    run_reminder_sweep(sweep_app, at(date(2026, 12, 1)))
    assert [(r.language, r.subject.split()[1]) for r in outbox(sweep_app)] == [("en", "en"), ("it", "it")]
    english_default = dataclasses.replace(
        sweep_app.config, general=dataclasses.replace(sweep_app.config.general, language="en")
    )
    with sweep_app.sessions() as session:
        german = session.scalars(select(Customer.id).where(Customer.language == "de")).one()
    add_service(sweep_app, german, expires_on=date(2026, 12, 15))
    with sweep_app.sessions() as session:
        planned = plan_reminders(session, english_default, sweep_app.links, at(date(2026, 12, 1)))
    assert [p.language for p in planned] == ["en"]  # the "de" customer's new service, in the default


# Never twice ------------------------------------------------------------------------------------


def test_running_twice_inserts_nothing_the_second_time(sweep_app: App) -> None:
    customer, _ = add(sweep_app)
    now = at(date(2026, 12, 1))
    assert run_reminder_sweep(sweep_app, now).enqueued == 1
    again = run_reminder_sweep(sweep_app, now + timedelta(hours=3))
    assert (again.enqueued, again.already_there) == (0, 0)  # claimed: nothing is even planned
    assert len(outbox(sweep_app)) == 1
    # a service imported later the same day still gets its own email
    add_service(sweep_app, customer, expires_on=date(2026, 12, 16))
    assert run_reminder_sweep(sweep_app, now + timedelta(hours=5)).enqueued == 1
    rows = outbox(sweep_app)
    assert len(rows) == 2 and rows[0].idempotency_key != rows[1].idempotency_key
    assert rows[1].body_text.startswith("before_15:")


def test_planning_twice_before_enqueueing_inserts_once(sweep_app: App) -> None:
    add(sweep_app)
    now = at(date(2026, 12, 1))
    with sweep_app.sessions() as session:
        first = plan_reminders(session, sweep_app.config, sweep_app.links, now)
        second = plan_reminders(session, sweep_app.config, sweep_app.links, now)
    assert [p.idempotency_key for p in first] == [p.idempotency_key for p in second]
    with transaction(sweep_app.sessions) as session:
        kw = {"renderer": sweep_app.renderer, "mail": sweep_app.config.mail, "now": now}
        assert enqueue_planned(session, first, **kw).enqueued == 1  # type: ignore[arg-type]
        assert enqueue_planned(session, second, **kw).already_there == 1  # type: ignore[arg-type]
    assert len(outbox(sweep_app)) == 1


def test_two_concurrent_sweeps_enqueue_one_email_per_customer(sweep_app: App) -> None:
    customers = [add(sweep_app)[0] for _ in range(5)]
    now = at(date(2026, 12, 1))
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait(timeout=30)
            run_reminder_sweep(sweep_app, now)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(r.customer_id or 0 for r in outbox(sweep_app)) == sorted(customers)
    assert len(claims(sweep_app)) == 5


# Catch-up ---------------------------------------------------------------------------------------


def test_after_downtime_only_the_latest_step_goes_out(sweep_app: App) -> None:
    _, service = add(sweep_app)
    run_reminder_sweep(sweep_app, at(date(2026, 10, 2)))  # before_90
    # down from 2026-10-03 to 2026-12-20: before_60, before_30 and before_15 came due meanwhile
    run_reminder_sweep(sweep_app, at(date(2026, 12, 20)))
    assert claims(sweep_app) == [(service, EXPIRY, "before_90"), (service, EXPIRY, "before_15")]
    assert "(catch-up: step due 2026-12-16)" in outbox(sweep_app)[1].reason
    # the next day nothing: the earlier, skipped steps are never sent late
    assert run_reminder_sweep(sweep_app, at(date(2026, 12, 21))).enqueued == 0
    assert run_reminder_sweep(sweep_app, at(date(2026, 12, 24))).enqueued == 1  # before_7 on its day


def test_renewed_service_leaves_the_old_cycle_behind(sweep_app: App) -> None:
    _, service = add(sweep_app)
    run_reminder_sweep(sweep_app, at(date(2026, 12, 1)))
    update_service(sweep_app, service, expires_on=date(2027, 12, 31))
    assert run_reminder_sweep(sweep_app, at(date(2026, 12, 24))).enqueued == 0  # before_7 no longer applies
    # the new cycle starts from scratch: 90 days before the new expiry
    run_reminder_sweep(sweep_app, at(date(2027, 10, 2)))
    assert claims(sweep_app)[-1] == (service, date(2027, 12, 31), "before_90")


# Suppression ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [ServiceStatus.CANCELLED, ServiceStatus.SUSPENDED])
def test_cancelled_and_suspended_services_get_nothing(sweep_app: App, status: ServiceStatus) -> None:
    add(sweep_app, status=status, storage_used_mb=1000)
    result = run_reminder_sweep(sweep_app, at(date(2026, 12, 1)))
    assert (result.enqueued, result.suppressed) == (0, 0)
    assert outbox(sweep_app) == [] and claims(sweep_app) == []


def test_undeliverable_address_is_suppressed_and_nothing_claimed(sweep_app: App) -> None:
    add(sweep_app, customer_email_undeliverable=True, customer_undeliverable_reason="550 no such user")
    now = at(date(2026, 12, 1))
    with sweep_app.sessions() as session:
        (planned,) = plan_reminders(session, sweep_app.config, sweep_app.links, now)
    assert planned.suppressed == "address undeliverable: 550 no such user"
    result = run_reminder_sweep(sweep_app, now)
    assert (result.enqueued, result.suppressed) == (0, 1)
    assert outbox(sweep_app) == [] and claims(sweep_app) == []


def add_order(app: App, customer_id: int, service_id: int, status: OrderStatus) -> None:
    with app.sessions.begin() as session:
        order = Order(
            number=f"ORD-2026-{service_id:06d}",
            customer_id=customer_id,
            type=OrderType.RENEWAL,
            status=status,
            payment_method=PaymentMethod.BANK_TRANSFER,
            net_cents=12000,
            vat_cents=2640,
            total_cents=14640,
            due_cents=14640,
        )
        order.services.append(session.get_one(Service, service_id))
        session.add(order)


@pytest.mark.parametrize("status", [OrderStatus.AWAITING_PAYMENT, OrderStatus.PAYMENT_ANNOUNCED])
def test_open_order_suppresses_expiry_reminders(sweep_app: App, status: OrderStatus) -> None:
    customer, service = add(sweep_app)
    add_order(sweep_app, customer, service, status)
    now = at(date(2026, 12, 1))
    with sweep_app.sessions() as session:
        (planned,) = plan_reminders(session, sweep_app.config, sweep_app.links, now)
    assert planned.suppressed == f"open order ORD-2026-{service:06d} {status.value}: the payment reminders handle it"
    assert run_reminder_sweep(sweep_app, now).enqueued == 0
    assert claims(sweep_app) == []
    # once the order is cancelled the reminder goes out (caught up)
    with sweep_app.sessions.begin() as session:
        session.execute(update(Order).values(status=OrderStatus.CANCELLED))
    assert run_reminder_sweep(sweep_app, now + timedelta(days=1)).enqueued == 1
    assert claims(sweep_app) == [(service, EXPIRY, "before_30")]


def test_paid_order_does_not_suppress(sweep_app: App) -> None:
    customer, service = add(sweep_app)
    add_order(sweep_app, customer, service, OrderStatus.PAID)
    assert run_reminder_sweep(sweep_app, at(date(2026, 12, 1))).enqueued == 1


# Autorenew, card, storage -----------------------------------------------------------------------


def test_autorenew_notice_and_card_expiring(sweep_app: App) -> None:
    card_ok = {"autorenew": True, "payment_method": PaymentMethod.CARD, "card_expires": date(2027, 1, 1)}
    add(sweep_app, customer_name="Carla", **card_ok)
    add(sweep_app, customer_name="Dario", **{**card_ok, "card_expires": date(2026, 11, 1)})
    run_reminder_sweep(sweep_app, at(date(2026, 12, 1)))
    rows = outbox(sweep_app)
    assert [(r.template, r.body_text.split(":")[0]) for r in rows] == [
        ("autorenew_notice", "autorenew_30"),
        ("card_expiring", "autorenew_30"),
    ]
    assert all("link=None action=None" in r.body_text for r in rows)  # nothing to click: no renew now
    assert "request a card change" in rows[1].reason


def test_storage_alert_once_per_cycle_and_level(sweep_app: App) -> None:
    _, service = add(sweep_app, expires_on=date(2027, 6, 30), storage_used_mb=800, started_on=date(2026, 1, 1))
    run_reminder_sweep(sweep_app, at(date(2026, 12, 1)))
    run_reminder_sweep(sweep_app, at(date(2026, 12, 2)))
    update_service(sweep_app, service, storage_used_mb=960)
    run_reminder_sweep(sweep_app, at(date(2026, 12, 3)))
    rows = outbox(sweep_app)
    assert [r.template for r in rows] == ["storage_alert", "storage_alert"]
    assert [c[2] for c in claims(sweep_app)] == ["storage_warning", "storage_critical"]
    assert "storage 93% of 1024 MB (critical), about 1 GB more needed by 2027-06-30" in rows[1].reason


# Time zone and DST ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dst_day", "expiry"),
    [(date(2026, 3, 29), date(2026, 4, 28)), (date(2026, 10, 25), date(2026, 11, 24))],
)
def test_dst_days_count_in_local_dates(sweep_app: App, dst_day: date, expiry: date) -> None:
    customer, service = add(sweep_app, expires_on=expiry)
    run_reminder_sweep(sweep_app, at(expiry - timedelta(days=60)))  # before_60, on its day
    eve = at(dst_day - timedelta(days=1), 23, 30)
    assert run_reminder_sweep(sweep_app, eve).enqueued == 0  # still the day before, locally
    early = at(dst_day, 0, 30)  # in UTC this is still the previous day
    assert early.astimezone(UTC).date() == dst_day - timedelta(days=1)
    assert run_reminder_sweep(sweep_app, early).enqueued == 1
    assert claims(sweep_app)[-1] == (service, expiry, "before_30")
    assert outbox(sweep_app)[-1].idempotency_key.startswith(f"reminders:{customer}:{dst_day.isoformat()}:")
    late = at(dst_day, 23, 30)
    with sweep_app.sessions() as session:
        assert plan_reminders(session, sweep_app.config, sweep_app.links, late) == []


@pytest.mark.parametrize("dst_day", [date(2026, 3, 29), date(2026, 10, 25)])
def test_expiry_day_on_a_dst_day(sweep_app: App, dst_day: date) -> None:
    customer, _ = add(sweep_app, expires_on=dst_day)
    for hour, minute in ((0, 30), (23, 30)):
        with sweep_app.sessions() as session:
            (planned,) = plan_reminders(session, sweep_app.config, sweep_app.links, at(dst_day, hour, minute))
        assert [c.step for c in planned.claims] == ["expiry_day"]
        assert planned.idempotency_key.startswith(f"reminders:{customer}:{dst_day.isoformat()}:")


def test_naive_now_is_refused(sweep_app: App) -> None:
    with pytest.raises(ValueError, match="aware"):
        run_reminder_sweep(sweep_app, datetime(2026, 12, 1, 8, 0))
