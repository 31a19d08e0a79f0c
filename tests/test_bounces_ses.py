"""Amazon SES's notifications by email (SNS): a JSON document for a body, a bounce among them."""

from __future__ import annotations

import json
from collections.abc import Mapping

from mailbot.understand.classify import classify
from mailbot.understand.mime import parse_message

HEAD = (
    b"From: SES-Bounces <no-reply@sns.amazonaws.com>\nTo: rinnovi@provider.example\n"
    b"Subject: AWS Notification Message\nContent-Type: text/plain; charset=UTF-8\n\n"
)
FOOT = b"\n\n--\nIf you wish to stop receiving notifications from this topic, please click the link below.\n"


def notification(kind: str, detail: Mapping[str, object]) -> dict[str, object]:
    mail = {"source": "rinnovi@provider.example", "destination": ["anna@example.it", "mario@example.it"]}
    return {"notificationType": kind, kind.lower(): detail, "mail": mail}


BOUNCE = notification(
    "Bounce",
    {
        "bounceType": "Permanent",
        "bouncedRecipients": [
            {"emailAddress": "Anna@Example.it", "action": "failed", "status": "5.1.1"},
            {"emailAddress": "mario@example.it", "action": "failed", "status": "5.2.2"},
        ],
    },
)


def test_an_ses_bounce_names_each_recipient_with_its_status() -> None:
    raw = HEAD + json.dumps(BOUNCE).encode() + FOOT
    result = classify(parse_message(raw), raw)
    assert result.kind == "bounce" and result.bounce is not None
    assert result.bounce.recipients == ("anna@example.it", "mario@example.it")
    assert result.bounce.permanent and result.bounce.status_of("mario@example.it") == "5.2.2"


def test_an_ses_bounce_in_an_sns_envelope_with_long_lines_broken() -> None:
    """Sent raw to an SNS topic the notification is a string in the envelope's Message; a long line
    comes broken by Sendmail's ``!``, newline and space."""
    envelope = json.dumps({"Type": "Notification", "Message": json.dumps(BOUNCE)}, indent=2).encode()
    cut = envelope.index(b"mario")
    raw = HEAD + envelope[:cut] + b"!\n " + envelope[cut:] + FOOT
    result = classify(parse_message(raw), raw)
    assert result.bounce is not None and result.bounce.recipients == ("anna@example.it", "mario@example.it")


def test_a_transient_ses_bounce_is_not_final() -> None:
    detail = {"bounceType": "Transient", "bouncedRecipients": [{"emailAddress": "anna@example.it"}]}
    raw = HEAD + json.dumps(notification("Bounce", detail)).encode()
    result = classify(parse_message(raw), raw)
    assert result.bounce is not None and result.bounce.recipients == ("anna@example.it",)
    assert not result.bounce.permanent


def test_ses_complaints_and_deliveries_are_no_bounces() -> None:
    for kind, detail in (
        ("Complaint", {"complainedRecipients": [{"emailAddress": "anna@example.it"}]}),
        ("Delivery", {"recipients": ["anna@example.it"]}),
    ):
        raw = HEAD + json.dumps(notification(kind, detail)).encode() + FOOT
        assert classify(parse_message(raw), raw).kind != "bounce", kind


def test_a_person_quoting_an_ses_bounce_is_human() -> None:
    raw = (
        b"From: Mario Rossi <m.rossi@example.it>\nTo: rinnovi@provider.example\nSubject: errore\n\n"
        b"Buongiorno, ricevo questo:\n\n" + json.dumps(BOUNCE).encode() + b"\n\nCordiali saluti\n"
    )
    assert classify(parse_message(raw), raw).kind == "human"
