"""One logged-in IMAP connection's work on the incoming folder of one mailbox.

Per batch of up to ``imap.fetch_batch`` messages and ``imap.fetch_batch_bytes`` bytes (``plan_batches``;
the size of each message larger than its share is asked for first): ``UID FETCH BODY.PEEK[]`` (never
``\\Seen``: people read these mailboxes too), ``store_many`` and COMMIT (with the folder's highest UID
seen), process them (``process_many``: one transaction, one failure costs only its message), and only
then move each on the server to the ``imap.processed_folder``, ``review_folder`` or
``quarantine_folder`` its outcome names (``moves.move_uids``). A message whose processing must be
retried stays in the incoming folder. Here these steps run one after the other; when several batches
wait and ``imap.overlap`` is on, ``overlap.Overlap`` runs the same steps overlapped (batch N+1 read
ahead in a worker process, batch N's moves on a second connection, batch N+2 fetched meanwhile).

State per folder lives in ``MailboxState``: the UIDVALIDITY and the highest UID stored. UIDs above it
are new. UIDs at or below it that are still in the folder were stored but not moved (a crash between
commit and move, or a retry): they are moved by their stored status, or fetched again when no row has
their UID (``store_many`` then answers the stored row, so nothing is stored twice). A UIDVALIDITY change
resets the state and every message in the folder is read again, deduplicated the same way.

Between passes ``wait_for_mail`` waits in IDLE (where the server has it and ``imap.idle`` is on) or
polls (``wait``). The decisions live in ``plan``; the lease, reconnecting and backoff in the
listener (``listener``).
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from imapclient import DELETED, IMAPClient
from imapclient.exceptions import IMAPClientError
from sqlalchemy import select, update

from mailbot.act.pipeline import AlreadyRead, process_many
from mailbot.app import App
from mailbot.db.engine import transaction
from mailbot.db.models import InboundMessage, MailboxState
from mailbot.domain import InboundStatus
from mailbot.intake.batches import plan_batches, small_size
from mailbot.intake.folders import folder_for
from mailbot.intake.imap.moves import Moves, Replacements, UidValidityChanged, expunge_uids, move_uids
from mailbot.intake.imap.overlap import Destinations, Fetched, Overlap, PreparedAndRead
from mailbot.intake.imap.plan import (
    FetchPlan,
    FolderState,
    has_capability,
    mailbox_key,
    move_method,
    plan_fetch,
    plan_leftovers,
    server_folder_name,
)
from mailbot.intake.imap.wait import idle_until_mail, poll_wait, take_announcements
from mailbot.intake.prepare import Prepared, read_envelope
from mailbot.intake.store import Origin, StoreResult, store_many
from mailbot.understand.rules import RuleSet

log = logging.getLogger(__name__)

SETTLED_BATCH = 100  # settled messages moved out of the review folder per pass
# server_folder beside the folder names: NULL, not moved (yet); UNKNOWN, perhaps moved and not known where
# (a move whose answer failed, or one made by an earlier version, which recorded the folder only after
# moving: migration 0005), looked for in the review folder once settled; LOST, looked for there and not
# found, never looked for again.
UNKNOWN = "?"
LOST = ""


Clock = Callable[[], datetime]


@dataclass
class Counters:
    """What a listener or a drain did (for logs, tests and the benchmark)."""

    stored: int = 0
    duplicates: int = 0
    processed: int = 0
    moved: dict[str, int] = field(default_factory=dict)
    cycles: int = 0
    connections: int = 0
    resets: int = 0

    def add_moved(self, folder: str, count: int) -> None:
        self.moved[folder] = self.moved.get(folder, 0) + count

    def words(self) -> str:
        """What was done, for a log line: ``12 stored (1 already there), 12 processed, 12 moved to Processed``."""
        parts = [f"{self.stored} stored" + (f" ({self.duplicates} already there)" if self.duplicates else "")]
        parts.append(f"{self.processed} processed")
        parts += [f"{n} moved to {folder}" for folder, n in sorted(self.moved.items())]
        if self.connections:
            parts.append(f"{self.connections} connection{'s' if self.connections != 1 else ''}")
        if self.resets:
            parts.append(f"{self.resets} UIDVALIDITY reset{'s' if self.resets != 1 else ''}")
        return ", ".join(parts)


@dataclass
class Listening:
    """What a connection's work answers to, given by the listener or drain that opened it: the clock,
    the counters it adds to, whether to stop, and how to keep the mailbox's lease."""

    clock: Clock
    counters: Counters
    should_stop: Callable[[], bool] = lambda: False
    keep_lease: Callable[[], None] = lambda: None


class MailboxConnection:
    """One logged-in connection's work on the incoming folder: prepare folders, run cycles, wait."""

    def __init__(
        self, app: App, rules: RuleSet, client: IMAPClient, listening: Listening, overlap: Overlap | None = None
    ) -> None:
        """``overlap``: the listener's speed machinery, used for a pass of several batches when it is
        enabled (``imap.overlap``); None: every step here, one at a time."""
        self.app = app
        self.config = app.config
        self.rules = rules
        self.client = client
        self.clock = listening.clock
        self.counters = listening.counters
        self.should_stop = listening.should_stop
        self.keep_lease = listening.keep_lease
        self.overlap = overlap
        self.key = mailbox_key(app.config.imap)
        caps = client.capabilities()
        self.method = move_method(caps)
        self.can_idle = app.config.imap.idle and has_capability(caps, "IDLE")
        self.server_names = self._prepare_folders()

    # folders

    def _prepare_folders(self) -> dict[str, str]:
        imap = self.config.imap
        delimiter = self._delimiter()
        names = {n: server_folder_name(n, delimiter) for n in (imap.folder, *self._targets())}
        for name in self._targets():
            server = names[name]
            if not self.client.folder_exists(server):
                log.info("imap %s: creating folder %s", self.key, server)
                try:
                    self.client.create_folder(server)
                except IMAPClientError:
                    if not self.client.folder_exists(server):  # not "it was there after all" (ALREADYEXISTS)
                        raise
        return names

    def _targets(self) -> tuple[str, str, str]:
        imap = self.config.imap
        return (imap.processed_folder, imap.review_folder, imap.quarantine_folder)

    def _delimiter(self) -> str | None:
        try:
            listed = self.client.list_folders("", "")
        except Exception:
            return None
        for _flags, delimiter, _name in listed:
            if delimiter:
                return delimiter.decode("ascii", "replace") if isinstance(delimiter, bytes) else str(delimiter)
        return None

    # one pass

    def cycle(self) -> int:
        """Move on what staff settled in the review folder, then select the folder, store and move
        everything in it (new mail and leftovers); how many were new."""
        self.move_settled()
        incoming = self.server_names[self.config.imap.folder]
        selected = self.client.select_folder(incoming)
        # SELECT's own EXISTS/RECENT is the folder's size, not news; anything announced from here on is.
        take_announcements(self.client)
        uidvalidity = int(selected[b"UIDVALIDITY"])
        uids = [int(u) for u in self.client.search("ALL")]
        plan = plan_fetch(self._load_state(), uidvalidity, uids)
        if plan.reset:
            self._reset_state(uidvalidity)
        if plan.leftover:
            self._handle_leftovers(plan)
        self._take(plan.new, uidvalidity)
        self.counters.cycles += 1
        return len(plan.new)

    def catch_up(self) -> None:
        """Cycle until one finds nothing new. Mail that arrived during a cycle was announced in the answer
        to one of its commands, which imaplib keeps to itself; IDLE would not announce it again."""
        while self.cycle() and not self.should_stop():
            pass

    def _load_state(self) -> FolderState | None:
        with self.app.sessions() as session:
            row = session.get(MailboxState, self.key)
            return FolderState(int(row.uidvalidity), int(row.last_uid)) if row is not None else None

    def _reset_state(self, uidvalidity: int) -> None:
        with transaction(self.app.sessions) as session:
            row = session.get(MailboxState, self.key)
            if row is None:
                session.add(MailboxState(mailbox=self.key, uidvalidity=uidvalidity, last_uid=0))
                log.info("imap %s: first look at the folder (UIDVALIDITY %s)", self.key, uidvalidity)
            else:
                log.warning(
                    "imap %s: UIDVALIDITY changed %s -> %s, reading the whole folder again",
                    self.key,
                    row.uidvalidity,
                    uidvalidity,
                )
                row.uidvalidity, row.last_uid = uidvalidity, 0
        self.counters.resets += 1

    def _handle_leftovers(self, plan: FetchPlan) -> None:
        with self.app.sessions() as session:
            rows = session.execute(
                select(
                    InboundMessage.uid,
                    InboundMessage.status,
                    InboundMessage.id,
                    InboundMessage.message_id,
                    InboundMessage.card_number_detected,
                ).where(
                    InboundMessage.mailbox == self.key,
                    InboundMessage.uidvalidity == plan.uidvalidity,
                    InboundMessage.uid.in_(plan.leftover),
                )
            ).all()
        known = {int(r.uid): InboundStatus(r.status) for r in rows if r.uid is not None}
        ids = {int(r.uid): int(r.id) for r in rows if r.uid is not None}
        flags = self.client.get_flags(list(plan.leftover)) if self.method != "move" else {}
        deleted = [int(uid) for uid, f in flags.items() if DELETED in f]
        lp = plan_leftovers(self.config, plan.leftover, known, deleted)
        if lp.moves or lp.expunge:
            log.info(
                "imap %s: moving %d message(s) stored before but left in the folder",
                self.key,
                sum(len(v) for v in lp.moves.values()) + len(lp.expunge),
            )
        replaced = {int(r.uid): r.message_id for r in rows if r.uid is not None and r.card_number_detected}
        copied = self._copied_before(lp.moves, replaced, plan.uidvalidity)
        if copied:  # their redacted copy is in the target already: only the original is left to delete
            self.client.add_flags(sorted(copied), [DELETED])
        for folder, uids in lp.moves.items():
            if pairs := [(u, ids[u]) for u in uids if u not in copied]:
                self._move(folder, pairs)
        if lp.expunge or copied:
            self._expunge(sorted({*lp.expunge, *copied}))
        if lp.refetch:
            self._take(lp.refetch, plan.uidvalidity)

    def _copied_before(
        self, moves: Mapping[str, Sequence[int]], replaced: Mapping[int, str | None], uidvalidity: int
    ) -> set[int]:
        """Of the leftovers to replace by their redacted copy (``replaced``: UID -> Message-ID), those whose
        copy is in their target folder already: a kill came between the APPEND and the deletion of the
        original. Looked for there by Message-ID (a message with none is replaced again), then the incoming
        folder is selected again, under the same UIDVALIDITY."""
        wanted = {folder: [u for u in uids if replaced.get(u)] for folder, uids in moves.items()}
        wanted = {folder: uids for folder, uids in wanted.items() if uids}
        if not wanted:
            return set()
        copied: set[int] = set()
        for folder, uids in wanted.items():
            self.client.select_folder(self.server_names[folder], readonly=True)
            copied |= {u for u in uids if self._uids_of(replaced[u] or "")}
        selected = self.client.select_folder(self.server_names[self.config.imap.folder])
        if int(selected[b"UIDVALIDITY"]) != uidvalidity:
            raise UidValidityChanged(f"imap {self.key}: UIDVALIDITY {uidvalidity} changed during the pass")
        return copied

    def _take(self, uids: Sequence[int], uidvalidity: int) -> None:
        """Fetch, store (one COMMIT per batch), process (one transaction per batch), then move, in
        batches; a stop ends the batch being read (the rest stays in the folder). Several batches with
        ``imap.overlap`` on: the same steps, overlapped (``overlap.Overlap.take``)."""
        batches = self._plan_batches(uids)
        if self.overlap is not None and self.overlap.enabled and len(batches) > 1:
            incoming = self.server_names[self.config.imap.folder]
            self.overlap.take(self, batches, self.rules, folder=incoming, uidvalidity=uidvalidity, method=self.method)
            return
        for batch in batches:
            if self.should_stop():
                return
            items = self.fetch(batch)
            if items:
                self.move(self.handle(items, None, uidvalidity))

    def _plan_batches(self, uids: Sequence[int]) -> list[tuple[int, ...]]:
        """``uids`` in fetch batches (``plan_batches``): the server is asked which of the folder's
        messages are larger than a small one (``UID SEARCH LARGER``) and, if any, their sizes."""
        imap = self.config.imap
        large: dict[int, int] = {}
        if len(uids) > 1:
            wanted = set(uids)
            big = [
                int(u)
                for u in self.client.search(["LARGER", small_size(imap.fetch_batch, imap.fetch_batch_bytes)])
                if int(u) in wanted
            ]
            if big:
                sizes = self.client.fetch(big, [b"RFC822.SIZE"])
                # One expunged since is missing here: counted as small, and missing from its fetch too.
                large = {u: int(sizes[u][b"RFC822.SIZE"]) for u in big if b"RFC822.SIZE" in sizes.get(u, {})}
        return plan_batches(uids, large, max_count=imap.fetch_batch, max_bytes=imap.fetch_batch_bytes)

    # the steps of a pass (``overlap.PassSteps``)

    def fetch(self, batch: Sequence[int]) -> Fetched:
        fetched = self.client.fetch(list(batch), [b"BODY.PEEK[]"])
        # A UID expunged by someone else since the SEARCH is not in the answer.
        return [(uid, bytes(raw)) for uid in batch if (raw := fetched.get(uid, {}).get(b"BODY[]")) is not None]

    def handle(self, items: Fetched, ahead: Sequence[PreparedAndRead | None] | None, uidvalidity: int) -> Destinations:
        """Store and process one fetched batch (``ahead``: what the reading worker prepared and read of
        it, by position, None for a message it did not); where each of its messages goes."""
        self.keep_lease()
        ready = [p.prepared if p is not None else None for p in ahead] if ahead is not None else None
        destinations: Destinations = {}
        todo: list[tuple[int, int]] = []
        already: dict[int, AlreadyRead] = {}
        results = self._store(items, uidvalidity, ready)
        for n, ((uid, _raw), result) in enumerate(zip(items, results, strict=True)):
            if result.duplicate:
                self.counters.duplicates += 1
                log.info("imap %s: UID %s is a copy of stored message id %s", self.key, uid, result.inbound_id)
            else:
                self.counters.stored += 1
            if result.status == InboundStatus.RECEIVED and not result.duplicate:
                todo.append((uid, result.inbound_id))
                if ahead is not None and (pre := ahead[n]) is not None and pre.reading is not None:
                    already[result.inbound_id] = pre.reading
                elif result.parsed is not None:
                    already[result.inbound_id] = result.parsed
            else:  # a copy (moved by its stored status), or stored quarantined (too large)
                self._send_to(destinations, uid, result.inbound_id, result.status)
        del items, ahead, ready
        outcomes = process_many(
            self.app,
            [i for _, i in todo],
            self.clock(),
            self.rules,
            should_stop=self.should_stop,
            already=already,
        )
        del already
        self.counters.processed += len(outcomes)
        for (uid, inbound_id), outcome in zip(todo, outcomes, strict=False):  # a stop leaves the rest waiting
            self._send_to(destinations, uid, inbound_id, outcome.status)
        return destinations

    def _send_to(self, destinations: Destinations, uid: int, inbound_id: int, status: InboundStatus) -> None:
        """Add the message to the folder its ``status`` names, unless that is the incoming folder (it stays)."""
        target = folder_for(self.config, status)
        if target != self.config.imap.folder:
            destinations.setdefault(target, []).append((uid, inbound_id))

    def _store(
        self, items: Sequence[tuple[int, bytes]], uidvalidity: int, ready: Sequence[Prepared | None] | None = None
    ) -> list[StoreResult]:
        """Store a fetched batch and the folder's highest UID, and COMMIT: only then may anything move.
        A failure stores none of the batch (the caller moves nothing; the messages are fetched again)."""
        with transaction(self.app.sessions) as session:
            results = store_many(
                session,
                items,
                Origin("imap", mailbox=self.key, uidvalidity=uidvalidity),
                now=self.clock(),
                config=self.config,
                ready=ready,
            )
            top = max(uid for uid, _ in items)
            state = session.get(MailboxState, self.key)
            if state is None:
                session.add(MailboxState(mailbox=self.key, uidvalidity=uidvalidity, last_uid=top))
            elif state.uidvalidity != uidvalidity:
                state.uidvalidity, state.last_uid = uidvalidity, top
            elif top > state.last_uid:
                state.last_uid = top
        # Committed: from here on a crash leaves the messages in the folder, found again as leftovers.
        return results

    def move(self, destinations: Destinations) -> None:
        """Move a handled batch on this connection, each folder's messages recorded first (``_move``)."""
        for folder, pairs in destinations.items():
            self._move(folder, pairs)

    def hand_over(self, destinations: Destinations) -> tuple[Moves, Replacements]:
        """Record where a handled batch goes (before the moves: see ``_move``), and what the second
        connection is to do: server folder -> UIDs, and the redacted copies to leave in their place."""
        self._record({f: [i for _, i in pairs] for f, pairs in destinations.items()})
        redacted = self._redacted([pair for pairs in destinations.values() for pair in pairs])
        moves = {self.server_names[f]: [u for u, _ in pairs] for f, pairs in destinations.items()}
        return moves, redacted

    def collected(self, destinations: Destinations, done: Sequence[str], failed: bool) -> None:
        """Moves handed over ended (recorded when handed over): count those that went through (``done``:
        server folders); a failure leaves the others not known (they are moved again as leftovers)."""
        if failed:
            lost = [i for f, pairs in destinations.items() if self.server_names[f] not in done for _, i in pairs]
            self._forget_quietly(lost)
        for folder, pairs in destinations.items():
            if self.server_names[folder] in done:
                self.counters.add_moved(folder, len(pairs))

    def move_settled(self) -> int:
        """Messages this listener moved to the review folder that no longer wait for a person (staff
        approved or rejected their tickets: PROCESSED) go where their status says now. Each is found
        in the review folder by its Message-ID (``UID SEARCH HEADER``, then the header compared
        exactly); one that is no longer there (a person moved or deleted it), or has no Message-ID to
        find it by, is left alone and no longer looked for (``server_folder`` empty, with a log line).
        At most ``SETTLED_BATCH`` a pass. How many were moved."""
        imap = self.config.imap
        # Also those perhaps moved there unrecorded (UNKNOWN). Looked for once; not found, they are LOST.
        # Not those with no folder yet: still in the incoming folder, moved as leftovers.
        where = InboundMessage.server_folder.in_([imap.review_folder, UNKNOWN])
        with self.app.sessions() as session:
            settled = session.execute(
                select(InboundMessage.id, InboundMessage.message_id, InboundMessage.status)
                .where(
                    where,
                    InboundMessage.mailbox == self.key,
                    InboundMessage.status.not_in([InboundStatus.REVIEW, InboundStatus.RECEIVED]),
                )
                .order_by(InboundMessage.id)
                .limit(SETTLED_BATCH)
            ).all()
        if not settled:
            return 0
        self.client.select_folder(self.server_names[imap.review_folder])
        moves: Destinations = {}  # target -> (UID, inbound id), a message's every copy found there
        lost: list[int] = []
        for inbound_id, message_id, status in settled:
            uids = self._uids_of(message_id) if message_id else []
            if not uids:
                lost.append(inbound_id)
                continue
            moves.setdefault(folder_for(self.config, InboundStatus(status)), []).extend((u, inbound_id) for u in uids)
        for folder, pairs in moves.items():
            self._move(folder, sorted(dict(pairs).items()))
        if lost:
            log.warning(
                "imap %s: %d settled message(s) not found in %s by Message-ID, left where they are (inbound ids %s)",
                self.key,
                len(lost),
                imap.review_folder,
                lost,
            )
            self._record({LOST: lost})
        return sum(len({i for _, i in pairs}) for pairs in moves.values())

    def _uids_of(self, message_id: str) -> list[int]:
        """The UIDs in the selected folder of the messages whose Message-ID is ``message_id`` (normalised):
        SEARCH HEADER matches a substring, so each hit's header is read and compared."""
        hits = [int(u) for u in self.client.search(["HEADER", "Message-ID", message_id])]
        if not hits:
            return []
        found = self.client.fetch(hits, [b"BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
        same: list[int] = []
        for uid in hits:
            data = found.get(uid, {})
            header = next((bytes(v) for k, v in data.items() if k.startswith(b"BODY[HEADER.FIELDS")), b"")
            if read_envelope(header).message_id == message_id:  # normalised as it was stored
                same.append(uid)
        return same

    def _move(self, folder: str, pairs: Sequence[tuple[int, int]]) -> None:
        """Record the folder, COMMIT, then move. A crash between the two leaves the record true or the
        messages still in the incoming folder, where the next pass finds them as leftovers and moves (and
        records) them again; never a message moved with no record of where (which, in the review folder,
        would never be moved on once settled)."""
        inbound_ids = sorted({i for _, i in pairs})
        self._record({folder: inbound_ids})
        redacted = self._redacted(pairs)
        try:
            move_uids(self.client, self.method, [u for u, _ in pairs], self.server_names[folder], redacted)
        except Exception:
            self._forget_quietly(inbound_ids)
            raise
        self.counters.add_moved(folder, len(inbound_ids))

    def _redacted(self, pairs: Sequence[tuple[int, int]]) -> dict[int, bytes]:
        """UID -> the stored (redacted) copy, for those of ``pairs`` (UID, inbound id) stored with a card
        number: what the server keeps in their place (``move_uids``)."""
        ids = {inbound_id for _, inbound_id in pairs}
        if not ids:
            return {}
        with self.app.sessions() as session:
            rows = session.execute(
                select(InboundMessage.id, InboundMessage.raw_compressed).where(
                    InboundMessage.id.in_(ids), InboundMessage.card_number_detected.is_(True)
                )
            )
            found = {int(inbound_id): bytes(raw) for inbound_id, raw in rows}
        return {uid: zlib.decompress(found[inbound_id]) for uid, inbound_id in pairs if inbound_id in found}

    def _forget_quietly(self, inbound_ids: list[int]) -> None:
        """A move failed: where its messages are is not known (most likely still in the incoming folder,
        moved again as leftovers; or moved, the answer lost: then looked for once settled)."""
        try:
            self._record({UNKNOWN: inbound_ids})
        except Exception as exc:  # the move's own error is the one to raise
            log.warning("imap %s: could not record that a move failed: %s", self.key, type(exc).__name__)

    def _record(self, moved: dict[str, list[int]]) -> None:
        """Where the messages are on the server, or are being moved to (``inbound_message.server_folder``;
        ``UNKNOWN`` and ``LOST``: see there)."""
        with transaction(self.app.sessions) as session:
            for folder, inbound_ids in moved.items():
                session.execute(
                    update(InboundMessage).where(InboundMessage.id.in_(set(inbound_ids))).values(server_folder=folder)
                )

    def _expunge(self, uids: list[int]) -> None:
        expunge_uids(self.client, self.method, uids)

    # waiting for mail

    def wait_for_mail(self, tick: float) -> None:
        """Until new mail (IDLE) or ``poll_seconds`` (polling), a stop, or the IDLE period ends."""
        if self.can_idle:
            idle_until_mail(
                self.client,
                self.config.imap,
                self.key,
                tick=tick,
                should_stop=self.should_stop,
                keep_lease=self.keep_lease,
            )
        else:
            poll_wait(
                self.config.imap.poll_seconds, tick=tick, should_stop=self.should_stop, keep_lease=self.keep_lease
            )
