"""The IMAP listener's decisions, as pure functions: what to fetch, where leftovers go, how to move, backoff."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest

from mailbot.config import Config, ImapConfig
from mailbot.domain import InboundStatus
from mailbot.intake.batches import plan_batches, small_size
from mailbot.intake.imap.listener import connect_imap
from mailbot.intake.imap.plan import (
    FolderState,
    backoff_seconds,
    has_capability,
    has_news,
    is_goodbye,
    lease_name,
    mailbox_key,
    move_method,
    plan_fetch,
    plan_leftovers,
    server_folder_name,
)
from tests.support.config import make_config


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    return make_config(tmp_path, "sqlite://", imap={"folder": "INBOX"})


def test_first_look_fetches_everything_and_resets() -> None:
    plan = plan_fetch(None, 777, [3, 1, 2])
    assert plan.reset and plan.new == (1, 2, 3) and plan.leftover == ()
    assert plan.uidvalidity == 777


def test_uids_above_the_last_stored_are_new_and_the_rest_are_leftovers() -> None:
    plan = plan_fetch(FolderState(777, 10), 777, [12, 4, 11, 10, 11])
    assert not plan.reset
    assert plan.new == (11, 12)
    assert plan.leftover == (4, 10)


def test_a_uidvalidity_change_reads_the_folder_again_from_uid_zero() -> None:
    plan = plan_fetch(FolderState(777, 10), 778, [1, 2, 15])
    assert plan.reset
    assert plan.new == (1, 2, 15) and plan.leftover == ()


def test_empty_folder_plans_nothing() -> None:
    plan = plan_fetch(FolderState(5, 9), 5, [])
    assert (plan.new, plan.leftover, plan.reset) == ((), (), False)


def test_leftovers_go_where_their_stored_status_says(cfg: Config) -> None:
    known = {
        1: InboundStatus.PROCESSED,
        2: InboundStatus.REVIEW,
        3: InboundStatus.QUARANTINED,
        4: InboundStatus.RECEIVED,
        6: InboundStatus.PROCESSED,
    }
    lp = plan_leftovers(cfg, [1, 2, 3, 4, 5, 6, 7], known, deleted=[6])
    assert lp.moves == {
        cfg.imap.processed_folder: (1,),
        cfg.imap.review_folder: (2,),
        cfg.imap.quarantine_folder: (3,),
    }
    assert lp.waiting == (4,)  # still to be processed: stays in the incoming folder
    assert lp.refetch == (5, 7)  # no row has that UID (a duplicate copy): fetched again, store_raw dedups
    assert lp.expunge == (6,)  # already copied and flagged before a crash: only the expunge was missing


@pytest.mark.parametrize(
    ("caps", "method"),
    [
        ([b"IMAP4REV1", b"IDLE", b"MOVE", b"UIDPLUS"], "move"),
        ([b"IMAP4rev1", b"UIDPLUS"], "uidplus"),
        (["IMAP4rev1", "uidplus"], "uidplus"),
        ([b"IMAP4rev1"], "expunge"),
    ],
)
def test_move_method_follows_the_capabilities(caps: list[Any], method: str) -> None:
    assert move_method(caps) == method


def test_has_capability_ignores_case_and_type() -> None:
    assert has_capability([b"idle"], "IDLE")
    assert has_capability(["IDLE"], "idle")
    assert not has_capability([b"IDLEX", b"MOVE"], "IDLE")


def test_backoff_doubles_up_to_the_cap() -> None:
    waits = [backoff_seconds(n, base=1.0, cap=300.0) for n in range(0, 12)]
    assert waits[:6] == [0.0, 1.0, 2.0, 4.0, 8.0, 16.0]
    assert waits[9] == 256.0
    assert waits[10] == 300.0 and waits[11] == 300.0
    assert backoff_seconds(10_000, base=0.5, cap=60.0) == 60.0  # no overflow


def test_folder_names_follow_the_server_delimiter() -> None:
    assert server_folder_name("mailbot/processed", "/") == "mailbot/processed"
    assert server_folder_name("mailbot/processed", ".") == "mailbot.processed"
    assert server_folder_name("mailbot/processed", None) == "mailbot/processed"


def test_idle_responses() -> None:
    assert has_news([(3, b"EXISTS")])
    assert has_news([(b"OK", b"Still here"), (1, b"RECENT")])
    assert not has_news([(b"OK", b"Still here"), (2, b"EXPUNGE")])
    assert is_goodbye([(b"BYE", b"Server shutting down.")])
    assert not is_goodbye([(3, b"EXISTS")])


def test_mailbox_key_names_user_server_and_folder() -> None:
    imap = ImapConfig(host="imap.example.it", port=993, username="rinnovi", folder="INBOX")
    assert mailbox_key(imap) == "rinnovi@imap.example.it:993/INBOX"
    assert lease_name(imap) == "imap:rinnovi@imap.example.it:993/INBOX"
    assert len(mailbox_key(ImapConfig(host="h" * 300))) <= 200


class RecordingClient:
    """Stands in for IMAPClient's constructor to check how ``connect_imap`` secures the connection."""

    made: list[RecordingClient] = []

    def __init__(self, host: str, port: int, ssl: bool, ssl_context: Any, timeout: float) -> None:
        self.args = {"host": host, "port": port, "ssl": ssl, "ssl_context": ssl_context, "timeout": timeout}
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        RecordingClient.made.append(self)

    def starttls(self, context: Any) -> None:
        self.calls.append(("starttls", (context,)))

    def login(self, user: str, password: str) -> None:
        self.calls.append(("login", (user, password)))


@pytest.mark.parametrize(
    ("security", "implicit", "starttls"), [("ssl", True, False), ("starttls", False, True), ("none", False, False)]
)
def test_connect_secures_as_configured(security: str, implicit: bool, starttls: bool) -> None:
    imap = ImapConfig(
        host="imap.example.it", port=143, security=security, username="u", password="p", timeout_seconds=7.0
    )
    client: Any = connect_imap(imap, client_class=RecordingClient)  # type: ignore[arg-type]
    assert client.args["ssl"] is implicit
    assert client.args["timeout"] == 7.0
    assert (client.args["ssl_context"] is not None) is (security != "none")
    if client.args["ssl_context"] is not None:
        assert client.args["ssl_context"].verify_mode == ssl.CERT_REQUIRED
    names = [name for name, _ in client.calls]
    assert names == (["starttls", "login"] if starttls else ["login"])
    assert client.calls[-1] == ("login", ("u", "p"))


class _StubIdleClient:
    """Just enough of IMAPClient for ``idle_until_mail``: imaplib's kept answers and the IDLE calls."""

    def __init__(self, kept: dict[str, list[bytes]]) -> None:
        from types import SimpleNamespace

        self._imap = SimpleNamespace(untagged_responses=kept)
        self.idled = False

    def idle(self) -> None:
        self.idled = True

    def idle_check(self, timeout: float | None = None) -> list[object]:
        return [(b"OK", b"Still here")]

    def idle_done(self) -> tuple[bytes, list[object]]:
        return b"Idle terminated", []


def test_mail_announced_during_the_pass_means_another_pass_not_idle() -> None:
    """An EXISTS that came with an answer of the last pass (after its SELECT) is news the server will not
    repeat in IDLE: the wait ends at once, and the kept answer is consumed."""
    from mailbot.config import ImapConfig
    from mailbot.intake.imap.wait import idle_until_mail

    kept: dict[str, list[bytes]] = {"EXISTS": [b"1"]}
    client = _StubIdleClient(kept)
    idle_until_mail(client, ImapConfig(), "k", tick=0.01, should_stop=lambda: False, keep_lease=lambda: None)  # type: ignore[arg-type]
    assert not client.idled and "EXISTS" not in kept

    quiet = _StubIdleClient({})
    idle_until_mail(
        quiet, ImapConfig(poll_seconds=0.05), "k", tick=0.01, should_stop=lambda: False, keep_lease=lambda: None
    )  # type: ignore[arg-type]
    assert quiet.idled  # nothing kept: it idles until the poll interval ends


def test_fetch_batches_are_cut_by_count_in_uid_order() -> None:
    uids = list(range(1, 8))
    assert plan_batches(uids, {}, max_count=3, max_bytes=3000) == [(1, 2, 3), (4, 5, 6), (7,)]
    assert plan_batches([], {}, max_count=3, max_bytes=3000) == []
    assert small_size(100, 32 * 1024 * 1024) == 335544
    assert small_size(1000, 10) == 1  # never zero: SEARCH LARGER 0 would call every message large


def test_fetch_batches_are_cut_by_bytes_and_a_huge_message_goes_alone() -> None:
    # small ones count at 1000 (3000 / 3); 5 is 2500 bytes, 6 is over the whole budget
    large = {5: 2500, 6: 50_000}
    assert plan_batches(range(1, 9), large, max_count=3, max_bytes=3000) == [
        (1, 2, 3),
        (4,),
        (5,),
        (6,),
        (7, 8),
    ]
    # two middling ones share a batch while they fit
    assert plan_batches([1, 2, 3], {1: 1400, 2: 1500}, max_count=3, max_bytes=3000) == [(1, 2), (3,)]


def test_fetch_batches_need_a_positive_budget() -> None:
    with pytest.raises(ValueError):
        plan_batches([1], {}, max_count=0, max_bytes=10)


def test_the_listeners_counters_say_what_was_done_in_words() -> None:
    from mailbot.intake.imap.connection import Counters

    counters = Counters(stored=12, duplicates=1, processed=12, connections=1)
    counters.add_moved("Processed", 10)
    counters.add_moved("Review", 2)
    assert (
        counters.words()
        == "12 stored (1 already there), 12 processed, 10 moved to Processed, 2 moved to Review, 1 connection"
    )
    assert Counters().words() == "0 stored, 0 processed"
