"""The command line's manners: --version, help on every option, one --actor flag, no traceback when the
reader of a pipe goes away."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest
from sqlalchemy import select

from mailbot.app import App
from mailbot.cli import COMMANDS, build_parser, main
from mailbot.cli.exits import EX_IOERR
from mailbot.db.engine import transaction
from mailbot.db.models import AuditEvent
from tests.support.factories import make_customer


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"mailbot {version('mailbot')}"


def _parsers(parser: argparse.ArgumentParser, path: str = "mailbot") -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _parsers(child, f"{path} {name}")


def _every_parser() -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """The top level, and each command's whole tree (the parser loads only the command chosen)."""
    yield from _parsers(build_parser())
    for command in COMMANDS:
        for path, parser in _parsers(build_parser(command.name)):
            if path.startswith(f"mailbot {command.name}"):
                yield path, parser


def test_every_option_and_command_has_help() -> None:
    missing = []
    for path, parser in _every_parser():
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                helped = {a.dest for a in action._choices_actions if a.help}
                missing += [f"{path} {name}" for name in action.choices if name not in helped]
            elif not action.help:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
    assert missing == []


def test_the_walk_finds_every_command() -> None:
    """The walk above sees the nested commands (a guard on the guard)."""
    paths = {path for path, _ in _every_parser()}
    assert {"mailbot tickets approve", "mailbot services list", "mailbot import customers"} <= paths


ACTING = [
    ("tickets", "approve", "1"),
    ("tickets", "reject", "1", "--reason", "x"),
    ("tickets", "assign", "1", "anna"),
    ("tickets", "close", "1"),
    ("outbox", "retry", "1"),
    ("outbox", "deliverable", "C1"),
    ("orders", "paid", "ORD-2026-000001"),
    ("orders", "cancel", "ORD-2026-000001", "--reason", "x"),
    ("import", "customers", "c.csv"),
]


@pytest.mark.parametrize("argv", ACTING, ids=" ".join)
def test_one_flag_for_who_acts(argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser(argv[0])
    assert parser.parse_args([*argv, "--actor", "anna"]).actor == "anna"
    assert parser.parse_args(list(argv)).actor is None  # then $USER, else "cli"
    sub = parser.parse_args(list(argv))  # the help of the command names --actor only
    assert sub is not None
    with pytest.raises(SystemExit):
        parser.parse_args([*argv[:2], "--help"])
    text = capsys.readouterr().out
    assert "--actor NAME" in text and "--by" not in text and "--as" not in text


def test_the_old_spellings_still_work() -> None:
    assert build_parser("tickets").parse_args(["tickets", "close", "1", "--by", "anna"]).actor == "anna"
    assert build_parser("outbox").parse_args(["outbox", "retry", "1", "--as", "anna"]).actor == "anna"


def test_the_default_actor_is_the_user(
    app: App, config_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with transaction(app.sessions) as session:
        make_customer(session, external_id="C1", email_undeliverable=True)
    monkeypatch.setenv("USER", "marco")
    assert main(["--config", str(config_file), "outbox", "deliverable", "C1"]) == 0
    with app.sessions() as session:
        assert session.scalars(select(AuditEvent.actor)).all() == ["marco"]


@pytest.mark.parametrize(
    "argv",
    [
        ("render", "expiry_reminder", "--sample"),
        ("render", "expiry_reminder", "--sample", "--html"),
        ("rules", "check"),
        ("--help",),
    ],
    ids=" ".join,
)
def test_a_reader_that_goes_away_is_no_error(argv: tuple[str, ...], tmp_path: Path) -> None:
    """``mailbot render ... | head``: a real pipe whose reader has gone before mailbot writes."""
    read, write = os.pipe()
    os.close(read)  # head has read its lines and left
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mailbot", *argv],
            stdout=write,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
            env={k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")},
            timeout=60,
        )
    finally:
        os.close(write)
    assert done.stderr == b""
    assert done.returncode in (0, EX_IOERR)
    assert list(tmp_path.iterdir()) == []
