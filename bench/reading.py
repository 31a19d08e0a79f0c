"""Reading benchmark: the CPU time to read a received message, per MB, for shapes made to be slow,
against a baseline measured in the same run on the same bytes.

Reading is what happens to every message before the database: ``prepare_raw`` (card numbers
redacted and the result checked, the envelope read, compressed) then ``read_message`` (MIME, HTML
turned into text, quotes, classification, bounces, fields) and the rules (``decide``). The baseline
is the least any reader does: ``email.message_from_bytes``, every part decoded, and one plain
regular expression pass over each (13 to 19 digits in a row).

The shapes (``mailbot.testing.heavy``): digit-heavy bodies (``1 1 1``, ``1234 5678``, long digit runs,
digits with every separator, in HTML and base64), very long lines, many short lines, a huge HTML
table and plain text; and ``digit-heavy``, all the digit-heavy ones in one message, whose figure is
the last line. Issue 9 measured 149 s for 1 MB of ``1 1 1`` before the card scanner was rewritten.

Usage::

    python bench/reading.py [--mb 5] [--shapes NAME ...]

The last line is ``reading: 5 MB digit-heavy X s/MB, baseline Y s/MB, ratio Z``.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import re
import sys
import time
from collections.abc import Callable

from mailbot.intake.prepare import prepare_raw
from mailbot.paths import rules_dir
from mailbot.testing.heavy import SHAPES, digit_heavy
from mailbot.understand.reading import decide, read_message
from mailbot.understand.rules import RuleSet, load_rules

MB = 1_000_000
_RUN = re.compile(r"\d{13,19}")


def read(raw: bytes, rules: RuleSet) -> None:
    prepared = prepare_raw(raw)
    decide(read_message(prepared.redacted, redacted=True, parsed=prepared.parsed), rules)


def baseline(raw: bytes) -> None:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    for part in message.walk():
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            _RUN.findall(payload.decode("utf-8", "replace"))


def cpu(work: Callable[[], None]) -> float:
    start = time.process_time()
    work()
    return time.process_time() - start


def measure(name: str, raw: bytes, rules: RuleSet) -> tuple[float, float]:
    """(s/MB read, s/MB baseline) of one message, printed on a line."""
    size = len(raw) / MB
    ours = cpu(lambda: read(raw, rules)) / size
    base = cpu(lambda: baseline(raw)) / size
    print(f"{name:14s} {size:5.2f} MB  read {ours:6.3f} s/MB  baseline {base:6.3f} s/MB  ratio {ours / base:6.1f}")
    return ours, base


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=5.0, help="size of each message in MB (default 5)")
    parser.add_argument("--shapes", nargs="*", choices=sorted(SHAPES), default=sorted(SHAPES))
    args = parser.parse_args(argv)
    size = int(args.mb * MB)
    rules = load_rules(rules_dir())
    read(digit_heavy(MB // 10), rules)  # imports and first compilations out of the figures
    for name in args.shapes:
        measure(name, SHAPES[name](size), rules)
    ours, base = measure("digit-heavy", digit_heavy(size), rules)
    print(f"reading: {args.mb:g} MB digit-heavy {ours:.3f} s/MB, baseline {base:.3f} s/MB, ratio {ours / base:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
