"""The command line imports what the chosen command needs and nothing more: ``mailbot --help`` no
command module, ``mailbot parse`` no database, template, network or scheduling library. Each check runs
``mailbot`` in a fresh interpreter and reads its ``sys.modules`` (bench/startup.py has the timings).

The lazy parser must answer as one parser holding every command did: the same top-level help, the same
help of each command, the same errors."""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mailbot.cli import COMMANDS, build_parser, parse_args, top_level_parser

CORPUS = Path(__file__).resolve().parent / "corpus"
COMMAND_MODULES = sorted({f"mailbot.cli.{c.module}" for c in COMMANDS})
# Libraries and parts of mailbot that neither the help nor the dry run of the understanding step needs.
HEAVY = (
    "sqlalchemy",
    "alembic",
    "psycopg",
    "jinja2",
    "babel",
    "imapclient",
    "aiosmtplib",
    "aiosmtpd",
    "apscheduler",
    "dkim",
    "itsdangerous",
    "nh3",
    "mailbot.app",
    "mailbot.db",
    "mailbot.act",
    "mailbot.outbound",
)

LOADED = textwrap.dedent(
    """
    import json, sys
    from mailbot.cli import main
    argv, out = json.loads(sys.argv[1]), sys.argv[2]
    try:
        code = main(argv)
    except SystemExit as exit:
        code = exit.code
    with open(out, "w") as f:
        json.dump({"code": code, "modules": sorted(sys.modules)}, f)
    """
)


def loaded_by(tmp_path: Path, *argv: str) -> list[str]:
    """The modules a fresh interpreter holds after ``mailbot ARGV`` ran to its end (exit code 0)."""
    out = tmp_path / "loaded.json"
    done = subprocess.run(
        [sys.executable, "-c", LOADED, json.dumps(argv), str(out)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    assert result["code"] == 0, done.stdout + done.stderr
    modules: list[str] = result["modules"]
    return modules


def heavy_in(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(f"{h}.") for h in HEAVY)]


def test_help_imports_no_command_module_and_no_heavy_library(tmp_path: Path) -> None:
    modules = loaded_by(tmp_path, "--help")
    assert heavy_in(modules) == []
    assert [m for m in modules if m in COMMAND_MODULES] == []


def test_parse_loads_no_database_template_network_or_scheduler(tmp_path: Path) -> None:
    modules = loaded_by(
        tmp_path,
        "parse",
        str(CORPUS / "autorenew_on_en.eml"),
        str(CORPUS / "bounce_permanent_dsn.eml"),
        str(CORPUS / "card_change_with_card_number_it.eml"),
    )
    assert heavy_in(modules) == []
    assert [m for m in modules if m in COMMAND_MODULES] == ["mailbot.cli.parse"]


def test_parse_of_a_plain_reply_loads_no_library_of_rarer_messages(tmp_path: Path) -> None:
    """flufl.bounce (a bounce that names no recipient), email-validator (a PEC), tnefparse (a winmail.dat)."""
    modules = loaded_by(tmp_path, "parse", str(CORPUS / "autorenew_on_en.eml"))
    assert [m for m in modules if m.split(".")[0] in ("flufl", "email_validator", "tnefparse")] == []


def test_a_command_imports_its_own_module_and_no_other(tmp_path: Path) -> None:
    modules = loaded_by(tmp_path, "due", "--help")
    assert [m for m in modules if m in COMMAND_MODULES] == ["mailbot.cli.due"]


def every_command_parser() -> argparse.ArgumentParser:
    """The parser as it was built before it was lazy: every command module registered."""
    parser, sub = top_level_parser()
    for module in dict.fromkeys(c.module for c in COMMANDS):
        importlib.import_module(f"mailbot.cli.{module}").register(sub)
    return parser


def output_of(parser: argparse.ArgumentParser, argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit:
        parser.parse_args(argv)
    out, err = capsys.readouterr()
    return int(exit.value.code or 0), out + err


@pytest.mark.parametrize("argv", [["--help"], [], ["nosuch"], ["-c"], ["--config", "x.toml"]])
def test_top_level_help_and_errors_are_those_of_every_command_in_one_parser(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    lazy = output_of(build_parser(), argv, capsys)
    assert lazy == output_of(every_command_parser(), argv, capsys)
    assert lazy[0] == (0 if argv == ["--help"] else 2)


@pytest.mark.parametrize("command", [c.name for c in COMMANDS])
def test_each_command_answers_as_with_every_command_in_one_parser(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its help (the registry's line in the list, its own page) and an unknown option given to it."""
    assert output_of(build_parser(command), ["--help"], capsys) == output_of(every_command_parser(), ["--help"], capsys)
    for argv in ([command, "--help"], [command, "--no-such-option"]):
        code, text = output_of(build_parser(command), argv, capsys)
        assert (code, text) == output_of(every_command_parser(), argv, capsys)
        assert text.startswith("usage: mailbot"), text


def test_options_before_and_after_the_command_are_parsed() -> None:
    from mailbot.cli.parse import cmd_parse

    args = parse_args(["-v", "--config", "x.toml", "parse", "--json", "--own", "a@example.it", "m.eml", "-"])
    assert (args.command, args.verbose, args.config, args.json) == ("parse", True, "x.toml", True)
    assert (args.files, args.own, args.func) == (["m.eml", "-"], ["a@example.it"], cmd_parse)


def test_an_unknown_option_before_the_command_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        parse_args(["--no-such-option", "parse", "m.eml"])
    assert exit.value.code == 2
    assert "unrecognized arguments: --no-such-option" in capsys.readouterr().err
