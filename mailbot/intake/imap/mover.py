"""Moving messages on the server, and doing it on a second connection while the listener goes on.

``move_uids`` is the one way a message is moved on the server (out of the incoming folder, or on from
the review folder once settled): MOVE where the server has it, else COPY + ``\\Deleted`` + UID EXPUNGE
with UIDPLUS, else COPY + ``\\Deleted`` + EXPUNGE. A message stored with a card number is not moved
but replaced: its redacted copy (what the database holds) is appended to the target folder and the
original deleted, so no copy we leave on the server holds the number.

A move waits for the server (about a quarter of a message's time in the listener, measured with
Dovecot), so when several fetched batches wait (``imap.parallel_moves``, on by default) the listener
opens a second connection for the pass and a ``Mover`` thread moves batch N there while batch N+1 is
stored and processed. Only the IMAP commands run in the thread: the listener records where each
message went (``inbound_message.server_folder``) when it collects the move. What does not change:
- a message is moved only after the COMMIT of its processing (the listener hands over a batch's moves
  after ``process_many`` returned);
- at most one batch's moves are in flight; the listener collects them before handing over the next,
  and before the pass ends (so the next SEARCH never sees a message half way);
- a move that fails raises in the listener when collected, as a move on its own connection would:
  the listener reconnects, and the messages still in the folder are moved by their stored status
  (the leftovers of ``imap_connection``);
- the second connection selects the incoming folder and checks its UIDVALIDITY is the one the UIDs
  were fetched under (``UidValidityChanged`` otherwise: the listener reconnects and reads the folder
  again);
- a server that refuses the second connection (a limit on connections per user) costs nothing but
  speed: the pass moves on its own connection, with a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from imapclient import DELETED, IMAPClient
from imapclient.exceptions import CapabilityError

from mailbot.errors import TransientError

log = logging.getLogger(__name__)


class UidValidityChanged(TransientError):
    """The folder's UIDVALIDITY changed under the pass: its UIDs name other messages now."""


# The messages to leave on the server in a redacted copy: UID -> the stored (redacted) bytes.
Replacements = Mapping[int, bytes]


def move_uids(
    client: IMAPClient, method: str, uids: Sequence[int], target: str, replacements: Replacements | None = None
) -> None:
    """Move ``uids`` of the selected folder to ``target`` (server name) by ``method`` (``imap_plan.move_method``).

    A UID in ``replacements`` (a message stored with a card number) is not moved: its redacted copy is
    appended to ``target`` with the original's INTERNALDATE, then the original is deleted. A kill between
    the two leaves the original in the incoming folder; the next pass finds the copy in ``target`` by its
    Message-ID and only deletes the original (``imap_connection``: a message with no Message-ID is
    copied again: two redacted copies, never the card number)."""
    replacements = replacements or {}
    replaced = [u for u in uids if u in replacements]
    moved = [u for u in uids if u not in replacements]
    if replaced:
        dates = client.fetch(replaced, [b"INTERNALDATE"])
        for uid in replaced:
            client.append(target, replacements[uid], msg_time=dates.get(uid, {}).get(b"INTERNALDATE"))
        client.add_flags(replaced, [DELETED])
        expunge_uids(client, method, replaced)
    if not moved:
        return
    if method == "move":
        client.move(moved, target)
    else:
        client.copy(moved, target)
        client.add_flags(moved, [DELETED])
        expunge_uids(client, method, moved)


def expunge_uids(client: IMAPClient, method: str, uids: Sequence[int]) -> None:
    if method in ("uidplus", "move"):
        try:
            client.uid_expunge(list(uids))
            return
        except CapabilityError:  # a server with MOVE and no UIDPLUS
            pass
    client.expunge()  # without UIDPLUS: every message flagged \Deleted in the folder goes


# What a batch's moves are: server folder name -> UIDs.
Moves = Mapping[str, Sequence[int]]


@dataclass
class MoveJob:
    """One batch's moves handed to the mover: ``done`` names the target folders moved so far (those
    went through even when ``future`` raises for a later one)."""

    future: Future[None]
    done: list[str] = field(default_factory=list)


class Mover:
    """A second connection, on the incoming folder, and one thread that moves there; ``close`` when done."""

    def __init__(self, client: IMAPClient, folder: str, uidvalidity: int, method: str) -> None:
        self.client = client
        self.method = method
        self._pool: ThreadPoolExecutor | None = None
        try:
            selected = client.select_folder(folder)
            found = int(selected[b"UIDVALIDITY"])
            if found != uidvalidity:
                raise UidValidityChanged(f"imap folder {folder}: UIDVALIDITY {uidvalidity} became {found}")
        except BaseException:
            close_client(client)
            raise
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="imap-mover")

    @classmethod
    def open(cls, connect: Callable[[], IMAPClient], folder: str, uidvalidity: int, method: str) -> Mover | None:
        """A mover on a new connection, or None when the server will not give one (moves stay inline).

        ``UidValidityChanged`` is raised: the pass must not go on with its UIDs."""
        try:
            return cls(connect(), folder, uidvalidity, method)
        except UidValidityChanged:
            raise
        except Exception as exc:  # refused, or the folder could not be selected there: the pass goes on without
            log.warning(
                "imap: no second connection for moving (%s: %s); moving on the listener's own", type(exc).__name__, exc
            )
            return None

    def submit(self, moves: Moves, replacements: Replacements | None = None) -> MoveJob:
        if self._pool is None:
            raise RuntimeError("the mover is closed")
        done: list[str] = []
        future = self._pool.submit(
            self._move_all, {target: list(uids) for target, uids in moves.items()}, dict(replacements or {}), done
        )
        return MoveJob(future, done)

    def _move_all(self, moves: Mapping[str, list[int]], replacements: Replacements, done: list[str]) -> None:
        for target, uids in moves.items():
            move_uids(self.client, self.method, uids, target, replacements)
            done.append(target)

    def close(self) -> None:
        """Wait for what is in flight (its outcome is the caller's to collect), then log out."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
            close_client(self.client)


def close_client(client: IMAPClient) -> None:
    """LOGOUT, or drop the socket when the server does not answer; never raises."""
    try:
        client.logout()
    except Exception:
        try:
            client.shutdown()
        except Exception as exc:
            log.debug("imap: closing a connection: %s", exc)
