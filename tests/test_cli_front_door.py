"""The command line as a new user meets it: a fresh folder, the embedded database, external ids, lists.

- Reading commands on a fresh folder print an empty answer and leave no file behind; the first writing
  command creates the embedded SQLite database (and migrates an older one), as ``mailbot db upgrade``.
- Any other database without its schema is one line naming it, exit 69, and is never created.
- Commands take the external ids of the CSV files as well as database ids; an unknown one is one line.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from mailbot.app import App
from mailbot.cli import main
from mailbot.cli.exits import EX_UNAVAILABLE, EX_USAGE
from mailbot.db.engine import head_revision, transaction, upgrade
from mailbot.db.models import Service
from mailbot.domain import PaymentMethod
from mailbot.orders import NewOrder, create_order, find_order
from mailbot.outbound.links import LinkGrant
from tests.support.factories import make_customer, make_service

CUSTOMERS = "external_id,kind,name,email\nC1,private,Anna Rossi,anna@example.org\nC2,private,Bruno,b@example.org\n"
Cli = Callable[..., tuple[int, str, str]]
EML = b"From: a@example.org\nTo: rinnovi@example.it\nSubject: hi\nMessage-ID: <m@x>\n\nVorrei rinnovare.\n"

# Commands that only read; each must leave a fresh folder as empty as it found it.
READING: list[tuple[str, ...]] = [
    ("due",),
    ("due", "--json"),
    ("tickets", "list"),
    ("orders", "list"),
    ("outbox", "list"),
    ("outbox", "undeliverable"),
    ("services", "list"),
    ("customers", "list"),
    ("parse", "{eml}"),
    ("render", "expiry_reminder", "--sample"),
]
# Reading commands naming a record that is not there: one line naming it, exit 2, still no file.
UNKNOWN: list[tuple[tuple[str, ...], str]] = [
    (("render", "expiry_reminder", "--service", "S404"), "no service with id S404"),
    (("render", "payment_instructions", "--order", "ORD-2026-000404"), "no order ORD-2026-000404"),
    (("tickets", "show", "404"), "ticket 404: not found"),
    (("services", "list", "--customer", "C404"), "no customer with id C404"),
    (("orders", "list", "--customer", "C404"), "no customer with id C404"),
]


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty current folder, no config file, no database configured: what a new user has."""
    folder = tmp_path / "fresh"
    folder.mkdir()
    monkeypatch.chdir(folder)
    for var in ("MAILBOT_CONFIG", "MAILBOT_DATABASE_URL", "MAILBOT_LINK_SECRET"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "c.csv").write_text(CUSTOMERS, encoding="utf-8")
    (tmp_path / "m.eml").write_bytes(EML)
    yield folder


def _run(argv: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main([a.format(eml=tmp_path / "m.eml", csv=tmp_path / "c.csv") for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.mark.parametrize("argv", READING, ids=" ".join)
def test_reading_on_a_fresh_folder_makes_no_file(
    argv: tuple[str, ...], fresh: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(argv, tmp_path, capsys)
    assert code == 0, err
    assert sorted(p.name for p in fresh.iterdir()) == []


@pytest.mark.parametrize(("argv", "words"), UNKNOWN, ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_an_unknown_id_is_one_line_naming_it(
    argv: tuple[str, ...], words: str, fresh: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(argv, tmp_path, capsys)
    assert code == EX_USAGE
    assert err.strip().splitlines() == [f"mailbot: error: {err.strip().removeprefix('mailbot: error: ')}"]
    assert words in err
    assert sorted(p.name for p in fresh.iterdir()) == []


def test_the_first_writing_command_creates_the_embedded_database(
    fresh: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(("import", "customers", "{csv}"), tmp_path, capsys)
    assert code == 0, err
    assert "2 created" in out
    assert (fresh / "mailbot.db").exists()
    with sqlite3.connect(fresh / "mailbot.db") as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(head_revision(),)]
    code, out, _ = _run(("customers", "list"), tmp_path, capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("ID  EXTERNAL ID  KIND")
    assert any("C1" in line and "Anna Rossi" in line for line in lines[1:])
    assert lines[-1] == "2 customers"


def test_an_older_embedded_database_is_migrated(
    fresh: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    upgrade("sqlite:///mailbot.db", "0004")
    code, _, err = _run(("customers", "list"), tmp_path, capsys)
    assert code == 0, err
    with sqlite3.connect(fresh / "mailbot.db") as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(head_revision(),)]


def test_run_no_upgrade_leaves_even_the_embedded_database_alone(
    fresh: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(("run", "--no-upgrade"), tmp_path, capsys)
    assert code == EX_UNAVAILABLE and err.strip() == (
        "mailbot: error: database sqlite:///mailbot.db has no schema: run mailbot db upgrade"
    )
    assert sorted(p.name for p in fresh.iterdir()) == []


def test_head_revision_is_alembics() -> None:
    from alembic.script import ScriptDirectory

    from mailbot.db.engine import alembic_config

    assert head_revision() == ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


@pytest.mark.parametrize(
    "argv",
    [*READING[:-2], ("import", "customers", "{csv}"), ("tickets", "close", "1"), ("orders", "paid", "1")],
    ids=" ".join,
)
def test_another_database_without_schema_is_one_line(
    argv: tuple[str, ...], db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A configured database (a SQLite file elsewhere, PostgreSQL) is never created or migrated on the side."""
    config = tmp_path / "mailbot.toml"
    config.write_text(f'[general]\ndata_dir = "{tmp_path}"\n[database]\nurl = "{db_url}"\n', encoding="utf-8")
    (tmp_path / "c.csv").write_text(CUSTOMERS, encoding="utf-8")
    (tmp_path / "m.eml").write_bytes(EML)
    code, _, err = _run(("--config", str(config), *argv), tmp_path, capsys)
    assert code == EX_UNAVAILABLE
    (line,) = err.strip().splitlines()
    assert line.startswith("mailbot: error: database ") and line.endswith(" has no schema: run mailbot db upgrade")
    assert not (tmp_path / "mailbot.db").exists()


# External ids and the new lists ---------------------------------------------------------------------------


@pytest.fixture
def cli(config_file: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Cli]:
    def run(*argv: str) -> tuple[int, str, str]:
        code = main(["--config", str(config_file), *argv])
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    yield run


def _customers(app: App) -> tuple[int, int, str]:
    """Two customers; Anna has two services (one expiring early), an order awaiting payment dated late on
    4 December UTC, which is 5 December in Rome."""
    with transaction(app.sessions) as session:
        anna = make_customer(session, external_id="C001", name="Anna Rossi", email="anna@example.org")
        make_customer(session, external_id="C002", name="Bruno Bianchi", email="bruno@example.org")
        early = make_service(session, anna, external_id="S001", label="Impianto Nord", expires_on=date(2026, 12, 20))
        make_service(session, anna, external_id="S002", label="Impianto Sud", expires_on=date(2027, 6, 30))
        order = create_order(
            session,
            app,
            NewOrder(anna, [early], 1, PaymentMethod.BANK_TRANSFER),
            now=datetime(2026, 12, 4, 23, 30, tzinfo=UTC),
        )
        return anna.id, early.id, order.number


def test_services_list_with_filters(app: App, cli: Cli) -> None:
    anna_id, _, _ = _customers(app)
    code, out, _ = cli("services", "list")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("ID  EXTERNAL ID  CUSTOMER  PRODUCT  EXPIRES")
    assert "S001" in out and "S002" in out and lines[-1] == "2 services"
    for ref in ("C001", str(anna_id)):
        assert cli("services", "list", "--customer", ref)[1].splitlines()[-1] == "2 services"
    code, out, _ = cli("services", "list", "--expiring-before", "2027-01-01")
    assert "S001" in out and "S002" not in out and out.splitlines()[-1] == "1 service"
    code, out, _ = cli("services", "list", "--status", "cancelled")
    assert out.splitlines()[-1] == "0 services"
    code, _, err = cli("services", "list", "--expiring-before", "soon")
    assert code == EX_USAGE and "--expiring-before" in err


def test_customers_list(app: App, cli: Cli) -> None:
    _customers(app)
    code, out, _ = cli("customers", "list")
    assert code == 0 and "C001" in out and "Anna Rossi" in out and "anna@example.org" in out
    assert out.splitlines()[-1] == "2 customers"
    code, out, _ = cli("customers", "list", "--search", "bruno")
    assert "C002" in out and "C001" not in out and out.splitlines()[-1] == "1 customer"


def test_render_and_orders_take_external_ids_and_database_ids(app: App, cli: Cli) -> None:
    _, service_id, number = _customers(app)
    by_external = cli("render", "expiry_reminder", "--service", "S001")
    by_id = cli("render", "expiry_reminder", "--service", str(service_id))
    assert by_external[0] == by_id[0] == 0 and "anna@example.org" in by_external[1]
    assert by_external[1].splitlines()[:2] == by_id[1].splitlines()[:2]  # To and Subject (links differ in time)
    with app.sessions() as session:
        order = find_order(session, number)
        assert order is not None
        order_id = order.id
    assert cli("render", "payment_instructions", "--order", str(order_id))[0] == 0
    code, out, _ = cli("orders", "cancel", str(order_id), "--reason", "test")
    assert code == 0 and f"{number}: cancelled" in out


def test_orders_list_is_a_table_in_the_configured_time_zone(app: App, cli: Cli) -> None:
    _, _, number = _customers(app)
    code, out, _ = cli("orders", "list")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("NUMBER")
    (row,) = [line for line in lines if line.startswith(number)]
    assert "2026-12-05" in row and "2026-12-04" not in row and "C001" in row
    assert lines[-1] == "1 order"
    assert cli("orders", "list", "--customer", "C002")[1].splitlines()[-1] == "0 orders"


def test_outbox_deliverable_takes_the_database_id(app: App, cli: Cli) -> None:
    anna_id, _, _ = _customers(app)
    code, _, err = cli("outbox", "deliverable", str(anna_id))
    assert code == EX_USAGE and "anna@example.org is not marked undeliverable" in err
    code, _, err = cli("outbox", "deliverable", "C404")
    assert code == EX_USAGE and "C404" in err


def test_ingest_on_a_fresh_folder_stores_in_the_embedded_database(
    fresh: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(("ingest", "{eml}"), tmp_path, capsys)
    assert code == 0, err
    assert out.startswith("stored: ") and (fresh / "mailbot.db").exists()


def test_link_check_shows_its_times_in_the_configured_time_zone(app: App, cli: Cli) -> None:
    _, service_id, _ = _customers(app)
    with app.sessions() as session:
        service = session.get_one(Service, service_id)
        grant = LinkGrant(service.customer_id, "renew", ((service.id, service.expires_on),), None, datetime.now(UTC))
    url = app.links.make_url(grant)
    code, out, _ = cli("link", "check", url)
    local = grant.issued_at.astimezone(app.config.tz)
    assert code == 0 and f"issued at: {local:%Y-%m-%d %H:%M %Z}" in out
    assert "+00:00" not in out


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (("tickets", "approve", "404"), "ticket 404: not found"),
        (("tickets", "reject", "404", "--reason", "no"), "ticket 404: not found"),
        (("tickets", "assign", "404", "anna"), "ticket 404: not found"),
        (("tickets", "close", "404"), "ticket 404: not found"),
        (("outbox", "retry", "404"), "no email with id 404"),
        (("outbox", "deliverable", "C404"), "no customer with id C404"),
        (("orders", "paid", "ORD-2026-000404"), "no order ORD-2026-000404"),
        (("orders", "cancel", "404", "--reason", "no"), "no order 404"),
        (("render", "expiry_reminder", "--service", "404"), "no service with id 404"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, tuple) else "",
)
def test_an_unknown_id_on_a_database_with_its_schema(argv: tuple[str, ...], words: str, cli: Cli) -> None:
    code, _, err = cli(*argv)
    assert code == EX_USAGE
    assert words in err.strip().splitlines()[-1]


def test_other_reading_commands_on_a_fresh_folder(
    fresh: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(("link", "check", "not-a-token"), tmp_path, capsys)
    assert code == 1 and "usable: NO" in out
    code, out, _ = _run(("import", "customers", "{csv}", "--dry-run"), tmp_path, capsys)
    assert code == 0 and "would be imported: 2 created" in out
    assert sorted(p.name for p in fresh.iterdir()) == []


def test_due_names_customers_by_external_id(app: App, cli: Cli) -> None:
    _customers(app)
    code, out, _ = cli("due", "--date", "2026-11-20")
    assert code == 0 and "C001 Anna Rossi" in out
