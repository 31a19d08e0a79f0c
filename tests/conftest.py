"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL when
``MAILBOT_TEST_DATABASE_URL`` is set), a config pointing at a temporary folder, the app, the shipped
rules, a real SMTP sink and a real Dovecot. Test modules never import this file: plain helpers are in
``tests/support/``."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, text

from mailbot.app import App, create_app
from mailbot.config import Config
from mailbot.db.engine import make_engine, normalise_url
from mailbot.db.models import Base
from mailbot.outbound.smtp_sink import start_sink
from mailbot.paths import rules_dir
from mailbot.testing.dovecot import DovecotServer
from mailbot.understand.rules import RuleSet, load_rules
from tests.support.config import make_config
from tests.support.imap import Running, start_server

PG_URL = os.environ.get("MAILBOT_TEST_DATABASE_URL", "")


def _pg_engine(schema: str) -> Engine:
    return make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database. On PostgreSQL each test gets its own schema, so test runs
    in parallel never see each other's rows."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'mailbot.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = normalise_url(PG_URL)
    sep = "&" if "?" in url else "?"
    yield f"{url}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    Base.metadata.create_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def config(tmp_path: Path, db_url: str) -> Config:
    return make_config(tmp_path, db_url)


@pytest.fixture
def config_file(tmp_path: Path, db_url: str, engine: Engine) -> Path:
    """A config file pointing at the test database (whose tables ``engine`` created), for CLI tests."""
    path = tmp_path / "mailbot.toml"
    path.write_text(
        f'[general]\ndata_dir = "{tmp_path}"\n'
        f'[database]\nurl = "{db_url}"\n'
        '[links]\nsecret = "test-secret"\nbase_url = "https://portal.example.it/rinnovo"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def app(config: Config, engine: Engine) -> Iterator[App]:
    application = create_app(config, engine=engine)
    yield application


# A real SMTP server ------------------------------------------------------------------------------


@pytest.fixture
def smtp_sink() -> Iterator[Controller]:
    """A started aiosmtpd sink (``.port``, ``.handler``: a ``RecordingHandler``), stopped after the test."""
    controller = start_sink()
    yield controller
    controller.stop()


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 made for the session with the ``openssl`` tool (the
    ``cryptography`` package is not installed here), as (cert path, key path)."""
    openssl = shutil.which("openssl")
    if openssl is None:  # pragma: no cover - the machine has it; say why if another does not
        pytest.skip("openssl command not available to make a self-signed certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    """The shipped rules."""
    return load_rules(rules_dir())


# A real Dovecot (tests using it are marked ``imap_only``) ------------------------------------------


@pytest.fixture
def server() -> Iterator[DovecotServer]:
    srv = start_server()
    yield srv
    srv.remove()


@pytest.fixture
def running() -> Iterator[Callable[..., Running]]:
    """Starts listeners in their own threads, as ``running(app, rules, **kw)``; stopped after the test."""
    started: list[Running] = []

    def start(app: App, rules: RuleSet, **kw: Any) -> Running:
        started.append(Running(app, rules, **kw))
        return started[-1]

    yield start
    for r in started:
        r.stop()
