"""Our own addresses: one set for classification, forwarded copies, the dry run and the replies."""

from __future__ import annotations

from dataclasses import replace

from mailbot.config import Config
from mailbot.understand.addresses import bare_address, is_own_address, own_addresses


def test_own_addresses_from_the_config() -> None:
    config = Config()
    config = replace(config, inbound=replace(config.inbound, own_addresses=("Fatture@Example.it",)))
    assert own_addresses(config, extra=["staff@ours.example", " "]) == {
        "rinnovi@example.it",  # mail.from_address, and mail.reply_to without {token}
        "assistenza@example.it",  # mail.support_address
        "fatture@example.it",
        "staff@ours.example",
    }


def test_is_own_address_ignores_case_and_the_reply_token() -> None:
    own = own_addresses(Config())
    assert is_own_address("Rinnovi+AbC123xyz@Example.IT", own)
    assert is_own_address(" assistenza@example.it", own)
    assert not is_own_address("rinnovi@example.org", own)
    assert bare_address(" Mario.Rossi+news@Example.org ") == "mario.rossi@example.org"
