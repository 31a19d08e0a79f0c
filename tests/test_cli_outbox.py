"""``mailbot outbox``: staff see failed mail and undeliverable addresses, and fix them (audited)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from mailbot.app import App
from mailbot.cli import main
from mailbot.db.models import AuditEvent, Customer, OutboundMessage
from mailbot.domain import OutboundStatus
from mailbot.outbound.outbox import NewMessage, enqueue
from mailbot.outbound.render import RenderedEmail
from tests.support.factories import make_customer

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def _failed_email(app: App) -> tuple[int, str]:
    with app.sessions.begin() as session:
        customer = make_customer(
            session, email="gone@example.org", email_undeliverable=True, undeliverable_reason="550 5.1.1 no such user"
        )
        row = enqueue(
            session,
            NewMessage(
                "k1",
                "expiry_reminder",
                "it",
                customer.email,
                RenderedEmail("s", "t", "<p>h</p>"),
                customer_id=customer.id,
            ),
            mail=app.config.mail,
            now=NOW,
        )
        assert row is not None
        row.status, row.last_error, row.attempts = OutboundStatus.FAILED, "550 5.1.1 no such user", 1
        return row.id, customer.external_id


def test_list_shows_failed_with_reason(app: App, config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    row_id, _ = _failed_email(app)
    assert main(["--config", str(config_file), "outbox", "list", "--status", "failed"]) == 0
    out = capsys.readouterr().out
    assert str(row_id) in out and "550 5.1.1 no such user" in out and out.splitlines()[-1] == "1 email"
    assert main(["--config", str(config_file), "outbox", "list", "--status", "pending"]) == 0
    assert "0 emails" in capsys.readouterr().out


def test_retry_refused_until_the_address_is_fixed(
    app: App, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    row_id, external_id = _failed_email(app)
    cfg = str(config_file)
    assert main(["--config", cfg, "outbox", "undeliverable"]) == 0
    assert "gone@example.org" in capsys.readouterr().out
    assert main(["--config", cfg, "outbox", "retry", str(row_id)]) == 2
    assert "marked undeliverable" in capsys.readouterr().err
    assert main(["--config", cfg, "outbox", "deliverable", external_id, "--as", "anna"]) == 0
    assert main(["--config", cfg, "outbox", "retry", str(row_id), "--as", "anna"]) == 0
    with app.sessions() as session:
        row = session.get_one(OutboundMessage, row_id)
        assert row.status == OutboundStatus.PENDING and row.attempts == 0
        customer = session.scalar(select(Customer).where(Customer.external_id == external_id))
        assert customer is not None and not customer.email_undeliverable
        actions = {e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.actor == "anna"))}
    assert actions == {"customer.email_deliverable", "outbound.retry"}
    assert main(["--config", cfg, "outbox", "retry", str(row_id)]) == 2  # pending now: nothing to retry
    assert main(["--config", cfg, "outbox", "retry", "999999"]) == 2
