"""SIGTERM to a real ``mailbot run`` while SMTP sends are in flight: what the server took is recorded
``sent`` and never sent again, what was claimed but not started goes back to the outbox, and the log
holds no traceback.

The server is a real aiosmtpd that counts a message as delivered once its data has arrived, and
answers DATA only after a delay: the way an MTA behaves that queued a message and then answers slowly
(or whose answer is lost). A drain cancelled in that window used to leave the row ``sending``, sent
again after its lease: a duplicate per message in flight.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from mailbot.app import App, create_app
from mailbot.db.engine import upgrade
from mailbot.db.models import OutboundMessage
from mailbot.domain import OutboundStatus
from mailbot.outbound.smtp_sink import start_sink
from tests.support.config import make_config
from tests.support.factories import make_customer
from tests.support.smtp import SlowDataHandler, enqueue_email

ROOT = Path(__file__).resolve().parent.parent
ROWS = 16
CONNECTIONS = 4


@pytest.fixture
def slow_sink() -> Iterator[Controller]:
    controller = start_sink(handler=SlowDataHandler(delay=1.0))
    yield controller
    controller.stop()


def _write_config(tmp_path: Path, db_url: str, port: int) -> Path:
    path = tmp_path / "mailbot.toml"
    path.write_text(
        f'[general]\ndata_dir = "{tmp_path}"\n'
        f'[database]\nurl = "{db_url}"\n'
        '[links]\nsecret = "test-secret"\nbase_url = "https://portal.example.it/rinnovo"\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\ntimeout_seconds = 20.0\n'
        f"connections = {CONNECTIONS}\nbatch_size = 8\nlease_seconds = 4.0\n"
        "[schedule]\ndrain_interval_seconds = 0.2\n",
        encoding="utf-8",
    )
    return path


def _start(config_file: Path) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "mailbot", "--config", str(config_file), "run"]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(predicate: Callable[[], bool], what: str, limit: float = 40.0) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    try:
        _, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:  # pragma: no cover - a hang is the failure being reported
        process.kill()
        _, stderr = process.communicate()
        pytest.fail(f"mailbot run did not stop on SIGTERM:\n{stderr}")
    assert process.returncode == 0, stderr
    return stderr


def _statuses(app: App) -> dict[str, OutboundStatus]:
    with app.sessions() as session:
        return {row.message_id: row.status for row in session.scalars(select(OutboundMessage))}


def test_sigterm_while_sending_records_what_the_server_took_and_sends_nothing_twice(
    tmp_path: Path, db_url: str, slow_sink: Controller
) -> None:
    upgrade(db_url)
    app = create_app(make_config(tmp_path, db_url))
    now = datetime.now(UTC)
    with app.sessions.begin() as session:
        for n in range(ROWS):
            customer = make_customer(session, email=f"c{n}@example.org")
            enqueue_email(session, customer, app.config.mail, now, key=f"k{n}")
    handler = slow_sink.handler
    assert isinstance(handler, SlowDataHandler)
    config_file = _write_config(tmp_path, db_url, slow_sink.port)

    first = _start(config_file)
    try:
        _wait_for(lambda: len(handler.arrived) >= CONNECTIONS, "sends in flight")
    finally:
        stderr = _stop(first)
    assert "Traceback" not in stderr, stderr
    statuses = _statuses(app)
    in_flight = set(handler.arrived)
    assert len(in_flight) >= CONNECTIONS
    # Every message the server took is recorded sent; nothing is left "sending"; the rest waits.
    assert {mid for mid, status in statuses.items() if status is OutboundStatus.SENT} == in_flight
    assert {mid: s for mid, s in statuses.items() if mid not in in_flight} == {
        mid: OutboundStatus.PENDING for mid in statuses if mid not in in_flight
    }
    assert set(handler.answered) == in_flight

    second = _start(config_file)
    try:
        # Wait for every row to be sent, then one lease more: a row left behind would go again now.
        _wait_for(lambda: set(_statuses(app).values()) == {OutboundStatus.SENT}, "every row sent")
        time.sleep(5.0)
    finally:
        stderr = _stop(second)
    assert "Traceback" not in stderr, stderr
    twice = {mid: n for mid, n in Counter(handler.arrived).items() if n > 1}
    assert twice == {}
    assert sorted(handler.arrived) == sorted(_statuses(app))
    app.close()


def test_slow_data_handler_counts_a_message_whose_answer_the_client_never_waited_for() -> None:
    """The test server's own behaviour, which the test above relies on: a message is delivered once its
    data arrived, also when the client hangs up before the answer."""
    import smtplib

    controller = start_sink(handler=SlowDataHandler(delay=2.0))
    try:
        handler = controller.handler
        assert isinstance(handler, SlowDataHandler)
        client = smtplib.SMTP("127.0.0.1", controller.port, timeout=0.5)
        client.ehlo()
        client.mail("a@example.it")
        client.rcpt("b@example.org")
        with pytest.raises((TimeoutError, smtplib.SMTPServerDisconnected, OSError)):
            client.data(b"Message-ID: <x@example.it>\r\nSubject: hi\r\n\r\nbody\r\n")
        client.close()
        _wait_for(lambda: handler.arrived == ["<x@example.it>"], "the message to arrive", limit=5)
        assert handler.answered == []
    finally:
        controller.stop()
