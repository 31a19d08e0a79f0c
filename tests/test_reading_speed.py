"""Reading a message takes time linear in its size (issue 9: 1 MB of ``1 1 1 ...`` once took 149 s).

A guard, not a benchmark (``bench/reading.py`` has the figures): 5 MB of digit-heavy text (``1 1 1``,
``1234 5678``, long digit runs, digits with every separator, in plain, HTML and base64 parts) is read,
``prepare_raw`` then ``read_message`` and the rules, in under 2 s of CPU per MB, a bound generous
for slow CI machines (about 0.5 s per MB here). Growth is checked too: 5 MB may take at most
8 times what 1 MB takes, where linear work takes 5 times (less, with the fixed costs) and quadratic
work 25. Times are this process's CPU time, which other processes on the machine do not change."""

from __future__ import annotations

import time

from mailbot.intake.prepare import prepare_raw
from mailbot.paths import rules_dir
from mailbot.testing.heavy import digit_heavy
from mailbot.understand.reading import decide, read_message
from mailbot.understand.rules import load_rules

MB = 1_000_000


def cpu_to_read(raw: bytes) -> float:
    rules = load_rules(rules_dir())
    start = time.process_time()
    prepared = prepare_raw(raw)
    decide(read_message(prepared.redacted, redacted=True, parsed=prepared.parsed), rules)
    return time.process_time() - start


def test_five_megabytes_of_digits_are_read_in_linear_time() -> None:
    one = cpu_to_read(digit_heavy(MB))
    five = cpu_to_read(digit_heavy(5 * MB))
    assert five < 2.0 * 5, f"5 MB of digits read in {five:.1f} s of CPU"
    assert five < 8 * max(one, 0.05), f"5 MB took {five:.2f} s, 1 MB {one:.2f} s: not linear"
