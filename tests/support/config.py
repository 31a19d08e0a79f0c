"""The tests' config: a temporary data folder, the test database, and the receiving server they trust."""

from __future__ import annotations

from pathlib import Path

from mailbot.config import Config, config_from_dict

# The tests' receiving server: it writes "Authentication-Results: mx.example.it; ..." on top of what it
# receives (``authenticated`` gives such a header), so the tests' config trusts that authserv-id.
AUTHSERV_ID = "mx.example.it"


def authenticated(sender: str) -> str:
    """The header our receiving server adds when the DMARC check of ``sender``'s domain passes."""
    return f"Authentication-Results: {AUTHSERV_ID}; dmarc=pass header.from={sender.rpartition('@')[2]}\n"


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
