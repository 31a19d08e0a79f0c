"""The CSV import reads its file as a stream, a chunk of rows at a time: what spans chunks (repeated keys,
a bad row after good chunks were written, a line that is not UTF-8) behaves as in a file read whole."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from mailbot.app import App
from mailbot.db.engine import transaction
from mailbot.db.models import AuditEvent, Customer, Product, Service
from mailbot.errors import InputError
from mailbot.importing import CsvFile, ImportReport, csv_import, import_csv
from mailbot.importing.reading import MAX_LINE_BYTES

NOW = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
PRODUCTS = b"code,name,price\n" + b"".join(b"P%d,Prodotto %d,%d\n" % (i, i, 10 + i) for i in range(7))


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_import, "CHUNK", 2)


def run_import(app: App, kind: str, data: bytes) -> ImportReport:
    with transaction(app.sessions) as session:
        return import_csv(session, CsvFile(kind, "file.csv", data), config=app.config, now=NOW, actor="test")


def products(app: App) -> int:
    with app.sessions() as session:
        return session.scalar(select(func.count()).select_from(Product)) or 0


def test_a_good_file_in_many_chunks_is_written_whole_with_its_digest(app: App) -> None:
    report = run_import(app, "products", PRODUCTS)
    assert (report.ok, report.created) == (True, 7)
    report = run_import(app, "products", PRODUCTS.replace(b"P6,Prodotto 6,16", b"P6,Prodotto sei,16"))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 6)
    with app.sessions() as session:
        assert products(app) == 7
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).first()
        assert event is not None and event.details["sha256"] == hashlib.sha256(PRODUCTS).hexdigest()
        assert event.details["rows"] == 7


def test_a_bad_row_after_written_chunks_rolls_them_back(app: App) -> None:
    report = run_import(app, "products", PRODUCTS + b"P9,Ultimo,nove\n")
    assert [(e.line, e.column) for e in report.errors] == [(9, "price")]
    assert products(app) == 0


def test_a_key_repeated_chunks_later_names_its_first_line(app: App) -> None:
    report = run_import(app, "products", PRODUCTS + b"P1,Di nuovo,1\n")
    assert [(e.line, e.column, e.reason) for e in report.errors] == [(9, "code", "'P1' already on line 3")]
    assert products(app) == 0


def test_unknown_references_in_every_chunk(app: App) -> None:
    assert run_import(app, "products", PRODUCTS).ok
    assert run_import(app, "customers", b"external_id,kind,name,email\nC1,private,Anna,anna@example.org\n").ok
    rows = [b"S%d,%s,%s,L,u,2026-12-31\n" % (i, b"C1" if i % 3 else b"C9", b"P1" if i % 4 else b"NO") for i in range(8)]
    report = run_import(
        app, "services", b"external_id,customer_external_id,product_code,label,username,expires_on\n" + b"".join(rows)
    )
    assert [(e.line, e.column) for e in report.errors] == [
        (2, "customer_external_id"),
        (2, "product_code"),
        (5, "customer_external_id"),
        (6, "product_code"),
        (8, "customer_external_id"),
    ]
    with app.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Service)) == 0


def test_a_line_not_utf8_after_written_chunks_writes_nothing(app: App) -> None:
    with pytest.raises(InputError, match="line 9: not UTF-8"):
        run_import(app, "products", PRODUCTS + "P9,Caffè,1\n".encode("latin-1"))
    assert products(app) == 0


def test_nothing_stays_when_the_caller_commits_after_the_error(app: App) -> None:
    with transaction(app.sessions) as session, pytest.raises(InputError):
        data = PRODUCTS + "P9,Caffè,1\n".encode("latin-1")
        import_csv(session, CsvFile("products", "f.csv", data), config=app.config, now=NOW, actor="t")
    assert products(app) == 0


def test_imports_one_after_another_in_one_transaction(app: App) -> None:
    """The keys seen are kept in a temporary table: dropped after each import, bad or good."""
    with transaction(app.sessions) as session:
        for data, ok in ((PRODUCTS + b"P1,Di nuovo,1\n", False), (PRODUCTS, True), (PRODUCTS, True)):
            report = import_csv(session, CsvFile("products", "f.csv", data), config=app.config, now=NOW, actor="t")
            assert report.ok is ok
    assert products(app) == 7


def test_old_mac_line_ends_count_as_lines(app: App) -> None:
    report = run_import(app, "products", b'code,name,price\rA,Uno,10\rB,"Due\rrighe",dieci\rC,Tre,3\r')
    assert [(e.line, e.column) for e in report.errors] == [(3, "price")]
    report = run_import(app, "products", b"code,name,price\nA,Uno,10\rB")  # the last line's break is a lone \r
    assert [(e.line, e.reason) for e in report.errors] == [(3, "expected 3 cells, found 1")]


def test_a_line_too_long_stops_the_reading_there(app: App) -> None:
    long_line = b",".join([b"x"] * (MAX_LINE_BYTES // 2 + 1)) + b"\n"
    report = run_import(
        app, "customers", b"external_id,kind,name,email\nC1,private,Anna,anna@example.org\n" + long_line
    )
    assert [(e.line, e.column, e.reason) for e in report.errors] == [
        (3, "-", f"a line longer than {MAX_LINE_BYTES} bytes; the rest of the file was not read")
    ]
    with app.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 0
