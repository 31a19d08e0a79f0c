"""The Maildir intake: the embedded default, and the folder a local MTA delivers into.

``poll_maildir`` reads every message file in ``new/`` and ``cur/`` of ``inbound.maildir`` (relative
to ``general.data_dir``; created with ``new``/``cur``/``tmp`` when missing, so an MTA can deliver into
it), oldest first, in batches (``BATCH`` files, ``BATCH_BYTES`` bytes). Per batch: ``store_many`` and
COMMIT, ``process_many`` (one transaction; a message that breaks it costs only itself), and only then
move each file, with one atomic rename, into the sub-maildir its outcome names: ``.processed``,
``.review`` or ``.quarantine`` (Maildir++ folders, so a mail client or Dovecot pointed at the maildir
shows them). Nothing is deleted, but for a message with a card number: what goes into its sub-maildir
is the redacted copy (what is stored), and the original is removed.
A file still there after a crash between commit and move is read again; ``store_many`` answers the
stored row (no second row) and the file is moved by that row's status. A message waiting for a retry
(still RECEIVED) stays where it is; ``process_pending`` retries it and a later poll moves it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from mailbot.act.pipeline import process_many
from mailbot.app import App
from mailbot.db.engine import transaction
from mailbot.domain import InboundStatus
from mailbot.intake.batches import plan_batches
from mailbot.intake.store import Origin, store_many
from mailbot.understand.rules import RuleSet

log = logging.getLogger(__name__)

SUBDIRS = ("new", "cur", "tmp")
# Messages stored in one COMMIT and processed in one transaction, and at most this many bytes of them
# (a larger file goes alone), as the IMAP listener's fetch batches (imap.fetch_batch*).
BATCH = 100
BATCH_BYTES = 32 * 1024 * 1024
STATUS_FOLDERS = {
    InboundStatus.PROCESSED: ".processed",
    InboundStatus.REVIEW: ".review",
    InboundStatus.QUARANTINED: ".quarantine",
}


@dataclass
class MaildirResult:
    stored: int = 0
    duplicates: int = 0
    moved: dict[str, int] = field(default_factory=dict)
    waiting: int = 0  # stored, still RECEIVED: left in place for a retry
    unreadable: list[str] = field(default_factory=list)


def maildir_root(app: App) -> Path:
    return app.config.path(app.config.inbound.maildir)


def ensure_maildir(root: Path) -> None:
    """``root`` with ``new``, ``cur`` and ``tmp`` (what an MTA needs to deliver into it)."""
    for sub in SUBDIRS:
        (root / sub).mkdir(parents=True, exist_ok=True)


def message_files(root: Path) -> list[Path]:
    """The messages waiting in ``new/`` and ``cur/``, oldest first (``tmp/`` is still being written)."""
    found: list[tuple[float, str, Path]] = []
    for sub in ("new", "cur"):
        folder = root / sub
        if not folder.is_dir():
            continue
        for entry in os.scandir(folder):
            if entry.name.startswith(".") or not entry.is_file():
                continue
            try:
                found.append((entry.stat().st_mtime, entry.name, Path(entry.path)))
            except FileNotFoundError:  # moved by another process meanwhile
                continue
    return [path for _, _, path in sorted(found)]


def target_path(root: Path, path: Path, status: InboundStatus) -> Path | None:
    """Where a message file goes for ``status``: ``<root>/.<folder>/cur/<name>:2,`` (None: it stays).

    A file from ``new/`` gets the ``:2,`` info suffix a file in ``cur/`` must have; flags are kept."""
    folder = STATUS_FOLDERS.get(status)
    if folder is None:
        return None
    name = path.name if ":2," in path.name else f"{path.name}:2,"
    return root / folder / "cur" / name


def poll_maildir(
    app: App,
    rules: RuleSet,
    clock: Callable[[], datetime],
    *,
    should_stop: Callable[[], bool] = lambda: False,
    limit: int | None = None,
) -> MaildirResult:
    """Store, process and move every waiting message (up to ``limit``); see the module's docstring.

    A database error (``OperationalError``) propagates: the files stay and the next poll tries again."""
    root = maildir_root(app)
    ensure_maildir(root)
    result = MaildirResult()
    files = message_files(root)[:limit]
    sizes: dict[int, int] = {}
    for i, path in enumerate(files):
        try:
            sizes[i] = path.stat().st_size
        except FileNotFoundError:  # another process took it: read as nothing below
            sizes[i] = 0
    for batch in plan_batches(range(len(files)), sizes, max_count=BATCH, max_bytes=BATCH_BYTES):
        if should_stop():
            break
        items: list[tuple[Path, bytes]] = []
        for i in batch:
            try:
                items.append((files[i], files[i].read_bytes()))
            except FileNotFoundError:
                continue  # another process took it
            except OSError as exc:
                log.error("maildir %s: cannot read %s: %s", root, files[i].name, exc)
                result.unreadable.append(files[i].name)
        placed = _store_and_process(app, rules, clock, [raw for _, raw in items], result, should_stop)
        for (path, _raw), (status, redacted) in zip(items, placed, strict=True):
            target = target_path(root, path, status)
            if target is None:
                result.waiting += 1
                continue
            _move(path, target, redacted)
            result.moved[target.parent.parent.name] = result.moved.get(target.parent.parent.name, 0) + 1
    return result


def _store_and_process(
    app: App,
    rules: RuleSet,
    clock: Callable[[], datetime],
    raws: list[bytes],
    result: MaildirResult,
    should_stop: Callable[[], bool],
) -> list[tuple[InboundStatus, bytes | None]]:
    """Store ``raws`` and COMMIT, then process the new ones together; the status of each, and its redacted
    bytes when card numbers were masked in it (``StoreResult.redacted``)."""
    if not raws:
        return []
    with transaction(app.sessions) as session:
        stored = store_many(session, [(None, raw) for raw in raws], Origin("maildir"), now=clock(), config=app.config)
    todo: list[int] = []
    for n, r in enumerate(stored):
        if r.duplicate:
            result.duplicates += 1
            continue
        result.stored += 1
        if r.status == InboundStatus.RECEIVED:  # not too large (stored quarantined)
            todo.append(n)
    parsed = {stored[n].inbound_id: p for n in todo if (p := stored[n].parsed) is not None}
    outcomes = process_many(
        app, [stored[n].inbound_id for n in todo], clock(), rules, should_stop=should_stop, already=parsed
    )
    final = [r.status for r in stored]
    for n, outcome in zip(todo, outcomes, strict=False):  # a stop leaves the rest RECEIVED: they wait
        final[n] = outcome.status
    # A file and its copy in one batch: the copy goes where the message's processing put it.
    processed = {stored[n].inbound_id: final[n] for n in todo}
    return [
        (processed.get(r.inbound_id, final[n]) if r.duplicate else final[n], r.redacted) for n, r in enumerate(stored)
    ]


def _move(path: Path, target: Path, redacted: bytes | None = None) -> None:
    """Move the file with one rename; a message whose card numbers were masked is written there redacted
    instead (through the folder's ``tmp/``, synced, renamed in), and only then is the original removed: a
    kill in between leaves the original to be read again (a copy of what is stored) and replaced again."""
    folder = target.parent.parent
    if not (folder / "cur").is_dir():
        ensure_maildir(folder)
        (folder / "maildirfolder").touch()  # marks a Maildir++ sub-folder
    try:
        if redacted is None:
            os.replace(path, target)
        elif path.exists():
            write_atomically(target, redacted)
            path.unlink()
        else:
            raise FileNotFoundError(path)
    except FileNotFoundError:  # another process moved it first
        log.info("maildir: %s already moved", path.name)


def write_atomically(target: Path, data: bytes) -> None:
    """``data`` as the file ``target`` of a maildir folder: written in the folder's ``tmp/``, synced, then
    renamed in, so a reader never sees it half written."""
    tmp = target.parent.parent / "tmp" / target.name
    tmp.parent.mkdir(exist_ok=True)
    with open(tmp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, target)
