"""bench/inbound.py still runs end to end (a tiny run: the figures themselves are for docs/performance.md)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from mailbot.testing.dovecot import dovecot_binary

BENCH = Path(__file__).resolve().parent.parent / "bench" / "inbound.py"


@pytest.mark.skipif(dovecot_binary() is None, reason="dovecot is not installed (Debian: dovecot-imapd)")
def test_inbound_bench_small_run() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--messages", "40"], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"inbound: \d+ msg/s, baseline \d+ msg/s, ratio \d+\.\d\d", last), last
    assert "left 0" in done.stdout
