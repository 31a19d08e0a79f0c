"""Whether a From is authenticated: our server's Authentication-Results headers read as values (pure),
and dkimpy's own check with a key of the test's own and a resolver stub (no network)."""

from __future__ import annotations

import base64

import pytest

from mailbot.act.sender_auth import authenticate_sender, verify_dkim
from mailbot.config import InboundConfig
from mailbot.understand.authentication import SenderAuth, from_domain, is_aligned, read_authentication
from mailbot.understand.mime import parse_message
from tests.support.dkim import MESSAGE, dkim_key, resolver, signed

OURS = "mx.example.it"
FROM = ["Anna <anna@client.example.org>"]


def ar(value: str) -> tuple[str, str]:
    return ("Authentication-Results", value)


def check(*headers: tuple[str, str], from_values: list[str] = FROM, authserv_id: str = OURS) -> tuple[bool, str]:
    found = read_authentication(list(headers), from_values, authserv_id)
    return found.authenticated, found.detail


# Authentication-Results -------------------------------------------------------------------------


def test_dmarc_pass_for_the_from_domain_authenticates() -> None:
    ok, detail = check(
        ar(f"{OURS}; spf=pass smtp.mailfrom=client.example.org; dmarc=pass header.from=client.example.org")
    )
    assert ok and detail == f"dmarc=pass header.from=client.example.org ({OURS})"
    assert check(ar("MX.Example.IT; dmarc=pass (p=reject) header.from=Client.Example.ORG"))[0]  # any case


@pytest.mark.parametrize(
    "value",
    [
        f"{OURS}; dmarc=fail header.from=client.example.org",
        f"{OURS}; dmarc=pass header.from=evil.example.net",  # another domain's pass
        f"{OURS}; dmarc=pass",  # no header.from: which From passed?
        f"{OURS}; spf=pass smtp.mailfrom=anna@client.example.org",  # SPF says nothing of the From
        f"{OURS}; dkim=pass header.d=evil.example.net",  # not aligned
        f"{OURS}; dkim=fail header.d=client.example.org",
        f"{OURS}; dkim=pass header.d=other.example.org",  # a sibling of the From's domain
        f"{OURS}; none",
        "mx.evil.example.net; dmarc=pass header.from=client.example.org",  # not ours
    ],
)
def test_what_does_not_authenticate(value: str) -> None:
    assert not check(ar(value))[0]


def test_aligned_dkim_pass_authenticates() -> None:
    assert check(ar(f"{OURS}; dkim=pass header.d=client.example.org header.s=sel"))[0]
    assert check(ar(f"{OURS}; dkim=pass header.i=@mail.client.example.org"))[0]  # a child, from header.i
    ok, detail = check(
        ar(f"{OURS}; dkim=fail header.d=list.example.net; dkim=pass header.d=example.org"),
        from_values=["a@mail.example.org"],
    )
    assert ok and "header.d=example.org, aligned with mail.example.org" in detail


def test_only_the_topmost_headers_of_our_authserv_id_count() -> None:
    forged = ar(f"{OURS}; dmarc=pass header.from=client.example.org")
    received = ("Received", "from evil.example.net by mx.example.it")
    assert not check(ar("filter.example.it; spam=pass"), forged)[0]  # below another server's header
    assert not check(ar(f"{OURS} garbage ((("), forged)[0]  # below one whose server cannot be told
    assert check(("Delivered-To", "rinnovi@example.it"), received, forged)[0]  # the topmost: ours
    ok, detail = check(ar(f"{OURS}; dkim=none; dmarc=fail header.from=client.example.org"), received, forged)
    assert not ok and "conflicting dmarc" in detail  # our fail over a forged pass: nothing is trusted
    ok, detail = check(
        ar(f"{OURS}; dkim=fail header.d=client.example.org"), ar(f"{OURS}; dkim=pass header.d=client.example.org")
    )
    assert not ok and "conflicting dkim" in detail
    # several headers of ours (one per filter) together: SPF by one, DMARC by another
    assert check(ar(f"{OURS}; spf=pass smtp.mailfrom=x"), ar(f"{OURS}; dmarc=pass header.from=client.example.org"))[0]


def test_what_staff_see_shows_no_control_character() -> None:
    ok, detail = check(ar(f"{OURS}; dkim=pass header.d=\x1b[2Jevil.example.net"))
    assert not ok and "\x1b" not in detail
    assert SenderAuth(False, "d=\x1b[2Jevil\u202e.example\n").detail == "d=\\x1b[2Jevil\\u202e.example\\n"


def test_no_authserv_id_trusts_no_header() -> None:
    ok, detail = check(ar("; dmarc=pass header.from=client.example.org"), authserv_id="")
    assert not ok and "no inbound.authserv_id" in detail


@pytest.mark.parametrize(
    ("values", "domain"),
    [
        (["Anna <anna@Client.Example.ORG>"], "client.example.org"),
        (["anna@client.example.org", "mallory@evil.example.net"], None),  # two From headers
        (["anna@client.example.org, mallory@evil.example.net"], None),  # two addresses
        ([], None),
        (["no address at all"], None),
    ],
)
def test_from_domain_is_one_address_in_one_header(values: list[str], domain: str | None) -> None:
    assert from_domain(values) == domain
    if domain is None:
        assert not check(ar(f"{OURS}; dmarc=pass header.from=client.example.org"), from_values=values)[0]


@pytest.mark.parametrize(
    ("signer", "domain", "aligned"),
    [
        ("example.it", "example.it", True),
        ("EXAMPLE.it.", "example.it", True),
        ("example.it", "mail.example.it", True),  # parent
        ("example.it", "a.mail.example.it", True),  # any ancestor but a top-level domain
        ("mail.example.it", "example.it", True),  # child
        ("a.example.it", "b.example.it", False),  # siblings: stricter than DMARC's organisational domain
        ("it", "example.it", False),  # a bare top-level domain
        ("evilexample.it", "example.it", False),
        ("", "example.it", False),
    ],
)
def test_alignment(signer: str, domain: str, aligned: bool) -> None:
    assert is_aligned(signer, domain) is aligned


# DKIM checked here with dkimpy ------------------------------------------------------------------


@pytest.fixture
def key() -> tuple[bytes, bytes]:
    return dkim_key()


def test_a_valid_aligned_signature_authenticates(key: tuple[bytes, bytes]) -> None:
    pem, record = key
    raw = signed(pem) + MESSAGE
    asked: list[bytes] = []
    found = verify_dkim(raw, "client.example.org", resolver({b"sel._domainkey.client.example.org.": record}, asked))
    assert found.authenticated and "d=client.example.org verified here" in found.detail
    assert asked == [b"sel._domainkey.client.example.org."]
    lf = raw.replace(b"\r\n", b"\n")  # as a Maildir file keeps it
    assert verify_dkim(
        lf, "client.example.org", resolver({b"sel._domainkey.client.example.org.": record}, [])
    ).authenticated


def test_what_dkim_does_not_authenticate(key: tuple[bytes, bytes]) -> None:
    pem, record = key
    records = {b"sel._domainkey.client.example.org.": record, b"sel._domainkey.evil.example.net.": record}
    raw = signed(pem) + MESSAGE
    tampered = raw.replace(b"disattivare", b"attivare")
    assert "did not verify" in verify_dkim(tampered, "client.example.org", resolver(records, [])).detail
    asked: list[bytes] = []
    other = signed(pem, b"evil.example.net") + MESSAGE
    found = verify_dkim(other, "client.example.org", resolver(records, asked))
    assert not found.authenticated and "not aligned" in found.detail and asked == []  # not even looked up
    assert not verify_dkim(raw, "client.example.org", resolver({}, [])).authenticated  # no key published
    partial = signed(pem, length=True) + MESSAGE
    assert "l=" in verify_dkim(partial, "client.example.org", resolver(records, [])).detail
    assert verify_dkim(MESSAGE, "client.example.org", resolver(records, [])).detail == "dkim: no signature"

    def broken(name: bytes, timeout: int = 5) -> bytes:
        raise TimeoutError("DNS down")

    assert "did not verify (TimeoutError)" in verify_dkim(raw, "client.example.org", broken).detail


def test_dkim_is_checked_only_when_asked_and_wanted(key: tuple[bytes, bytes]) -> None:
    pem, record = key
    raw = signed(pem) + MESSAGE
    message = parse_message(raw)
    asked: list[bytes] = []
    dns = resolver({b"sel._domainkey.client.example.org.": record}, asked)
    on = InboundConfig(verify_dkim=True)
    assert authenticate_sender(message, raw, on, dkim_wanted=True, dns=dns).authenticated
    assert not authenticate_sender(message, raw, on, dkim_wanted=False, dns=dns).authenticated
    assert not authenticate_sender(message, raw, InboundConfig(), dkim_wanted=True, dns=dns).authenticated
    assert len(asked) == 1


def test_the_from_is_read_for_its_domain_before_its_name_is_decoded() -> None:
    """An encoded display name that decodes to an address is a name (RFC 2047, section 5): the domain
    authenticated is the real From's, as our receiving server read it."""
    name = "=?utf-8?b?" + base64.b64encode(b"Anna <anna@client.example.org>").decode() + "?="
    raw = (
        f"Authentication-Results: {OURS}; dmarc=pass header.from=evil.example.net\r\n"
        f"From: {name} <x@evil.example.net>\r\nTo: rinnovi@example.it\r\nSubject: ciao\r\n\r\nciao\r\n"
    ).encode()
    message = parse_message(raw)
    assert message.from_address == "x@evil.example.net"
    found = authenticate_sender(message, raw, InboundConfig(authserv_id=OURS), dkim_wanted=False)
    assert found.authenticated and "header.from=evil.example.net" in found.detail  # evil's own domain, nobody else's
    forged = raw.replace(b"header.from=evil.example.net", b"header.from=client.example.org")
    assert not authenticate_sender(
        parse_message(forged), forged, InboundConfig(authserv_id=OURS), dkim_wanted=False
    ).authenticated
