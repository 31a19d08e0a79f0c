"""bench/startup.py still runs (a tiny run: the figures themselves are for docs/performance.md)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parent.parent / "bench"
sys.path.append(str(BENCH_DIR))

from startup import run_once  # noqa: E402  (bench/ is no package: scripts run from there)


def test_startup_bench_small_run() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH_DIR / "startup.py"), "--runs", "1"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    timed = [line.split("  wall")[0].strip() for line in lines if "  wall " in line]
    assert timed[:5] == ["baseline", "import email", "--help", "due --help", "parse"]
    number = r"\d+\.\d+"
    assert re.fullmatch(rf"startup: --help {number} s, parse {number} s, baseline {number} s", lines[-1])


def test_a_command_that_fails_stops_the_bench_with_its_output() -> None:
    with pytest.raises(SystemExit, match=r"exited 3:\nbroken"):
        run_once([sys.executable, "-c", "import sys; print('broken'); sys.exit(3)"])
    assert run_once([sys.executable, "-c", "pass"]).wall > 0
