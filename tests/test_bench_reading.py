"""bench/reading.py still runs (a tiny run: the figures themselves are for docs/performance.md)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "reading.py"


def test_reading_bench_small_run() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--mb", "0.05", "--shapes", "ones", "html table"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines[:-1]] == ["ones", "html", "digit-heavy"]
    number = r"\d+\.\d+"
    assert re.fullmatch(
        rf"reading: 0.05 MB digit-heavy {number} s/MB, baseline {number} s/MB, ratio {number}", lines[-1]
    )
