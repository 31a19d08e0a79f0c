"""Start-up benchmark: the wall time of a whole ``mailbot`` command in a fresh process, against the
start of a bare Python measured in the same run; wall time, and the CPU time of the process (user and
system), which a machine busy with other work changes less.

Each command is ``python -m mailbot ...`` in a new subprocess, started from this checkout (so it is
this checkout's mailbot that runs), with no ``MAILBOT_*`` variable of the caller's environment:

- ``--help``: the top-level help, what every command pays before it does anything;
- ``due --help``: a command's own help, a command that works on the database;
- ``parse FILE``: one message read and understood (``--file``, default a customer's reply from
  ``tests/corpus``), no database;
- ``--version``, when mailbot has that option (else a line says it was skipped).

The baseline is ``python -c pass`` (the interpreter's own start-up, ``site`` included), and
``python -c "import email.parser"`` is shown beside it: the least a program reading mail loads. The
runs are interleaved (one of each command, ``--runs`` times) so that a busy moment of the machine falls
on all of them alike; each line gives the median and its ratio against the baseline's median.

Usage::

    python bench/startup.py [--runs 15] [--file MESSAGE.eml]

The last line is ``startup: --help X s, parse Y s, baseline Z s``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

CHECKOUT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = CHECKOUT / "tests" / "corpus" / "autorenew_on_en.eml"
BASELINE = "baseline"


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


def mailbot(*args: str) -> list[str]:
    return python("-m", "mailbot", *args)


def commands(message: Path) -> dict[str, list[str]]:
    """The commands to time, by the name their line shows."""
    named = {
        BASELINE: python("-c", "pass"),
        "import email": python("-c", "import email.parser"),
        "--help": mailbot("--help"),
        "due --help": mailbot("due", "--help"),
        "parse": mailbot("parse", str(message)),
    }
    if has_version():
        named["--version"] = mailbot("--version")
    return named


def environment() -> dict[str, str]:
    """The caller's environment less its MAILBOT_* variables (a config, a database URL)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}


class Timing(NamedTuple):
    wall: float  # seconds from start to exit
    cpu: float  # the process's user and system seconds: what a busy machine changes least


def run_once(command: list[str]) -> Timing:
    """The timing of one run; a command that fails stops the bench, with its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=CHECKOUT, env=environment(), capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        output = (done.stdout + done.stderr).decode(errors="replace")
        raise SystemExit(f"startup: {' '.join(command[1:])} exited {done.returncode}:\n{output}")
    return Timing(wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)


def has_version() -> bool:
    done = subprocess.run(mailbot("--version"), cwd=CHECKOUT, env=environment(), capture_output=True, check=False)
    return done.returncode == 0


def measure(named: dict[str, list[str]], runs: int) -> dict[str, Timing]:
    """The medians of each command over ``runs`` interleaved runs (after one run each to warm the file
    cache and write the bytecode)."""
    for command in named.values():
        run_once(command)
    timings: dict[str, list[Timing]] = {name: [] for name in named}
    for _ in range(runs):
        for name, command in named.items():
            timings[name].append(run_once(command))
    return {
        name: Timing(statistics.median(t.wall for t in runs_of), statistics.median(t.cpu for t in runs_of))
        for name, runs_of in timings.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command (default 15)")
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="the message for 'parse'")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs: at least 1")
    named = commands(args.file.resolve())
    if "--version" not in named:
        print("--version       skipped: mailbot has no --version option")
    medians = measure(named, args.runs)
    base = medians[BASELINE]
    for name, t in medians.items():
        print(
            f"{name:14s}  wall {t.wall:6.3f} s  ratio {t.wall / base.wall:5.1f}"
            f"   cpu {t.cpu:6.3f} s  ratio {t.cpu / base.cpu:5.1f}"
        )
    help_, parse = medians["--help"], medians["parse"]
    print(f"startup: --help {help_.wall:.3f} s, parse {parse.wall:.3f} s, baseline {base.wall:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
