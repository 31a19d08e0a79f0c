"""ISO 20022 camt.053 bank-to-customer statements read into ``Statement`` values.

Elements are found by their local names, so one reader serves the versions banks send: 001.02
(``<Sts>BOOK</Sts>``, ``RltdPties/Dbtr/Nm``, a batch's amounts in ``AmtDtls/TxAmt/Amt``) and
001.04 to 001.13 (``<Sts><Cd>BOOK</Cd></Sts>``, ``RltdPties/Dbtr/Pty/Nm``, ``TxDtls/Amt``). A
``BkToCstmrStmt`` wrapped in a bank's own envelope is found too.

The file is parsed by ``defusedxml`` over the standard library's expat with every DTD refused: a
statement never declares one, and without a DTD there is no entity to expand (the "billion laughs")
and no external entity to fetch (a local file or a URL); expat itself never opens a network
connection.

Only booked entries (status ``BOOK``) become lines: a pending entry may still be cancelled and an
information entry moved no money. An entry of several transactions (a batch of credits) becomes one
line per transaction when each states its amount and they add up to the entry; without the amounts it
stays one line. When the statement gives its opening (``OPBD`` or ``PRCD``) and closing (``CLBD``)
balances, the booked entries must lead from one to the other: a file cut short or altered fails.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException, DTDForbidden
from defusedxml.ElementTree import fromstring

from mailbot.billing.statements.values import (
    Statement,
    StatementLine,
    decimal_to_cents,
    format_cents,
    is_placeholder,
    one_line,
    with_keys,
)
from mailbot.errors import InputError
from mailbot.text import visible

ISO_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:"
_OTHER_MESSAGES = {"BkToCstmrAcctRpt": "camt.052 account report", "BkToCstmrDbtCdtNtfctn": "camt.054 notification"}
_SIGNS = {"CRDT": 1, "DBIT": -1}


@dataclass(frozen=True)
class _Entry:
    """What an entry's transactions share."""

    booking_date: date
    value_date: date
    currency: str
    where: str
    servicer_ref: str
    info: str


def parse_camt053(data: bytes, name: str) -> tuple[Statement, ...]:
    """Every statement (``Stmt``) of a camt.053 file; ``InputError`` naming ``name`` and the place."""
    root = _parse_xml(data, name)
    body, namespace = _find_body(root, name)
    version = namespace.removeprefix(ISO_NAMESPACE) if namespace.startswith(ISO_NAMESPACE) else ""
    if version and not version.startswith("camt.053."):
        raise InputError(f"{name}: a {visible(version)} message, not a camt.053 statement")
    statements = body.findall("Stmt")
    if not statements:
        raise InputError(f"{name}: no statement (BkToCstmrStmt/Stmt) in the file")
    return with_keys(
        [_statement(stmt, number, name, version or "camt.053") for number, stmt in enumerate(statements, 1)]
    )


def _parse_xml(data: bytes, name: str) -> Element:
    try:
        return fromstring(data, forbid_dtd=True)
    except DTDForbidden:
        raise InputError(f"{name}: the XML declares a DTD (<!DOCTYPE>), which no bank statement has") from None
    except DefusedXmlException as exc:
        raise InputError(f"{name}: the XML uses entities, refused ({type(exc).__name__})") from None
    except ParseError as exc:
        raise InputError(f"{name}: not well-formed XML: {visible(str(exc))}") from None
    except (LookupError, ValueError) as exc:  # an encoding expat does not know or cannot read
        raise InputError(f"{name}: XML in an encoding that cannot be read: {visible(str(exc))}") from None


def _find_body(root: Element, name: str) -> tuple[Element, str]:
    """The ``BkToCstmrStmt`` element and its namespace; every tag is left as its local name."""
    found: tuple[Element, str] | None = None
    other = ""
    for element in root.iter():
        namespace, _, local = element.tag[1:].rpartition("}") if element.tag.startswith("{") else ("", "", element.tag)
        element.tag = local
        if local == "BkToCstmrStmt" and found is None:
            found = (element, namespace)
        other = other or _OTHER_MESSAGES.get(local, "")
    if found is None:
        what = f"a {other}" if other else f"<{visible(root.tag)}>"
        raise InputError(f"{name}: {what}, not a camt.053 statement (no BkToCstmrStmt)")
    return found


def _statement(stmt: Element, number: int, name: str, version: str) -> tuple[Statement, list[str]]:
    """The statement, its lines without their keys yet, and the account servicer's reference of each."""
    statement_id = _text(stmt, "Id")
    place = f"statement {visible(statement_id) or number}"
    account = (_text(stmt, "Acct/Id/IBAN") or _text(stmt, "Acct/Id/Othr/Id")).replace(" ", "").upper()
    if not account:
        raise InputError(f"{name}: {place}: no account (Acct/Id/IBAN)")
    opening, closing, balance_currency = _balances(stmt, name, place)
    drafts: list[tuple[StatementLine, str]] = []
    for entry_number, entry in enumerate(stmt.findall("Ntry"), 1):
        drafts.extend(_entry_lines(entry, name, f"{place}, entry {entry_number}"))
    currency = _text(stmt, "Acct/Ccy") or balance_currency or (drafts[0][0].currency if drafts else "")
    if opening is not None and closing is not None:
        total = sum(line.amount_cents for line, _ in drafts)
        if opening + total != closing:
            raise InputError(
                f"{name}: {place}: the booked entries add up to {format_cents(total)}, but the balance goes "
                f"from {format_cents(opening)} to {format_cents(closing)}"
            )
    lines = tuple(line for line, _ in drafts)
    statement = Statement(name, version, account, statement_id, currency, opening, closing, lines)
    return statement, [ref for _, ref in drafts]


def _balances(stmt: Element, name: str, place: str) -> tuple[int | None, int | None, str]:
    """The opening (``OPBD``, else ``PRCD``) and closing (``CLBD``) booked balances, and their currency."""
    found: dict[str, int] = {}
    currency = ""
    for balance in stmt.findall("Bal"):
        code = (_text(balance, "Tp/CdOrPrtry/Cd") or _text(balance, "Tp/CdOrPrtry/Prtry")).upper()
        if code in ("OPBD", "PRCD", "CLBD") and code not in found:
            cents, currency = _amount(balance, name, f"{place}, balance {code}")
            found[code] = cents * _sign(balance, name, f"{place}, balance {code}")
    opening = found.get("OPBD", found.get("PRCD"))
    return opening, found.get("CLBD"), currency


def _entry_lines(entry: Element, name: str, where: str) -> list[tuple[StatementLine, str]]:
    """The lines of one entry, each with the account servicer's reference for its key."""
    if _status(entry) != "BOOK":
        return []
    cents, currency = _amount(entry, name, where)
    sign = _sign(entry, name, where)
    amount = cents * sign
    booking, value = _date(entry, "BookgDt", name, where), _date(entry, "ValDt", name, where)
    booking_date, value_date = booking or value, value or booking
    if booking_date is None or value_date is None:
        raise InputError(f"{name}: {where}: no booking date (BookgDt) nor value date (ValDt)")
    entry_ref = _reference(entry, "AcctSvcrRef")
    shared = _Entry(booking_date, value_date, currency, where, entry_ref, _text(entry, "AddtlNtryInf"))
    transactions = entry.findall("NtryDtls/TxDtls")
    if len(transactions) <= 1:
        return [_line(shared, amount, transactions[0] if transactions else None)]
    amounts = _batch_amounts(transactions, sign, currency, name, where)
    if amounts is not None and sum(amounts) != amount:
        raise InputError(
            f"{name}: {where}: its {len(amounts)} transactions add up to {format_cents(sum(amounts))}, "
            f"but the entry books {format_cents(amount)}"
        )
    if amounts is None:  # no amount per transaction: the entry stays one line, its texts joined
        remittances = (_remittance(tx) for tx in transactions)
        return [_line(replace(shared, info=" / ".join(r for r in remittances if r) or shared.info), amount, None)]
    return [
        _line(replace(shared, where=f"{where}, transaction {number}"), part, tx)
        for number, (part, tx) in enumerate(zip(amounts, transactions, strict=True), 1)
    ]


def _batch_amounts(transactions: list[Element], sign: int, currency: str, name: str, where: str) -> list[int] | None:
    """Each transaction's signed amount (its own ``CdtDbtInd``, else the entry's), or ``None`` when
    one of them states no amount (``Amt``, or ``AmtDtls/TxAmt/Amt`` in 001.02) in the entry's currency."""
    amounts = []
    for number, tx in enumerate(transactions, 1):
        place = f"{where}, transaction {number}"
        holder = tx if tx.find("Amt") is not None else tx.find("AmtDtls/TxAmt")
        if holder is None:
            return None
        cents, tx_currency = _amount(holder, name, place)
        if tx_currency != currency:
            return None
        amounts.append(cents * (_sign(tx, name, place) if tx.find("CdtDbtInd") is not None else sign))
    return amounts


def _line(entry: _Entry, amount: int, tx: Element | None) -> tuple[StatementLine, str]:
    party = "Dbtr" if amount >= 0 else "Cdtr"
    payer_name = payer_iban = remittance = end_to_end = ""
    servicer_ref = entry.servicer_ref
    if tx is not None:
        names = (f"RltdPties/{party}/Nm", f"RltdPties/{party}/Pty/Nm", f"RltdPties/Ultmt{party}/Nm")
        payer_name = next((n for n in (_text(tx, path) for path in names) if n), "")
        payer_iban = _text(tx, f"RltdPties/{party}Acct/Id/IBAN").replace(" ", "").upper()
        remittance = _remittance(tx) or _text(tx, "AddtlTxInf")
        servicer_ref = _reference(tx, "Refs/AcctSvcrRef") or servicer_ref
        end_to_end = _reference(tx, "Refs/EndToEndId") or _reference(tx, "Refs/TxId")
    line = StatementLine(
        booking_date=entry.booking_date,
        value_date=entry.value_date,
        amount_cents=amount,
        currency=entry.currency,
        remittance=remittance or entry.info,
        payer_name=payer_name,
        payer_iban=payer_iban,
        bank_reference=servicer_ref or end_to_end,
        key="",
        where=entry.where,
    )
    return line, servicer_ref


def _remittance(tx: Element) -> str:
    """The unstructured parts (``Ustrd``) joined by a space, then the structured references."""
    texts = [element.text or "" for element in tx.findall("RmtInf/Ustrd")]
    for structured in tx.findall("RmtInf/Strd"):
        for path in ("RfrdDocInf/Nb", "CdtrRefInf/Ref", "AddtlRmtInf"):
            texts.extend(element.text or "" for element in structured.findall(path))
    return one_line(" ".join(texts))


def _status(entry: Element) -> str:
    """``BOOK``, ``PDNG`` or ``INFO``: the text of ``Sts`` (001.02) or of ``Sts/Cd`` (later versions);
    an entry without one is taken as booked, as a statement holds booked entries."""
    status = entry.find("Sts")
    if status is None:
        return "BOOK"
    code = status.find("Cd")
    return one_line((code if code is not None else status).text or "").upper()


def _amount(holder: Element, name: str, where: str) -> tuple[int, str]:
    """The cents and currency of ``holder``'s ``Amt`` child."""
    element = holder.find("Amt")
    if element is None:
        raise InputError(f"{name}: {where}: no amount (Amt)")
    text = (element.text or "").strip()
    cents = decimal_to_cents(text)
    if cents is None:
        raise InputError(f"{name}: {where}: amount '{visible(text)}' is not a number of at most 2 decimals")
    currency = element.get("Ccy", "").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise InputError(f"{name}: {where}: amount without a currency (Amt Ccy)")
    return cents, currency


def _sign(holder: Element, name: str, where: str) -> int:
    indicator = _text(holder, "CdtDbtInd").upper()
    if indicator not in _SIGNS:
        raise InputError(f"{name}: {where}: CdtDbtInd '{visible(indicator)}' is not CRDT or DBIT")
    return _SIGNS[indicator]


def _date(entry: Element, path: str, name: str, where: str) -> date | None:
    """The day of ``path``'s ``Dt`` or ``DtTm`` (the time and zone are dropped), ``None`` if absent."""
    text = _text(entry, f"{path}/Dt") or _text(entry, f"{path}/DtTm")
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise InputError(f"{name}: {where}: {path}: '{visible(text)}' is not a date") from None


def _reference(element: Element, path: str) -> str:
    text = _text(element, path)
    return "" if is_placeholder(text) else text


def _text(element: Element, path: str) -> str:
    found = element.find(path)
    return one_line(found.text or "") if found is not None else ""
