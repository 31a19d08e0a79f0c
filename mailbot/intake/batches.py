"""Cutting what waits in an intake into batches (pure): each stored in one COMMIT and processed in one
transaction, holding at most so many messages and so many bytes. The IMAP listener cuts UIDs (sizes
asked of the server), the Maildir intake file numbers (sizes from the files)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def small_size(max_count: int, max_bytes: int) -> int:
    """The size up to which a message counts as small when fetch batches are planned: ``max_count``
    of them fit in ``max_bytes``. Only larger ones (``UID SEARCH LARGER``) have their size asked for."""
    return max(1, max_bytes // max_count)


def plan_batches(
    uids: Sequence[int], large: Mapping[int, int], *, max_count: int, max_bytes: int
) -> list[tuple[int, ...]]:
    """The UIDs (or any numbers naming the messages) in order, cut into batches of at most
    ``max_count`` messages and ``max_bytes`` bytes (what a batch holds in memory, fetched and then
    stored). ``large`` maps the UIDs larger than ``small_size`` to their size; every other message is
    counted at ``small_size``, its upper bound. A message larger than ``max_bytes`` on its own is a
    batch of its own: it is never skipped here (the store quarantines it when it is over
    ``inbound.max_message_bytes``)."""
    if max_count < 1 or max_bytes < 1:
        raise ValueError("fetch batches need a positive count and size")
    small = small_size(max_count, max_bytes)
    batches: list[tuple[int, ...]] = []
    current: list[int] = []
    held = 0
    for uid in uids:
        size = large.get(uid, small)
        if current and (len(current) == max_count or held + size > max_bytes):
            batches.append(tuple(current))
            current, held = [], 0
        current.append(uid)
        held += size
    if current:
        batches.append(tuple(current))
    return batches
