"""DKIM without the network: a key of the tests' own, a message signed with it, and a resolver stub that
answers from a dict."""

from __future__ import annotations

import base64
import functools

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mailbot.act.sender_auth import DNS_TIMEOUT, DnsFunc

MESSAGE = (
    b"From: Anna <anna@client.example.org>\r\nTo: rinnovi+abcdefgh23@example.it\r\nSubject: Re: Promemoria\r\n"
    b"Date: Sat, 21 Nov 2026 09:00:00 +0100\r\nMessage-ID: <k1@client.example.org>\r\n\r\n"
    b"Vorrei disattivare il rinnovo automatico.\r\n"
)


@functools.cache
def dkim_key() -> tuple[bytes, bytes]:
    """A 2048-bit RSA key of the test's own: (private key PEM, DNS TXT record of its public key)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def signed(pem: bytes, domain: bytes = b"client.example.org", message: bytes = MESSAGE, **kw: object) -> bytes:
    return dkim.sign(message, b"sel", domain, pem, include_headers=[b"from", b"to", b"subject", b"date"], **kw)  # type: ignore[no-any-return]


def resolver(records: dict[bytes, bytes], asked: list[bytes]) -> DnsFunc:
    """dkimpy's ``dnsfunc``: the TXT record of a name from ``records`` (b"" when none), noting each name."""

    def txt(name: bytes, timeout: int = 5) -> bytes:
        assert timeout == DNS_TIMEOUT
        asked.append(name)
        return records.get(name, b"")

    return txt
