"""Signed, expiring renewal links (itsdangerous).

A link grants one action (renew, reactivate, pay) to one customer for a set of services, each
bound to the expiry date of the cycle it was issued for: once a service is renewed its expiry
moves and the old link no longer applies to it. The signature covers everything, so changing any
part of the URL invalidates it. The clock is passed in, so expiry is testable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from mailbot.errors import InputError

SALT = "mailbot.renewal-link.v1"
ACTIONS = ("renew", "reactivate", "pay")


@dataclass(frozen=True)
class LinkGrant:
    customer_id: int
    action: str  # renew | reactivate | pay
    services: tuple[tuple[int, date], ...]  # (service id, expiry date of the cycle)
    order_number: str | None
    issued_at: datetime


@dataclass(frozen=True)
class LinkCheck:
    grant: LinkGrant | None
    valid: bool
    reason: str  # "valid", "expired", "bad signature", "malformed"
    expires_at: datetime | None


class _ClockSigner(TimestampSigner):
    """A timestamp signer reading the time from the caller, not the system clock."""

    def __init__(self, *args: Any, now: datetime | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._now = now

    def get_timestamp(self) -> int:
        return int((self._now or datetime.now(UTC)).timestamp())


def _serializer(secret: str, now: datetime | None) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT, signer=_ClockSigner, signer_kwargs={"now": now})


class LinkSigner:
    def __init__(self, secret: str, base_url: str, max_age_days: int) -> None:
        if not secret:
            raise InputError("links.secret: not set; renewal links cannot be signed")
        self.secret = secret
        self.base_url = base_url
        self.max_age_seconds = max_age_days * 86400

    def make_token(self, grant: LinkGrant) -> str:
        payload = {
            "c": grant.customer_id,
            "a": grant.action,
            "s": [[sid, exp.isoformat()] for sid, exp in grant.services],
        }
        if grant.order_number:
            payload["o"] = grant.order_number
        return _serializer(self.secret, grant.issued_at).dumps(payload)

    def make_url(self, grant: LinkGrant) -> str:
        sep = "&" if "?" in self.base_url else "?"
        return f"{self.base_url}{sep}{urlencode({'t': self.make_token(grant)})}"

    def check_url(self, url: str, now: datetime) -> LinkCheck:
        query = parse_qs(urlsplit(url).query)
        tokens = query.get("t")
        if not tokens:
            return LinkCheck(None, False, "malformed: no t= parameter in the URL", None)
        return self.check_token(tokens[0], now)

    def check_token(self, token: str, now: datetime) -> LinkCheck:
        serializer = _serializer(self.secret, now)
        try:
            payload, issued = serializer.loads(token, max_age=self.max_age_seconds, return_timestamp=True)
            valid, reason = True, "valid"
        except SignatureExpired as exc:
            if exc.payload is None or exc.date_signed is None:
                return LinkCheck(None, False, "expired", None)
            payload = serializer.load_payload(exc.payload)
            issued, valid, reason = exc.date_signed, False, "expired"
        except BadSignature:
            return LinkCheck(None, False, "bad signature: the link was altered or signed with another key", None)
        try:
            grant = _grant_from_payload(payload, issued)
        except (KeyError, TypeError, ValueError):
            return LinkCheck(None, False, "malformed payload", None)
        expires_at = datetime.fromtimestamp(issued.timestamp() + self.max_age_seconds, UTC)
        return LinkCheck(grant, valid, reason, expires_at)


def _grant_from_payload(payload: dict[str, object], issued: datetime) -> LinkGrant:
    action = str(payload["a"])
    if action not in ACTIONS:
        raise ValueError(action)
    services_raw = payload["s"]
    if not isinstance(services_raw, list):
        raise TypeError("s")
    services = tuple((int(sid), date.fromisoformat(str(exp))) for sid, exp in services_raw)
    order = payload.get("o")
    return LinkGrant(
        customer_id=int(str(payload["c"])),
        action=action,
        services=services,
        order_number=str(order) if order else None,
        issued_at=issued.astimezone(UTC),
    )
