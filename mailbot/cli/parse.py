"""``mailbot parse FILE... [--json]``: the dry run of the understanding step, with no side effects.

No database, no mail, no config needed: each file (``-`` is stdin) is read, understood with an
unknown customer and printed as one line, in order. A file that cannot be read or understood gets
``{"file": ..., "error": ...}`` and the run goes on; the exit code is 0 when every file got its line.
Our own addresses (whose forwarded copies are never mined for fields) come from ``--own`` and from
the config (``addresses.own_addresses``: a file when one is given or found, else the built-in defaults).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from mailbot.cli.common import config_path
from mailbot.cli.output import print_json, print_line
from mailbot.config import load_config
from mailbot.paths import rules_dir
from mailbot.understand import addresses
from mailbot.understand.rules import DEFAULT_REVIEW_THRESHOLD, RuleSet, load_rules

log = logging.getLogger(__name__)


def register(sub: Any) -> None:
    p = sub.add_parser("parse", help="show what the bot would understand of .eml files (dry run)")
    p.add_argument("files", nargs="+", metavar="FILE", help="raw messages; '-' reads one from stdin")
    p.add_argument("--json", action="store_true", help="one JSON object per line (the dry-run contract)")
    p.add_argument("--rules", metavar="DIR", help="rules folder (default: the shipped rules/)")
    p.add_argument("--own", action="append", default=[], metavar="ADDRESS", help="one of our own addresses")
    p.add_argument(
        "--review-threshold",
        type=float,
        default=DEFAULT_REVIEW_THRESHOLD,
        metavar="X",
        help=f"confidence below which a person reviews (default {DEFAULT_REVIEW_THRESHOLD})",
    )
    p.set_defaults(func=cmd_parse)


def cmd_parse(args: argparse.Namespace) -> int:
    rules = load_rules(Path(args.rules) if args.rules else rules_dir())
    own = own_addresses(args)
    for name in args.files:
        result = parse_one(name, rules, own, args.review_threshold)
        if args.json:
            print_json(result, indent=None)  # one line: every line break in a value is escaped
        else:
            print_line(summary_line(result))
    sys.stdout.flush()
    return 0


def parse_one(name: str, rules: RuleSet, own: frozenset[str], threshold: float) -> dict[str, Any]:
    from mailbot.understand.reading import to_json, understand  # the parsing stack loads only for this command

    try:
        raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except OSError as exc:
        return {"file": name, "error": f"cannot read: {exc.strerror or exc}"}
    try:
        return to_json(understand(raw, rules, own_addresses=own, review_threshold=threshold), name)
    except Exception as exc:  # one broken file must not stop the run; its line says so
        log.exception("parse: %s could not be understood", name)
        return {"file": name, "error": f"{type(exc).__name__}: {exc}"}


def own_addresses(args: argparse.Namespace) -> frozenset[str]:
    """``--own`` plus our addresses in the config (the built-in defaults when there is no file), as in
    production (``addresses.own_addresses``)."""
    return addresses.own_addresses(load_config(config_path(args)), extra=args.own)


def summary_line(result: dict[str, Any]) -> str:
    if "error" in result:
        return f"{result['file']}: error: {result['error']}"
    fields = " ".join(f"{k}={v}" for k, v in result["fields"].items())
    review = " needs-review" if result["needs_review"] else ""
    return f"{result['file']}: {result['kind']} {result['intent']}{review} {fields}".rstrip()
