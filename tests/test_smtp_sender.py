"""Senders against a real aiosmtpd server on localhost; the token bucket as pure logic."""

from __future__ import annotations

import asyncio
import re
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller

from mailbot.config import MailConfig, SmtpConfig, config_from_dict
from mailbot.errors import PermanentSendError, RecipientRefusedError, TransientSendError
from mailbot.outbound.compose import OutgoingMail, encode_message
from mailbot.outbound.senders import (
    FileSender,
    Mail,
    MemorySender,
    SmtpSender,
    TokenBucket,
    classify_smtp_error,
    make_sender,
)
from mailbot.outbound.smtp_sink import start_sink
from tests.support.outbound import MAIL, NOW, make_row
from tests.support.smtp import client_tls_context, server_tls_context, sink_handler

pytestmark = pytest.mark.integration


def email(n: int, to: str = "") -> EmailMessage:
    from mailbot.outbound.compose import build_message

    row = make_row(message_id=f"<m{n}@example.it>", to_address=to or f"cliente{n}@example.org", subject=f"Avviso {n}")
    return build_message(row, MAIL, NOW)


def smtp(port: int, **kw: object) -> SmtpConfig:
    values: dict[str, object] = {"host": "127.0.0.1", "port": port, "security": "none", "timeout_seconds": 10.0}
    values.update(kw)
    return SmtpConfig(**values)  # type: ignore[arg-type]


async def send_all(sender: SmtpSender, messages: list[Mail]) -> None:
    try:
        await asyncio.gather(*(sender.send(m) for m in messages))
    finally:
        await sender.close()


def test_message_arrives_with_headers_and_both_parts(smtp_sink: Controller) -> None:
    asyncio.run(send_all(SmtpSender(smtp(smtp_sink.port)), [email(1)]))
    handler = sink_handler(smtp_sink)
    assert len(handler.messages) == 1
    mail_from, rcpts, content = handler.messages[0]
    assert mail_from == "rinnovi@example.it"
    assert rcpts == ["cliente1@example.org"]
    msg = message_from_bytes(content, policy=default)
    assert msg["Message-ID"] == "<m1@example.it>"
    assert msg["Subject"] == "Avviso 1"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Reply-To"] == "rinnovi+abcdefghij0123456789@example.it"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]


@pytest.mark.parametrize("connections", [1, 3])
def test_connections_are_reused_across_messages(smtp_sink: Controller, connections: int) -> None:
    sender = SmtpSender(smtp(smtp_sink.port, connections=connections))
    asyncio.run(send_all(sender, [email(n) for n in range(30)]))
    handler = sink_handler(smtp_sink)
    assert sorted(handler.received_ids()) == sorted(f"<m{n}@example.it>" for n in range(30))
    assert 1 <= handler.sessions <= connections
    assert sender.connections_opened == handler.sessions
    assert {d.session for d in handler.deliveries} == set(range(1, handler.sessions + 1))


def test_reconnects_when_the_server_dropped_the_connection() -> None:
    first = start_sink()
    port = first.port
    sender = SmtpSender(smtp(port))

    async def scenario() -> None:
        await sender.send(email(1))
        first.stop()  # the server goes away, taking the pooled connection with it
        second = start_sink(port=port)
        try:
            await sender.send(email(2))
        finally:
            await sender.close()
            second.stop()
        assert sink_handler(second).received_ids() == ["<m2@example.it>"]

    asyncio.run(scenario())
    assert sink_handler(first).received_ids() == ["<m1@example.it>"]
    assert sender.connections_opened == 2


@pytest.mark.parametrize(
    ("where", "reply", "error", "code"),
    [
        ("rcpt", "451 4.3.0 try later", TransientSendError, 451),
        ("rcpt", "550 5.1.1 no such user", PermanentSendError, 550),
        ("data", "452 4.3.1 insufficient storage", TransientSendError, 452),
        ("data", "554 5.7.1 rejected", PermanentSendError, 554),
    ],
)
def test_replies_map_to_the_error_tree_and_the_connection_survives(
    smtp_sink: Controller, where: str, reply: str, error: type[Exception], code: int
) -> None:
    handler = sink_handler(smtp_sink)
    if where == "rcpt":
        handler.script_recipient("cliente1@example.org", reply)
    else:
        handler.script_data(reply)
    sender = SmtpSender(smtp(smtp_sink.port))

    async def scenario() -> None:
        with pytest.raises(error) as caught:
            await sender.send(email(1))
        assert getattr(caught.value, "code", None) == code
        assert reply.split(" ", 1)[1] in str(caught.value)
        await sender.send(email(2))
        await sender.close()

    asyncio.run(scenario())
    assert handler.received_ids() == ["<m2@example.it>"]
    assert handler.sessions == 1


def test_connection_refused_is_transient() -> None:
    controller = start_sink()
    port = controller.port
    controller.stop()  # nothing listens there any more
    sender = SmtpSender(smtp(port))
    with pytest.raises(TransientSendError):
        asyncio.run(send_all(sender, [email(1)]))


def test_auth_with_username_and_password() -> None:
    controller = start_sink(auth=("mailbot", "s3cret"))
    try:
        asyncio.run(send_all(SmtpSender(smtp(controller.port, username="mailbot", password="s3cret")), [email(1)]))
        deliveries = sink_handler(controller).deliveries
        assert [d.login for d in deliveries] == ["mailbot"]
        bad = SmtpSender(smtp(controller.port, username="mailbot", password="wrong"))
        with pytest.raises(TransientSendError, match="authentication failed"):
            asyncio.run(send_all(bad, [email(2)]))
        without = SmtpSender(smtp(controller.port))
        with pytest.raises(TransientSendError):  # the server insists on AUTH: our config, not the customer
            asyncio.run(send_all(without, [email(3)]))
        assert len(sink_handler(controller).messages) == 1
    finally:
        controller.stop()


def test_starttls_with_a_self_signed_certificate(tls_cert: tuple[Path, Path]) -> None:
    controller = start_sink(starttls_context=server_tls_context(tls_cert), auth=("mailbot", "s3cret"))
    try:
        config = smtp(controller.port, security="starttls", username="mailbot", password="s3cret")
        sender = SmtpSender(config, tls_context=client_tls_context(tls_cert))
        asyncio.run(send_all(sender, [email(1), email(2)]))
        assert [(d.tls, d.login) for d in sink_handler(controller).deliveries] == [(True, "mailbot")] * 2
        untrusted = SmtpSender(smtp(controller.port, security="starttls"))  # system CAs: our cert is unknown
        with pytest.raises(TransientSendError):
            asyncio.run(send_all(untrusted, [email(3)]))
        assert len(sink_handler(controller).messages) == 2
    finally:
        controller.stop()


def test_implicit_tls(tls_cert: tuple[Path, Path]) -> None:
    controller = start_sink(implicit_tls_context=server_tls_context(tls_cert))
    try:
        sender = SmtpSender(smtp(controller.port, security="tls"), tls_context=client_tls_context(tls_cert))
        asyncio.run(send_all(sender, [email(1)]))
        assert [d.tls for d in sink_handler(controller).deliveries] == [True]
    finally:
        controller.stop()


def test_token_bucket_spaces_reservations_at_the_rate() -> None:
    bucket = TokenBucket(rate=2.0)
    assert [bucket.reserve(10.0) for _ in range(4)] == [0.0, 0.5, 1.0, 1.5]
    # 3 seconds later the debt (-3 tokens) is paid and one token is back (burst 1).
    assert bucket.reserve(13.0) == 0.0
    assert bucket.reserve(13.0) == 0.5


def test_token_bucket_refills_but_never_beyond_its_burst() -> None:
    bucket = TokenBucket(rate=10.0, burst=3.0)
    assert [bucket.reserve(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.reserve(0.0) == pytest.approx(0.1)
    assert [bucket.reserve(100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.reserve(100.0) == pytest.approx(0.1)
    assert bucket.reserve(99.0) == pytest.approx(0.2)  # a clock going backwards adds no tokens


def test_smtp_sender_rate_limit_is_one_bucket_for_all_connections() -> None:
    assert SmtpSender(smtp(25, connections=4)).bucket is None
    sender = SmtpSender(smtp(25, connections=4, rate_per_second=5.0))
    assert sender.bucket is not None and sender.bucket.rate == 5.0


def test_file_sender_writes_valid_eml_files_atomically(tmp_path: Path) -> None:
    sender = FileSender(tmp_path / "outbox", clock=lambda: NOW)
    asyncio.run(sender.send(email(1)))
    asyncio.run(sender.send(email(2)))
    files = sorted((tmp_path / "outbox").iterdir())
    assert [f.name for f in files] == [
        "20260314T093005000000Z-m1_example.it.eml",
        "20260314T093005000000Z-m2_example.it.eml",
    ]
    for n, path in enumerate(files, start=1):
        msg = message_from_bytes(path.read_bytes(), policy=default)
        assert msg["Message-ID"] == f"<m{n}@example.it>"
        assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
        assert re.fullmatch(r"\d{8}T\d{12}Z-[\w.-]+\.eml", path.name)


def test_file_sender_reports_an_unwritable_folder_as_transient(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(TransientSendError):
        asyncio.run(FileSender(blocker / "outbox").send(email(1)))


def test_make_sender_picks_files_without_a_host(tmp_path: Path) -> None:
    files = make_sender(config_from_dict({"general": {"data_dir": str(tmp_path)}}))
    assert isinstance(files, FileSender)
    assert files.directory == tmp_path / MailConfig().outbox_dir
    relay = make_sender(config_from_dict({"smtp": {"host": "smtp.example.it", "connections": 3}}))
    assert isinstance(relay, SmtpSender)
    assert relay.smtp.connections == 3


def test_memory_sender_tells_a_refused_address_from_a_refused_message() -> None:
    sender = MemorySender()
    sender.fail_next(550, 554, at="data")
    sender.fail_address("gone@example.org", 550)

    async def scenario() -> None:
        for _ in range(2):
            with pytest.raises(PermanentSendError) as data:
                await sender.send(email(1))
            assert not isinstance(data.value, RecipientRefusedError) and "at DATA" in str(data.value)
        with pytest.raises(RecipientRefusedError):
            await sender.send(email(2, to="gone@example.org"))

    asyncio.run(scenario())
    assert sender.sent == []


@pytest.mark.parametrize(
    ("code", "reply", "refuses_the_address"),
    [
        (550, "5.1.1 no such user", True),
        (550, "No such user here", True),  # no enhanced status: a refused recipient
        (550, "5.4.1 Recipient address rejected: Access denied", True),
        (550, "5.7.1 Service unavailable; client host blocked", False),  # our IP on a block list
        (554, "5.7.26 Unauthenticated email is not accepted", False),  # DMARC
        (552, "5.2.2 Mailbox full", False),
        (552, "5.3.4 Message too big", False),
        (553, "5.1.8 Sender address rejected", False),  # our own address
        (450, "4.1.1 try later", False),
    ],
)
def test_which_refusals_at_rcpt_condemn_the_address(code: int, reply: str, refuses_the_address: bool) -> None:
    exc = aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(code, reply, "c@example.org")])
    error = classify_smtp_error(exc)
    assert isinstance(error, RecipientRefusedError) is refuses_the_address
    assert isinstance(error, PermanentSendError) is (code >= 500)
    assert f"{code} {reply}" in str(error)


def test_memory_sender_records_and_fails_on_script() -> None:
    sender = MemorySender()
    sender.fail_next(451, None)
    sender.fail_address("bad@example.org", 550)

    async def scenario() -> None:
        with pytest.raises(TransientSendError):
            await sender.send(email(1))
        await sender.send(email(2))
        with pytest.raises(PermanentSendError) as caught:
            await sender.send(email(3, to="bad@example.org"))
        assert caught.value.code == 550
        await sender.send(email(4))
        await sender.close()

    asyncio.run(scenario())
    assert [m["Message-ID"] for m in sender.sent] == ["<m2@example.it>", "<m4@example.it>"]
    assert sender.closed


# OutgoingMail: the drain's wire bytes, sent with SMTP sendmail (no EmailMessage on the way).


def encoded(n: int, to: str = "") -> OutgoingMail:
    row = make_row(message_id=f"<m{n}@example.it>", to_address=to or f"cliente{n}@example.org", subject=f"Avviso {n}")
    mail = encode_message(row, MAIL, NOW)
    assert mail is not None
    return mail


def test_outgoing_mail_arrives_byte_for_byte(smtp_sink: Controller) -> None:
    one = encoded(1, to="mario@example.org")
    one = OutgoingMail(one.sender, one.recipients, one.data + b".\r\n..dots\r\n", one.message_id)  # dot-stuffing
    asyncio.run(send_all(SmtpSender(smtp(smtp_sink.port)), [one, encoded(2)]))
    handler = sink_handler(smtp_sink)
    by_rcpt = {rcpts[0]: (mail_from, content) for mail_from, rcpts, content in handler.messages}
    assert by_rcpt["mario@example.org"] == ("rinnovi@example.it", one.data)
    assert sorted(handler.received_ids()) == ["<m1@example.it>", "<m2@example.it>"]


def test_outgoing_mail_refused_recipient_is_permanent_and_4xx_transient(smtp_sink: Controller) -> None:
    handler = sink_handler(smtp_sink)
    handler.reject_recipient("gone@example.org", "550 5.1.1 no such user")
    handler.script_data("451 4.3.0 try later")
    sender = SmtpSender(smtp(smtp_sink.port))

    async def scenario() -> None:
        try:
            with pytest.raises(PermanentSendError) as gone:
                await sender.send(encoded(1, to="gone@example.org"))
            assert gone.value.code == 550
            with pytest.raises(TransientSendError) as later:
                await sender.send(encoded(2))
            assert later.value.code == 451
            await sender.send(encoded(3))  # the same connection goes on
        finally:
            await sender.close()

    asyncio.run(scenario())
    assert handler.received_ids() == ["<m3@example.it>"]
    assert sender.connections_opened == 1


def test_file_and_memory_senders_take_outgoing_mail(tmp_path: Path) -> None:
    files = FileSender(tmp_path / "outbox", clock=lambda: NOW)
    memory = MemorySender()
    memory.fail_address("bad@example.org", 550)

    async def scenario() -> None:
        await files.send(encoded(1))
        await memory.send(encoded(2))
        with pytest.raises(PermanentSendError):
            await memory.send(encoded(3, to="Bad@Example.org"))

    asyncio.run(scenario())
    (path,) = (tmp_path / "outbox").iterdir()
    assert path.name == "20260314T093005000000Z-m1_example.it.eml"
    assert b"\r" not in path.read_bytes()
    msg = message_from_bytes(path.read_bytes(), policy=default)
    assert msg["Message-ID"] == "<m1@example.it>"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert [(m["Message-ID"], m["Subject"]) for m in memory.sent] == [("<m2@example.it>", "Avviso 2")]
