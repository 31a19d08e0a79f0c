from __future__ import annotations

import logging
from pathlib import Path

import pytest

from mailbot.config import Config, config_from_dict, load_config
from mailbot.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"


def test_defaults_are_embedded() -> None:
    config = load_config(None, env={})
    assert config.database.url.startswith("sqlite:///")
    assert config.general.timezone == "Europe/Rome"
    assert config.general.language == "it"
    assert config.smtp.host == ""
    assert config.reminders.before_days == (90, 60, 30, 15, 7, 1)


def test_example_config_loads_and_documents_every_key() -> None:
    config = load_config(EXAMPLE, env={})
    assert isinstance(config, Config)
    text = EXAMPLE.read_text(encoding="utf-8")
    import dataclasses

    for section in dataclasses.fields(Config):
        assert f"[{section.name}]" in text, section.name
        for key in dataclasses.fields(getattr(config, section.name)):
            assert f"\n{key.name} =" in text or f"\n# {key.name} =" in text, f"{section.name}.{key.name}"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"smtp": {"port": "abc"}}, "smtp.port: expected an integer"),
        ({"smtp": {"prot": 25}}, "smtp.prot: unknown key"),
        ({"smpt": {"port": 25}}, "smpt: unknown section"),
        ({"general": {"timezone": "Mars/Olympus"}}, "general.timezone: unknown time zone"),
        ({"general": {"language": "de"}}, "general.language"),
        ({"mail": {"reply_to": "rinnovi@example.it"}}, "mail.reply_to"),
        ({"reminders": {"before_days": [30, "x"]}}, "reminders.before_days[1]: expected an integer"),
        ({"reminders": {"grace_after_days": [7, 95]}}, "reminders.grace_after_days"),
        ({"schedule": {"sweep_time": "25:00"}}, "schedule.sweep_time"),
        ({"payments": {"split_payment_valid_until": "2026-13-01"}}, "payments.split_payment_valid_until"),
        ({"smtp": {"security": "ssl"}}, "smtp.security"),
        ({"smtp": {"port": True}}, "smtp.port"),
        ({"smtp": {"shutdown_grace_seconds": -1}}, "smtp.shutdown_grace_seconds: must be 0"),
        ({"imap": {"fetch_batch": 0}}, "imap.fetch_batch: 0 must be between 1 and 1000"),
        ({"imap": {"fetch_batch_bytes": 1000}}, "imap.fetch_batch_bytes: 1000 must be at least 1 MiB"),
        ({"inbound": {"authserv_id": "mx.example.it; dmarc=pass"}}, "inbound.authserv_id: 'mx.example.it; dmarc"),
        ({"inbound": {"reply_token_days": 0}}, "inbound.reply_token_days: must be at least 1"),
        ({"inbound": {"verify_dkim": "yes"}}, "inbound.verify_dkim: expected true or false"),
    ],
)
def test_bad_config_names_the_key(raw: dict[str, dict[str, object]], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        config_from_dict(raw)
    assert message in str(info.value)


def test_secrets_come_from_environment() -> None:
    config = config_from_dict({}, env={"MAILBOT_SMTP_PASSWORD": "pw", "MAILBOT_LINK_SECRET": "s3"})
    assert config.smtp.password == "pw"
    assert config.links.secret == "s3"


def test_bad_toml_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[smtp\nport = 1", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.toml: not valid TOML"):
        load_config(bad, env={})
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.toml", env={})


def test_one_switch_for_the_imap_overlap_and_the_keys_it_replaced_still_read(caplog: pytest.LogCaptureFixture) -> None:
    """``imap.overlap`` replaced ``imap.parallel_moves`` and ``inbound.read_ahead``: a config that still
    has them loads, with a warning; any of them false turns the overlap off, unless ``overlap`` is given."""
    assert config_from_dict({}).imap.overlap is True
    assert config_from_dict({"imap": {"overlap": False}}).imap.overlap is False
    with caplog.at_level(logging.WARNING, logger="mailbot.config"):
        assert config_from_dict({"imap": {"parallel_moves": False}}).imap.overlap is False
        both = {"inbound": {"read_ahead": False}, "imap": {"parallel_moves": True}}
        assert config_from_dict(both).imap.overlap is False
        assert config_from_dict({"inbound": {"read_ahead": True}}).imap.overlap is True
        assert config_from_dict({"inbound": {"read_ahead": False}, "imap": {"overlap": True}}).imap.overlap is True
    assert "inbound.read_ahead: replaced by imap.overlap" in caplog.text
    assert "imap.parallel_moves: replaced by imap.overlap" in caplog.text
    with pytest.raises(ConfigError, match=r"imap\.parallel_moves: expected true or false"):
        config_from_dict({"imap": {"parallel_moves": "no"}})
