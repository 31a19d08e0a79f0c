"""``mailbot run`` says at start where it works and warns while example values are in use; its log lines
say in words what a drain or a Maildir poll did; ``mailbot demo`` leaves no temporary folder behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import pytest

from mailbot.cli import main
from mailbot.cli.exits import database_label
from mailbot.config import config_from_dict
from mailbot.intake.maildir import MaildirResult
from mailbot.outbound.drain import DrainResult
from mailbot.paths import data_dir
from mailbot.runner import (
    EXAMPLE_DOMAIN,
    EXAMPLE_IBAN,
    describe_drain,
    describe_maildir,
    describe_setup,
    example_values_in_use,
)

REAL = {
    "mail": {
        "from_address": "rinnovi@acme.it",
        "reply_to": "rinnovi+{token}@acme.it",
        "message_id_domain": "acme.it",
        "support_address": "help@acme.it",
    },
    "links": {"base_url": "https://portale.acme.it/rinnovo"},
    "payments": {"iban": "IT02L1234512345123456789012", "paypal_url": "https://acme.it/paga"},
}


def test_the_example_values_are_those_of_config_example_toml() -> None:
    example = tomllib.loads((data_dir("templates").parent / "config.example.toml").read_text(encoding="utf-8"))
    assert example["payments"]["iban"] == EXAMPLE_IBAN
    assert example["mail"]["message_id_domain"] == EXAMPLE_DOMAIN


def test_example_values_in_use_one_line_each() -> None:
    lines = example_values_in_use(config_from_dict({}))
    assert len(lines) == 2
    assert lines[0].startswith("payments.iban is still the example IBAN")
    assert lines[1].startswith("mail.from_address, mail.reply_to, mail.message_id_domain, mail.support_address, ")
    assert "links.base_url" in lines[1] and "payments.paypal_url" in lines[1]
    assert example_values_in_use(config_from_dict(REAL)) == []
    half = config_from_dict({**REAL, "links": {"base_url": "https://portale.example.it/r"}})
    assert example_values_in_use(half) == [
        f"links.base_url: still the example domain {EXAMPLE_DOMAIN} of config.example.toml"
    ]


def test_describe_setup(tmp_path: Path) -> None:
    config = config_from_dict(
        {
            **REAL,
            "general": {"data_dir": str(tmp_path)},
            "database": {"url": "postgresql://mailbot:s3cret@db.acme.it/mailbot"},
        }
    )
    assert describe_setup(config) == [
        "database: postgresql://mailbot:***@db.acme.it/mailbot",
        f"incoming mail: Maildir {tmp_path / 'maildir'} (no imap.host)",
        f"outgoing mail: .eml files in {tmp_path / 'outbox'} (no smtp.host: nothing is sent), from rinnovi@acme.it",
        "renewal links: https://portale.acme.it/rinnovo",
    ]
    servers = config_from_dict(
        {
            **REAL,
            "imap": {"host": "imap.acme.it", "username": "rinnovi", "folder": "Rinnovi"},
            "smtp": {"host": "smtp.acme.it", "port": 465, "security": "tls"},
        }
    )
    lines = describe_setup(servers)
    assert lines[1] == "incoming mail: IMAP rinnovi@imap.acme.it:993 (ssl), folder Rinnovi"
    assert lines[2] == "outgoing mail: SMTP smtp.acme.it:465 (tls), from rinnovi@acme.it"


def test_drain_and_maildir_results_in_words() -> None:
    assert describe_drain(DrainResult(claimed=3, sent=2, retried=1)) == "3 emails taken: 2 sent, 1 to retry later"
    words = describe_drain(DrainResult(claimed=1, failed=1, undeliverable=1, recovered=1))
    assert words == "1 email taken: 1 failed, the address undeliverable, 1 email taken over from an expired lease"
    assert "DrainResult" not in words
    result = MaildirResult(stored=1, duplicates=2, moved={"cur": 2, ".review": 1}, waiting=1, unreadable=["x"])
    assert describe_maildir(result) == (
        "1 message stored, 2 duplicates, moved 1 to .review, 2 to cur, 1 left for a retry, 1 file unreadable (x)"
    )


@pytest.mark.parametrize("configured", [False, True], ids=["embedded database", "configured database"])
def test_run_says_where_it_works_and_warns_of_example_values(configured: bool, tmp_path: Path, db_url: str) -> None:
    """A real ``mailbot run`` on a fresh folder with the built-in defaults (or a configured empty database):
    the schema is made, the start lines and the two warnings are logged, SIGTERM stops it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    url = "sqlite:///mailbot.db"
    if configured:
        url = db_url
        env["MAILBOT_DATABASE_URL"] = db_url
    process = subprocess.Popen(
        [sys.executable, "-m", "mailbot", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "maildir").exists():
            assert time.monotonic() < deadline and process.poll() is None, "mailbot run did not start"
            time.sleep(0.1)
        time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    messages = [line.split(": ", 1)[1] for line in stderr.splitlines() if " mailbot.runner: " in line]
    assert f"database: {database_label(url)}" in messages
    assert f"incoming mail: Maildir {tmp_path.resolve() / 'maildir'} (no imap.host)" in messages
    assert "renewal links: https://example.it/rinnovo" in messages
    warnings = [line for line in stderr.splitlines() if " WARNING mailbot.runner: " in line]
    assert len(warnings) == 2 and "example IBAN" in warnings[0] and "example domain" in warnings[1]


@pytest.mark.parametrize("keep", [False, True])
def test_demo_removes_its_temporary_folder_unless_kept(
    keep: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert main(["demo", "--date", "2026-11-21", *(["--keep"] if keep else [])]) == 0
    out = capsys.readouterr().out
    left = list(tmp_path.glob("mailbot-demo-*"))
    assert out.splitlines()[-1].startswith("demo: ") and out.splitlines()[-1].endswith(" emails sent")
    if keep:
        (folder,) = left
        assert f"The folder is kept: {folder}" in out and (folder / "demo.db").exists()
    else:
        assert left == [] and "--keep keeps it" in out
