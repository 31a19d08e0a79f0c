"""CSV files a spreadsheet or an attacker can produce: a NUL byte, a cell over the csv module's 128 KB
limit. Each is a bad row named by line and column (exit 1, nothing imported), never a traceback."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mailbot.app import App
from mailbot.cli import main
from mailbot.db.models import Customer
from mailbot.importing.reading import open_table

HEADER = "external_id,kind,name,email\n"
Run = Callable[[bytes], tuple[int, str]]


@pytest.fixture
def run(app: App, config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    def call(data: bytes) -> tuple[int, str]:
        path = tmp_path / "customers.csv"
        path.write_bytes(data)
        code = main(["--config", str(config_file), "import", "customers", str(path)])
        return code, capsys.readouterr().err

    return call


def _customers(app: App) -> int:
    with app.sessions() as session:
        return session.scalar(select(func.count()).select_from(Customer)) or 0


def test_a_nul_byte_is_a_bad_row(app: App, run: Run) -> None:
    data = (HEADER + "C1,private,Anna,anna@example.org\nC2,private,Bru\x00no,bruno@example.org\n").encode()
    code, err = run(data)
    assert code == 1 and "Traceback" not in err
    assert "customers.csv:3: name: holds a NUL character (\\x00)" in err
    assert _customers(app) == 0


def test_a_nul_byte_in_the_header(app: App, run: Run) -> None:
    code, err = run(b"external_id,kind,na\x00me,email\nC1,private,Anna,anna@example.org\n")
    assert code == 1 and "Traceback" not in err and "customers.csv:1: " in err and "NUL" in err


def test_a_cell_over_the_csv_limit(app: App, run: Run) -> None:
    big = "x" * (200 * 1024)
    data = HEADER + "C1,private,Anna,anna@example.org\n" + f'C2,private,"{big}",b@example.org\nC3,private,C,c@x.it\n'
    code, err = run(data.encode())
    assert code == 1 and "Traceback" not in err
    assert "customers.csv:3: -: a cell longer than 131072 characters; the rest of the file was not read" in err
    assert len(err) < 1000 and _customers(app) == 0


def test_open_table_reports_the_line() -> None:
    table = open_table(io.BytesIO(("a,b\n1,2\n3,4\n5," + "y" * 140_000 + "\n7,8\n").encode()), "f.csv")
    records = list(table.records)
    assert [r for _, r in records[:2]] == [{"a": "1", "b": "2"}, {"a": "3", "b": "4"}]
    assert len(records) == 3  # the reading stopped at line 4
    errors = records[2][1]
    assert isinstance(errors, list) and [(e.line, e.column) for e in errors] == [(4, "-")]
