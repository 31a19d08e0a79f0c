"""The Maildir intake and ``mailbot ingest``: store and commit first, then process, then move; exit codes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from mailbot.app import App, create_app
from mailbot.cli import main
from mailbot.db.models import Ticket
from mailbot.domain import InboundStatus
from mailbot.intake.maildir import message_files, poll_maildir, target_path
from mailbot.understand.rules import RuleSet
from tests.support.inbound import rows
from tests.support.maildir import NOW, deliver

CORPUS = Path(__file__).parent / "corpus"
ROOT = Path(__file__).resolve().parent.parent


FOLDER_OF = {
    InboundStatus.PROCESSED: ".processed",
    InboundStatus.REVIEW: ".review",
    InboundStatus.QUARANTINED: ".quarantine",
}


def test_each_message_is_stored_processed_and_moved_by_its_outcome(app: App, rules: RuleSet) -> None:
    root = app.config.path(app.config.inbound.maildir)
    deliver(root, "1000.a.host", (CORPUS / "auto_reply_it.eml").read_bytes())
    deliver(root, "1001.b.host:2,S", (CORPUS / "card_change_en.eml").read_bytes(), sub="cur")
    deliver(root, ".hidden", b"not a message")
    (root / "tmp" / "1002.c.host").write_bytes(b"still being written by the MTA")

    result = poll_maildir(app, rules, lambda: NOW)
    assert (result.stored, result.duplicates, result.waiting) == (2, 0, 0)
    stored = rows(app)
    assert [r.source for r in stored] == ["maildir", "maildir"]
    assert all(r.status != InboundStatus.RECEIVED for r in stored)
    moved = sorted(p.relative_to(root).as_posix() for p in root.glob(".*/cur/*"))
    expected = sorted(
        [f"{FOLDER_OF[stored[0].status]}/cur/1000.a.host:2,", f"{FOLDER_OF[stored[1].status]}/cur/1001.b.host:2,S"]
    )
    assert moved == expected  # ":2," added for new/, flags kept for cur/
    assert message_files(root) == []  # nothing left in new/ or cur/ but the dotfile
    assert (root / "new" / ".hidden").exists() and (root / "tmp" / "1002.c.host").exists()
    assert (root / FOLDER_OF[stored[0].status] / "maildirfolder").exists()

    assert poll_maildir(app, rules, lambda: NOW).stored == 0  # nothing to do twice


def test_a_crash_between_commit_and_move_stores_nothing_twice(
    app: App, rules: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = app.config.path(app.config.inbound.maildir)
    deliver(root, "2000.a.host", (CORPUS / "invoice_request_it.eml").read_bytes())

    class Crash(BaseException):
        pass

    def crash(*_: object) -> None:
        raise Crash

    with monkeypatch.context() as patched:
        patched.setattr("mailbot.intake.maildir._move", crash)
        with pytest.raises(Crash):
            poll_maildir(app, rules, lambda: NOW)
    (row,) = rows(app)
    assert (root / "new" / "2000.a.host").exists()  # committed, not moved

    result = poll_maildir(app, rules, lambda: NOW)
    assert (result.stored, result.duplicates) == (0, 1)
    (again,) = rows(app)
    assert again.id == row.id
    assert (root / FOLDER_OF[again.status] / "cur" / "2000.a.host:2,").exists()
    assert message_files(root) == []


def test_an_oversized_message_is_quarantined_not_dropped(app: App, rules: RuleSet, tmp_path: Path) -> None:
    small = replace(app.config, inbound=replace(app.config.inbound, max_message_bytes=1024))
    small_app = create_app(small, engine=app.engine)
    root = small.path(small.inbound.maildir)
    raw = (CORPUS / "other_it.eml").read_bytes() + b"\n" + b"x" * 4096 + b"\n"
    deliver(root, "3000.big.host", raw)
    poll_maildir(small_app, rules, lambda: NOW)
    (row,) = rows(app)
    assert row.status == InboundStatus.QUARANTINED and "too large" in (row.error or "")
    assert (root / ".quarantine" / "cur" / "3000.big.host:2,").read_bytes() == raw
    with app.sessions() as session:
        assert session.scalars(select(Ticket).where(Ticket.inbound_id == row.id)).one()


def test_a_message_waiting_for_a_retry_stays_in_place(
    app: App, rules: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mailbot.errors import TransientError

    def flaky(*_: object, **__: object) -> None:
        raise TransientError("the payment gateway did not answer")

    monkeypatch.setattr("mailbot.act.pipeline.read_message", flaky)
    root = app.config.path(app.config.inbound.maildir)
    path = deliver(root, "4000.a.host", (CORPUS / "upgrade_it.eml").read_bytes())
    result = poll_maildir(app, rules, lambda: NOW)
    assert result.waiting == 1 and path.exists()
    (row,) = rows(app)
    assert row.status == InboundStatus.RECEIVED and row.attempts == 1


def test_target_path_keeps_names_and_flags(tmp_path: Path) -> None:
    assert target_path(tmp_path, tmp_path / "new" / "1.x", InboundStatus.REVIEW) == tmp_path / ".review/cur/1.x:2,"
    assert target_path(tmp_path, tmp_path / "cur" / "1.x:2,RS", InboundStatus.PROCESSED) == (
        tmp_path / ".processed/cur/1.x:2,RS"
    )
    assert target_path(tmp_path, tmp_path / "cur" / "1.x:2,", InboundStatus.RECEIVED) is None


def test_runner_polls_the_maildir_when_there_is_no_imap(app: App, rules: RuleSet) -> None:
    from mailbot.outbound.senders import MemorySender
    from mailbot.runner import Runner

    config = replace(app.config, schedule=replace(app.config.schedule, maildir_interval_seconds=0.1))
    runner = Runner(create_app(config, engine=app.engine), MemorySender(), rules=rules)
    assert runner.listener is None
    root = config.path(config.inbound.maildir)

    async def scenario() -> None:
        task = asyncio.create_task(runner.run_until_stopped())
        await asyncio.sleep(0.2)
        deliver(root, "5000.a.host", (CORPUS / "list_traffic.eml").read_bytes())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        while message_files(root):
            assert loop.time() < deadline, "gave up waiting"
            await asyncio.sleep(0.05)
        runner.request_stop()
        await asyncio.wait_for(task, 10)

    asyncio.run(scenario())
    (row,) = rows(app)
    assert row.status != InboundStatus.RECEIVED


# -- mailbot ingest ---------------------------------------------------------------------------------


def test_ingest_a_file_stores_and_processes_then_a_duplicate_still_exits_0(
    app: App, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    eml = str(CORPUS / "payment_notice_en.eml")
    assert main(["--config", str(config_file), "ingest", eml]) == 0
    assert "stored:" in capsys.readouterr().out
    (row,) = rows(app)
    assert row.source == "file" and row.status != InboundStatus.RECEIVED

    assert main(["--config", str(config_file), "ingest", eml]) == 0
    assert f"already stored as id {row.id}" in capsys.readouterr().out
    assert len(rows(app)) == 1


def test_ingest_no_process_leaves_it_pending(app: App, config_file: Path) -> None:
    assert main(["--config", str(config_file), "ingest", "--no-process", str(CORPUS / "other_it.eml")]) == 0
    (row,) = rows(app)
    assert row.status == InboundStatus.RECEIVED


def test_ingest_unreadable_and_empty_input(
    tmp_path: Path, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.eml"
    assert main(["--config", str(config_file), "ingest", str(missing)]) == 66
    err = capsys.readouterr().err
    assert f"cannot read {missing}" in err and "No such file" in err
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"\n")
    assert main(["--config", str(config_file), "ingest", str(empty)]) == 65
    assert "empty message" in capsys.readouterr().err


def test_ingest_exits_75_when_the_database_is_unreachable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "broken.toml"
    config.write_text(
        f'[general]\ndata_dir = "{tmp_path}"\n'
        f'[database]\nurl = "sqlite:///{tmp_path}/no/such/folder/mailbot.db"\n'
        '[links]\nsecret = "test-secret"\n',
        encoding="utf-8",
    )
    assert main(["--config", str(config), "ingest", str(CORPUS / "other_it.eml")]) == 75
    assert "database unavailable" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("[imap]\nport = 'x'\n", encoding="utf-8")
    assert main(["--config", str(bad), "ingest", str(CORPUS / "other_it.eml")]) == 75
    assert "imap.port" in capsys.readouterr().err


def test_ingest_from_a_pipe_like_an_mta(app: App, config_file: Path) -> None:
    raw = (CORPUS / "autorenew_on_it.eml").read_bytes()
    command = [sys.executable, "-m", "mailbot", "--config", str(config_file), "ingest", "-"]
    done = subprocess.run(command, input=raw, capture_output=True, cwd=ROOT, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode()
    (row,) = rows(app)
    assert row.source == "pipe"
    again = subprocess.run(command, input=raw, capture_output=True, cwd=ROOT, timeout=60, check=False)
    assert again.returncode == 0 and b"already stored" in again.stdout
    assert len(rows(app)) == 1


def test_a_burst_is_stored_and_processed_in_batches_each_file_moved_by_its_outcome(
    app: App, rules: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """250 files (one delivered twice, one that breaks reading): three batches of at most 100, one
    COMMIT and one processing transaction each; the copy is a duplicate, the broken one quarantined
    on its own, every file moved by the outcome of its row."""
    import mailbot.act.pipeline as pipeline
    import mailbot.intake.maildir as maildir_module
    import mailbot.understand.reading as understand

    root = app.config.path(app.config.inbound.maildir)
    names = sorted(p.stem for p in CORPUS.glob("*.eml"))
    for n in range(249):
        raw = (CORPUS / f"{names[n % len(names)]}.eml").read_bytes()
        head, sep, body = raw.partition(b"\n\n")
        kept = b"\n".join(line for line in head.split(b"\n") if not line.lower().startswith(b"message-id:"))
        poison = b"\nX-Test-Poison: yes" if n == 150 else b""
        deliver(
            root, f"{5000 + n}.host", kept + f"\nMessage-ID: <burst-{n}@example.org>".encode() + poison + sep + body
        )
    deliver(root, "5999.copy.host", (root / "new" / "5010.host").read_bytes())
    real_read = understand.read_message

    def read_message(raw: bytes, **kw: object) -> object:
        if b"X-Test-Poison: yes" in raw:
            raise RuntimeError("the parser broke on this message")
        return real_read(raw, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr("mailbot.act.pipeline.read_message", read_message)
    batches: list[int] = []
    real_process = pipeline.process_many

    def process_many(app_: App, ids: list[int], *args: object, **kw: object) -> object:
        batches.append(len(ids))
        return real_process(app_, ids, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(maildir_module, "process_many", process_many)
    result = poll_maildir(app, rules, lambda: NOW)
    assert (result.stored, result.duplicates, result.waiting) == (249, 1, 0)
    assert batches == [100, 100, 49]  # the copy is the last file: a duplicate, nothing to process
    found = rows(app)
    assert len(found) == 249 and all(r.status != InboundStatus.RECEIVED for r in found)
    assert [r.status for r in found if r.status == InboundStatus.QUARANTINED and "parser broke" in (r.error or "")] == [
        InboundStatus.QUARANTINED
    ]
    assert message_files(root) == []
    on_disk = {p.name.split(":")[0]: p.parent.parent.name for p in root.glob(".*/cur/*")}
    assert len(on_disk) == 250
    by_id = {r.message_id: r for r in found}
    assert on_disk["5999.copy.host"] == on_disk["5010.host"] == FOLDER_OF[by_id["burst-10@example.org"].status]


def test_a_file_and_its_copy_in_one_batch_are_moved_together(app: App, rules: RuleSet) -> None:
    root = app.config.path(app.config.inbound.maildir)
    raw = (CORPUS / "card_change_en.eml").read_bytes()
    deliver(root, "6000.a.host", raw)
    deliver(root, "6001.copy.host", raw)
    result = poll_maildir(app, rules, lambda: NOW)
    assert (result.stored, result.duplicates, result.waiting) == (1, 1, 0)
    (row,) = rows(app)
    folder = FOLDER_OF[row.status]
    assert {p.name for p in (root / folder / "cur").iterdir()} == {"6000.a.host:2,", "6001.copy.host:2,"}
    assert message_files(root) == []
