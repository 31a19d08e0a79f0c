"""The IMAP listener's decisions, as pure functions of values: no server, database or clock.

What to fetch (``plan_fetch``: new UIDs above the stored state, leftovers at or below it, a reset when
UIDVALIDITY changed), where each leftover goes (``plan_leftovers``, by the status of the row stored with
its UID), which move command the server allows (``move_method``), how long to back off after failures,
the mailbox's name in the database and its lease, folder names in the server's hierarchy delimiter, and
what an IDLE answer means (``has_news``, ``is_goodbye``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mailbot.config import Config, ImapConfig
from mailbot.domain import InboundStatus
from mailbot.intake.folders import folder_for

MAILBOX_MAX = 200  # InboundMessage.mailbox's length

MoveMethod = Literal["move", "uidplus", "expunge"]


@dataclass(frozen=True)
class FolderState:
    uidvalidity: int
    last_uid: int


@dataclass(frozen=True)
class FetchPlan:
    uidvalidity: int
    reset: bool  # no state yet, or UIDVALIDITY changed: the state starts again from UID 0
    new: tuple[int, ...]  # above the highest UID stored: fetch, store, process, move
    leftover: tuple[int, ...]  # stored before but still in the folder


def plan_fetch(state: FolderState | None, uidvalidity: int, uids: Iterable[int]) -> FetchPlan:
    """Which of the folder's ``uids`` are new and which were left behind, given the stored state."""
    reset = state is None or state.uidvalidity != uidvalidity
    last = 0 if state is None or reset else state.last_uid
    ordered = sorted({int(u) for u in uids})
    return FetchPlan(
        uidvalidity=uidvalidity,
        reset=reset,
        new=tuple(u for u in ordered if u > last),
        leftover=tuple(u for u in ordered if u <= last),
    )


@dataclass(frozen=True)
class LeftoverPlan:
    moves: dict[str, tuple[int, ...]]  # target folder -> UIDs
    expunge: tuple[int, ...]  # already copied and flagged \Deleted before a crash: only the expunge is missing
    refetch: tuple[int, ...]  # no stored row has this UID: fetch again (store_raw finds the stored copy)
    waiting: tuple[int, ...]  # stored, not yet processed: stays until the pipeline has an outcome


def plan_leftovers(
    config: Config,
    leftover: Sequence[int],
    known: Mapping[int, InboundStatus],
    deleted: Iterable[int] = (),
) -> LeftoverPlan:
    """Where each left-behind UID goes, from the status of the row stored with that UID (``known``)."""
    flagged = set(deleted)
    moves: dict[str, list[int]] = {}
    expunge: list[int] = []
    refetch: list[int] = []
    waiting: list[int] = []
    for uid in leftover:
        status = known.get(uid)
        if status is None:
            refetch.append(uid)
            continue
        target = folder_for(config, status)
        if target == config.imap.folder:
            waiting.append(uid)
        elif uid in flagged:
            expunge.append(uid)
        else:
            moves.setdefault(target, []).append(uid)
    return LeftoverPlan({k: tuple(v) for k, v in moves.items()}, tuple(expunge), tuple(refetch), tuple(waiting))


def move_method(capabilities: Iterable[bytes | str]) -> MoveMethod:
    """MOVE (RFC 6851) when offered, else COPY + UID EXPUNGE (UIDPLUS), else COPY + EXPUNGE."""
    caps = {(c.decode("ascii", "replace") if isinstance(c, bytes) else c).upper() for c in capabilities}
    if "MOVE" in caps:
        return "move"
    if "UIDPLUS" in caps:
        return "uidplus"
    return "expunge"


def has_capability(capabilities: Iterable[bytes | str], name: str) -> bool:
    wanted = name.upper()
    return any((c.decode("ascii", "replace") if isinstance(c, bytes) else c).upper() == wanted for c in capabilities)


def backoff_seconds(failures: int, *, base: float, cap: float) -> float:
    """Seconds to wait before reconnecting after ``failures`` failures in a row: base, 2x, 4x... up to cap."""
    if failures <= 0:
        return 0.0
    return float(min(cap, base * 2 ** min(failures - 1, 62)))


def mailbox_key(imap: ImapConfig) -> str:
    """The mailbox's name in the database (state, stored rows, lease): ``user@host:port/folder``."""
    return f"{imap.username}@{imap.host}:{imap.port}/{imap.folder}"[:MAILBOX_MAX]


def lease_name(imap: ImapConfig) -> str:
    return f"imap:{mailbox_key(imap)}"


def server_folder_name(name: str, delimiter: str | None) -> str:
    """A configured folder name (``/`` between levels) in the server's hierarchy delimiter."""
    if not delimiter or delimiter == "/":
        return name
    return name.replace("/", delimiter)


def has_news(responses: Iterable[Any]) -> bool:
    """True when IDLE responses announce mail (``* n EXISTS`` / ``* n RECENT``)."""
    return any(isinstance(r, tuple) and len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses)


def is_goodbye(responses: Iterable[Any]) -> bool:
    """True when the server said BYE (shutting down, or dropping the idle connection)."""
    return any(isinstance(r, tuple) and r and r[0] == b"BYE" for r in responses)
