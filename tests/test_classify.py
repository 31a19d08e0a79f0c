"""Sender kinds on byte literals: DSNs, non-standard bounces, auto-replies, lists, humans."""

from __future__ import annotations

from typing import Any

import pytest

import mailbot.understand.classify as classify_module
from mailbot.understand.classify import classify
from mailbot.understand.mime import parse_message


def kind_of(raw: bytes, own: frozenset[str] = frozenset()) -> tuple[str, tuple[str, ...]]:
    result = classify(parse_message(raw), raw, own)
    return result.kind, result.reasons


def dsn(status: str, action: str) -> bytes:
    return (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.example.it>\nTo: rinnovi@provider.example\n"
        b"Subject: Delivery Status Notification\nMIME-Version: 1.0\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=R\n\n"
        b"--R\nContent-Type: text/plain\n\nThe mail system could not deliver to anna@example.org yet.\n"
        b"--R\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.it\n\n"
        b"Final-Recipient: rfc822; Ufficio.Tecnico@Comune.Example.IT\nOriginal-Recipient: rfc822;ut@comune.example.it\n"
        b"Action: " + action.encode() + b"\nStatus: " + status.encode() + b"\n\n"
        b"--R\nContent-Type: text/rfc822-headers\n\nTo: ut@comune.example.it\nSubject: Rinnovo\n--R--\n"
    )


def test_dsn_temporary_4xx() -> None:
    raw = dsn("4.4.1", "delayed")
    result = classify(parse_message(raw), raw)
    assert result.kind == "bounce"
    assert result.bounce is not None
    # the final recipient, then the one the sender wrote (Original-Recipient), which an MTA expanded
    assert result.bounce.recipients == ("ufficio.tecnico@comune.example.it", "ut@comune.example.it")
    assert result.bounce.permanent is False and result.bounce.status == "4.4.1"
    assert "multipart/report delivery-status" in result.reasons


def test_dsn_permanent_5xx() -> None:
    raw = dsn("5.1.1", "failed")
    result = classify(parse_message(raw), raw)
    assert result.bounce is not None and result.bounce.permanent is True and result.bounce.status == "5.1.1"


def test_non_standard_bounce_recipient_from_body() -> None:
    raw = (
        b"From: MAILER-DAEMON@mail.example.net\nTo: rinnovi@provider.example\nSubject: failure notice\n\n"
        b"Hi. This is the qmail-send program at mail.example.net.\n"
        b"I'm afraid I wasn't able to deliver your message to the following addresses.\n\n"
        b"<pec.ufficio@example.net>:\nRemote host said: 550 5.1.1 mailbox unavailable\n\n"
        b"--- Below this line is a copy of the message.\n\n"
        b"To: pec.ufficio@example.net\nFrom: rinnovi@provider.example\n"
    )
    result = classify(parse_message(raw), raw, frozenset({"rinnovi@provider.example"}))
    assert result.kind == "bounce" and result.bounce is not None
    assert result.bounce.recipients == ("pec.ufficio@example.net",)
    assert result.bounce.permanent is True


def test_italian_bounce_subject_with_x_failed_recipients() -> None:
    raw = (
        b"From: Sistema posta <noreply@mx.example.it>\nSubject: Mancata consegna: Rinnovo servizio\n"
        b"X-Failed-Recipients: Mario@Example.IT\n\nIl messaggio non e' stato recapitato. 421 riprovo piu' tardi\n"
    )
    result = classify(parse_message(raw), raw)
    assert result.kind == "bounce" and result.bounce is not None
    assert result.bounce.recipients == ("mario@example.it",)
    assert result.bounce.permanent is False


def test_italian_out_of_office_subject() -> None:
    kind, reasons = kind_of(
        b"From: a@comune.it\nSubject: Fuori sede: Rinnovo servizio\n\nSono fuori sede fino al 10.\n"
    )
    assert kind == "auto_reply" and any("Fuori sede" in reason for reason in reasons)
    assert kind_of(b"From: a@b.it\nSubject: Risposta automatica: Rinnovo\n\nx")[0] == "auto_reply"


def test_rfc3834_header_and_auto_submitted_no() -> None:
    assert kind_of(b"From: a@b.it\nAuto-Submitted: auto-replied\nSubject: Re: Rinnovo\n\nx")[0] == "auto_reply"
    assert kind_of(b"From: a@b.it\nAuto-Submitted: no\nSubject: Re: Rinnovo\n\nx")[0] == "human"
    assert kind_of(b"From: a@b.it\nPrecedence: bulk\nSubject: news\n\nx")[0] == "auto_reply"
    assert kind_of(b"From: a@b.it\nX-Autoreply: yes\nSubject: Re: x\n\nx")[0] == "auto_reply"


def test_exchange_suppress_header_alone_is_human() -> None:
    raw = (
        b"From: Mario Rossi <m.rossi@comune.example.it>\nSubject: R: Rinnovo servizio\n"
        b"X-Auto-Response-Suppress: All\nX-MS-Exchange-Organization-AuthAs: Internal\nThread-Topic: Rinnovo\n\n"
        b"Buongiorno, CIG Z213346E34.\n"
    )
    assert kind_of(raw) == ("human", ())


def test_read_receipt_is_auto_reply() -> None:
    raw = (
        b"From: a@b.it\nSubject: Letto: Rinnovo\nMIME-Version: 1.0\n"
        b"Content-Type: multipart/report; report-type=disposition-notification; boundary=M\n\n"
        b"--M\nContent-Type: text/plain\n\nLetto.\n--M\nContent-Type: message/disposition-notification\n\n"
        b"Final-Recipient: rfc822; a@b.it\nDisposition: manual-action/MDN-sent-manually; displayed\n--M--\n"
    )
    assert kind_of(raw)[0] == "auto_reply"


def test_list_and_own_address() -> None:
    assert kind_of(b"From: l@lists.x\nList-Id: <news.lists.x>\nSubject: n\n\nx")[0] == "list"
    listed = b"From: l@lists.x\nList-Unsubscribe: <mailto:u@x>\nPrecedence: list\nSubject: n\n\nx"
    assert kind_of(listed) == ("list", ("List-Unsubscribe with Precedence: list",))
    own = kind_of(b"From: Rinnovi@Provider.example\nSubject: Rinnovo\n\nx", frozenset({"rinnovi@provider.example"}))
    assert own == ("auto_reply", ("from our own address",))


def test_reply_about_a_bounce_from_a_person_is_human() -> None:
    assert (
        kind_of(b"From: m@b.it\nSubject: Re: Undelivered Mail Returned to Sender\n\nla mail torna indietro")[0]
        == "human"
    )


def test_the_second_parse_is_made_only_for_a_report_or_a_receipt(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[bytes] = []
    real = classify_module._compat_message

    def compat_message(raw: bytes) -> Any:
        parsed.append(raw)
        return real(raw)

    monkeypatch.setattr(classify_module, "_compat_message", compat_message)
    assert kind_of(b"From: m@b.it\nSubject: Rinnovo\n\nVorrei rinnovare")[0] == "human"
    assert parsed == []
    shouting = dsn("5.1.1", "failed").replace(b"multipart/report", b"MULTIPART/Report")
    result = classify(parse_message(shouting), shouting)
    assert result.kind == "bounce" and result.bounce is not None and result.bounce.permanent
    assert parsed == [shouting]
    receipt = (  # a read receipt wrapped in multipart/mixed: found by its subject
        b"From: a@b.it\nSubject: Letto: Rinnovo\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=M\n\n"
        b"--M\nContent-Type: message/disposition-notification\n\nFinal-Recipient: rfc822; a@b.it\n--M--\n"
    )
    assert kind_of(receipt) == ("auto_reply", ("read receipt",))
