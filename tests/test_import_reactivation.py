"""The products CSV's optional ``reactivation_from`` column: where a product's reactivation counts its
years from (``expiry``, the default, or ``payment``)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from mailbot.app import App
from mailbot.db.engine import transaction
from mailbot.db.models import Product
from mailbot.domain import ReactivationFrom
from mailbot.importing import CsvFile, ImportReport, import_csv

NOW = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


def run_import(app: App, data: bytes) -> ImportReport:
    with transaction(app.sessions) as session:
        return import_csv(session, CsvFile("products", "products.csv", data), config=app.config, now=NOW, actor="t")


def rules(app: App) -> dict[str, ReactivationFrom]:
    with app.sessions() as session:
        return {p.code: p.reactivation_from for p in session.scalars(select(Product))}


def test_the_column_sets_the_rule_and_its_absence_keeps_it(app: App) -> None:
    data = b"code,name,price,reactivation_from\nPORTAL,Portale,120.00,payment\nMAIL,Casella,30.00,\n"
    data += b"ARCH,Archivio,50,EXPIRY\n"
    assert run_import(app, data).created == 3
    assert rules(app) == {
        "PORTAL": ReactivationFrom.PAYMENT,
        "MAIL": ReactivationFrom.EXPIRY,  # an empty cell: the default
        "ARCH": ReactivationFrom.EXPIRY,
    }
    report = run_import(app, b"code,name,price\nPORTAL,Portale Impianti,120.00\nNEW,Nuovo,10\n")
    assert (report.updated, report.created) == (1, 1)
    assert rules(app)["PORTAL"] == ReactivationFrom.PAYMENT  # a file without the column keeps it
    assert rules(app)["NEW"] == ReactivationFrom.EXPIRY


def test_a_wrong_value_is_an_error_naming_line_and_column(app: App) -> None:
    report = run_import(app, b"code,name,price,reactivation_from\nPORTAL,Portale,120.00,today\n")
    assert not report.ok
    ((line, column, reason),) = [(e.line, e.column, e.reason) for e in report.errors]
    assert (line, column) == (2, "reactivation_from")
    assert "expected one of expiry, payment" in reason
    assert rules(app) == {}
