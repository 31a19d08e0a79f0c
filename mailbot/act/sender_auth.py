"""Authenticating a received message's From: our server's Authentication-Results headers
(``authentication.read_authentication``, pure), else, with ``inbound.verify_dkim``, its DKIM signatures
checked here with dkimpy, which looks the keys up in the DNS (the I/O of this module).

dkimpy (by the authors of ``authres``) is the maintained Python DKIM implementation (RFC 6376,
RSA and Ed25519, the canonicalisations and their corner cases); its only dependency is dnspython,
pure Python, so it is a regular dependency: turning ``verify_dkim`` on never fails for a missing module.

A signature authenticates the From only when it verifies, its ``d=`` is aligned with the From's domain
(``authentication.is_aligned``) and it has no ``l=`` body length (which lets anyone append text after
the signed part). At most ``MAX_SIGNATURES`` aligned signatures are looked up, each DNS query waits at
most ``DNS_TIMEOUT`` seconds, and any error (no key, a DNS failure, a malformed signature) only means
"not authenticated": the change then waits for staff, as for any claim.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import dkim
from dkim.util import parse_tag_value

from mailbot.config import InboundConfig
from mailbot.understand.authentication import SenderAuth, from_domain, is_aligned, read_authentication
from mailbot.understand.mime import ParsedMessage

log = logging.getLogger(__name__)

# dkimpy's resolver: (name, timeout=...) -> the TXT record's text (b"" when none).
DnsFunc = Callable[..., bytes]
MAX_SIGNATURES = 3
DNS_TIMEOUT = 5


def authenticate_sender(
    message: ParsedMessage, raw: bytes, inbound: InboundConfig, *, dkim_wanted: bool, dns: DnsFunc | None = None
) -> SenderAuth:
    """Our server's verdict first; then (``inbound.verify_dkim`` and ``dkim_wanted``) our own DKIM check."""
    from_values = message.from_headers  # parsed before any name is decoded, as our server read them
    found = read_authentication(message.headers, from_values, inbound.authserv_id)
    if found.authenticated or not (inbound.verify_dkim and dkim_wanted):
        return found
    domain = from_domain(from_values)
    if domain is None:
        return SenderAuth(False, "not one From address in one From header")
    checked = verify_dkim(raw, domain, dns)
    return checked if checked.authenticated else SenderAuth(False, f"{found.detail}; {checked.detail}")


def verify_dkim(raw: bytes, domain: str, dns: DnsFunc | None = None) -> SenderAuth:
    """Whether a DKIM signature of ``raw`` aligned with ``domain`` verifies (see the module's docstring)."""
    try:
        verifier = dkim.DKIM(raw, timeout=DNS_TIMEOUT, logger=log)
        signatures = [v for k, v in verifier.headers if k.lower() == b"dkim-signature"]
    except Exception as exc:  # dkimpy refuses the message itself (a malformed header)
        return SenderAuth(False, f"dkim: message not checkable ({type(exc).__name__})")
    tried: list[str] = []
    looked_up = 0
    for index, value in enumerate(signatures):
        try:
            tags = parse_tag_value(value)
        except Exception:
            tried.append("malformed signature")
            continue
        signer = tags.get(b"d", b"").decode("ascii", "replace").strip().lower()
        if not is_aligned(signer, domain):
            tried.append(f"d={signer} not aligned")
            continue
        if b"l" in tags:
            tried.append(f"d={signer} signs only part of the body (l=)")
            continue
        if looked_up == MAX_SIGNATURES:
            break
        looked_up += 1
        try:
            valid = verifier.verify(idx=index) if dns is None else verifier.verify(idx=index, dnsfunc=dns)
        except Exception as exc:  # dkimpy's own errors, and the resolver's
            tried.append(f"d={signer} did not verify ({type(exc).__name__})")
            continue
        if valid:
            return SenderAuth(True, f"dkim: signature of d={signer} verified here, aligned with {domain}")
        tried.append(f"d={signer} did not verify")
    return SenderAuth(False, "dkim: " + ("; ".join(tried) if tried else "no signature"))
