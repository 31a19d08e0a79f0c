"""``mailbot due``: the preview of a day's emails, as a table or JSON, writing nothing."""

from __future__ import annotations

import json
import sys
import types
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from mailbot.app import App
from mailbot.cli import main
from mailbot.cli.due import planners, preview_instant
from mailbot.config import Config
from mailbot.db.models import Base, Customer, Order
from mailbot.domain import OrderStatus, OrderType, PaymentMethod
from mailbot.outbound.plan import PlannedEmail
from mailbot.outbound.sweep import plan_reminders
from tests.support.factories import make_customer, make_service

DAY = "2026-12-01"


@pytest.fixture
def people(app: App) -> dict[str, int]:
    """Anna (due), Bruno (address bounces), Carla (open order), Dario (nothing due)."""
    with app.sessions.begin() as session:
        anna = make_customer(session, name="Anna Bianchi", email="anna@example.org", language="en")
        make_service(session, anna, label="Impianto Nord", username="anna1")
        make_service(
            session, anna, label="Archivio", username="anna2", storage_used_mb=1000, expires_on=date(2027, 6, 30)
        )
        bruno = make_customer(
            session, name="Bruno Verdi", email="bruno@example.org", email_undeliverable=True, undeliverable_reason="550"
        )
        make_service(session, bruno, label="Casella", username="bruno1", expires_on=date(2026, 12, 5))
        carla = make_customer(session, name="Carla Neri", email="carla@example.org")
        service = make_service(session, carla, label="Portale", username="carla1")
        order = Order(
            number="ORD-2026-000001",
            customer_id=carla.id,
            type=OrderType.RENEWAL,
            status=OrderStatus.AWAITING_PAYMENT,
            payment_method=PaymentMethod.BANK_TRANSFER,
            net_cents=12000,
            vat_cents=2640,
            total_cents=14640,
            due_cents=14640,
            created_at=datetime(2026, 11, 28, 9, 0, tzinfo=UTC),
        )
        order.services.append(service)
        session.add(order)
        dario = make_customer(session, name="Dario Gialli", email="dario@example.org")
        make_service(session, dario, username="dario1", expires_on=date(2027, 12, 31))
        return {"anna": anna.id, "bruno": bruno.id, "carla": carla.id, "dario": dario.id}


def reminders_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("mailbot.cli.due.planners", lambda: [plan_reminders])


def row_counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {t.name: session.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables}


def test_table_shows_who_gets_what_and_why(
    config_file: Path,
    people: dict[str, int],
    engine: Engine,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reminders_only(monkeypatch)  # the payment planner has its own tests below
    before = row_counts(engine)
    assert main(["--config", str(config_file), "due", "--date", DAY]) == 0
    out = capsys.readouterr().out
    assert row_counts(engine) == before  # nothing written, not even claims
    assert before["outbound_message"] == 0 and before["reminder_claim"] == 0
    lines = out.splitlines()
    assert lines[0] == f"Due on {DAY}: 1 email to send, 2 suppressed"
    assert lines[1].split() == ["CUSTOMER", "ADDRESS", "TEMPLATE", "LANG"]
    anna = lines.index(next(line for line in lines if "Anna Bianchi" in line))
    assert lines[anna].split()[-3:] == ["anna@example.org", "expiry_reminder", "en"]
    assert lines[anna + 1] == "    - Impianto Nord (anna1): expires 2026-12-31, 30 days before"
    assert lines[anna + 2].startswith("    - Archivio (anna2): storage 97% of 1024 MB (critical)")
    bruno = out.split("Bruno Verdi", 1)[1]
    assert bruno.split("\n", 2)[1] == "    SUPPRESSED: address undeliverable: 550"
    assert "    - Casella (bruno1): expires 2026-12-05, 7 days before (catch-up: step due 2026-11-28)" in bruno
    carla = out.split("Carla Neri", 1)[1]
    assert "SUPPRESSED: open order ORD-2026-000001 awaiting_payment: the payment reminders handle it" in carla
    assert "Dario" not in out


def test_json_output(
    config_file: Path, people: dict[str, int], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    reminders_only(monkeypatch)
    assert main(["--config", str(config_file), "due", "--date", DAY, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["date"] == DAY
    emails = {e["customer"]: e for e in data["emails"]}
    assert set(emails) == {"Anna Bianchi", "Bruno Verdi", "Carla Neri"}
    anna = emails["Anna Bianchi"]
    assert (anna["to"], anna["template"], anna["language"], anna["suppressed"]) == (
        "anna@example.org",
        "expiry_reminder",
        "en",
        None,
    )
    assert [s.rsplit(":", 1)[1] for s in anna["steps"]] == ["before_30", "storage_critical"]
    assert anna["idempotency_key"].startswith(f"reminders:{people['anna']}:{DAY}:")
    assert emails["Bruno Verdi"]["suppressed"] == "address undeliverable: 550"


def test_a_day_with_nothing_due(config_file: Path, app: App, capsys: pytest.CaptureFixture[str]) -> None:
    with app.sessions.begin() as session:
        make_service(session, make_customer(session), expires_on=date(2026, 12, 31))
    assert main(["--config", str(config_file), "due", "--date", "2026-06-01"]) == 0
    assert capsys.readouterr().out.strip() == "Due on 2026-06-01: 0 emails to send, 0 suppressed"


def test_bad_date_is_an_error_naming_the_option(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(config_file), "due", "--date", "1/12/2026"]) == 2
    assert "--date: expected a date YYYY-MM-DD" in capsys.readouterr().err


def test_preview_day_is_the_sweep_time_in_the_configured_zone(config: Config) -> None:
    instant = preview_instant(config, date(2026, 3, 29), datetime(2000, 1, 1, tzinfo=UTC))
    assert instant.isoformat() == "2026-03-29T08:00:00+02:00"
    now = datetime(2026, 10, 24, 22, 30, tzinfo=UTC)
    assert preview_instant(config, None, now) is now


def fake_payments(monkeypatch: pytest.MonkeyPatch, module: types.ModuleType | None) -> None:
    monkeypatch.setitem(sys.modules, "mailbot.outbound.payments", module)  # type: ignore[arg-type]


def test_payment_planner_is_included_when_its_module_exists(
    config_file: Path, app: App, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with app.sessions.begin() as session:
        customer = make_customer(session, name="Elena Blu", email="elena@example.org")
        make_service(session, customer, username="elena1", expires_on=date(2027, 6, 1))
        customer_id = customer.id
    seen: list[datetime] = []

    def plan_payments(session: Session, config: Config, links: Any, now: datetime) -> list[PlannedEmail]:
        seen.append(now)
        name = session.get_one(Customer, customer_id).name
        context: Any = types.SimpleNamespace(customer=types.SimpleNamespace(name=name))
        reason = "order ORD-2026-000009 unpaid for 3 days"
        return [PlannedEmail("payments:x", "payment_reminder", customer_id, "elena@example.org", "it", reason, context)]

    module = types.ModuleType("mailbot.outbound.payments")
    module.plan_payments = plan_payments  # type: ignore[attr-defined]
    fake_payments(monkeypatch, module)
    assert planners()[:2] == [plan_reminders, plan_payments]  # then the overdue invoices' reminders
    assert main(["--config", str(config_file), "due", "--date", DAY]) == 0
    out = capsys.readouterr().out
    assert "payment_reminder" in out and "- order ORD-2026-000009 unpaid for 3 days" in out
    assert [n.isoformat() for n in seen] == [f"{DAY}T08:00:00+01:00"]


def test_without_the_payments_module_only_reminders_are_planned(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_payments(monkeypatch, None)  # None in sys.modules: the import fails as if the file were missing
    assert planners() == [plan_reminders]


def test_preview_covers_unpaid_orders_with_the_real_payment_planner(
    config_file: Path, people: dict[str, int], engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    before = row_counts(engine)
    assert main(["--config", str(config_file), "due", "--date", DAY, "--json"]) == 0
    assert row_counts(engine) == before
    emails = json.loads(capsys.readouterr().out)["emails"]
    carla = [(e["template"], e["suppressed"]) for e in emails if e["customer_id"] == people["carla"]]
    # her renewal reminder waits on the open order, whose payment reminder (3 days unpaid) is due instead
    assert ("expiry_reminder", "open order ORD-2026-000001 awaiting_payment: the payment reminders handle it") in carla
    assert any(template.startswith("payment_") and suppressed is None for template, suppressed in carla)
