"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL when
``MAILBOT_TEST_DATABASE_URL`` is set), a config pointing at a temporary folder, and the app."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from mailbot.app import App, create_app
from mailbot.config import Config, config_from_dict
from mailbot.db.engine import make_engine, normalise_url
from mailbot.db.models import Base
from tests.smtp_server import smtp_sink, tls_cert  # noqa: F401  (fixtures for a real SMTP server)

PG_URL = os.environ.get("MAILBOT_TEST_DATABASE_URL", "")
# The tests' receiving server: it writes "Authentication-Results: mx.example.it; ..." on top of what it
# receives (``authenticated`` gives such a header), so the tests' config trusts that authserv-id.
AUTHSERV_ID = "mx.example.it"


def authenticated(sender: str) -> str:
    """The header our receiving server adds when the DMARC check of ``sender``'s domain passes."""
    return f"Authentication-Results: {AUTHSERV_ID}; dmarc=pass header.from={sender.rpartition('@')[2]}\n"


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


def make_config(tmp_path: Path, db_url: str, **sections: dict[str, object]) -> Config:
    raw: dict[str, dict[str, object]] = {
        "general": {"data_dir": str(tmp_path)},
        "database": {"url": db_url},
        "links": {"secret": "test-secret", "base_url": "https://portal.example.it/rinnovo"},
        "mail": {
            "from_address": "rinnovi@example.it",
            "reply_to": "rinnovi+{token}@example.it",
            "message_id_domain": "example.it",
        },
        "inbound": {"authserv_id": AUTHSERV_ID},
    }
    for name, values in sections.items():
        raw.setdefault(name, {}).update(values)
    return config_from_dict(raw)


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
