"""The Maildir intake: the embedded default, and the folder a local MTA delivers into.

``poll_maildir`` reads every message file in ``new/`` and ``cur/`` of ``inbound.maildir`` (relative
to ``general.data_dir``; created with ``new``/``cur``/``tmp`` when missing, so an MTA can deliver into
it), oldest first. Per file: ``store_raw`` and COMMIT, process, and only then move the file, with one
atomic rename, into the sub-maildir its outcome names: ``.processed``, ``.review`` or ``.quarantine``
(Maildir++ folders, so a mail client or Dovecot pointed at the maildir shows them). Nothing is deleted.
A file still there after a crash between commit and move is read again; ``store_raw`` answers the
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

from mailbot.app import App
from mailbot.db.engine import transaction
from mailbot.db.models import InboundStatus
from mailbot.inbound.pipeline import process_inbound
from mailbot.inbound.rules import RuleSet
from mailbot.inbound.store import store_raw

log = logging.getLogger(__name__)

SUBDIRS = ("new", "cur", "tmp")
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

    A database error (``OperationalError``) propagates: the file stays and the next poll tries again."""
    root = maildir_root(app)
    ensure_maildir(root)
    result = MaildirResult()
    for count, path in enumerate(message_files(root)):
        if should_stop() or (limit is not None and count >= limit):
            break
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            continue  # another process took it
        except OSError as exc:
            log.error("maildir %s: cannot read %s: %s", root, path.name, exc)
            result.unreadable.append(path.name)
            continue
        status = _store_and_process(app, rules, clock, raw, result)
        target = target_path(root, path, status)
        if target is None:
            result.waiting += 1
            continue
        _move(path, target)
        result.moved[target.parent.parent.name] = result.moved.get(target.parent.parent.name, 0) + 1
    return result


def _store_and_process(
    app: App, rules: RuleSet, clock: Callable[[], datetime], raw: bytes, result: MaildirResult
) -> InboundStatus:
    with transaction(app.sessions) as session:
        stored = store_raw(session, raw, source="maildir", now=clock(), config=app.config)
    if stored.duplicate:
        result.duplicates += 1
        return stored.status
    result.stored += 1
    if stored.status != InboundStatus.RECEIVED:  # too large: stored quarantined
        return stored.status
    return process_inbound(app, stored.inbound_id, clock(), rules).status


def _move(path: Path, target: Path) -> None:
    folder = target.parent.parent
    if not (folder / "cur").is_dir():
        ensure_maildir(folder)
        (folder / "maildirfolder").touch()  # marks a Maildir++ sub-folder
    try:
        os.replace(path, target)
    except FileNotFoundError:  # another process moved it first
        log.info("maildir: %s already moved", path.name)
