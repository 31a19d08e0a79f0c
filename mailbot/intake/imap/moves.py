"""Moving messages on the server: the IMAP commands, on one connection.

``move_uids`` is the one way a message is moved on the server (out of the incoming folder, or on from
the review folder once settled): MOVE where the server has it, else COPY + ``\\Deleted`` + UID EXPUNGE
with UIDPLUS, else COPY + ``\\Deleted`` + EXPUNGE. A message stored with a card number is not moved
but replaced: its redacted copy (what the database holds) is appended to the target folder and the
original deleted, so no copy we leave on the server holds the number.

The listener calls these on its own connection; with ``imap.overlap`` a thread calls them on a second
connection while the next batch is handled (``overlap.Mover``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

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
    """Move ``uids`` of the selected folder to ``target`` (server name) by ``method`` (``plan.move_method``).

    A UID in ``replacements`` (a message stored with a card number) is not moved: its redacted copy is
    appended to ``target`` with the original's INTERNALDATE, then the original is deleted. A kill between
    the two leaves the original in the incoming folder; the next pass finds the copy in ``target`` by its
    Message-ID and only deletes the original (``connection``: a message with no Message-ID is
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


def close_client(client: IMAPClient) -> None:
    """LOGOUT, or drop the socket when the server does not answer; never raises."""
    try:
        client.logout()
    except Exception:
        try:
            client.shutdown()
        except Exception as exc:
            log.debug("imap: closing a connection: %s", exc)
