"""Log lines carry no raw text from email: a record is one line with its controls made visible, and the
lines of a traceback under it are indented, so nothing from a message can pass as a record of its own."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from mailbot.logs import SafeFormatter
from mailbot.text import is_hidden
from tests.support.inbound import eml

FAKE = "m1@x.example\n2026-11-21 09:00:00,000 INFO mailbot.inbound: ticket approved\x1b[2J\x9b31m\u202e"


def _record(msg: str, *args: object, exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError(f"bad subject {FAKE}")
        except ValueError:
            exc_info = sys.exc_info()
    return logging.LogRecord("mailbot.inbound", logging.WARNING, __file__, 1, msg, args, exc_info)


def _assert_one_record(text: str) -> None:
    first, *rest = text.split("\n")
    assert first.startswith("WARNING mailbot.inbound: ")
    for line in [first, *rest]:
        assert not [c for c in line if is_hidden(c)], repr(line)
    assert all(line.startswith("    ") for line in rest), rest  # continuation lines never at column 0


def test_a_message_from_email_stays_on_its_line() -> None:
    formatter = SafeFormatter("%(levelname)s %(name)s: %(message)s")
    text = formatter.format(_record("inbound id %s (%s): stored", 7, FAKE))
    assert "\n" not in text
    assert "(m1@x.example\\n2026-11-21 09:00:00,000 INFO mailbot.inbound: ticket approved\\x1b[2J" in text
    _assert_one_record(text)


def test_a_traceback_is_indented_under_its_record() -> None:
    formatter = SafeFormatter("%(levelname)s %(name)s: %(message)s")
    text = formatter.format(_record("job failed", exc=True))
    assert "Traceback (most recent call last):" in text and "ValueError: bad subject m1@x.example" in text
    _assert_one_record(text)


def test_the_cli_logs_through_the_safe_formatter(tmp_path: Path, db_url: str) -> None:
    """The real command: ``mailbot ingest`` logs the Message-ID it stored, which here holds ESC and BEL."""
    from mailbot.db.engine import upgrade

    upgrade(db_url)
    config = tmp_path / "mailbot.toml"
    config.write_text(
        f'[general]\ndata_dir = "{tmp_path}"\n[database]\nurl = "{db_url}"\n[links]\nsecret = "s"\n', encoding="utf-8"
    )
    message = tmp_path / "hostile.eml"
    message.write_bytes(eml("Salve, una domanda.", sender="x@example.org", mid="m1\x1b[2J\x07@x.example"))
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run(
        [sys.executable, "-m", "mailbot", "--config", str(config), "ingest", str(message)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "stored (m1\\x1b[2J\\x07@x.example" in done.stderr
    for line in done.stderr.splitlines():
        assert not [c for c in line if is_hidden(c)], repr(line)
