"""``process.freeze_startup_objects``: what is alive is frozen out of the collector's passes, young collections rarer,
and objects made afterwards are still collected (cycles included)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from mailbot.intake.imap.overlap import warm_up
from mailbot.process import YOUNG_THRESHOLD, freeze_startup_objects


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def test_settle_freezes_what_lives_and_still_collects_later_cycles(restored_gc: None) -> None:
    freeze_startup_objects()
    assert gc.get_freeze_count() > 1000  # the modules and all loaded so far
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle made after settling: only the collector frees it
    gone = weakref.ref(a)
    del a, b
    gc.collect()
    assert gone() is None


def test_the_reading_worker_settles_once_started(restored_gc: None) -> None:
    assert warm_up() is True
    assert gc.get_freeze_count() > 0 and gc.get_threshold()[0] == YOUNG_THRESHOLD
