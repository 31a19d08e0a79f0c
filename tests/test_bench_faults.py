"""bench/faults.py: what counts as a failure, and a tiny run end to end (the figures are in docs/faults.md)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from mailbot.config import config_from_dict
from mailbot.testing.dovecot import dovecot_binary

BENCH_DIR = Path(__file__).resolve().parent.parent / "bench"
sys.path.append(str(BENCH_DIR))

from faults import Figures, toml_text  # noqa: E402  (bench/ is no package: scripts run from there)


def test_a_duplicate_email_fails_only_outside_the_smtp_accepted_window() -> None:
    assert not Figures("sending", duplicate_emails=3, window=3).failed
    assert Figures("sending", duplicate_emails=3, window=2).failed


def test_a_duplicate_copy_fails_only_outside_the_replacement_window() -> None:
    assert not Figures("imap", duplicate_copies=1, copies_window=1).failed
    assert Figures("imap", duplicate_copies=2, copies_window=1).failed


def test_anything_lost_duplicated_or_left_fails() -> None:
    for name in (
        "lost",
        "duplicate_rows",
        "duplicate_tickets",
        "duplicate_replies",
        "duplicate_orders",
        "left",
        "misplaced",
    ):
        assert Figures("imap", **{name: 1}).failed, name
    assert not Figures("imap").failed


def test_the_config_given_to_mailbot_run_reads_back_as_written(tmp_path: Path) -> None:
    raw: dict[str, dict[str, object]] = {
        "general": {"data_dir": str(tmp_path / 'a "quoted" \\ folder')},
        "database": {"url": "postgresql://u@h/db?options=-csearch_path%3Dfaults_x"},
        "smtp": {"port": 2525, "lease_seconds": 2.0, "security": "none"},
        "imap": {"idle": False},
    }
    assert tomllib.loads(toml_text(raw)) == raw
    config_from_dict(tomllib.loads(toml_text(raw)))  # and mailbot takes it


def test_faults_bench_small_run() -> None:
    """Two kills a scenario, on the test database (SQLite, or PostgreSQL when the suite runs there)."""
    command = [sys.executable, str(BENCH_DIR / "faults.py"), "--trials", "2", "--seed", "1"]
    if os.environ.get("MAILBOT_TEST_DATABASE_URL"):
        command += ["--db", os.environ["MAILBOT_TEST_DATABASE_URL"]]
    done = subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    scenarios = ("sending", "maildir", "imap") if dovecot_binary() is not None else ("sending", "maildir")
    for name in scenarios:
        assert any(line.startswith(f"{name}: 2 kills") for line in lines), done.stdout
    match = re.fullmatch(
        r"faults: (\d+) trials, lost 0, duplicate tickets 0, duplicate emails (\d+) \(window (\d+)\)", lines[-1]
    )
    assert match, lines[-1]
    assert int(match[1]) == 2 * len(scenarios)
    assert match[2] == match[3]
