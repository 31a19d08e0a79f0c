"""CSV import: good files, every bad row reported with nothing imported, delimiters, BOM, the CLI."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailbot.app import App
from mailbot.cli import main
from mailbot.db.engine import transaction
from mailbot.db.models import AuditEvent, Customer, Product, Service
from mailbot.domain import Cadence, CustomerKind, PaymentMethod
from mailbot.importing import CsvFile, ImportReport, RowError, import_csv, parse_customer_row, parse_service_row
from mailbot.importing.rows import CustomerRow

DATA = Path(__file__).resolve().parent / "data"
NOW = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


def run_import(app: App, kind: str, data: bytes, source: str = "file.csv") -> ImportReport:
    with transaction(app.sessions) as session:
        return import_csv(session, CsvFile(kind, source, data), config=app.config, now=NOW, actor="test")


def import_file(app: App, kind: str, name: str) -> ImportReport:
    return run_import(app, kind, (DATA / name).read_bytes(), name)


def count(session: Session, model: type[Customer] | type[Service] | type[Product]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def errors_by_line(report: ImportReport) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for e in report.errors:
        found.setdefault(e.line, []).append(e.column)
    return found


@pytest.fixture
def loaded(app: App) -> App:
    for kind in ("products", "customers", "services"):
        report = import_file(app, kind, f"import_{kind}.csv")
        assert report.ok, report.errors
        assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    return app


def test_good_files_create_every_record(loaded: App) -> None:
    with loaded.sessions() as session:
        portal = session.scalars(select(Product).where(Product.code == "PORTAL")).one()
        assert (portal.price_cents, portal.bank_transfer_fee_cents, portal.cadence) == (12000, 300, Cadence.ANNUAL)
        promo = session.scalars(select(Product).where(Product.code == "PROMO")).one()
        assert promo.promo and promo.years_allowed == 2
        customers = {c.external_id: c for c in session.scalars(select(Customer))}
        assert customers["C001"].email == "Mario.Rossi@example.it"
        assert customers["C001"].language == "it" and not customers["C001"].split_payment
        assert customers["C002"].vat_number == "00743110157"
        assert customers["C002"].recipient_code == "M5UXCR1"
        pa = customers["C003"]
        assert (pa.kind, pa.recipient_code, pa.split_payment, pa.language) == (
            CustomerKind.PUBLIC_ADMINISTRATION,
            "UF1234",
            True,
            "it",
        )
        services = {s.external_id: s for s in session.scalars(select(Service))}
        s1 = services["S001"]
        assert (s1.autorenew, s1.payment_method, s1.card_expires) == (True, PaymentMethod.CARD, date(2027, 8, 1))
        assert s1.storage_quota_mb == 1024  # from the product
        assert s1.started_on == date(2020, 12, 31)
        assert services["S002"].expires_on == date(2027, 3, 31)
        assert services["S002"].storage_quota_mb == 2048
        assert services["S003"].status.value == "suspended"
        events = session.scalars(select(AuditEvent).where(AuditEvent.entity == "import").order_by(AuditEvent.id))
        assert [(e.action, e.details["created"]) for e in events] == [
            ("import.products", 3),
            ("import.customers", 3),
            ("import.services", 3),
        ]


def test_reimport_counts_unchanged_and_updated(loaded: App) -> None:
    report = import_file(loaded, "customers", "import_customers.csv")
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    with transaction(loaded.sessions) as session:
        c1 = session.scalars(select(Customer).where(Customer.external_id == "C001")).one()
        c1.email_undeliverable = True
    changed = (DATA / "import_customers.csv").read_bytes().replace(b"Mario.Rossi@Example.IT", b"mario@new.example")
    report = run_import(loaded, "customers", changed)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    with loaded.sessions() as session:
        c1 = session.scalars(select(Customer).where(Customer.external_id == "C001")).one()
        assert c1.email == "mario@new.example"
        assert not c1.email_undeliverable  # a new address gets a new chance


def test_absent_optional_column_keeps_the_stored_value(loaded: App) -> None:
    data = b"external_id,customer_external_id,product_code,label,username,expires_on\n"
    data += b"S002,C002,PORTAL-M,Capannone nuovo,bianchi,2027-03-31\n"
    report = run_import(loaded, "services", data)
    assert (report.updated, report.created) == (1, 0)
    with loaded.sessions() as session:
        s2 = session.scalars(select(Service).where(Service.external_id == "S002")).one()
        assert (s2.label, s2.storage_used_mb, s2.payment_method) == (
            "Capannone nuovo",
            1500,
            PaymentMethod.BANK_TRANSFER,
        )


def test_bad_customer_rows_import_nothing_and_are_all_listed(app: App) -> None:
    report = import_file(app, "customers", "import_customers_bad.csv")
    assert not report.ok
    assert errors_by_line(report) == {
        3: ["email"],
        4: ["vat_number"],
        5: ["fiscal_code"],
        6: ["kind"],
        7: ["recipient_code"],
        8: ["external_id"],
        9: ["language", "recipient_code", "split_payment"],
    }
    reasons = {(e.line, e.column): e.reason for e in report.errors}
    assert "7-character recipient code" in reasons[(7, "recipient_code")]
    assert "6-character office code" in reasons[(9, "recipient_code")]
    assert "already on line 2" in reasons[(8, "external_id")]
    assert "checksum" in reasons[(4, "vat_number")]
    with app.sessions() as session:
        assert count(session, Customer) == 0  # not even the good row on line 2
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_bad_service_rows_import_nothing_and_are_all_listed(loaded: App) -> None:
    report = import_file(loaded, "services", "import_services_bad.csv")
    assert errors_by_line(report) == {
        3: ["expires_on"],
        4: ["customer_external_id"],
        5: ["autorenew"],
        6: ["payment_method"],
        7: ["product_code"],
    }
    with loaded.sessions() as session:
        assert count(session, Service) == 3
        assert session.scalars(select(Service).where(Service.external_id == "S201")).first() is None


SERVICES_HEADER = b"external_id,customer_external_id,product_code,label,username,expires_on,payment_method\n"


def test_a_bad_row_naming_unknown_records_reports_them_in_the_same_pass(loaded: App) -> None:
    data = SERVICES_HEADER + (
        b"S301,C001,PORTAL,Buono,u1,2026-12-31,none\n"
        b"S302,C999,NOPE,Data e cliente,u2,31/02/2026,bonifico\n"  # two bad cells, two unknown records
        b"S303,C998,PORTAL,Solo cliente,u3,2026-12-31,none\n"
    )
    report = run_import(loaded, "services", data)
    assert [(e.line, e.column) for e in report.errors] == [
        (3, "customer_external_id"),  # a line's errors in the order of its columns
        (3, "product_code"),
        (3, "expires_on"),
        (3, "payment_method"),
        (4, "customer_external_id"),
    ]
    reasons = {(e.line, e.column): e.reason for e in report.errors}
    assert reasons[(3, "customer_external_id")] == "no customer 'C999'"
    assert reasons[(3, "product_code")] == "no product 'NOPE' (import products first)"
    with loaded.sessions() as session:
        assert session.scalars(select(Service).where(Service.external_id == "S301")).first() is None


def test_a_key_repeating_a_bad_row_is_reported_in_the_same_pass(app: App) -> None:
    data = b"code,name,price\nA,Uno,dieci\nA,Uno bis,10\nB,Due,2\nB,Due bis,due\n"
    report = run_import(app, "products", data)
    assert [(e.line, e.column, e.reason) for e in report.errors] == [
        (2, "price", "expected an amount in euros like 120,00 or 120.00, got 'dieci'"),
        (3, "code", "'A' already on line 2"),
        (5, "code", "'B' already on line 4"),
        (5, "price", "expected an amount in euros like 120,00 or 120.00, got 'due'"),
    ]
    with app.sessions() as session:
        assert count(session, Product) == 0


def test_cli_lists_format_errors_and_unknown_records_together(
    loaded: App, config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "services.csv"
    rows = b"S301,C001,PORTAL,L,u1,31/02/2026,none\nS302,C999,PORTAL,L,u2,2026-12-31,none\n"
    path.write_bytes(SERVICES_HEADER + rows)
    assert main(["--config", str(config_file), "import", "services", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:2: expires_on: expected a date" in err
    assert f"{path}:3: customer_external_id: no customer 'C999'" in err
    assert f"{path}: nothing imported: 2 errors on 2 lines" in err


def test_semicolon_file_with_bom(app: App) -> None:
    report = import_file(app, "customers", "import_customers_semicolon_bom.csv")
    assert report.ok, report.errors
    assert report.created == 2
    with app.sessions() as session:
        customers = {c.external_id: c for c in session.scalars(select(Customer))}
        assert customers["C101"].name == "Rossi, Verdi & C. S.n.c."  # a comma inside a ;-separated cell
        assert customers["C101"].recipient_code == "0000000"
        assert customers["C102"].split_payment is True


def test_crlf_lines_and_blank_rows_keep_line_numbers(app: App) -> None:
    data = b"code;name;price\r\nA;Uno;10,00\r\n\r\n;;\r\nB;Due;dieci\r\n"
    report = run_import(app, "products", data)
    assert [(e.line, e.column) for e in report.errors] == [(5, "price")]


@pytest.mark.parametrize(
    ("header", "column", "reason"),
    [
        ("code,name,price,colour", "colour", "unknown column"),
        ("code,name", "price", "required column missing"),
        ("code,name,price,Name", "name", "column appears twice"),
    ],
)
def test_header_problems_name_the_column(app: App, header: str, column: str, reason: str) -> None:
    report = run_import(app, "products", f"{header}\nA,Uno,10,x\n".encode())
    assert RowError(1, column, reason) in [RowError(e.line, e.column, e.reason.split(" (")[0]) for e in report.errors]
    with app.sessions() as session:
        assert count(session, Product) == 0


def test_row_with_wrong_cell_count(app: App) -> None:
    report = run_import(app, "products", b"code,name,price\nA,Uno\nB,Due,1,extra\nC,Tre,3,\n")
    assert [(e.line, e.reason) for e in report.errors] == [
        (2, "expected 3 cells, found 2"),
        (3, "expected 3 cells, found 4"),
    ]


def test_not_utf8_is_an_error_naming_the_line(app: App) -> None:
    from mailbot.errors import InputError

    with pytest.raises(InputError, match="line 2: not UTF-8"):
        run_import(app, "products", "code,name,price\nA,Caffè,1\n".encode("latin-1"))


def test_parse_customer_row_is_pure() -> None:
    row = {"external_id": "X1", "kind": "PA", "name": "Comune", "email": "a@b.example", "recipient_code": "uf1234"}
    parsed = parse_customer_row(row, 7, default_language="en")
    assert isinstance(parsed, CustomerRow)
    assert (parsed.kind, parsed.recipient_code, parsed.split_payment, parsed.language) == (
        CustomerKind.PUBLIC_ADMINISTRATION,
        "UF1234",
        True,
        "en",
    )
    errors = parse_customer_row({"external_id": "", "kind": "pa", "name": "", "email": "x"}, 4)
    assert isinstance(errors, list)
    assert [(e.line, e.column) for e in errors] == [(4, "external_id"), (4, "name"), (4, "email")]


def test_the_billing_address_is_read_and_checked() -> None:
    base = {"external_id": "X1", "kind": "company", "name": "Rossi Srl", "email": "a@b.example"}
    address = {"street": "Via Roma 1", "postcode": "20121", "city": "Milano", "province": "mi"}
    parsed = parse_customer_row({**base, **address}, 2)
    assert isinstance(parsed, CustomerRow)
    assert (parsed.street, parsed.postcode, parsed.city, parsed.province, parsed.country) == (
        "Via Roma 1",
        "20121",
        "Milano",
        "MI",
        "IT",
    )
    abroad = parse_customer_row({**base, "postcode": "80331", "city": "München", "country": "de"}, 3)
    assert isinstance(abroad, CustomerRow) and abroad.country == "DE"
    errors = parse_customer_row({**base, "postcode": "2012", "province": "Milano", "country": "Italia"}, 4)
    assert isinstance(errors, list)
    assert [(e.column, e.reason.split(",")[0]) for e in errors] == [
        ("province", "expected the province's 2 letters (MI"),
        ("country", "expected the country's 2-letter code (IT"),
        ("postcode", "an Italian postcode has 5 digits"),
    ]
    wrong_cap = parse_customer_row({**base, "postcode": "2012"}, 5)
    assert isinstance(wrong_cap, list) and [e.reason for e in wrong_cap] == [
        "an Italian postcode has 5 digits, got '2012'"
    ]


def test_parse_service_row_dates_and_months() -> None:
    base = {"external_id": "S", "customer_external_id": "C", "product_code": "P", "label": "L", "username": "u"}
    assert not isinstance(parse_service_row({**base, "expires_on": "29/02/2028"}, 2), list)
    errors = parse_service_row({**base, "expires_on": "2028-02-30", "card_expiry": "13/2027"}, 2)
    assert isinstance(errors, list)
    assert sorted(e.column for e in errors) == ["card_expiry", "expires_on"]


# -- the command line ---------------------------------------------------------------------------


def test_cli_good_file_exits_0(app: App, config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = str(config_file)
    assert main(["--config", cfg, "import", "products", str(DATA / "import_products.csv")]) == 0
    assert "3 created, 0 updated, 0 unchanged" in capsys.readouterr().out
    assert main(["--config", cfg, "import", "products", str(DATA / "import_products.csv")]) == 0
    assert "0 created, 0 updated, 3 unchanged" in capsys.readouterr().out


def test_cli_bad_file_exits_1_listing_every_line(
    app: App, config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = str(config_file)
    assert main(["--config", cfg, "import", "customers", str(DATA / "import_customers_bad.csv")]) == 1
    err = capsys.readouterr().err
    for line in range(3, 10):
        assert f"import_customers_bad.csv:{line}: " in err
    assert "import_customers_bad.csv:2: " not in err
    assert "nothing imported" in err
    with app.sessions() as session:
        assert count(session, Customer) == 0


def test_cli_dry_run_and_missing_file(
    app: App, config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = str(config_file)
    assert main(["--config", cfg, "import", "products", "--dry-run", str(DATA / "import_products.csv")]) == 0
    assert "would be imported: 3 created" in capsys.readouterr().out
    with app.sessions() as session:
        assert count(session, Product) == 0
    assert main(["--config", cfg, "import", "products", str(tmp_path / "nope.csv")]) == 2
    assert "cannot read" in capsys.readouterr().err
