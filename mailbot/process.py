"""Settling a long-running process once it has started: the garbage collector told what will live.

At start a process imports mailbot and its libraries, compiles the templates and the rules, builds
the database engine: about a hundred thousand objects that live as long as the process. CPython's
collector scanned all of them again at each full pass, and with its default thresholds it made one
every few hundred messages: about a tenth of the inbound listener's time per message in the
benchmark (``bench/inbound.py``). ``freeze_startup_objects`` collects once, freezes what is there
(``gc.freeze``: never scanned again; still freed by reference counting as usual) and raises the young
generation's threshold, so short-lived objects of a batch are looked at less often. ``mailbot run``
calls it once everything is loaded; the reading worker when it has started.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000  # allocations between young collections (CPython's default: 700)
OLDER_THRESHOLD = 10  # collections of one generation per collection of the next (default: 10)


def freeze_startup_objects() -> None:
    """Keep what the process loaded at start out of the garbage collector's passes (``gc.freeze``
    after one full collection), and collect the young generation less often from now on."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, OLDER_THRESHOLD, OLDER_THRESHOLD)
