"""Whether a message's From is authenticated, read from the ``Authentication-Results`` headers (RFC 8601)
that our own receiving server added. Pure: header values in, a ``SenderAuth`` out.

What counts (``inbound.authserv_id`` names our server, as it writes itself in those headers):
- only the topmost ``Authentication-Results`` headers, as long as each carries our authserv-id: our
  server adds its own on top of whatever the message brought, so a header below the first one of
  another authserv-id (or one that cannot be parsed) came from elsewhere, and is ignored whatever id
  it claims. A server that does not remove incoming headers with its own authserv-id (RFC 8601 §5
  says it must) would let a sender's forged copy sit right under its own: so two of our results for
  the same check that disagree (a ``dmarc=fail`` above a ``dmarc=pass``) prove nothing;
- the From must be one address in one ``From`` header (two From headers is the classic way to make
  a verifier and a mail client look at different senders);
- ``dmarc=pass`` whose ``header.from`` is the From's domain; or ``dkim=pass`` whose signing domain
  (``header.d``, else the domain of ``header.i``) is aligned with the From's domain.

Alignment (``is_aligned``), relaxed as DMARC's, without the Public Suffix List: the signing domain is
the From's domain, or its parent or child domain (``example.it`` signs for ``mail.example.it`` and the
other way round), never a bare top-level domain. Sibling subdomains (``a.example.it`` for
``b.example.it``) are not aligned here, though DMARC's organisational domain would align them: a
stricter rule, and one that needs no list of public suffixes that goes stale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import getaddresses

import authres

from mailbot.text import visible

AUTHENTICATION_RESULTS = "authentication-results"


@dataclass(frozen=True)
class SenderAuth:
    """Whether the From is authenticated, and what says so (or why not), for staff."""

    authenticated: bool
    detail: str

    def __post_init__(self) -> None:  # the detail quotes header text: never a control character in it
        object.__setattr__(self, "detail", visible(self.detail))


NOT_CHECKED = SenderAuth(False, "not checked")


@dataclass(frozen=True)
class Result:
    """One check of one of our headers: method (dkim, dmarc...), result (pass, fail...) and its domain."""

    method: str
    result: str
    domain: str  # dmarc: header.from; dkim: header.d (or header.i's domain); "" when not given


def from_domain(from_values: Sequence[str]) -> str | None:
    """The domain of the message's one From address; None for none, several headers or several addresses."""
    if len(from_values) != 1:
        return None
    try:
        addresses = [a for _, a in getaddresses(list(from_values)) if a]
    except Exception:  # a From the standard library cannot parse: nobody to authenticate
        return None
    if len(addresses) != 1:
        return None
    _, at, domain = addresses[0].rpartition("@")
    return (domain.strip().lower().rstrip(".") or None) if at else None


def is_aligned(signing_domain: str, domain: str) -> bool:
    """``signing_domain`` is ``domain`` or its parent or child, neither a bare top-level domain."""
    d, f = signing_domain.strip().lower().rstrip("."), domain.strip().lower().rstrip(".")
    if not d or not f:
        return False
    if d == f:
        return True
    if "." not in d or "." not in f:
        return False
    return f.endswith("." + d) or d.endswith("." + f)


def our_results(headers: Sequence[tuple[str, str]], authserv_id: str) -> list[Result]:
    """The results of the topmost Authentication-Results headers that carry ``authserv_id``."""
    wanted = authserv_id.strip().lower()
    found: list[Result] = []
    for name, value in headers:
        if name.lower() != AUTHENTICATION_RESULTS:
            continue
        try:
            header = authres.AuthenticationResultsHeader.parse_value(" ".join(value.split()))
        except Exception:  # malformed: whose it is cannot be told, so nothing below it is ours either
            break
        if not wanted or str(header.authserv_id).lower() != wanted:
            break
        found += [_result(r) for r in header.results]
    return found


def _result(r: authres.core.AuthenticationResult) -> Result:
    props = {(str(p.type).lower(), str(p.name).lower()): str(p.value) for p in r.properties}
    method = str(r.method).lower()
    if method == "dmarc":
        domain = props.get(("header", "from"), "")
    else:
        domain = props.get(("header", "d"), "") or props.get(("header", "i"), "").rpartition("@")[2]
    return Result(method, str(r.result).lower(), domain.strip().lower().rstrip("."))


def read_authentication(headers: Sequence[tuple[str, str]], from_values: Sequence[str], authserv_id: str) -> SenderAuth:
    """Whether our server's Authentication-Results authenticate the From (see the module's docstring)."""
    if not authserv_id:
        return SenderAuth(False, "no inbound.authserv_id: Authentication-Results not trusted")
    domain = from_domain(from_values)
    if domain is None:
        return SenderAuth(False, "not one From address in one From header")
    results = our_results(headers, authserv_id)
    if not results:
        return SenderAuth(False, f"no Authentication-Results of {authserv_id} on top")
    dmarc = [r for r in results if r.method == "dmarc" and r.domain in (domain, "")]
    if dmarc and all(r.result == "pass" and r.domain == domain for r in dmarc):
        return SenderAuth(True, f"dmarc=pass header.from={domain} ({authserv_id})")
    if any(r.result != "pass" for r in dmarc) and any(r.result == "pass" for r in dmarc):
        return SenderAuth(False, f"conflicting dmarc results of {authserv_id}: not trusted")
    for r in results:
        if r.method == "dkim" and r.result == "pass" and is_aligned(r.domain, domain):
            same = [o for o in results if o.method == "dkim" and o.domain == r.domain]
            if any(o.result != "pass" for o in same):
                return SenderAuth(False, f"conflicting dkim results for {r.domain} of {authserv_id}: not trusted")
            return SenderAuth(True, f"dkim=pass header.d={r.domain}, aligned with {domain} ({authserv_id})")
    seen = "; ".join(f"{r.method}={r.result}" + (f" {r.domain}" if r.domain else "") for r in results)
    return SenderAuth(False, f"no dmarc or aligned dkim pass for {domain} ({authserv_id}: {seen})"[:300])
