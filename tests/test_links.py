"""Renewal links: signed, expiring, bound to customer, services and cycle; tampering detected."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from mailbot.app import App
from mailbot.cli import main
from mailbot.errors import InputError
from mailbot.outbound.links import LinkGrant, LinkSigner
from tests.support.factories import make_customer, make_service

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def signer(secret: str = "s3cret", days: int = 120) -> LinkSigner:
    return LinkSigner(secret, "https://portal.example.it/rinnovo", days)


def grant(**kw: object) -> LinkGrant:
    values: dict[str, object] = {
        "customer_id": 7,
        "action": "renew",
        "services": ((1, date(2026, 12, 31)), (2, date(2027, 1, 15))),
        "order_number": None,
        "issued_at": NOW,
    }
    values.update(kw)
    return LinkGrant(**values)  # type: ignore[arg-type]


def test_round_trip_grants_what_was_signed() -> None:
    s = signer()
    url = s.make_url(grant())
    assert url.startswith("https://portal.example.it/rinnovo?t=")
    check = s.check_url(url, NOW + timedelta(days=10))
    assert check.valid and check.reason == "valid"
    assert check.grant == grant()
    assert check.expires_at == NOW + timedelta(days=120)


def test_expires_after_max_age() -> None:
    s = signer(days=120)
    url = s.make_url(grant())
    assert s.check_url(url, NOW + timedelta(days=119, hours=23)).valid
    late = s.check_url(url, NOW + timedelta(days=120, seconds=1))
    assert not late.valid and late.reason == "expired"
    assert late.grant is not None and late.grant.customer_id == 7  # still says what it was for


@pytest.mark.parametrize("position", [5, 20, -3])
def test_tampering_is_detected(position: int) -> None:
    s = signer()
    token = s.make_token(grant())
    chars = list(token)
    chars[position] = "A" if chars[position] != "A" else "B"
    check = s.check_token("".join(chars), NOW)
    assert not check.valid
    assert check.grant is None


def test_other_key_is_rejected() -> None:
    token = signer("one").make_token(grant())
    assert signer("two").check_token(token, NOW).reason.startswith("bad signature")


def test_payload_cannot_be_swapped_between_links() -> None:
    s = signer()
    a = s.make_token(grant(customer_id=1))
    b = s.make_token(grant(customer_id=2))
    # Take the payload of one and the signature of the other.
    forged = a.rsplit(".", 2)[0] + "." + ".".join(b.rsplit(".", 2)[1:])
    assert not s.check_token(forged, NOW).valid


def test_url_without_token_is_malformed() -> None:
    assert signer().check_url("https://portal.example.it/rinnovo?x=1", NOW).reason.startswith("malformed")


def test_empty_secret_refused() -> None:
    with pytest.raises(InputError, match=r"links\.secret"):
        LinkSigner("", "https://x.example", 120)


def test_cli_link_check_reports_current_and_renewed(
    app: App, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with app.sessions.begin() as session:
        customer = make_customer(session, name="Comune di Prova")
        service = make_service(session, customer, expires_on=date(2026, 12, 31))
        ids = (customer.id, service.id)
    url = app.links.make_url(LinkGrant(ids[0], "renew", ((ids[1], date(2026, 12, 31)),), None, datetime.now(UTC)))
    cfg = config_file
    assert main(["--config", str(cfg), "link", "check", url, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] and report["usable"]
    assert report["customer"].startswith("Comune di Prova")
    assert report["services"][0]["state"].startswith("current")

    with app.sessions.begin() as session:
        session.get_one(type(service), ids[1]).expires_on = date(2027, 12, 31)
    assert main(["--config", str(cfg), "link", "check", url]) == 1
    out = capsys.readouterr().out
    assert "already renewed (now expires 2027-12-31)" in out
    assert "usable: NO" in out


def test_cli_link_check_tampered(app: App, config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = app.links.make_url(grant(issued_at=datetime.now(UTC)))
    cfg = config_file
    assert main(["--config", str(cfg), "link", "check", url[:-2] + "xx"]) == 1
    assert "bad signature" in capsys.readouterr().out
