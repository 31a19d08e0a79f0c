"""Pure validation of one CSV row per kind: a ``dict`` of cells in, a typed row or its errors out.

Every bad cell of a row is reported (not only the first), each as a ``RowError`` naming the line,
the column and the reason. Nothing here touches the database: references to customers and
products are checked by the importer afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from mailbot.domain import AUTORENEW_METHODS, Cadence, CustomerKind, PaymentMethod, ReactivationFrom, ServiceStatus
from mailbot.importing.fields import (
    parse_bool,
    parse_cents,
    parse_date,
    parse_email,
    parse_enum,
    parse_fiscal_code,
    parse_int,
    parse_month,
    parse_vat_number,
)

T = TypeVar("T")
LANGUAGES = ("it", "en")
_CODE = re.compile(r"^[A-Z0-9]+$")


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.column}: {self.reason}"


@dataclass(frozen=True)
class CustomerRow:
    line: int
    external_id: str
    kind: CustomerKind
    name: str
    email: str
    language: str
    vat_number: str | None
    fiscal_code: str | None
    pec: str | None
    recipient_code: str | None
    split_payment: bool
    street: str | None
    postcode: str | None
    city: str | None
    province: str | None
    country: str


@dataclass(frozen=True)
class ProductRow:
    line: int
    code: str
    name: str
    cadence: Cadence
    price_cents: int
    max_years: int
    promo: bool
    bank_transfer_fee_cents: int
    storage_quota_mb: int
    reactivation_from: ReactivationFrom


@dataclass(frozen=True)
class ServiceRow:
    line: int
    external_id: str
    customer_external_id: str
    product_code: str
    label: str
    username: str
    expires_on: date
    autorenew: bool
    payment_method: PaymentMethod
    card_expires: date | None
    storage_quota_mb: int | None  # None: the product's quota
    storage_used_mb: int
    started_on: date | None
    status: ServiceStatus


class _Cells:
    """Reads the cells of one row, collecting one error per bad cell."""

    def __init__(self, row: Mapping[str, str | None], line: int) -> None:
        self.row = row
        self.line = line
        self.errors: list[RowError] = []

    def text(self, column: str, max_len: int = 200) -> str:
        value = (self.row.get(column) or "").strip()
        if len(value) > max_len:
            self.error(column, f"longer than {max_len} characters")
        return value

    def required(self, column: str, max_len: int = 200) -> str:
        value = self.text(column, max_len)
        if not value:
            self.error(column, "required, but empty")
        return value

    def get(self, column: str, parse: Callable[[str], T], default: T, *, required: bool = False) -> T:
        value = self.required(column) if required else self.text(column)
        if not value:
            return default
        try:
            return parse(value)
        except ValueError as exc:
            self.error(column, str(exc))
            return default

    def error(self, column: str, reason: str) -> None:
        self.errors.append(RowError(self.line, column, reason))


def parse_customer_row(
    row: Mapping[str, str | None], line: int, *, default_language: str = "it"
) -> CustomerRow | list[RowError]:
    c = _Cells(row, line)
    kind = c.get("kind", lambda v: parse_enum(v, CustomerKind), CustomerKind.PRIVATE, required=True)
    language = c.text("language").lower() or default_language
    if language not in LANGUAGES:
        c.error("language", f"expected it or en, got {language!r}")
    recipient_code = c.get("recipient_code", lambda v: _recipient_code(v, kind), None)
    is_pa = kind == CustomerKind.PUBLIC_ADMINISTRATION
    result = CustomerRow(
        line=line,
        external_id=c.required("external_id", 64),
        kind=kind,
        name=c.required("name"),
        email=c.get("email", parse_email, "", required=True),
        language=language,
        vat_number=c.get("vat_number", parse_vat_number, None),
        fiscal_code=c.get("fiscal_code", parse_fiscal_code, None),
        pec=c.get("pec", parse_email, None),
        recipient_code=recipient_code,
        split_payment=c.get("split_payment", parse_bool, is_pa),
        street=c.text("street")[:60] or None,
        postcode=c.get("postcode", _postcode, None),
        city=c.text("city")[:60] or None,
        province=c.get("province", _province, None),
        country=c.get("country", _country, "IT"),
    )
    if result.country == "IT" and result.postcode is not None and not _IT_POSTCODE.match(result.postcode):
        c.error("postcode", f"an Italian postcode has 5 digits, got {result.postcode!r}")
    return c.errors or result


_IT_POSTCODE = re.compile(r"\d{5}")


def _postcode(value: str) -> str:
    code = value.strip().upper()
    if not re.fullmatch(r"[A-Z0-9 -]{3,10}", code):
        raise ValueError(f"expected a postcode, got {value!r}")
    return code


def _province(value: str) -> str:
    code = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise ValueError(f"expected the province's 2 letters (MI, RM), got {value!r}")
    return code


def _country(value: str) -> str:
    code = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise ValueError(f"expected the country's 2-letter code (IT, DE), got {value!r}")
    return code


def _recipient_code(value: str, kind: CustomerKind) -> str:
    """6-character office code for a PA, 7-character recipient code otherwise (as SdI checks)."""
    code = value.strip().upper()
    if not _CODE.match(code):
        raise ValueError(f"only letters and digits allowed, got {value!r}")
    if kind == CustomerKind.PUBLIC_ADMINISTRATION and len(code) != 6:
        raise ValueError(f"a public administration needs the 6-character office code, got {len(code)} characters")
    if kind != CustomerKind.PUBLIC_ADMINISTRATION and len(code) != 7:
        raise ValueError(f"a {kind.value} customer needs a 7-character recipient code, got {len(code)} characters")
    return code


def parse_product_row(row: Mapping[str, str | None], line: int) -> ProductRow | list[RowError]:
    c = _Cells(row, line)
    result = ProductRow(
        line=line,
        code=c.required("code", 64),
        name=c.required("name"),
        cadence=c.get("cadence", lambda v: parse_enum(v, Cadence), Cadence.ANNUAL),
        price_cents=c.get("price", parse_cents, 0, required=True),
        max_years=c.get("max_years", lambda v: parse_int(v, 1, 10), 10),
        promo=c.get("promo", parse_bool, False),
        bank_transfer_fee_cents=c.get("bank_transfer_fee", parse_cents, 0),
        storage_quota_mb=c.get("storage_quota_mb", lambda v: parse_int(v, 0), 0),
        reactivation_from=c.get(
            "reactivation_from", lambda v: parse_enum(v, ReactivationFrom), ReactivationFrom.EXPIRY
        ),
    )
    return c.errors or result


def parse_service_row(row: Mapping[str, str | None], line: int) -> ServiceRow | list[RowError]:
    c = _Cells(row, line)
    method = c.get("payment_method", lambda v: parse_enum(v, PaymentMethod), PaymentMethod.NONE)
    autorenew = c.get("autorenew", parse_bool, False)
    if autorenew and method not in AUTORENEW_METHODS:
        c.error("autorenew", f"automatic renewal needs payment_method card or paypal, not {method.value}")
    quota: int | None = c.get("storage_quota_mb", lambda v: parse_int(v, 0), None)
    result = ServiceRow(
        line=line,
        external_id=c.required("external_id", 64),
        customer_external_id=c.required("customer_external_id", 64),
        product_code=c.required("product_code", 64),
        label=c.required("label"),
        username=c.required("username", 120),
        expires_on=c.get("expires_on", parse_date, date.min, required=True),
        autorenew=autorenew,
        payment_method=method,
        card_expires=c.get("card_expiry", parse_month, None),
        storage_quota_mb=quota,
        storage_used_mb=c.get("storage_used_mb", lambda v: parse_int(v, 0), 0),
        started_on=c.get("started_on", parse_date, None),
        status=c.get("status", lambda v: parse_enum(v, ServiceStatus), ServiceStatus.ACTIVE),
    )
    return c.errors or result


def row_key(row: Any) -> str:
    """What a row is upserted by: the product code, or the external id."""
    return str(getattr(row, "code", None) or row.external_id)
