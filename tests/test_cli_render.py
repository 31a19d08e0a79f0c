"""``mailbot render``: one email previewed in the terminal from real data or samples, writing nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mailbot.app import App
from mailbot.cli import main
from mailbot.db.models import OutboundMessage, ReminderClaim
from tests.support.factories import make_customer, make_order, make_service


def _count(app: App) -> tuple[int, int]:
    with app.sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(OutboundMessage)) or 0,
            session.scalar(select(func.count()).select_from(ReminderClaim)) or 0,
        )


def test_render_service_reminder_due_that_day(app: App, config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with app.sessions.begin() as session:
        customer = make_customer(session, name="Mario Rossi", email="mario@example.org")
        service = make_service(session, customer, label="Villa al mare", expires_on=date(2026, 12, 31))
        service_id = service.id
    code = main(
        [
            "--config",
            str(config_file),
            "render",
            "expiry_reminder",
            "--service",
            str(service_id),
            "--date",
            "2026-12-01",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "To: mario@example.org" in out
    assert "Villa al mare" in out
    assert "31 dicembre 2026" in out
    assert "https://portal.example.it/rinnovo?t=" in out
    assert _count(app) == (0, 0)


def test_render_in_english_and_html(app: App, config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with app.sessions.begin() as session:
        customer = make_customer(session, language="it")
        service_id = make_service(session, customer, label="<b>Villa</b>", expires_on=date(2026, 12, 31)).id
    args = [
        "--config",
        str(config_file),
        "render",
        "grace_reminder",
        "--service",
        str(service_id),
        "--date",
        "2027-01-07",
        "--lang",
        "en",
        "--html",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "<html" in out.lower()
    html = out.split("-" * 72)[1]  # the subject is plain text; the HTML body must escape the label
    assert "&lt;b&gt;Villa&lt;/b&gt;" in html and "<b>Villa" not in html
    assert "31 December 2026" in out and "dicembre" not in out


def test_render_payment_email_for_an_order(app: App, config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    now = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    with app.sessions.begin() as session:
        customer = make_customer(session)
        service = make_service(session, customer, expires_on=date(2026, 12, 31))
        order = make_order(session, app, customer, [service], now=now)
        number, service_id = order.number, service.id
    before = _count(app)
    assert main(["--config", str(config_file), "render", "payment_instructions", "--order", number]) == 0
    out = capsys.readouterr().out
    assert number in out and app.config.payments.iban in out
    assert main(["--config", str(config_file), "render", "payment_reminder", "--service", str(service_id)]) == 0
    assert number in capsys.readouterr().out
    assert _count(app) == before


def test_render_sample_and_errors(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(config_file), "render", "card_expiring", "--sample"]) == 0
    assert "Subject:" in capsys.readouterr().out
    assert main(["--config", str(config_file), "render", "card_expiring", "--sample", "nope"]) == 2
    assert "--sample: unknown variant 'nope'" in capsys.readouterr().err
    assert main(["--config", str(config_file), "render", "expiry_reminder", "--service", "999"]) == 2
    assert "no service with id 999" in capsys.readouterr().err
    assert main(["--config", str(config_file), "render", "payment_instructions", "--order", "ORD-2026-999999"]) == 2
    assert main(["--config", str(config_file), "render", "expiry_reminder", "--list-samples"]) == 0
    assert "default" in capsys.readouterr().out
