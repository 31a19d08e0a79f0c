"""Waiting for mail between passes over the folder: IDLE where the server has it, polling otherwise.

Every wait is sliced into ``tick`` seconds, so a stop is noticed and the consumer lease renewed
(``keep_lease`` raises when it was lost). IDLE too ends after ``imap.poll_seconds`` at the latest, for a
pass over the folder: an announcement the connection missed (it can happen around a takeover or a
server's own resync) then costs one poll interval, never the rest of a 25-minute IDLE. A server that
says BYE, or a socket at EOF, raises ``ServerGoodbye``; the listener then reconnects.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from imapclient import IMAPClient

from mailbot.config import ImapConfig
from mailbot.errors import TransientError
from mailbot.intake.imap.plan import has_news, is_goodbye

IDLE_EOF_CHECKS = 3  # idle_check answering nothing, at once, this many times in a row: the socket is at EOF


class ServerGoodbye(TransientError):
    """The server closed the connection (BYE)."""


def poll_wait(seconds: float, *, tick: float, should_stop: Callable[[], bool], keep_lease: Callable[[], None]) -> None:
    """Sleep ``seconds`` in slices of ``tick``, renewing the lease, until then or a stop."""
    deadline = time.monotonic() + seconds
    while not should_stop() and time.monotonic() < deadline:
        keep_lease()
        time.sleep(min(tick, max(0.0, deadline - time.monotonic())))


def idle_until_mail(
    client: IMAPClient,
    imap: ImapConfig,
    key: str,
    *,
    tick: float,
    should_stop: Callable[[], bool],
    keep_lease: Callable[[], None],
) -> None:
    """IDLE until new mail, a stop, or ``min(idle_seconds, poll_seconds)``; DONE before returning."""
    deadline = time.monotonic() + min(imap.idle_seconds, imap.poll_seconds)
    # Mail announced in the answer to a command of the last pass after its SELECT (which drops what
    # SELECT itself said: see ``MailboxConnection.cycle``): the server will not announce it again in
    # IDLE, so pass over the folder again now.
    if take_announcements(client):
        return
    client.idle()
    quick_empty = 0
    # Mail that arrived since the last SEARCH is announced as IDLE starts, before "+ idling": imaplib
    # files that answer away instead of letting idle_check see it.
    if take_announcements(client):
        client.idle_done()
        return
    while not should_stop() and time.monotonic() < deadline:
        started = time.monotonic()
        responses = client.idle_check(timeout=tick)
        if is_goodbye(responses):  # no DONE to send: the caller drops the connection
            raise ServerGoodbye(f"imap {key}: the server closed the connection")
        if has_news(responses):
            break
        # imapclient swallows EOF: a dead connection reads as "readable, nothing said" at once.
        quick_empty = quick_empty + 1 if not responses and time.monotonic() - started < tick / 2 else 0
        if quick_empty >= IDLE_EOF_CHECKS:
            raise ServerGoodbye(f"imap {key}: the connection was closed while idling")
        keep_lease()
    client.idle_done()


def take_announcements(client: IMAPClient) -> bool:
    """Whether imaplib kept an EXISTS or RECENT answer for itself since the last call (then cleared)."""
    kept = getattr(getattr(client, "_imap", None), "untagged_responses", None)
    if not isinstance(kept, dict):
        return False
    return any([kept.pop("EXISTS", None), kept.pop("RECENT", None)])
