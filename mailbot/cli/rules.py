"""``mailbot rules check [DIR]``: load and validate the rule files; print a summary or every error."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mailbot.cli.output import count, print_error, print_line
from mailbot.paths import rules_dir
from mailbot.understand.rules import RulesError, load_rules


def register(sub: Any) -> None:
    rules = sub.add_parser("rules", help="the inbound parsing rules")
    rsub = rules.add_subparsers(dest="rules_command", required=True, metavar="ACTION")
    check = rsub.add_parser("check", help="validate rules/*.toml (exit 1 on any error)")
    check.add_argument("directory", nargs="?", metavar="DIR", help="rules folder (default: the shipped rules/)")
    check.set_defaults(func=cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    directory = Path(args.directory) if args.directory else rules_dir()
    try:
        ruleset = load_rules(directory)
    except RulesError as exc:
        for problem in exc.problems:
            print_error(problem)
        print_error(f"{directory}: {count(len(exc.problems), 'error')}")
        return 1
    rules, files = count(len(ruleset.rules), "rule"), count(len(ruleset.files), "file")
    print_line(f"{directory}: {rules} in {files}, all valid")
    for intent, n in ruleset.by_intent().items():
        print_line(f"  {intent:<20} {n}")
    return 0
