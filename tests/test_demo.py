"""``mailbot demo`` on a fresh folder: every kind of email goes through a real SMTP server once."""

from __future__ import annotations

import email
import email.policy
from datetime import date
from pathlib import Path

import pytest

from mailbot.billing.fatturapa_schema import schema_errors
from mailbot.demo import main
from mailbot.outbound.context import OUTBOUND_TEMPLATES


@pytest.mark.parametrize("day", [date(2026, 11, 21), date(2027, 3, 28)])
def test_demo_sends_every_kind_of_email_once(tmp_path: Path, capsys: pytest.CaptureFixture[str], day: date) -> None:
    assert main(tmp_path, day) == 0
    out = capsys.readouterr().out.rstrip().splitlines()
    received = sorted((tmp_path / "received").glob("*.eml"))
    assert out[-1] == f"demo: {len(received)} emails sent"
    assert len(received) >= 20
    templates = set()
    for path in received:
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        templates.add(str(msg["X-Mailbot-Template"]))
        assert msg["Auto-Submitted"] in ("auto-generated", "auto-replied")  # a reply is auto-replied
        assert str(msg["Reply-To"]).startswith("rinnovi+")
    # Every email the scheduler sends, and the answers to the one reply that comes in (the PA's codes).
    assert templates == {*OUTBOUND_TEMPLATES, "reply_pa_details"}
    text = "\n".join(out)
    assert "request 1 approved by staff: the codes are on order" in text
    assert "bank statement demo-statement.xml: 1 lines: 1 paid" in text
    xml = sorted((tmp_path / "sdi").glob("IT*.xml"))
    assert len(xml) >= 3 and all(schema_errors(p.read_bytes()) == [] for p in xml)
    assert "address undeliverable: suppressed" in text  # listed under "not sent, on purpose"
    assert "cancelled service: nothing sent" in text
    # One email per customer per day: the customer with two services due gets one reminder.
    giulia = [p for p in received if "giulia" in p.name]
    assert len(giulia) == 1
