"""The daily cap on automatic replies counts what it should: reply templates, to this address in any case,
created since local midnight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from mailbot.app import create_app
from mailbot.db.engine import transaction
from mailbot.inbound.replies import local_midnight, replies_today
from mailbot.outbound.context import REPLY_TEMPLATES
from mailbot.outbound.outbox import NewMessage, enqueue
from mailbot.outbound.render import RenderedEmail
from tests.conftest import make_config

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)


def test_replies_today_counts_reply_templates_since_local_midnight(tmp_path: Path, db_url: str,
                                                                    engine: Engine) -> None:  # fmt: skip
    app = create_app(make_config(tmp_path, db_url), engine=engine)
    midnight = local_midnight(NOW, app.config)
    rows = [  # (key, template, address, created_at)
        ("r1", REPLY_TEMPLATES[0], "Curioso@Example.org", midnight),  # counts: at midnight, any case
        ("r2", REPLY_TEMPLATES[-1], " curioso@example.org", NOW),  # counts
        ("r3", REPLY_TEMPLATES[0], "curioso@example.org", midnight - timedelta(seconds=1)),  # yesterday
        ("r4", "expiry_reminder", "curioso@example.org", NOW),  # not an automatic reply
        ("r5", REPLY_TEMPLATES[0], "altro@example.org", NOW),  # someone else
    ]
    with transaction(app.sessions) as session:
        for key, template, address, created in rows:
            message = NewMessage(key, template, "it", address.strip(), RenderedEmail("s", "t", "<p>h</p>"))
            row = enqueue(session, message, mail=app.config.mail, now=created)
            assert row is not None
            row.created_at = created
    with app.sessions() as session:
        assert replies_today(session, "CURIOSO@example.org ", app.config, NOW) == 2
        assert replies_today(session, "altro@example.org", app.config, NOW) == 1
        assert replies_today(session, "nessuno@example.org", app.config, NOW) == 0
        assert replies_today(session, "curioso@example.org", app.config, NOW + timedelta(days=1)) == 0
