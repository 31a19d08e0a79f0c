"""Bounce formats on small byte literals: whom a delivery failure names, from its DSN part or its text.

Each test is one format seen in real mail (Postfix, Sendmail, McAfee, Amazon SES, ...), written short;
the shared corpus (tests/test_shared_corpus.py) measures the same on the real messages.
"""

from __future__ import annotations

from mailbot.understand.bounces import BounceInfo
from mailbot.understand.classify import classify
from mailbot.understand.mime import parse_message

OURS = frozenset({"rinnovi@provider.example"})


def bounce_of(raw: bytes) -> BounceInfo:
    result = classify(parse_message(raw), raw, OURS)
    assert result.kind == "bounce", result.reasons
    assert result.bounce is not None
    return result.bounce


def report(text: bytes, status_part: bytes, top: bytes = b"multipart/report; report-type=delivery-status") -> bytes:
    return (
        b"From: MAILER-DAEMON@mx.provider.example (Mail Delivery System)\nTo: rinnovi@provider.example\n"
        b"Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
        b"Content-Type: " + top + b"; boundary=R\n\n"
        b"--R\nContent-Type: text/plain\n\n" + text + b"\n"
        b"--R\nContent-Type: message/delivery-status\n\n" + status_part + b"\n"
        b"--R\nContent-Type: text/rfc822-headers\n\nFrom: rinnovi@provider.example\nSubject: Rinnovo\n--R--\n"
    )


def test_a_quoted_local_part_is_kept_whole() -> None:
    raw = report(
        b'<"mario..rossi."@example.it>: host mx.example.it said: 550 5.1.1 User Unknown',
        b"Reporting-MTA: dns; mx.provider.example\n\n"
        b'Final-Recipient: rfc822; "mario..rossi."@example.it\n'
        b"Original-Recipient: rfc822;mario..rossi.@example.it\nAction: failed\nStatus: 5.1.1\n",
    )
    bounce = bounce_of(raw)
    assert bounce.recipients[0] == '"mario..rossi."@example.it'
    assert bounce.status_of('"mario..rossi."@example.it') == "5.1.1"


def test_a_quoted_local_part_in_the_text_of_a_bounce() -> None:
    raw = (
        b"From: MAILER-DAEMON@mail.example.net\nTo: rinnovi@provider.example\nSubject: failure notice\n\n"
        b"I'm afraid I wasn't able to deliver your message to the following addresses.\n\n"
        b'<"ufficio tecnico"@example.net>:\nRemote host said: 550 5.1.1 mailbox unavailable\n'
    )
    assert bounce_of(raw).recipients == ('"ufficio tecnico"@example.net',)


def test_a_dsn_recipient_without_a_local_part_is_no_address() -> None:
    """Sendmail once wrote ``Final-Recipient: RFC822; @mx.example.org``: the text names the recipient."""
    raw = report(
        b"   ----- The following addresses had permanent fatal errors -----\n<mario@example.it>\n"
        b"    (reason: 550 Host unknown)\n",
        b"Reporting-MTA: dns; mx.provider.example\n\nFinal-Recipient: RFC822; @mx.example.it\n"
        b"Action: failed\nStatus: 5.1.2\n",
    )
    assert bounce_of(raw).recipients == ("mario@example.it",)


def test_dsn_recipients_without_a_blank_line_between_them() -> None:
    """AOL writes every recipient's fields one after the other: each recipient keeps its own status."""
    raw = report(
        b"Your message could not be delivered.",
        b"Reporting-MTA: dns; mx.provider.example\nArrival-Date: Fri, 21 Nov 2014 17:24:04 -0500\n"
        b"Final-Recipient: rfc822; anna@example.it\nOriginal-Recipient: rfc822;anna@example.it\n"
        b"Action: failed\nStatus: 5.2.2\n"
        b"Final-Recipient: rfc822; mario@example.it\nOriginal-Recipient: rfc822;mario@example.it\n"
        b"Action: failed\nStatus: 5.1.1\n",
    )
    bounce = bounce_of(raw)
    assert bounce.recipients == ("anna@example.it", "mario@example.it")
    assert (bounce.status_of("anna@example.it"), bounce.status_of("mario@example.it")) == ("5.2.2", "5.1.1")


def test_an_alias_bounce_names_the_address_sent_to_as_well() -> None:
    """Postfix expanded the address we sent to (Original-Recipient) into a local mailbox of a host without
    a dot (Final-Recipient): both are named, each with the status, so the bounce is matched to our email."""
    raw = report(
        b"<mario@mailhub0> (expanded from <info@example.it>): can't create user output file",
        b"Reporting-MTA: dns; mailhub0\n\nFinal-Recipient: rfc822; mario@mailhub0\n"
        b"Original-Recipient: rfc822;info@example.it\nAction: failed\nStatus: 5.2.0\n",
    )
    bounce = bounce_of(raw)
    assert bounce.recipients == ("mario@mailhub0", "info@example.it")
    assert bounce.status_of("info@example.it") == "5.2.0"


def test_a_delivery_status_part_in_a_mixed_message() -> None:
    """McAfee's gateway (and some Postfix setups) put the DSN fields in multipart/mixed, not multipart/report."""
    raw = (
        b"From: <>\nTo: rinnovi@provider.example\nSubject: Delivery Status\nMIME-Version: 1.0\n"
        b"Content-Type: multipart/mixed; boundary=M\n\n"
        b"--M\nContent-Type: text/plain\n\n    --- The following addresses had delivery problems ---\n\n"
        b"<anna@example.it>   (anna@example.it... No such user)\n\n"
        b"--M\nContent-Type: message/delivery-status\n\nOriginal-Recipient: <anna@example.it>\nAction: failed\n"
        b"Diagnostic-Code: smtp; 550 anna@example.it... No such user\n\n"
        b"--M\nContent-Type: message/rfc822\n\nFrom: rinnovi@provider.example\nTo: anna@example.it\n\nRinnovo\n--M--\n"
    )
    bounce = bounce_of(raw)
    assert bounce.recipients == ("anna@example.it",) and bounce.permanent


def test_a_person_forwarding_a_bounce_as_an_attachment_is_human() -> None:
    returned = report(
        b"<anna@example.it>: 550 5.1.1 User unknown",
        b"Reporting-MTA: dns; mx.provider.example\n\nFinal-Recipient: rfc822; anna@example.it\n"
        b"Action: failed\nStatus: 5.1.1\n",
    )
    raw = (
        b"From: Mario Rossi <m.rossi@example.it>\nTo: rinnovi@provider.example\nSubject: Fw: la vostra mail\n"
        b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=M\n\n"
        b"--M\nContent-Type: text/plain\n\nBuongiorno, la vostra mail torna indietro, vedete sotto.\n\n"
        b"--M\nContent-Type: message/rfc822\n\n" + returned + b"\n--M--\n"
    )
    result = classify(parse_message(raw), raw, OURS)
    assert (result.kind, result.bounce) == ("human", None)


def test_every_recipient_of_a_sendmail_transcript() -> None:
    """An old Sendmail names each failed recipient on a line of its own, ``554 <a@b>... why``; the lines
    the other server said (``<<<``) and the copy of the message do not name one."""
    raw = (
        b"From: Mail Delivery Subsystem <MAILER-DAEMON@example.com>\nTo: rinnovi@provider.example\n"
        b"Subject: Returned mail: User unknown\n\n"
        b"   ----- Transcript of session follows -----\nWhile talking to mx.example.it:\n>>> DATA\n"
        b"<<< 550 You cannot send E-Mail to yourself (rinnovi@provider.example).\n"
        b"421 example.it (smtp)... Deferred: Connection reset by peer\n"
        b"554 <anna@example.it>... Remote protocol error: Connection reset by peer\n"
        b"550 example.org (smtp)... 550 Host unknown\n"
        b"554 <mario@example.org>... 550 Host unknown (Authoritative answer from name server)\n"
        b"While talking to mail.example.net:\n>>> RCPT To:<luca@example.net>\n<<< 550 No such user here.\n"
        b"550 <luca@example.net>... User unknown\n\n"
        b"   ----- Unsent message follows -----\nFrom: rinnovi@provider.example\nTo: anna@example.it\n"
        b"Cc: <giulia@example.it>\n\nRinnovo\n"
    )
    bounce = bounce_of(raw)
    assert bounce.recipients == ("anna@example.it", "mario@example.org", "luca@example.net")
    assert bounce.permanent


def test_the_address_a_bounce_says_it_could_not_deliver_to() -> None:
    """DragonFly Mail Agent: "error delivering your mail to <a@b>", a postmaster address included."""
    raw = (
        b"From: MAILER-DAEMON <>\nTo: rinnovi@provider.example\nSubject: Mail delivery failed\n"
        b"Message-Id: <e0724@mx.provider.example>\n\n"
        b"This is the DragonFly Mail Agent v0.13 at mx.provider.example.\n\n"
        b"There was an error delivering your mail to <postmaster@example.it>.\n\n"
        b"DNS lookup failure: host example.it not found\n\nMessage headers follow.\n\n"
        b"Subject: Rinnovo\nTo: <postmaster@example.it>\nMessage-Id: <666815b5.e0722@mx.provider.example>\n"
        b"From: <rinnovi@provider.example>\n"
    )
    assert bounce_of(raw).recipients == ("postmaster@example.it",)


def test_the_address_a_bounce_is_sent_to_is_not_the_one_that_failed() -> None:
    """Verizon's MMS gateway names the recipient in the copy only, after the sender (whom the bounce is to)."""
    raw = (
        b"From: MMSC NDR Administrator <sysadmin@m01.mms.example.com>\nTo: ufficio@provider.example\n"
        b"Subject: Undeliverable Message\n\nMessage could not be delivered to mobile.\n"
        b"Error: No valid recipients for this MM\n\n\nOriginal Message:\n"
        b"From: Ufficio <ufficio@provider.example>\nTo: 3331234567@mms.example.com\nSubject: Rinnovo\n"
    )
    assert bounce_of(raw).recipients == ("3331234567@mms.example.com",)


def test_a_message_sent_to_oneself_fails_to_oneself() -> None:
    raw = (
        b"From: MAILER-DAEMON@example.it\nTo: anna@example.it\nSubject: failure notice\n\n"
        b"Hi. This is the qmail-send program at example.it.\n"
        b"I'm afraid I wasn't able to deliver your message to the following addresses.\n\n"
        b"<anna@example.it>:\nRemote host said: 552 Error: disk quota exceeded\n\n"
        b"--- Below this line is a copy of the message.\n\nFrom: anna@example.it\nTo: anna@example.it\n"
    )
    assert bounce_of(raw).recipients == ("anna@example.it",)


def test_a_notice_from_a_null_sender_that_says_it_could_not_deliver() -> None:
    """au one net (KDDI) sends its bounces from no-reply, with a subject of "Mail": what says it is a
    bounce is a null sender (or a no-reply one) whose text states the address it could not deliver to."""
    raw = (
        b"Return-Path: <>\nFrom: no-reply@mail.example.jp\nTo: <rinnovi@provider.example>\nSubject: Mail\n"
        b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=K\n\n"
        b"--K\nContent-Type: text/plain\n\nYour mail sent on: Thu, 29 Apr 2013 00:00:00 +0900\n"
        b"     Could not be delivered to: <anna@example.jp>\n     As their mailbox is full.\n\n"
        b"--K\nContent-Type: message/rfc822\n\nFrom: rinnovi@provider.example\nTo: anna@example.jp\n\nRinnovo\n--K--\n"
    )
    assert bounce_of(raw).recipients == ("anna@example.jp",)
    without_return_path = raw.replace(b"Return-Path: <>\n", b"")
    assert bounce_of(without_return_path).recipients == ("anna@example.jp",)


def test_a_person_saying_a_mail_could_not_be_delivered_is_human() -> None:
    raw = (
        b"Return-Path: <m.rossi@example.it>\nFrom: Mario Rossi <m.rossi@example.it>\nTo: rinnovi@provider.example\n"
        b"Subject: Mail\n\nBuongiorno, il server dice: Could not be delivered to: <anna@example.it>\n"
    )
    assert classify(parse_message(raw), raw, OURS).kind == "human"
    newsletter = raw.replace(b"Mario Rossi <m.rossi@example.it>", b"no-reply@news.example.it").replace(
        b"Could not be delivered to: <anna@example.it>", b"le novita' di aprile"
    )
    assert classify(parse_message(newsletter), newsletter, OURS).kind != "bounce"


def test_the_dsn_fields_and_the_expanded_address_in_the_text_of_a_report() -> None:
    """A Sendmail report whose parts never open (no boundary line): its DSN fields are text, read as
    stated, with the address the sender wrote ("expanded from"); "The original message was received
    at" opens the report, it is no copy of the message."""
    raw = (
        b"From: Mail Delivery Subsystem <MAILER-DAEMON@example.it>\nTo: <rinnovi@provider.example>\n"
        b"Subject: Returned mail: Service unavailable\nMIME-Version: 1.0\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=NEVER\n\n"
        b"The original message was received at Thu, 29 Apr 1999 23:34:45 -0500\nfrom [192.0.2.64]\n\n"
        b"   ----- The following addresses had permanent fatal errors -----\n"
        b'"|exec /usr/bin/procmail #anna"\n    (expanded from: <anna@example.it>)\n\n'
        b'   ----- Transcript of session follows -----\n554 "|exec /usr/bin/procmail #anna"... Service unavailable\n\n'
        b"Reporting-MTA: dns; mx1.example.it\n\nFinal-Recipient: RFC822; anna@mx1.example.it\nAction: failed\n"
        b"Status: 5.5.0\n\nReturn-Path: <rinnovi@provider.example>\nTo: anna@example.it\n"
    )
    bounce = bounce_of(raw)
    assert bounce.recipients == ("anna@mx1.example.it", "anna@example.it")
    assert bounce.permanent and bounce.status == "5.5.0"
