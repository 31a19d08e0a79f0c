"""bench/csv_import.py still runs end to end (a tiny run: the figures themselves are for docs/performance.md)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "csv_import.py"


def test_csv_import_bench_small_run() -> None:
    database = os.environ.get("MAILBOT_TEST_DATABASE_URL")
    done = subprocess.run(
        [sys.executable, str(BENCH), "--rows", "60", "--small", "12"]
        + (["--database-url", database] if database else []),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert "services were imported: 12 created, 0 updated, 0 unchanged" in done.stdout
    assert "services were imported: 60 created, 0 updated, 0 unchanged" in done.stdout
    assert "services were imported: 0 created, 0 updated, 60 unchanged" in done.stdout
    number = r"\d+\.\d+"
    assert re.fullmatch(
        rf"csv import: 60 rows {number} s, baseline {number} s, ratio {number}, peak \d+ MB \(12 rows: \d+ MB\)",
        lines[-1],
    ), lines[-1]
