"""``mailbot payments import`` and ``mailbot payments lines``: one line per statement line and a summary,
a dry run that writes nothing, a second import that does nothing, a broken file that stops everything
(exit 2), and text from the bank shown with its controls made visible."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mailbot.app import App
from mailbot.cli import main
from mailbot.db.engine import transaction
from tests.support.statements import counts, make_bpm_orders

FILES = Path(__file__).parent / "statements"
BPM = FILES / "camt053_001_02_bpm.xml"


def cli(config_file: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--config", str(config_file), "payments", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def rows(out: str) -> list[list[str]]:
    """The table's lines, split on the runs of spaces between its columns."""
    return [re.split(r"\s{2,}", line) for line in out.splitlines()]


def test_import_prints_each_line_and_a_summary_then_nothing_twice(
    app: App, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with transaction(app.sessions) as session:
        make_bpm_orders(session, app)
    code, out, err = cli(config_file, capsys, "import", str(BPM), "--actor", "anna")
    assert (code, err) == (0, "")
    assert rows(out) == [
        ["DATE", "AMOUNT", "OUTCOME", "ORDER", "DONE"],
        [
            "2026-03-05",
            "1220.00",
            "paid",
            "ORD-2026-000123",
            "payment 1 recorded: order completed, confirmation enqueued",
        ],
        [
            "2026-03-05",
            "500.00",
            "paid",
            "ORD-2026-000124",
            "payment 2 recorded: order completed, confirmation enqueued",
        ],
        ["2026-03-05", "-2.50", "debit", "-", "money out: nothing to do"],
        [
            "2026-03-05",
            "244.00",
            "partial",
            "ORD-2026-000125",
            "payment 3 recorded: order still open; ticket 1 for staff",
        ],
        [
            "2026-03-05",
            "61.00",
            "excess",
            "ORD-2026-000126",
            "payment 4 recorded: order completed, confirmation enqueued; ticket 2 for staff",
        ],
        [f"{BPM}: 5 lines: 2 paid, 2 for staff, 0 already imported, 1 ignored"],
    ]
    before = counts(app)
    code, out, _ = cli(config_file, capsys, "import", str(BPM))
    assert code == 0 and counts(app) == before
    assert [row[2:] for row in rows(out)[1:-1]] == [["already imported", "-", "nothing done"]] * 5
    assert out.endswith(f"{BPM}: 5 lines: 0 paid, 0 for staff, 5 already imported, 0 ignored\n")


def test_a_dry_run_writes_nothing(app: App, config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with transaction(app.sessions) as session:
        make_bpm_orders(session, app)
    before = counts(app)
    code, out, _ = cli(config_file, capsys, "import", "--dry-run", str(BPM), str(FILES / "camt053_001_08_isp.xml"))
    assert code == 0 and counts(app) == before
    lines = out.splitlines()
    assert "would record the payment: the order would be completed" in lines[1]
    assert "would record the payment: the order would stay open; a ticket for staff" in lines[4]
    assert lines[-3:] == [
        f"{FILES / 'camt053_001_08_isp.xml'}: 4 lines: 0 paid, 3 for staff, 0 already imported, 1 ignored",
        "total: 9 lines: 2 paid, 5 for staff, 0 already imported, 2 ignored",
        "dry run: nothing written",
    ]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("camt053_entity_bomb.xml", "camt053_entity_bomb.xml: the XML declares a DTD (<!DOCTYPE>)"),
        ("camt053_external_entity.xml", "camt053_external_entity.xml: the XML declares a DTD"),
        ("mt940_wrong_amounts.sta", "mt940_wrong_amounts.sta: statement"),
        ("no_such_file.xml", "no_such_file.xml: cannot read: No such file or directory"),
    ],
)
def test_a_broken_file_stops_the_import_before_anything_is_written(
    app: App, config_file: Path, capsys: pytest.CaptureFixture[str], name: str, message: str
) -> None:
    with transaction(app.sessions) as session:
        make_bpm_orders(session, app)
    before = counts(app)
    code, out, err = cli(config_file, capsys, "import", str(BPM), str(FILES / name))
    assert (code, out) == (2, "")
    assert err.startswith(f"mailbot: error: {FILES}/{message}")
    assert counts(app) == before  # not even the good file before it


def test_lines_lists_what_staff_must_look_at_with_the_bank_text_made_visible(
    app: App, config_file: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    hostile = tmp_path / "isp.xml"  # a payer's name with a CSI (C1) and a right-to-left override
    hostile.write_bytes(
        (FILES / "camt053_001_08_isp.xml").read_bytes().replace(b"Bianchi  Luca", b"Bianchi &#x9B;2J&#x202E;Luca")
    )
    with transaction(app.sessions) as session:
        make_bpm_orders(session, app)
    assert cli(config_file, capsys, "import", str(BPM), str(hostile))[0] == 0
    code, out, err = cli(config_file, capsys, "lines")
    assert (code, err) == (0, "")
    assert "\x9b" not in out and "\u202e" not in out
    listed = rows(out)
    assert listed[0] == ["ID", "BOOKED", "AMOUNT", "OUTCOME", "ORDER", "TICKET", "PAYER", "REMITTANCE"]
    assert [(r[3], r[4], r[5]) for r in listed[1:-1]] == [
        ("unmatched", "-", "5 open"),
        ("unmatched", "-", "4 open"),
        ("unmatched", "-", "3 open"),
        ("excess", "ORD-2026-000126", "2 open"),
        ("partial", "ORD-2026-000125", "1 open"),
    ]
    assert listed[2][6] == "Bianchi \\x9b2J\\u202eLuca"
    assert listed[-1] == ["5 statement lines"]
    code, out, _ = cli(config_file, capsys, "lines", "--outcome", "debit", "--json")
    debits = json.loads(out)
    assert [(d["amount_cents"], d["remittance"]) for d in debits] == [
        (-150000, "Canone locazione ufficio marzo 2026"),
        (-250, "COMMISSIONI SU BONIFICI IN ENTRATA"),
    ]
    assert cli(config_file, capsys, "lines", "--outcome", "all")[1].endswith("9 statement lines\n")
