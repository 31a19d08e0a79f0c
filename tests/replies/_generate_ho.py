"""Writes the held-out reply cases `ho_001` .. `ho_100` (NAME.eml + NAME.json) next to this file.

Run `python tests/replies/_generate_ho.py` to regenerate them, `--check` to verify the committed
files: every golden value passes its own check (stdnum, CIG checksum, formats), every invalid value
fails it, every value appears in the decoded message, keys and intents follow CORPUS_SPEC.md.
The messages were written by hand for this set; only their MIME packaging is computed here.
"""

from __future__ import annotations

import base64
import email
import email.policy
import html as htmllib
import json
import quopri
import re
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from textwrap import dedent

HERE = Path(__file__).resolve().parent
PREFIX = "ho"

ORDER = (
    "billing_update",
    "upgrade_request",
    "renewal_request",
    "pa_billing_details",
    "payment_notice",
    "card_change",
    "autorenew_on",
    "autorenew_off",
    "invoice_request",
    "cancellation",
)


# --------------------------------------------------------------------------------------------
# MIME packaging


@dataclass(frozen=True)
class Leaf:
    ctype: str
    body: str | bytes
    charset: str = "utf-8"
    cte: str = "quoted-printable"
    filename: str | None = None


@dataclass(frozen=True)
class Multi:
    subtype: str
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class Attached:
    """A whole message forwarded as an attachment (message/rfc822)."""

    headers: tuple[tuple[str, str], ...]
    body: Leaf | Multi


Part = Leaf | Multi | Attached


def plain(text: str, charset: str = "utf-8", cte: str = "quoted-printable") -> Leaf:
    return Leaf("text/plain", text, charset, cte)


def html(text: str, charset: str = "utf-8", cte: str = "quoted-printable") -> Leaf:
    return Leaf("text/html", text, charset, cte)


def alt(text: str, markup: str, charset: str = "utf-8", cte: str = "quoted-printable") -> Multi:
    return Multi("alternative", (plain(text, charset, cte), html(markup, charset, cte)))


def pdf(filename: str) -> Leaf:
    data = b"%PDF-1.4\n% fake scan for the test corpus\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
    return Leaf("application/pdf", data, "", "base64", filename)


def jpg(filename: str) -> Leaf:
    return Leaf(
        "image/jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(64)) + b"\xff\xd9", "", "base64", filename
    )


def _encode_body(data: bytes, cte: str) -> bytes:
    if cte == "quoted-printable":
        return quopri.encodestring(data)
    if cte == "base64":
        return base64.encodebytes(data)
    return data


def _render(part: Part, name: str, depth: int) -> list[bytes]:
    """Header lines and body of one part, as bytes lines joined by the caller."""
    if isinstance(part, Leaf):
        if isinstance(part.body, str):
            data = part.body.encode(part.charset)
            ctype = f"Content-Type: {part.ctype}; charset={part.charset}"
        else:
            data = part.body
            ctype = f"Content-Type: {part.ctype}" + (f'; name="{part.filename}"' if part.filename else "")
        head = [ctype.encode(), f"Content-Transfer-Encoding: {part.cte}".encode()]
        if part.filename:
            head.append(f'Content-Disposition: attachment; filename="{part.filename}"'.encode())
        return [*head, b"", _encode_body(data, part.cte).rstrip(b"\n")]
    if isinstance(part, Attached):
        inner = [f"{k}: {v}".encode() for k, v in part.headers]
        inner += [b"MIME-Version: 1.0", *_render(part.body, name, depth + 1)]
        return [b"Content-Type: message/rfc822", b"Content-Disposition: attachment", b"", *inner]
    boundary = f"----=_NextPart_{depth:03d}_{zlib.crc32(name.encode()) % 0xFFFF:04X}_{name[3:6]}{part.subtype[:3]}"
    boundary = f"b{depth}_{name}_{part.subtype}" if depth % 2 else boundary
    lines = [f'Content-Type: multipart/{part.subtype}; boundary="{boundary}"'.encode(), b""]
    if depth == 0:
        lines.append(b"This is a multi-part message in MIME format.")
    for sub in part.parts:
        lines += [b"", f"--{boundary}".encode(), *_render(sub, name, depth + 1)]
    lines += [b"", f"--{boundary}--".encode(), b""]
    return lines


def _header(value: str, charset: str) -> str:
    if value.isascii():
        return value
    return Header(value, charset).encode()


def _address(display: str, address: str, charset: str) -> str:
    if not display:
        return address
    if display.isascii():
        return formataddr((display, address))
    return formataddr((display, address), charset=charset)


@dataclass
class Case:
    name: str
    raw: bytes
    golden: dict[str, object]


CASES: list[Case] = []


@dataclass(frozen=True)
class Who:
    display: str
    address: str


def add(
    slug: str,
    *,
    sender: Who,
    token: str,
    subject: str,
    date: str,
    body: Part,
    intents: list[str],
    note: str,
    fields: dict[str, object] | None = None,
    invalid: list[tuple[str, str]] | None = None,
    header_charset: str = "utf-8",
    extra: tuple[tuple[str, str], ...] = (),
) -> None:
    name = f"{PREFIX}_{len(CASES) + 1:03d}_{slug}"
    heads = [
        ("From", _address(sender.display, sender.address, header_charset)),
        ("To", f"rinnovi+{token}@example.it"),
        ("Subject", _header(subject, header_charset)),
        ("Date", date),
        ("Message-ID", f"<{name}@client.example.org>"),
        *extra,
        ("MIME-Version", "1.0"),
    ]
    lines = [f"{k}: {v}".encode() for k, v in heads] + _render(body, name, 0)
    raw = b"\n".join(lines).rstrip(b"\n") + b"\n"
    golden: dict[str, object] = {
        "intents": intents,
        "fields": fields or {},
        "invalid": [{"field": f, "value": v} for f, v in (invalid or [])],
        "note": note,
    }
    CASES.append(Case(name, raw, golden))


def when(month: int, day: int, hour: int, minute: int) -> str:
    """An RFC 5322 date in 2026, Italian local time (summer time from 29 March)."""
    offset = 2 if (month, day) >= (3, 29) else 1
    moment = datetime(2026, month, day, hour, minute, (day * 7 + minute) % 60, tzinfo=timezone(timedelta(hours=offset)))
    return format_datetime(moment)


GIORNI = ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica")
MESI = ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio")


def giorno(month: int, day: int, hhmm: str) -> str:
    """How Italian Outlook writes a date: 'giovedì 12 febbraio 2026 09:41'."""
    moment = datetime(2026, month, day)
    return f"{GIORNI[moment.weekday()]} {day} {MESI[month - 1]} 2026 {hhmm}"


def sent_en(month: int, day: int, hhmm: str) -> str:
    """How English Outlook writes a date: 'Thursday, February 12, 2026 9:41 AM'."""
    moment = datetime(2026, month, day, int(hhmm[:2]), int(hhmm[3:]))
    return moment.strftime("%A, %B %-d, 2026 %-I:%M %p")


def d(text: str) -> str:
    """A body written indented in this file, as the sender typed it."""
    return dedent(text).lstrip("\n")


def quote(text: str, prefix: str = "> ") -> str:
    return "\n".join((prefix + line).rstrip() for line in text.splitlines()) + "\n"


# --------------------------------------------------------------------------------------------
# What the provider sent (quoted below the replies; its values are never the customer's answer)

IBAN_PROVIDER = "IT60X0542811101000000123456"


def reminder_it(service: str, username: str, expiry: str) -> str:
    return d(f"""
        Gentile cliente,
        il servizio {service} associato all'utente {username} scade il {expiry}.
        Per non interrompere il servizio puoi rinnovarlo ora dal portale:
        https://portale.example.it/rinnova
        Puoi rinnovare per 1, 2 o 3 anni e pagare con PayPal, carta di credito o bonifico.

        Cordiali saluti
        Servizio Rinnovi - Example S.r.l.
        """)


def payment_it(order: str, amount: str, username: str) -> str:
    return d(f"""
        Gentile cliente,
        abbiamo registrato il tuo ordine {order} per il rinnovo dell'utente {username}.
        Per completarlo effettua un bonifico bancario con questi dati:

        Beneficiario: Example S.r.l.
        IBAN: {IBAN_PROVIDER}
        Importo: {amount} EUR
        Causale: {order}

        Il rinnovo sarà attivo quando il pagamento risulterà registrato; la fattura
        arriverà 2-3 giorni dopo.

        Servizio Rinnovi - Example S.r.l.
        """)


def pa_request_it(order: str, username: str) -> str:
    return d(f"""
        Spett.le Ente,
        in riferimento all'ordine {order} (utente del portale: {username}) pagabile con
        bonifico, per emettere la fattura elettronica in scissione dei pagamenti ci servono:
        - il codice CIG;
        - il codice univoco ufficio (IPA) a cui intestare la fattura;
        - lo username del portale oggetto del rinnovo.
        Vi preghiamo di rispondere a questa email indicando i dati richiesti.

        Cordiali saluti
        Servizio Rinnovi - Example S.r.l.
        """)


def autorenew_it(service: str, date: str, amount: str, last4: str) -> str:
    return d(f"""
        Gentile cliente,
        il {date} rinnoveremo automaticamente il servizio {service} per un anno,
        addebitando {amount} EUR sulla carta che termina con {last4}.
        Se non desideri il rinnovo automatico puoi disattivarlo dal portale.

        Servizio Rinnovi - Example S.r.l.
        """)


def card_fail_it(service: str, last4: str) -> str:
    return d(f"""
        Gentile cliente,
        non siamo riusciti ad addebitare il rinnovo automatico di {service} sulla carta
        che termina con {last4}. Aggiorna il metodo di pagamento per evitare la sospensione.

        Servizio Rinnovi - Example S.r.l.
        """)


def reminder_en(service: str, username: str, expiry: str) -> str:
    return d(f"""
        Dear customer,
        your service {service} (user {username}) expires on {expiry}.
        Renew now from the portal to keep it running: https://portale.example.it/renew
        You can renew for 1, 2 or 3 years and pay by PayPal, card or bank transfer.

        Kind regards
        Renewals team - Example S.r.l.
        """)


def payment_en(order: str, amount: str, username: str) -> str:
    return d(f"""
        Dear customer,
        we received your order {order} to renew the user {username}.
        To complete it please make a bank transfer:

        Beneficiary: Example S.r.l.
        IBAN: {IBAN_PROVIDER}
        Amount: EUR {amount}
        Reference: {order}

        Your renewal becomes active once the payment is registered.

        Renewals team - Example S.r.l.
        """)


def autorenew_en(service: str, date: str, amount: str, last4: str) -> str:
    return d(f"""
        Dear customer,
        on {date} we will automatically renew {service} for one year and charge
        EUR {amount} to the card ending in {last4}.
        You can switch automatic renewal off from the portal at any time.

        Renewals team - Example S.r.l.
        """)


def card_fail_en(service: str, last4: str) -> str:
    return d(f"""
        Dear customer,
        we could not charge the automatic renewal of {service} to the card ending in {last4}.
        Please update your payment method to avoid the suspension of the service.

        Renewals team - Example S.r.l.
        """)


def outlook_it(to: str, when: str, subject: str) -> str:
    return d(f"""
        -----Messaggio originale-----
        Da: Rinnovi Example <rinnovi@example.it>
        Inviato: {when}
        A: {to}
        Oggetto: {subject}
        """)


def outlook_en(to: str, when: str, subject: str) -> str:
    return d(f"""
        From: Rinnovi Example <rinnovi@example.it>
        Sent: {when}
        To: {to}
        Subject: {subject}
        """)


def html_quote_it(to: str, when: str, subject: str, text: str) -> str:
    """The provider's email as Outlook leaves it under an HTML reply."""
    paras = "".join(f"<p class=MsoNormal>{htmllib.escape(line) or '&nbsp;'}</p>\n" for line in text.splitlines())
    return (
        "<div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm'>\n"
        f"<p class=MsoNormal><b>Da:</b> Rinnovi Example &lt;rinnovi@example.it&gt;<br>\n<b>Inviato:</b> {when}<br>\n"
        f"<b>A:</b> {htmllib.escape(to)}<br>\n<b>Oggetto:</b> {htmllib.escape(subject)}</p>\n</div>\n{paras}"
    )


OUTLOOK_HEAD = d("""
    <html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"
    xmlns:w="urn:schemas-microsoft-com:office:word" xmlns="http://www.w3.org/TR/REC-html40">
    <head><meta http-equiv=Content-Type content="text/html; charset={charset}">
    <meta name=Generator content="Microsoft Word 15 (filtered medium)">
    <style><!--
    p.MsoNormal, li.MsoNormal, div.MsoNormal {{margin:0cm;font-size:11.0pt;font-family:"Calibri",sans-serif;}}
    table.MsoNormalTable {{border-collapse:collapse;}}
    --></style></head>
    <body lang=IT link="#0563C1" vlink="#954F72" style='word-wrap:break-word'>
    <div class=WordSection1>
    """)


def outlook_table(rows: list[tuple[str, str]]) -> str:
    cells = []
    for label, value in rows:
        cells.append(
            "<tr>\n"
            "<td width=220 valign=top style='width:165.0pt;border:solid windowtext 1.0pt;padding:0cm 5.4pt'>"
            f"<p class=MsoNormal><b>{label}<o:p></o:p></b></p></td>\n"
            "<td width=260 valign=top style='width:195.0pt;border:solid windowtext 1.0pt;border-left:none;"
            f"padding:0cm 5.4pt'><p class=MsoNormal>{value}<o:p></o:p></p></td>\n"
            "</tr>\n"
        )
    return "<table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0>\n" + "".join(cells) + "</table>\n"


def outlook(paras: list[str], charset: str, table: str = "", after: list[str] | None = None, quoted: str = "") -> str:
    """An Outlook HTML body: paragraphs, an optional table, more paragraphs, the quoted original."""

    def ps(items: list[str]) -> str:
        return "".join(f"<p class=MsoNormal>{p or '&nbsp;'}<o:p></o:p></p>\n" for p in items)

    return (
        OUTLOOK_HEAD.format(charset=charset)
        + ps(paras)
        + table
        + ps(after or [])
        + ("<p class=MsoNormal><o:p>&nbsp;</o:p></p>\n" + quoted if quoted else "")
        + "</div>\n</body>\n</html>\n"
    )


# --------------------------------------------------------------------------------------------
# The cases
# ---- Italian public administrations (001-040)

add(
    "pa_cig_cuu_username_with_quote",
    sender=Who("Paolo Ferretti - Ufficio Tecnico", "tecnico@comune.castelverde.cr.it"),
    token="k3R9xQ2m",
    subject="R: Dati per la fattura elettronica - ordine in attesa",
    date=when(2, 13, 9, 12),
    body=plain(
        d("""
            Buongiorno,

            in riscontro alla Vs. del 12/02/2026 si comunicano i dati necessari per l'emissione della fattura
            elettronica relativa al rinnovo del servizio di telecontrollo:

            CIG: Y4F23C4171
            Codice univoco ufficio: UF8K2P
            Username portale: comune.castelverde

            Distinti saluti

            Geom. Paolo Ferretti
            Ufficio Tecnico - Comune di Castelverde
            Piazza Municipio, 1 - 26022 Castelverde (CR)
            Tel. 0372 424811
            PEC: protocollo@pec.comune.castelverde.cr.it
            C.F. 80636160949

            Il 12/02/2026 09:41, Rinnovi Example ha scritto:
            """)
        + quote(pa_request_it("ORD-2026-000187", "comune.castelverde"))
    ),
    intents=["pa_billing_details"],
    fields={"cig": ["Y4F23C4171"], "office_code": "UF8K2P", "username": "comune.castelverde"},
    note="plain labelled CIG, office code and username; order number only in the quoted request, C.F. and PEC in "
    "the signature",
)

add(
    "pa_determina_two_years",
    sender=Who("Marta Colombo", "ragioneria@unione.vallealta.so.it"),
    token="Vq7T2kLp9",
    subject="Rinnovo servizio monitoraggio stazioni meteo - Determina n. 45/2026",
    date=when(3, 4, 11, 48),
    header_charset="iso-8859-1",
    body=plain(
        d("""
            Spett.le Example S.r.l.,

            con la presente si comunica che con Determinazione del Responsabile del Servizio n. 45 del 03/03/2026
            è stato disposto il rinnovo del servizio di monitoraggio stazioni meteo per anni 2 (due).

            Ai fini della fatturazione elettronica in regime di split payment si trasmettono i seguenti dati:
             - CIG: R2025E00D3
             - Codice IPA / univoco ufficio: UFE4R1
             - Utente portale: unione.vallealta

            Si resta in attesa della fattura.
            Cordiali saluti

            Il Responsabile del Servizio Finanziario
            Dott.ssa Marta Colombo
            Unione dei Comuni della Valle Alta
            Via Roma, 12 - 23020 Valle Alta (SO)
            PEC: unione.vallealta@cert.provincia.so.it
            """),
        "iso-8859-1",
    ),
    intents=["renewal_request", "pa_billing_details"],
    fields={"years": 2, "cig": ["R2025E00D3"], "office_code": "UFE4R1", "username": "unione.vallealta"},
    note="renewal ordered by a determina 'per anni 2 (due)' plus CIG (2024 family), IPA code and username; latin-1 QP",
)

add(
    "pa_outlook_html_table_only",
    sender=Who("Marchetti Luca", "luca.marchetti@aslsud.it"),
    token="P0aslSUD2026",
    subject="R: Richiesta dati fatturazione - ASL Sud",
    date=when(2, 18, 15, 3),
    header_charset="windows-1252",
    body=html(
        outlook(
            [
                "Buongiorno,",
                "",
                "come da Vs. richiesta si riportano di seguito i dati per la fatturazione del rinnovo:",
                "",
            ],
            "windows-1252",
            outlook_table(
                [
                    ("CIG", "XEB2E71EFB"),
                    ("Codice Univoco Ufficio", "UFG7HX"),
                    ("Username portale", "asl-sud.archivio"),
                    ("Riferimento ordine", "ORD-2026-000231"),
                ]
            ),
            [
                "",
                "Cordiali saluti",
                "",
                "Dott. Luca Marchetti<br>UOC Sistemi Informativi – ASL Sud<br>Tel. 0861 420111",
            ],
            html_quote_it(
                "luca.marchetti@aslsud.it",
                giorno(2, 17, "16:20"),
                "Richiesta dati fatturazione",
                pa_request_it("ORD-2026-000231", "asl-sud.archivio"),
            ),
        ),
        "windows-1252",
    ),
    intents=["pa_billing_details"],
    fields={
        "cig": ["XEB2E71EFB"],
        "office_code": "UFG7HX",
        "username": "asl-sud.archivio",
        "order_number": "ORD-2026-000231",
    },
    note="HTML-only Outlook reply, every value in a two-column table (label cell, value cell), windows-1252 QP",
)

add(
    "pa_lowercase_cig_in_subject",
    sender=Who("Anna Russo", "bgic81200x@istruzione.it"),
    token="icpascoli01",
    subject="rinnovo telecamere plesso via dante cig ze5d95a944",
    date=when(2, 20, 8, 5),
    body=plain(
        d("""
            buongiorno, come richiesto il cig è in oggetto.
            codice univoco ufficio UFQ2LM
            username ic.pascoli
            grazie

            La DSGA
            Anna Russo
            Istituto Comprensivo "G. Pascoli"
            C.M. BGIC81200X - C.F. 96785630748
            """),
        cte="8bit",
    ),
    intents=["pa_billing_details"],
    fields={"cig": ["ZE5D95A944"], "office_code": "UFQ2LM", "username": "ic.pascoli"},
    note="the CIG is only in the subject, lowercase; the school's mechanographic code and C.F. are in the signature",
)

add(
    "pa_cig_wrong_check",
    sender=Who("Ufficio Provveditorato", "provveditorato@aosancarlo.it"),
    token="SanCarlo7788",
    subject="Re: Rinnovo servizio archivio documentale",
    date=when(3, 2, 12, 30),
    body=plain(
        d("""
            Buongiorno,
            si comunicano i dati per la fatturazione del rinnovo:
            CIG 18101116D9
            Codice Univoco Ufficio UFB8NS
            Utente: aosancarlo

            Cordiali saluti
            S.C. Provveditorato - Azienda Ospedaliera San Carlo
            """),
        cte="base64",
    ),
    intents=["pa_billing_details"],
    fields={"office_code": "UFB8NS", "username": "aosancarlo"},
    invalid=[("cig", "18101116D9")],
    note="ordinary-looking CIG whose check characters are wrong (one typed digit off); base64 body",
)

add(
    "pa_mandato_emesso_order",
    sender=Who("Segreteria IC Dante Alighieri", "segreteria@icdante.edu.it"),
    token="dante2026pa",
    subject="Comunicazione emissione mandato di pagamento",
    date=when(3, 11, 10, 44),
    header_charset="windows-1252",
    body=plain(
        d("""
            Spett.le Example S.r.l.,

            si comunica che in data 10/03/2026 questa Istituzione Scolastica ha emesso il mandato di pagamento
            n. 212 a favore di Codesta Ditta per l'importo di € 183,00 (imponibile; IVA versata direttamente
            all'Erario ai sensi dell'art. 17-ter DPR 633/72), a saldo della fattura n. 2026/PA/0045 relativa
            all'ordine ORD-2026-000318.

            Distinti saluti
            Il Direttore SGA
            Rag. Giuseppe Sartori
            """),
        "windows-1252",
        "8bit",
    ),
    intents=["payment_notice"],
    fields={"order_number": "ORD-2026-000318"},
    note="a school says a payment order (mandato) was issued under split payment; no CRO, the order number is "
    "the sender's own; windows-1252 8bit with a euro sign",
)

add(
    "pa_question_split_payment_cig_pending",
    sender=Who("Comune di Roccaforte - Ragioneria", "ragioneria@comune.roccaforte.it"),
    token="rocca4455",
    subject="R: Dati per la fattura elettronica",
    date=when(2, 24, 9, 55),
    body=plain(
        d("""
            Buongiorno,
            prima di inviarvi il CIG vorremmo sapere se la fattura verrà emessa in split payment e se
            l'importo indicato nella vostra mail è comprensivo di IVA.
            Il CIG lo stiamo richiedendo in questi giorni, ve lo comunicheremo appena disponibile.

            Grazie, saluti
            Lucia Fontana
            Servizio Finanziario

            """)
        + outlook_it("ragioneria@comune.roccaforte.it", giorno(2, 23, "17:02"), "Dati per la fattura elettronica")
        + "\n"
        + pa_request_it("ORD-2026-000256", "comune.roccaforte")
    ),
    intents=["other"],
    fields={},
    note="questions about split payment and VAT, the CIG is promised for later: nothing given yet",
)

add(
    "pa_forwarded_from_ragioneria",
    sender=Who("Chiara Galli", "segreteria@comune.montebello.it"),
    token="mtb0317seg",
    subject="I: R: dati fatturazione servizio archivio",
    date=when(3, 17, 11, 20),
    body=plain(
        d("""
            Buongiorno,
            vi inoltro la risposta della ragioneria con i dati richiesti.
            Saluti
            Chiara

            -----Messaggio originale-----
            Da: Ragioneria Comune di Montebello <ragioneria@comune.montebello.it>
            Inviato: martedì 17 marzo 2026 11:02
            A: segreteria@comune.montebello.it
            Oggetto: R: dati fatturazione servizio archivio

            Ciao Chiara,
            il CIG per il rinnovo dell'archivio è 3530829443, il codice univoco dell'ufficio è UFRM71.
            Lo username è quello che usate voi, comune.montebello.
            Marco

            -----Messaggio originale-----
            Da: Segreteria Comune di Montebello <segreteria@comune.montebello.it>
            Inviato: lunedì 16 marzo 2026 16:45
            A: ragioneria@comune.montebello.it
            Oggetto: I: dati fatturazione servizio archivio

            Marco mi mandi CIG e codice univoco per questi? grazie

            """)
        + outlook_it("segreteria@comune.montebello.it", giorno(3, 16, "10:03"), "dati fatturazione servizio archivio")
        + "\n"
        + pa_request_it("ORD-2026-000342", "comune.montebello")
    ),
    intents=["pa_billing_details"],
    fields={"cig": ["3530829443"], "office_code": "UFRM71", "username": "comune.montebello"},
    note="the values are in an internal message the sender forwards as the answer, above our quoted request",
)

add(
    "pa_university_signature_ids",
    sender=Who("Amministrazione DICA", "amministrazione.dica@univalpiana.it"),
    token="DICA2026uni",
    subject="Re: Rinnovo casella fatturazione elettronica",
    date=when(3, 5, 14, 10),
    body=alt(
        d("""
            Gentili,

            per la fattura relativa al rinnovo della casella di fatturazione elettronica si indicano:
            CIG S1E840B356
            Codice Univoco Ufficio: 4HJ7KT

            Cordiali saluti

            --
            Servizio Amministrazione e Contabilità
            Dipartimento di Ingegneria Civile e Ambientale
            Università degli Studi di Valpiana
            Via dell'Ateneo, 5 - 06100 Valpiana
            C.F. 80012350548 - P.IVA 01234570546
            PEC: dica@pec.univalpiana.it
            """),
        d("""
            <html><head><meta http-equiv="content-type" content="text/html; charset=UTF-8"></head>
            <body><p>Gentili,</p>
            <p>per la fattura relativa al rinnovo della casella di fatturazione elettronica si indicano:<br>
            CIG S1E840B356<br>
            Codice Univoco Ufficio: 4HJ7KT</p>
            <p>Cordiali saluti</p>
            <div class="moz-signature">-- <br>Servizio Amministrazione e Contabilità<br>
            Dipartimento di Ingegneria Civile e Ambientale<br>Università degli Studi di Valpiana<br>
            Via dell'Ateneo, 5 - 06100 Valpiana<br>C.F. 80012350548 - P.IVA 01234570546<br>
            PEC: dica@pec.univalpiana.it</div></body></html>
            """),
    ),
    intents=["pa_billing_details"],
    fields={"cig": ["S1E840B356"], "office_code": "4HJ7KT"},
    note="Thunderbird multipart/alternative; the university's C.F., P.IVA and PEC are only in the signature",
)

add(
    "pa_cup_cig_cuu_provincia",
    sender=Who("Provincia del Lago - Settore Ambiente", "ambiente@provincia.lago.it"),
    token="prLago2026",
    subject="Riscontro Vs. mail del 05/03/2026 - servizio rete idrometrica",
    date=when(3, 9, 12, 1),
    body=plain(
        d("""
            Con riferimento alla Vs. mail del 05/03 u.s. si comunicano i seguenti riferimenti, da riportare
            obbligatoriamente in fattura (art. 25 D.L. 66/2014):

            CUP J39F24000310001 - CIG 7624039403 - Codice Univoco Ufficio UFT5Y6

            L'utente del portale è provincia.lago.

            Il Dirigente del Settore
            Ing. Roberto Villa
            """)
    ),
    intents=["pa_billing_details"],
    fields={
        "cig": ["7624039403"],
        "cup": ["J39F24000310001"],
        "office_code": "UFT5Y6",
        "username": "provincia.lago",
    },
    note="CUP, CIG and office code on one line separated by dashes, username in a sentence",
)

add(
    "pa_renew_one_year_two_cigs",
    sender=Who("Comune di Valdisotto", "tecnico@comune.valdisotto.it"),
    token="vdsPozzi12",
    subject="Rinnovo telecontrollo pozzi",
    date=when(2, 26, 16, 37),
    body=plain(
        d("""
            Buongiorno,
            si chiede il rinnovo per un anno di entrambi gli impianti (pozzo 1 e pozzo 2) registrati
            sull'utenza comune.valdisotto.

            Per la fatturazione:
            pozzo 1 - CIG 2215279A0D
            pozzo 2 - CIG 9990608E85
            codice univoco UFH3DS

            Il pagamento avverrà con bonifico a ricevimento fattura.

            Saluti
            Ufficio Tecnico Comunale
            """)
    ),
    intents=["renewal_request", "pa_billing_details"],
    fields={
        "years": 1,
        "cig": ["2215279A0D", "9990608E85"],
        "office_code": "UFH3DS",
        "username": "comune.valdisotto",
    },
    note="one-year renewal of two devices, one CIG per device in order of appearance",
)

add(
    "pa_all_caps_base64",
    sender=Who("CONSORZIO DI BONIFICA DELLA PIANURA", "ragioneria@bonificapianura.it"),
    token="CBP2026x9",
    subject="TRASMISSIONE DATI FATTURAZIONE",
    date=when(3, 12, 8, 47),
    body=plain(
        d("""
            SPETT.LE DITTA,
            SI TRASMETTONO I DATI RICHIESTI PER LA FATTURAZIONE:
            CIG: YB3D699648
            CODICE UNIVOCO UFFICIO: Q1WZ3E
            USERNAME: CONSORZIO.PIANURA
            DISTINTI SALUTI
            UFFICIO RAGIONERIA
            CONSORZIO DI BONIFICA DELLA PIANURA
            """),
        cte="base64",
    ),
    intents=["pa_billing_details"],
    fields={"cig": ["YB3D699648"], "office_code": "Q1WZ3E", "username": "consorzio.pianura"},
    note="all caps, base64; the username is written in capitals and is expected lowercased",
)

add(
    "pa_autorenew_off_no_card",
    sender=Who("Servizi Informatici Comune di Borgo Lieto", "ced@comune.borgolieto.it"),
    token="BLced77x",
    subject="Re: Rinnovo automatico servizio videosorveglianza",
    date=when(3, 3, 9, 20),
    body=plain(
        d("""
            Buongiorno,

            si chiede di disattivare il rinnovo automatico sul servizio, in quanto l'Ente non può effettuare
            pagamenti con carta di credito.

            Per l'ordine ORD-2026-000390, da pagare con bonifico, si comunicano:
            CIG X811FAC61E
            codice univoco ufficio UF0KD4

            Cordiali saluti
            Ufficio CED

            """)
        + quote(autorenew_it("videosorveglianza", "15/03/2026", "420,00", "4417"))
    ),
    intents=["pa_billing_details", "autorenew_off"],
    fields={"cig": ["X811FAC61E"], "office_code": "UF0KD4", "order_number": "ORD-2026-000390"},
    note="switch automatic renewal off (no cards for the Ente) and billing data for the transfer order",
)

add(
    "pa_disdetta_impianto_dismesso",
    sender=Who("Comune di Roccabruna", "protocollo@comune.roccabruna.it"),
    token="rbru2604",
    subject="Servizio di telecontrollo - comunicazione di non rinnovo (impianto già dismesso)",
    date=when(3, 20, 13, 15),
    header_charset="iso-8859-1",
    body=plain(
        d("""
            Spett.le Example S.r.l.,

            con la presente si comunica che questo Ente non intende procedere al rinnovo del servizio di
            telecontrollo (utente comune.roccabruna) in scadenza il 30/04/2026, in quanto l'impianto di
            depurazione è stato dismesso e trasferito al gestore del servizio idrico integrato.
            Si prega pertanto di non emettere alcuna fattura.

            Distinti saluti

            Il Responsabile dell'Area Tecnica
            Arch. Davide Longo
            """),
        "iso-8859-1",
    ),
    intents=["cancellation"],
    fields={"username": "comune.roccabruna"},
    note="formal notice that the Ente will not renew; latin-1 quoted-printable",
)

add(
    "pa_invoice_not_received_sdi",
    sender=Who("Ufficio Contabilità - Liceo Volta", "contabilita@liceovolta.edu.it"),
    token="LVolta2026",
    subject="Fattura n. 118 non pervenuta",
    date=when(2, 10, 10, 2),
    body=plain(
        d("""
            Buongiorno,
            la vostra fattura n. 118 del 20/01/2026 non ci è mai arrivata tramite SdI.
            Verificate per favore il codice univoco: il nostro è UFPL9C (non quello dell'istituto capofila
            della rete).
            Potete reinviarla?

            Grazie
            Ufficio Contabilità
            Liceo Scientifico "A. Volta"
            """)
    ),
    intents=["pa_billing_details", "invoice_request"],
    fields={"office_code": "UFPL9C"},
    note="invoice never arrived through SdI: asks to send it again and gives the right office code",
)

add(
    "pa_new_office_code_replaces_old",
    sender=Who("Comune di Sorvano - Servizio Finanziario", "finanziario@comune.sorvano.it"),
    token="sorvanoFIN3",
    subject="Variazione codice univoco ufficio",
    date=when(2, 27, 12, 40),
    body=html(
        d("""
            <div dir="ltr"><div>Spett.le ditta,</div><div><br></div>
            <div>si comunica che a decorrere dal 1&deg; marzo 2026 il codice univoco ufficio per la ricezione
            delle fatture elettroniche &egrave; variato.</div>
            <div>Il nuovo codice &egrave; <b>8VNE2J</b> e sostituisce il precedente UFA12B, che non dovr&agrave;
            pi&ugrave; essere utilizzato.</div><div><br></div>
            <div>Cordiali saluti</div><div>Servizio Finanziario<br>Comune di Sorvano</div></div>
            """)
    ),
    intents=["pa_billing_details"],
    fields={"office_code": "8VNE2J"},
    note="HTML-only webmail, accents as entities: the new office code counts, the old one it replaces does not",
)

add(
    "pa_determina_pdf_triennale",
    sender=Who("Comune di San Felice - Affari Generali", "affarigenerali@comune.sanfelice.it"),
    token="SFag2026det",
    subject="Trasmissione determinazione n. 123/2026 - servizio conservazione",
    date=when(2, 20, 12, 26),
    body=Multi(
        "mixed",
        (
            plain(
                d("""
                    Buongiorno,
                    si trasmette in allegato la determinazione n. 123 del 19/02/2026 di affidamento del servizio
                    di conservazione documentale per il triennio 2026-2028 (rinnovo triennale).
                    Si prega di procedere con il rinnovo.

                    CIG assegnato: S99BA40738
                    Codice univoco ufficio: UFZZ8P
                    Username: comune.sanfelice

                    Cordiali saluti
                    Ufficio Affari Generali
                    """)
            ),
            pdf("Determina_123_2026.pdf"),
        ),
    ),
    intents=["renewal_request", "pa_billing_details"],
    fields={"years": 3, "cig": ["S99BA40738"], "office_code": "UFZZ8P", "username": "comune.sanfelice"},
    note="determina attached as PDF, 'rinnovo triennale' for the 2026-2028 triennium means three years",
)

add(
    "pa_tesoriere_trn",
    sender=Who("Servizio Ragioneria", "ragioneria@comune.altopiano.it"),
    token="alto18trn",
    subject="Comunicazione avvenuto pagamento fattura n. 2026/0061",
    date=when(3, 20, 9, 31),
    body=plain(
        d("""
            Si comunica che il mandato n. 1587 del 18/03/2026 è stato eseguito dal Tesoriere in data
            20/03/2026.
            Estremi del bonifico: TRN 0306912345678901 - importo € 244,00 (split payment).

            Servizio Ragioneria
            Comune di Altopiano
            """)
    ),
    intents=["payment_notice"],
    fields={"payment_reference": "0306912345678901"},
    note="payment executed by the treasurer, TRN given; the mandato number is not a payment reference",
)

add(
    "pa_values_on_next_line",
    sender=Who("Comando Polizia Locale Ardenza", "polizialocale@comune.ardenza.it"),
    token="PLardenza26",
    subject="R: dati fatturazione",
    date=when(3, 6, 8, 15),
    body=plain(
        d("""
            Buongiorno,
            di seguito quanto richiesto.

            Codice Univoco Ufficio:
            XG7P2A

            CIG:
            ZBDCB19B42

            Username:
            polizialocale.ardenza

            Cordiali saluti
            Comando Polizia Locale di Ardenza
            """)
    ),
    intents=["pa_billing_details"],
    fields={"cig": ["ZBDCB19B42"], "office_code": "XG7P2A", "username": "polizialocale.ardenza"},
    note="each label on its own line with the value on the next line",
)

add(
    "pa_latin1_renew_one_more_year",
    sender=Who("Città Metropolitana di Ardesia", "sistemi.informativi@cittametropolitana.ardesia.it"),
    token="cmArdesia2026",
    subject="Conferma rinnovo servizio",
    date=when(2, 16, 15, 51),
    header_charset="iso-8859-1",
    body=plain(
        d("""
            Gentili,
            si conferma il rinnovo del servizio per un ulteriore anno e si comunicano i dati per la
            fatturazione elettronica:

            CIG  T69736B35B
            Cod. univoco  UFRX4N
            Utenza  cm.ardesia

            Per qualsiasi necessità è possibile contattare lo scrivente ufficio.
            Cordialità
            Direzione Sistemi Informativi - Città Metropolitana di Ardesia
            """),
        "iso-8859-1",
    ),
    intents=["renewal_request", "pa_billing_details"],
    fields={"years": 1, "cig": ["T69736B35B"], "office_code": "UFRX4N", "username": "cm.ardesia"},
    note="renewal 'per un ulteriore anno' plus labels separated by two spaces, latin-1 QP",
)

add(
    "pa_dotted_labels_lowercase",
    sender=Who("Ente Parco Regionale Alto Fiume", "amministrazione@parcoaltofiume.it"),
    token="parcoAF21",
    subject="estremi per fattura",
    date=when(3, 13, 17, 6),
    body=plain(
        d("""
            Spett.le ditta,
            si riportano gli estremi richiesti: C.I.G. n. 7135241b22 ; Cod. Univ. Uff. ufw6c2 ; user:
            ente.parcoalto
            Saluti
            G. Ferri - Ufficio Amministrativo
            """),
        cte="7bit",
    ),
    intents=["pa_billing_details"],
    fields={"cig": ["7135241B22"], "office_code": "UFW6C2", "username": "ente.parcoalto"},
    note="dotted and abbreviated labels (C.I.G. n., Cod. Univ. Uff.), lowercase values, the username wrapped "
    "to the next line",
)

add(
    "pa_office_code_five_chars",
    sender=Who("Comune di Pietralunga", "ragioneria@comune.pietralunga.it"),
    token="pietra0302",
    subject="R: Rinnovo servizio",
    date=when(3, 2, 11, 11),
    body=plain(
        d("""
            Buongiorno,
            ecco i dati:
            CIG: Z389DF1547
            codice univoco: UF7K2
            l'utenza è la solita (comune.pietralunga)

            saluti
            Rag. Elena Marini
            """)
    ),
    intents=["pa_billing_details"],
    fields={"cig": ["Z389DF1547"], "username": "comune.pietralunga"},
    invalid=[("office_code", "UF7K2")],
    note="the office code has five characters: invalid, the CIG and the username in brackets are good",
)

add(
    "pa_upgrade_three_more_devices",
    sender=Who("Comune di Lagoverde - Lavori Pubblici", "llpp@comune.lagoverde.it"),
    token="LGVllpp2026",
    subject="Richiesta integrazione impianti - portale telecontrollo",
    date=when(3, 24, 10, 27),
    body=alt(
        d("""
            Buongiorno,

            si chiede di aggiungere n. 3 ulteriori impianti (sollevamenti fognari di via Po, via Adige e
            loc. Molino) all'utenza comune.lagoverde, con passaggio al piano BUSINESS se necessario.

            Il CIG per l'integrazione è QFD7FE4680, il codice univoco ufficio UFMN23.

            Restiamo in attesa dell'ordine da pagare.
            Cordiali saluti
            Ing. Sara De Luca
            Settore Lavori Pubblici
            """),
        d("""
            <div>Buongiorno,</div><div><br></div>
            <div>si chiede di aggiungere n. 3 ulteriori impianti (sollevamenti fognari di via Po, via Adige e
            loc. Molino) all'utenza <b>comune.lagoverde</b>, con passaggio al piano BUSINESS se necessario.</div>
            <div><br></div>
            <div>Il CIG per l'integrazione è <b>QFD7FE4680</b>, il codice univoco ufficio <b>UFMN23</b>.</div>
            <div><br></div><div>Restiamo in attesa dell'ordine da pagare.</div>
            <div>Cordiali saluti<br>Ing. Sara De Luca<br>Settore Lavori Pubblici</div>
            """),
    ),
    intents=["upgrade_request", "pa_billing_details"],
    fields={"cig": ["QFD7FE4680"], "office_code": "UFMN23", "username": "comune.lagoverde"},
    note="more devices and a higher plan for the same account, with the CIG of the add-on order",
)

add(
    "pa_out_of_office",
    sender=Who("Bianca Neri", "b.neri@comune.pratovecchio.it"),
    token="prv0312b",
    subject="Risposta automatica: Dati per la fattura elettronica - servizio archivio",
    date=when(3, 12, 7, 1),
    extra=(("Auto-Submitted", "auto-replied"), ("X-Auto-Response-Suppress", "All")),
    body=plain(
        d("""
            Sono assente dall'ufficio fino al 27/03/2026 con accesso limitato alla posta elettronica.
            Per urgenze contattare l'Ufficio Ragioneria allo 0575 500123 o scrivere a
            ragioneria@comune.pratovecchio.it.

            Bianca Neri
            """)
    ),
    intents=["other"],
    fields={},
    note="out-of-office auto-reply from a municipal clerk",
)

add(
    "pa_office_code_pointed_to_signature",
    sender=Who("ASP Il Faro", "economato@aspilfaro.it"),
    token="faroASP09",
    subject="Rinnovo portale - dati fattura",
    date=when(2, 9, 14, 58),
    header_charset="windows-1252",
    body=plain(
        d("""
            Buongiorno,
            per la fatturazione del rinnovo si comunica il CIG H5C0A6328A.
            Per il codice univoco ufficio fare riferimento a quello indicato in calce alla presente.
            Username: asp.ilfaro

            Cordiali saluti

            Ufficio Economato
            ASP Il Faro - Azienda pubblica di Servizi alla Persona
            Via del Porto, 3 - 57123 Livorno
            C.F./P.IVA 01762110798
            Codice Univoco Ufficio (IPA): UF9TZQ
            PEC: aspilfaro@legalmail.it
            """),
        "windows-1252",
    ),
    intents=["pa_billing_details"],
    fields={"cig": ["H5C0A6328A"], "office_code": "UF9TZQ", "username": "asp.ilfaro"},
    note="the office code is in the signature but the text points to it; the signature's C.F. and PEC are not asked",
)

add(
    "pa_paid_and_billing_data",
    sender=Who("IC Gianni Rodari", "amministrazione@icrodari.edu.it"),
    token="rodari55",
    subject="Pagamento rinnovo e dati per fattura",
    date=when(3, 16, 12, 3),
    body=plain(
        d("""
            Buongiorno,
            abbiamo effettuato il rinnovo dal portale scegliendo il bonifico e in data odierna è stato
            eseguito il pagamento (CRO 23456789012).
            Per la fattura elettronica:
            CIG L997B0FBC1
            Codice Univoco UFPX3S
            username ic.rodari

            Cordiali saluti
            Segreteria Amministrativa
            """)
    ),
    intents=["pa_billing_details", "payment_notice"],
    fields={
        "cig": ["L997B0FBC1"],
        "office_code": "UFPX3S",
        "username": "ic.rodari",
        "payment_reference": "23456789012",
    },
    note="renewal already done on the portal (a statement, not a request), transfer made with CRO, PA data",
)

add(
    "pa_correct_fiscal_code_and_pec",
    sender=Who("Comune di San Vito", "ragioneria@comune.sanvito.it"),
    token="SanVito0302",
    subject="Correzione dati anagrafici Ente",
    date=when(3, 3, 10, 16),
    body=plain(
        d("""
            In riscontro alla Vs. del 02/03/2026 si segnala che nella fattura n. 2026/0088 il codice fiscale
            dell'Ente risulta errato.

            Si prega di aggiornare i dati anagrafici dell'Ente riportando il C.F. corretto 92984200920 e di
            indirizzare d'ora in avanti le comunicazioni alla PEC protocollo.comunesanvito@pec.it.

            Distinti saluti
            Il Responsabile del Servizio Finanziario
            Dott. Franco Bassi
            Comune di San Vito - Tel. 0434 833111
            """)
    ),
    intents=["billing_update"],
    fields={"fiscal_code": "92984200920", "pec": "protocollo.comunesanvito@pec.it"},
    note="a PA corrects its 11-digit fiscal code and gives a PEC for its records: billing data change",
)

add(
    "pa_arpa_cig_cup_alternative",
    sender=Who("ARPA Regione - Ufficio Acquisti", "acquisti@arpa.regione.example.it"),
    token="arpaAcq2026",
    subject="RE: dati fatturazione rinnovo rete centraline",
    date=when(3, 18, 9, 42),
    body=alt(
        d("""
            Gentilissimi,
            di seguito i dati per la fattura:

            CIG KEE635E979
            CUP E84D23001560004
            Codice Univoco Ufficio: UFDL0Q

            Grazie
            Ufficio Acquisti
            ARPA - Agenzia Regionale per la Protezione Ambientale
            P.IVA 01762110798
            """),
        d("""
            <html><body style="font-family:Arial;font-size:10pt">
            <p>Gentilissimi,<br>di seguito i dati per la fattura:</p>
            <p>CIG KEE635E979<br>CUP E84D23001560004<br>Codice Univoco Ufficio: UFDL0Q</p>
            <p>Grazie<br>Ufficio Acquisti<br>ARPA - Agenzia Regionale per la Protezione Ambientale<br>
            P.IVA 01762110798</p></body></html>
            """),
        cte="7bit",
    ),
    intents=["pa_billing_details"],
    fields={"cig": ["KEE635E979"], "cup": ["E84D23001560004"], "office_code": "UFDL0Q"},
    note="multipart/alternative with CIG, CUP and office code; P.IVA only in the signature",
)

add(
    "pa_school_lowercase_everything",
    sender=Who("", "segreteria.manzoni@scuole.example.it"),
    token="manz0ni26",
    subject="Re: dati fattura",
    date=when(2, 25, 13, 33),
    body=plain(
        d("""
            cig: zc75c882b1 - codice univoco uf3p9w - utente scuola_manzoni

            inviato da smartphone
            """),
        cte="7bit",
    ),
    intents=["pa_billing_details"],
    fields={"cig": ["ZC75C882B1"], "office_code": "UF3P9W", "username": "scuola_manzoni"},
    note="one lowercase line from a phone, no greeting",
)

add(
    "pa_autorenew_off_and_last_year_invoice",
    sender=Who("Servizio Idrico Comune di Serravalle", "servizioidrico@comune.serravalle.it"),
    token="serraIDR1",
    subject="R: Rinnovo automatico impianto-nord",
    date=when(3, 25, 16, 20),
    body=plain(
        d("""
            Buongiorno,
            vi chiediamo cortesemente di disattivare il rinnovo automatico del servizio impianto-nord: dal
            prossimo anno il pagamento dovrà passare dalla ragioneria con regolare impegno di spesa.

            Inoltre vi chiediamo copia della fattura n. 2025/0311 dello scorso anno, che non troviamo nel
            nostro gestionale.

            Grazie
            Mauro Gentile
            Servizio Idrico

            -----Messaggio originale-----
            """)
        + autorenew_it("impianto-nord", "10/04/2026", "390,00", "9051")
    ),
    intents=["autorenew_off", "invoice_request"],
    fields={"username": "impianto-nord"},
    note="switch automatic renewal off and send last year's invoice again; the quoted notice is unprefixed",
)

add(
    "pa_quote_needed_before_determina",
    sender=Who("Comune di Montecalvo - Segreteria", "segreteria@comune.montecalvo.it"),
    token="mcalvo7q",
    subject="Preventivo per rinnovo",
    date=when(2, 11, 9, 9),
    body=plain(
        d("""
            Buongiorno,
            per poter adottare la determina di impegno di spesa necessitiamo di un preventivo intestato al
            Comune con l'importo del rinnovo annuale del servizio.
            Una volta adottata la determina vi comunicheremo il CIG.

            Cordiali saluti
            Segreteria Generale
            """)
    ),
    intents=["other"],
    fields={},
    note="asks for a quote before deciding anything: no renewal request yet, no codes",
)

add(
    "pa_codes_in_subject_html",
    sender=Who("Economato Provincia di Collina", "economato@provincia.collina.it"),
    token="PCeco2026",
    subject="CIG PDAED6087A - Cod. Univoco UFKC82 - Rinnovo portale",
    date=when(3, 10, 11, 34),
    body=html(
        d("""
            <html><body><p>Buongiorno,</p><p>si vedano i dati in oggetto per la fattura.</p>
            <p>Cordialit&agrave;<br>Servizio Economato</p></body></html>
            """),
        cte="7bit",
    ),
    intents=["pa_billing_details"],
    fields={"cig": ["PDAED6087A"], "office_code": "UFKC82"},
    note="HTML-only, the body only points at the subject, which carries CIG and office code",
)

add(
    "pa_forwarded_tesoreria_esito",
    sender=Who("Ragioneria Comune di Fontebella", "ragioneria@comune.fontebella.it"),
    token="fb734mand",
    subject="I: Esito mandato n. 734",
    date=when(3, 27, 10, 5),
    body=plain(
        d("""
            Si inoltra quietanza del pagamento effettuato.
            Cordiali saluti
            Ragioneria

            ---------- Messaggio inoltrato ----------
            Da: Tesoreria Comunale <tesoreria@bancalocale.example.it>
            Data: 26 mar 2026, 18:02
            Oggetto: Esito mandato n. 734
            A: ragioneria@comune.fontebella.it

            Mandato n. 734 del 24/03/2026
            Beneficiario: EXAMPLE S.R.L.
            Importo netto: EUR 150,00
            Stato: ESEGUITO
            TRN: 2026032412345678
            """)
    ),
    intents=["payment_notice"],
    fields={"payment_reference": "2026032412345678"},
    note="the transfer's TRN is in a treasurer's message the sender forwards",
)

add(
    "pa_school_card_expired",
    sender=Who("Segreteria IC Collodi", "segreteria@iccollodi.edu.it"),
    token="collodi2026",
    subject="Re: Problema con il pagamento del rinnovo automatico",
    date=when(4, 2, 11, 45),
    body=plain(
        d("""
            Buongiorno,
            la carta prepagata dell'istituto con cui era attivo il rinnovo automatico è scaduta.
            Ci indicate come inserire la nuova carta? Non abbiamo trovato l'opzione nel portale.

            Grazie
            Segreteria

            Il giorno mer 1 apr 2026 alle ore 09:14 Rinnovi Example <rinnovi@example.it> ha scritto:
            """)
        + quote(card_fail_it("archivio scuola", "0032"))
    ),
    intents=["card_change"],
    fields={},
    note="a school's card for automatic renewal expired, asks how to change it",
)

add(
    "pa_ordine_autorenew_on_office_code",
    sender=Who("Ordine degli Ingegneri della Provincia", "segreteria@ordineingegneri.example.it"),
    token="OING2026",
    subject="Rinnovo automatico casella PEC iscritti",
    date=when(2, 23, 15, 17),
    body=plain(
        d("""
            Buongiorno,
            per comodità vorremmo attivare il rinnovo automatico con la carta dell'Ordine, così da non dover
            ripetere ogni anno la procedura.
            Vi ricordiamo che le fatture vanno intestate all'Ordine con codice univoco UFAA7P (siamo in split
            payment).

            Cordiali saluti
            La Segreteria
            """)
    ),
    intents=["pa_billing_details", "autorenew_on"],
    fields={"office_code": "UFAA7P"},
    note="a professional order (split payment) switches automatic renewal on and states its office code",
)

add(
    "pa_html_table_quoted_username",
    sender=Who("Comune di Lagobello", "ragioneria@comune.lagobello.it"),
    token="LGB0410x",
    subject="R: Dati per fattura elettronica",
    date=when(3, 30, 9, 3),
    header_charset="windows-1252",
    body=html(
        outlook(
            ["Buongiorno,", "di seguito i dati:"],
            "windows-1252",
            outlook_table([("CIG", "J257A95B54"), ("Codice univoco ufficio", "UFLB42")]),
            ["", "Saluti", "Ufficio Ragioneria – Comune di Lagobello"],
            html_quote_it(
                "ragioneria@comune.lagobello.it",
                giorno(3, 27, "12:10"),
                "Dati per fattura elettronica",
                pa_request_it("ORD-2026-000410", "comune.lagobello"),
            ),
        ),
        "windows-1252",
    ),
    intents=["pa_billing_details"],
    fields={"cig": ["J257A95B54"], "office_code": "UFLB42"},
    note="HTML-only table reply; username and order number appear only in our quoted request",
)

add(
    "pa_anni_tre_base64_latin1",
    sender=Who("Comune di Vallombrosa", "tecnico@comune.vallombrosa.it"),
    token="vallo77det",
    subject="Determinazione rinnovo servizio monitoraggio frane",
    date=when(3, 12, 14, 44),
    header_charset="iso-8859-1",
    body=plain(
        d("""
            Spett.le Società,

            con determinazione n. 77 dell'11/03/2026 questa Amministrazione ha autorizzato il rinnovo del
            servizio di monitoraggio frane per la durata di anni tre.

            CIG: 4602037910
            Codice univoco: UFQW90

            Si prega di procedere e di inviare la relativa fattura elettronica.
            Distinti saluti
            Il Responsabile dell'Ufficio Tecnico
            """),
        "iso-8859-1",
        "base64",
    ),
    intents=["renewal_request", "pa_billing_details"],
    fields={"years": 3, "cig": ["4602037910"], "office_code": "UFQW90"},
    note="years in words after the noun ('per la durata di anni tre'), latin-1 base64",
)

add(
    "pa_two_cigs_one_mistyped",
    sender=Who("Consorzio Intercomunale Servizi", "amministrazione@cisvalle.it"),
    token="cis2026two",
    subject="Re: Fatturazione rinnovi",
    date=when(2, 17, 11, 52),
    body=plain(
        d("""
            Buongiorno,
            per i due rinnovi in corso si comunicano:
            - servizio archivio: CIG 2441955D00
            - servizio PEC: CIG 82753678E9
            Codice univoco ufficio per entrambi: UFNR55

            Cordiali saluti
            Area Amministrativa
            """)
    ),
    intents=["pa_billing_details"],
    fields={"cig": ["2441955D00"], "office_code": "UFNR55"},
    invalid=[("cig", "82753678E9")],
    note="two CIGs, the second has a wrong check character: one valid, one invalid",
)

add(
    "pa_formal_disdetta_protocollo",
    sender=Who("Azienda Speciale Consortile Servizi Sociali", "protocollo@ascservizi.example.it"),
    token="ASC2231p",
    subject="Prot. n. 2231/2026 - Disdetta contratto servizio di conservazione digitale",
    date=when(3, 23, 12, 0),
    body=plain(
        d("""
            Spett.le Example S.r.l.

            OGGETTO: Disdetta contratto servizio di conservazione digitale.

            Con la presente, ai sensi dell'art. 6 delle condizioni generali di contratto, si comunica formale
            disdetta del servizio in oggetto con decorrenza dalla naturale scadenza del 31/05/2026.
            Si chiede pertanto di non procedere ad alcun rinnovo, né automatico né su ordine.

            Distinti saluti

            Il Direttore
            Dott. Alberto Conti

            Azienda Speciale Consortile Servizi Sociali
            C.F. e P.IVA 02901490587 - PEC ascservizi@pec.example.it
            """),
        cte="8bit",
    ),
    intents=["cancellation"],
    fields={},
    note="formal 'disdetta' with protocol number in the subject; the signature's identifiers are not requests",
)

add(
    "pa_paid_invoice_wants_pdf_copy",
    sender=Who("Ufficio Economato - Comune di Castelnuovo", "economato@comune.castelnuovo.it"),
    token="cnuovo812",
    subject="Pagamento fattura n. 2026/0045 - richiesta copia",
    date=when(3, 26, 15, 25),
    body=plain(
        d("""
            Buongiorno,
            si comunica di aver provveduto al pagamento della fattura n. 2026/0045 con mandato n. 812 del
            25/03/2026.
            Si richiede altresì l'invio di copia di cortesia in formato PDF della fattura medesima, ai fini
            della rendicontazione.

            Cordiali saluti
            Ufficio Economato
            """)
    ),
    intents=["payment_notice", "invoice_request"],
    fields={},
    note="payment made by mandato (no CRO/TRN) and a courtesy PDF copy of the invoice requested",
)

# ---- Italian private people and small companies (041-070)

add(
    "it_ok_rinnovate_iphone",
    sender=Who("Mario Rossi", "mario.rossi71@gmail.com"),
    token="mrossi2026a",
    subject="Re: Il tuo servizio scade il 31/03/2026",
    date=when(3, 3, 21, 14),
    body=plain(
        "ok rinnovate\n\nInviato da iPhone\n\n"
        "> Il giorno 3 mar 2026, alle ore 10:02, Rinnovi Example <rinnovi@example.it> ha scritto:\n>\n"
        + quote(reminder_it("portale impianti", "mrossi", "31/03/2026")),
        cte="7bit",
    ),
    intents=["renewal_request"],
    fields={},
    note="two-word mobile reply; the username is only in the quoted reminder",
)

add(
    "it_fatto_bonifico_ieri_order",
    sender=Who("Giorgio", "giorgio.ferraris@libero.it"),
    token="gf734pay",
    subject="Re: Completa il tuo ordine ORD-2026-000734",
    date=when(3, 19, 7, 58),
    body=plain(
        "fatto bonifco ieri sera per l'ordine ORD-2026-000734\nciao\nGiorgio\n\n"
        "Il 18/03/2026 15:30, Rinnovi Example ha scritto:\n"
        + quote(payment_it("ORD-2026-000734", "89,00", "gferraris")),
        cte="8bit",
    ),
    intents=["payment_notice"],
    fields={"order_number": "ORD-2026-000734"},
    note="casual transfer notice with a typo (bonifco) naming its own order number (also in the quote)",
)

add(
    "it_cro_with_spaces_receipt_attached",
    sender=Who("Maria Bianchi", "maria.bianchi@alice.it"),
    token="mb0512cro",
    subject="Contabile bonifico",
    date=when(3, 9, 12, 47),
    body=Multi(
        "mixed",
        (
            plain(
                d("""
                    Buongiorno,
                    in allegato la contabile del bonifico di oggi.
                    CRO: 0512 3456 7890

                    Cordiali saluti
                    Maria Bianchi
                    """)
            ),
            pdf("contabile_bonifico.pdf"),
        ),
    ),
    intents=["payment_notice"],
    fields={"payment_reference": "051234567890"},
    note="CRO written in groups of four digits, receipt attached as PDF",
)

add(
    "it_company_transformed_new_vat",
    sender=Who("Fabio Rossi", "fabio@rossiimpianti.it"),
    token="RossiImp01",
    subject="Nuovi dati di fatturazione",
    date=when(3, 2, 8, 36),
    body=alt(
        d("""
            Buongiorno,
            vi informiamo che dal 1° marzo la ditta individuale Rossi Fabio è stata trasformata in società.
            Per le prossime fatture usate questi dati:

            Ragione sociale: Rossi Impianti S.r.l.
            Sede: Via Garibaldi 14, 42121 Reggio Emilia
            P.IVA 10487080581
            Codice destinatario M5UXCR1
            PEC rossiimpianti@pec.it

            Grazie
            Fabio Rossi
            """),
        d("""
            <div dir="ltr">Buongiorno,<br>vi informiamo che dal 1° marzo la ditta individuale Rossi Fabio è stata
            trasformata in società.<br>Per le prossime fatture usate questi dati:<br><br>
            Ragione sociale: Rossi Impianti S.r.l.<br>Sede: Via Garibaldi 14, 42121 Reggio Emilia<br>
            P.IVA 10487080581<br>Codice destinatario M5UXCR1<br>PEC rossiimpianti@pec.it<br><br>
            Grazie<br>Fabio Rossi</div>
            """),
    ),
    intents=["billing_update"],
    fields={"vat_number": "10487080581", "recipient_code": "M5UXCR1", "pec": "rossiimpianti@pec.it"},
    note="new company name, VAT number, 7-char recipient code and PEC in a Gmail multipart/alternative",
)

add(
    "it_fiscal_code_on_invoice",
    sender=Who("Mario Rossi", "m.rossi@tiscali.it"),
    token="mrcf2026",
    subject="codice fiscale in fattura",
    date=when(2, 14, 18, 2),
    body=plain(
        "Salve, potete mettere il mio codice fiscale in fattura? RSSMRA80A01H501U\nGrazie\nMario Rossi\n", cte="7bit"
    ),
    intents=["billing_update"],
    fields={"fiscal_code": "RSSMRA80A01H501U"},
    note="a private person asks to put his fiscal code on the invoice",
)

add(
    "it_fiscal_code_wrong_letter_resend",
    sender=Who("Giulia Bianchi", "giulia.bianchi75@yahoo.it"),
    token="gbi75fat",
    subject="R: Fattura rinnovo",
    date=when(3, 11, 22, 10),
    header_charset="windows-1252",
    body=plain(
        d("""
            Buonasera,
            nella fattura che mi avete mandato manca il codice fiscale. Il mio è BNCGLI75M45F205X.
            Me la potete rimandare corretta?
            Grazie
            Giulia Bianchi
            """),
        "windows-1252",
    ),
    intents=["billing_update", "invoice_request"],
    fields={},
    invalid=[("fiscal_code", "BNCGLI75M45F205X")],
    note="fiscal code with a wrong check letter, and the corrected invoice asked for; windows-1252 QP",
)

add(
    "it_non_rinnovo_casa_venduta",
    sender=Who("Lucio Verdi", "lucio.verdi@virgilio.it"),
    token="lvmare26",
    subject="Re: Il tuo servizio scade il 20/04/2026",
    date=when(4, 6, 9, 30),
    body=plain(
        d("""
            Buongiorno non rinnovo, ho venduto la casa al mare e l'impianto di allarme non mi serve piu.
            Potete chiudere tutto.
            Grazie
            Lucio Verdi

            ----- Messaggio originale -----
            """)
        + reminder_it("allarme casa mare", "lverdi", "20/04/2026"),
        cte="7bit",
    ),
    intents=["cancellation"],
    fields={},
    note="do not renew and close, missing accents",
)

add(
    "it_togliete_rinnovo_automatico",
    sender=Who("Serena", "serena.moretti@gmail.com"),
    token="smor3tti",
    subject="Re: Rinnovo automatico del tuo servizio",
    date=when(3, 5, 13, 2),
    body=plain(
        "Ciao, togliete il rinnovo automatico per favore, voglio decidere io di anno in anno. grazie\n\n"
        "Il giorno gio 5 mar 2026 alle ore 08:00 Rinnovi Example <rinnovi@example.it> ha scritto:\n\n"
        + quote(autorenew_it("portale telecamere", "20/03/2026", "59,00", "7781"))
    ),
    intents=["autorenew_off"],
    fields={},
    note="casual request to switch automatic renewal off; card digits and amount only in the quote",
)

add(
    "it_attivare_rinnovo_automatico_paypal",
    sender=Who("Studio Bianchi", "info@studiobianchi.example.it"),
    token="stBianchi9",
    subject="Rinnovo automatico",
    date=when(2, 19, 10, 5),
    body=plain(
        d("""
            Salve,
            vorrei attivare il rinnovo automatico con PayPal per non dimenticarmi la scadenza, come faccio?
            Oppure potete attivarlo voi? L'utente è studio_bianchi.

            Grazie
            Dott. Paolo Bianchi
            """)
    ),
    intents=["autorenew_on"],
    fields={"username": "studio_bianchi"},
    note="asks to turn automatic renewal on with PayPal, username given in the sentence",
)

add(
    "it_carta_scaduta_come_cambio",
    sender=Who("Anna Ferri", "anna.ferri@outlook.it"),
    token="aferri04",
    subject="R: Pagamento non riuscito",
    date=when(3, 2, 19, 46),
    body=plain(
        d("""
            Mi è arrivata la vostra mail che il pagamento non è andato a buon fine, in effetti la carta è
            scaduta a febbraio. Come faccio a cambiarla?

            Anna

            Da: Rinnovi Example <rinnovi@example.it>
            Inviato: lunedì 2 marzo 2026 08:30
            A: anna.ferri@outlook.it
            Oggetto: Pagamento non riuscito

            """)
        + card_fail_it("portale impianti", "3310")
    ),
    intents=["card_change"],
    fields={},
    note="card expired, asks how to change it; Outlook-style header over the quoted notice",
)

add(
    "it_masked_new_card",
    sender=Who("Renato Galli", "renato.galli@email.it"),
    token="rgalli4821",
    subject="nuova carta",
    date=when(3, 8, 16, 55),
    body=plain(
        d("""
            buongiorno
            vi mando i dati della nuova carta: visa **** **** **** 4821 scad. 09/28
            addebitate li il rinnovo automatico
            saluti Renato Galli
            """),
        cte="7bit",
    ),
    intents=["card_change"],
    fields={},
    note="new card for the automatic renewal, number masked; nothing to extract",
)

add(
    "it_archivio_quasi_pieno_2gb",
    sender=Who("Studio Ferraro Commercialisti", "segreteria@studioferraro.example.it"),
    token="ferraroGB2",
    subject="Spazio archivio",
    date=when(3, 17, 11, 3),
    body=plain(
        d("""
            Buongiorno,
            l'archivio studio_ferraro è quasi pieno (ci è arrivato l'avviso giallo).
            Ci servono altri 2 GB, potete aggiungerli? Fateci sapere il costo.

            Studio Ferraro - Commercialisti associati
            """)
    ),
    intents=["upgrade_request"],
    fields={"username": "studio_ferraro"},
    note="more storage on the archive (add-on), username in the sentence",
)

add(
    "it_mensile_annuale",
    sender=Who("Claudio Pini", "claudio.pini@gmail.com"),
    token="cpini2026",
    subject="passaggio ad annuale",
    date=when(2, 12, 20, 21),
    body=plain(
        "salve vorrei passare dal pagamento mensile a quello annuale per avere lo sconto, si puo fare da subito?\n"
    ),
    intents=["upgrade_request"],
    fields={},
    note="monthly to annual switch is an upgrade",
)

add(
    "it_rinnovate_due_anni_cp1252",
    sender=Who("Franco Gallo", "gallo.serramenti@libero.it"),
    token="GalloSnc2",
    subject="rinnovo impianto",
    date=when(3, 13, 8, 12),
    header_charset="windows-1252",
    body=plain(
        d("""
            Buongiorno,
            rinnovate per 2 anni l'impianto impianto-nord. Pago con bonifico appena mi mandate i dati.
            Saluti
            Franco Gallo – Gallo Serramenti snc
            """),
        "windows-1252",
        "8bit",
    ),
    intents=["renewal_request"],
    fields={"years": 2, "username": "impianto-nord"},
    note="renew for 2 years one named service; windows-1252 8bit with an en dash",
)

add(
    "it_dodici_anni",
    sender=Who("Sergio Martini", "sergio.martini@fastwebnet.it"),
    token="smartini12",
    subject="Rinnovo lungo",
    date=when(3, 21, 10, 40),
    body=plain(
        d("""
            Salve,
            vorrei rinnovare per 12 anni il servizio, tanto la casa è mia e non la vendo.
            Fatemi sapere l'importo.
            Sergio
            """)
    ),
    intents=["renewal_request"],
    fields={},
    invalid=[("years", "12")],
    note="a renewal period above the 10-year limit",
)

add(
    "it_fattura_per_commercialista_base64",
    sender=Who("Elisa Conte", "elisa.conte@pec-free.example.it"),
    token="econte212",
    subject="fattura marzo",
    date=when(4, 3, 18, 18),
    body=plain(
        d("""
            ciao, il mio commercialista mi chiede la fattura del rinnovo di marzo (ordine ORD-2026-000212),
            non la trovo più. me la rimandate? grazie
            Elisa
            """),
        cte="base64",
    ),
    intents=["invoice_request"],
    fields={"order_number": "ORD-2026-000212"},
    note="invoice copy with the order number in brackets; base64 utf-8",
)

add(
    "it_grazie_tutto_chiaro",
    sender=Who("Francesca", "francesca.riva@gmail.com"),
    token="friva0001",
    subject="Re: Completa il tuo ordine ORD-2026-000502",
    date=when(3, 14, 12, 12),
    body=plain(
        "Grazie mille, tutto chiaro!\n\nFrancesca\n\n"
        "Il giorno sab 14 mar 2026 alle ore 11:03 Rinnovi Example <rinnovi@example.it> ha scritto:\n\n"
        + quote(payment_it("ORD-2026-000502", "120,00", "friva"))
    ),
    intents=["other"],
    fields={},
    note="thanks only; order number, IBAN and username are all in the quoted instructions",
)

add(
    "it_portale_non_funziona",
    sender=Who("Ivo Marchi", "ivo.marchi@gmail.com"),
    token="imarchi26",
    subject="Re: Il tuo servizio scade il 12/04/2026",
    date=when(3, 29, 10, 7),
    body=plain(
        d("""
            Buongiorno,
            il portale non funziona da tre giorni, le telecamere risultano offline e non riesco a vedere
            niente dall'app. Prima di parlare di rinnovo vorrei che il servizio funzionasse!!!
            Aspetto una risposta.
            Ivo Marchi
            """)
    ),
    intents=["other"],
    fields={},
    note="complaint about a failure, explicitly not a renewal yet",
)

add(
    "it_renew_and_new_address_outlook",
    sender=Who("Amministrazione Termoidraulica Neri", "amministrazione@termoneri.it"),
    token="TNeri2026",
    subject="R: Il vostro servizio scade il 30/04/2026",
    date=when(4, 8, 9, 50),
    header_charset="windows-1252",
    body=alt(
        d("""
            Buongiorno,
            confermiamo il rinnovo per un anno.
            Vi segnaliamo che abbiamo cambiato sede e codice destinatario, aggiornate per favore:

            Ragione sociale: Termoidraulica Neri S.n.c.
            Nuova sede: Via dell'Artigianato 8, 35010 Vigonza (PD)
            Codice destinatario: KRRH6B9
            P.IVA (invariata): 04982530216

            Cordiali saluti
            Ufficio amministrazione
            """),
        outlook(
            [
                "Buongiorno,",
                "confermiamo il rinnovo per un anno.",
                "Vi segnaliamo che abbiamo cambiato sede e codice destinatario, aggiornate per favore:",
                "",
            ],
            "windows-1252",
            outlook_table(
                [
                    ("Ragione sociale", "Termoidraulica Neri S.n.c."),
                    ("Nuova sede", "Via dell’Artigianato 8, 35010 Vigonza (PD)"),
                    ("Codice destinatario", "KRRH6B9"),
                    ("P.IVA (invariata)", "04982530216"),
                ]
            ),
            ["", "Cordiali saluti", "Ufficio amministrazione"],
        ),
        "windows-1252",
    ),
    intents=["billing_update", "renewal_request"],
    fields={"years": 1, "vat_number": "04982530216", "recipient_code": "KRRH6B9"},
    note="one-year renewal plus new address and recipient code, table in the HTML alternative; the unchanged "
    "VAT number restated in the billing block counts",
)

add(
    "it_all_caps_three_requests",
    sender=Who("GIANCARLO TESTA", "testa.giancarlo@libero.it"),
    token="gtesta33",
    subject="RINNOVO",
    date=when(3, 18, 11, 1),
    body=plain(
        "BUONGIORNO RINNOVO PER 1 ANNO IL SERVIZIO IMPIANTO-SUD, HO GIA FATTO IL BONIFICO STAMATTINA. "
        "MANDATEMI LA FATTURA\nAPPENA POSSIBILE GRAZIE\nGIANCARLO TESTA\n",
        cte="7bit",
    ),
    intents=["renewal_request", "payment_notice", "invoice_request"],
    fields={"years": 1, "username": "impianto-sud"},
    note="all caps: renew one year, transfer already made, send the invoice; username in capitals",
)

add(
    "it_chiudere_rimborso_iban_spazi",
    sender=Who("Carla Sartori", "carla.sartori@gmail.com"),
    token="csart2026",
    subject="Addebito non autorizzato - chiusura servizio",
    date=when(3, 21, 9, 15),
    body=plain(
        d("""
            Buongiorno,
            vi chiedo di chiudere il servizio e di rimborsarmi l'addebito del rinnovo automatico di ieri, che
            non avevo autorizzato, sull'IBAN IT25 O030 6909 6061 0000 0012 345 intestato a Carla Sartori.

            Cordiali saluti
            Carla Sartori
            """)
    ),
    intents=["cancellation"],
    fields={"iban": "IT25O0306909606100000012345"},
    note="cancellation with a refund IBAN written in groups of four",
)

add(
    "it_vat_wrong_check_html_only",
    sender=Who("Edil Beta S.r.l.", "amministrazione@edilbeta.it"),
    token="EdilBeta18",
    subject="Correzione P.IVA su fatture – urgente",
    date=when(2, 25, 10, 12),
    header_charset="windows-1252",
    body=html(
        outlook(
            [
                "Buongiorno,",
                "vi preghiamo di correggere la partita IVA sulle fatture: quella giusta è <b>18931600634</b>"
                " (sulla vostra fattura c’è un numero sbagliato).",
                "Per l’invio delle fatture usate la PEC amministrazione@pec.edilbeta.it",
                "",
                "Grazie",
                "Ufficio Amministrazione – Edil Beta S.r.l.",
            ],
            "windows-1252",
        ),
        "windows-1252",
    ),
    intents=["billing_update"],
    fields={"pec": "amministrazione@pec.edilbeta.it"},
    invalid=[("vat_number", "18931600634")],
    note="HTML-only Outlook: the 'correct' VAT number fails its check digit, the PEC is fine",
)

add(
    "it_forward_from_wife_rinnovate_pure",
    sender=Who("Mario Conti", "mario.conti@gmail.com"),
    token="mconti0415",
    subject="Fwd: Il tuo servizio scade il 15/04/2026",
    date=when(3, 24, 8, 3),
    body=plain(
        d("""
            rinnovate pure, mia moglie mi ha girato la vostra mail.
            Mario

            ---------- Forwarded message ---------
            Da: Laura Conti <laura.conti@gmail.com>
            Date: lun 23 mar 2026 alle ore 19:40
            Subject: Fwd: Il tuo servizio scade il 15/04/2026
            To: Mario Conti <mario.conti@gmail.com>

            mario guarda tu, io non so cos'è

            ---------- Forwarded message ---------
            Da: Rinnovi Example <rinnovi@example.it>
            Date: lun 23 mar 2026 alle ore 10:00
            Subject: Il tuo servizio scade il 15/04/2026
            To: <laura.conti@gmail.com>

            """)
        + reminder_it("portale caldaia", "conti.casa", "15/04/2026")
    ),
    intents=["renewal_request"],
    fields={},
    note="renewal over a two-level forward whose bottom is our own reminder (its username does not count)",
)

add(
    "it_trn_base64",
    sender=Who("Davide Russo", "davide.russo@russoelettrica.it"),
    token="drusso1101",
    subject="Bonifico rinnovo",
    date=when(3, 25, 8, 44),
    body=plain(
        d("""
            Buongiorno,
            vi confermo che il bonifico è partito stamattina. Numero TRN 1101260720123456.
            Fatemi sapere quando risulta.

            Davide Russo
            Russo Elettrica
            """),
        cte="base64",
    ),
    intents=["payment_notice"],
    fields={"payment_reference": "1101260720123456"},
    note="transfer made with TRN, base64 utf-8",
)

add(
    "it_disattivate_e_non_rinnovate",
    sender=Who("Mario Rossi", "mrossi@studiorossi.example.it"),
    token="mrossiOFF",
    subject="Re: Rinnovo automatico",
    date=when(4, 1, 17, 31),
    body=plain(
        d("""
            Disattivate il rinnovo automatico e non rinnovate il servizio mrossi alla scadenza, non lo uso più.
            Grazie
            M. Rossi
            """)
    ),
    intents=["autorenew_off", "cancellation"],
    fields={"username": "mrossi"},
    note="two requests: automatic renewal off and do not renew",
)

add(
    "it_nuova_carta_riattivare_automatico",
    sender=Who("Paola Greco", "paola.greco@hotmail.it"),
    token="pgreco77",
    subject="carta nuova",
    date=when(3, 15, 21, 9),
    body=plain(
        d("""
            Buonasera,
            ho una nuova carta di credito. Il rinnovo automatico me l'avevate disattivato perché la vecchia
            era scaduta: vorrei riattivarlo con la carta nuova. Come procedo?
            Paola Greco
            """)
    ),
    intents=["card_change", "autorenew_on"],
    fields={},
    note="new card and switch automatic renewal back on",
)

add(
    "it_quando_scade",
    sender=Who("Luigi", "luigi.sala@tim.it"),
    token="lsala2026",
    subject="scadenza",
    date=when(2, 21, 15, 30),
    body=plain(
        "Scusate ma quando scade esattamente il mio servizio? Nel portale vedo una data in rosso ma non capisco "
        "se e la scadenza o altro.\nLuigi\n\nInviato da Libero Mail per Android\n",
        cte="7bit",
    ),
    intents=["other"],
    fields={},
    note="a question about the expiry date",
)

add(
    "it_team_business_tre_anni",
    sender=Who("Studio Verdi Architetti", "info@studioverdi.example.it"),
    token="sverdiTB3",
    subject="Cambio piano e rinnovo",
    date=when(3, 10, 9, 18),
    body=plain(
        d("""
            Buongiorno,
            vorremmo passare dal piano TEAM al BUSINESS (siamo diventati in 8 in studio) e contestualmente
            rinnovare per 3 anni.
            Utente: studio_verdi
            Mandateci l'ordine, paghiamo con carta.

            Arch. Luca Verdi
            """)
    ),
    intents=["upgrade_request", "renewal_request"],
    fields={"years": 3, "username": "studio_verdi"},
    note="higher plan and a three-year renewal together",
)

add(
    "it_nuova_pec_latin1",
    sender=Who("Ferri Trasporti S.r.l.", "amministrazione@ferritrasporti.it"),
    token="ferriPEC",
    subject="Variazione PEC",
    date=when(2, 13, 11, 22),
    header_charset="iso-8859-1",
    body=plain(
        d("""
            Spett.le Example,
            la nostra nuova PEC è amministrazione.ferri@legalmail.it; la vecchia ferri.srl@pec.it non è più
            attiva. Aggiornate l'anagrafica per favore.
            Cordialità
            Ferri Trasporti S.r.l.
            """),
        "iso-8859-1",
    ),
    intents=["billing_update"],
    fields={"pec": "amministrazione.ferri@legalmail.it"},
    note="new PEC replaces an old one that must not be taken; latin-1 QP",
)

add(
    "it_manca_piva_riemettere",
    sender=Who("Beta Logistica srl", "amministrazione@betalogistica.it"),
    token="betaLog18",
    subject="Fattura senza partita IVA",
    date=when(3, 31, 14, 40),
    body=plain(
        d("""
            Buongiorno,
            abbiamo ricevuto la fattura ma manca la nostra partita IVA: è 18969710484.
            Potete riemetterla corretta?
            Grazie
            Amministrazione Beta Logistica srl
            """)
    ),
    intents=["billing_update", "invoice_request"],
    fields={"vat_number": "18969710484"},
    note="VAT number missing from the invoice, asks for it again with the number",
)

# ---- English: private people, small businesses, Italian companies writing English (071-100)

add(
    "en_renew_one_more_year_gmail",
    sender=Who("John Miller", "john.miller@gmail.com"),
    token="jmiller01",
    subject="Re: Your service expires on 31/03/2026",
    date=when(3, 2, 19, 25),
    body=plain(
        "Hi,\nplease renew for one more year.\nThanks,\nJohn Miller\n\n"
        "On Mon, Mar 2, 2026 at 10:00 AM Rinnovi Example <rinnovi@example.it> wrote:\n\n"
        + quote(reminder_en("devices portal", "jmiller", "31/03/2026")),
        cte="7bit",
    ),
    intents=["renewal_request"],
    fields={"years": 1},
    note="short English renewal for 'one more year'; username only in the quote",
)

add(
    "en_wire_transfer_trn_non_native",
    sender=Who("Klaus Weber", "k.weber@weber-haustechnik.de"),
    token="kweberDE",
    subject="transfer done",
    date=when(3, 10, 9, 4),
    body=plain(
        d("""
            Good morning,
            I have do the wire transfer yesterday from my bank in Germany for the renewal, the reference
            number (TRN) is 260681234567890 .
            Please confirm when you recieve it.
            Best regards
            Klaus Weber
            """),
        cte="7bit",
    ),
    intents=["payment_notice"],
    fields={"payment_reference": "260681234567890"},
    note="non-native English transfer notice with a TRN and a stray space before the full stop",
)

add(
    "en_do_not_renew_other_provider",
    sender=Who("Emma Clarke", "emma@clarkedesign.co.uk"),
    token="eclarke99",
    subject="RE: Your service expires on 15/04/2026",
    date=when(4, 1, 14, 36),
    body=plain(
        d("""
            Hello,

            Please do not renew my subscription, we moved to another provider. Thank you for the service.

            Kind regards,
            Emma Clarke
            Clarke Design Ltd

            """)
        + outlook_en("emma@clarkedesign.co.uk", sent_en(3, 31, "09:00"), "Your service expires on 15/04/2026")
        + "\n"
        + reminder_en("document archive", "clarke_design", "15/04/2026")
    ),
    intents=["cancellation"],
    fields={},
    note="do not renew, Outlook English header over the quoted reminder",
)

add(
    "en_disable_auto_renew_non_native",
    sender=Who("Hans Bauer", "hans.bauer@gmx.at"),
    token="hbauer2026",
    subject="auto renew",
    date=when(3, 6, 20, 48),
    body=plain(
        "Hello, i want to disable the auto renew, i prefer to pay manual every year when i receive the reminder.\n"
        "Regards Hans\n",
        cte="7bit",
    ),
    intents=["autorenew_off"],
    fields={},
    note="lowercase 'i', non-native wording, automatic renewal off",
)

add(
    "en_switch_on_autorenew_username",
    sender=Who("Jane Smith", "jane.smith@outlook.com"),
    token="jsmithAR",
    subject="Automatic renewal",
    date=when(2, 22, 11, 11),
    body=plain(
        d("""
            Hi there,
            please switch on automatic renewal for my account jsmith, I've just linked PayPal in the portal.
            Cheers,
            Jane
            """)
    ),
    intents=["autorenew_on"],
    fields={"username": "jsmith"},
    note="automatic renewal on, username after 'my account'",
)

add(
    "en_card_expired_how_update",
    sender=Who("Robert Hill", "rhill@hillplumbing.com"),
    token="rhill5501",
    subject="Re: We could not charge your card",
    date=when(3, 4, 8, 22),
    body=plain(
        d("""
            My credit card expired last month, how can I update it for the automatic renewal? I don't see
            where to change it in my account.

            Rob

            On Wed, Mar 4, 2026 at 7:30 AM Rinnovi Example <rinnovi@example.it> wrote:
            """)
        + quote(card_fail_en("devices portal", "5501"))
    ),
    intents=["card_change"],
    fields={},
    note="expired card, how to update it; last four digits only in the quote",
)

add(
    "en_invoice_copy_order_alternative",
    sender=Who("Tom Baker", "tom@bakerandsons.ie"),
    token="tbaker455",
    subject="Invoice copy",
    date=when(3, 23, 10, 30),
    body=alt(
        "Hi,\nCould you send me a copy of the invoice for order ORD-2026-000455? I lost it and my accountant needs "
        "it.\nBest,\nTom\n",
        '<div dir="ltr">Hi,<div>Could you send me a copy of the invoice for order ORD-2026-000455? I lost it and '
        "my accountant needs it.</div><div>Best,</div><div>Tom</div></div>\n",
    ),
    intents=["invoice_request"],
    fields={"order_number": "ORD-2026-000455"},
    note="invoice copy for a named order, multipart/alternative",
)

add(
    "en_five_more_users",
    sender=Who("Priya Nair", "priya@acmeops.example.com"),
    token="acmeops5u",
    subject="More users",
    date=when(3, 12, 15, 3),
    body=plain(
        d("""
            Hello,
            We need 5 more users on our account (acme_ops), the team is growing. Please add them and let me
            know the cost.
            Thanks
            Priya
            """)
    ),
    intents=["upgrade_request"],
    fields={"username": "acme_ops"},
    note="extra users add-on, username in brackets",
)

add(
    "en_italian_company_new_vat_recipient",
    sender=Who("Alessandra Moro", "a.moro@morotessuti.it"),
    token="MoroTex2026",
    subject="Update of our billing data",
    date=when(2, 16, 9, 39),
    body=plain(
        d("""
            Dear Sirs,

            kindly note that our company has new VAT number IT 02973910488 and recipient code (codice
            destinatario) SUBM70N for electronic invoice. Please update your records.

            Best regards,
            Alessandra Moro
            Administration Dept. - Moro Tessuti S.p.A.
            """)
    ),
    intents=["billing_update"],
    fields={"vat_number": "02973910488", "recipient_code": "SUBM70N"},
    note="Italian company in English: VAT number with 'IT ' prefix and a recipient code",
)

add(
    "en_thanks_check_with_boss_html",
    sender=Who("Mark Evans", "mark.evans@evanslogistics.co.uk"),
    token="mevans777",
    subject="RE: Your service expires on 30/04/2026",
    date=when(4, 7, 16, 2),
    body=html(
        d("""
            <html><head><meta charset="utf-8"></head><body>
            <p>Thanks for the reminder, I'll check with my boss and come back to you next week.</p>
            <p>Mark</p>
            <hr>
            <p><b>From:</b> Rinnovi Example &lt;rinnovi@example.it&gt;<br><b>Sent:</b> Tuesday, April 7, 2026
            9:00 AM<br><b>Subject:</b> Your service expires on 30/04/2026</p>
            <p>Dear customer,<br>your service devices portal (user evans_fleet) expires on 30/04/2026.<br>
            Renew now from the portal to keep it running.</p>
            </body></html>
            """)
    ),
    intents=["other"],
    fields={},
    note="HTML-only thanks with no decision; username only in the quoted reminder",
)

add(
    "en_renew_upgrade_invoice_numbered",
    sender=Who("Laura Chen", "laura.chen@chenarchitects.com"),
    token="lchen2026",
    subject="Renewal + plan change",
    date=when(3, 16, 13, 13),
    body=plain(
        d("""
            Hello,

            1) please renew for 2 years
            2) upgrade us to BUSINESS plan
            3) send me the invoice of last year, we can't find it

            Thank you!
            Laura
            """)
    ),
    intents=["upgrade_request", "renewal_request", "invoice_request"],
    fields={"years": 2},
    note="three requests as a numbered list",
)

add(
    "en_fifteen_years",
    sender=Who("Daniel Scott", "dscott@scottengineering.com"),
    token="dscott15y",
    subject="Long renewal",
    date=when(2, 26, 17, 0),
    body=plain(
        d("""
            Hi,
            Please renew for 15 years, as our maintenance contract with the client lasts 15 years and we want
            the portal to cover it all.
            Regards,
            Daniel Scott
            """)
    ),
    intents=["renewal_request"],
    fields={},
    invalid=[("years", "15")],
    note="renewal period above the limit",
)

add(
    "en_payment_done_receipt_jpg",
    sender=Who("Peter Novak", "peter.novak@seznam.cz"),
    token="pnovak620",
    subject="RE: Complete your renewal order",
    date=when(3, 19, 10, 10),
    body=Multi(
        "mixed",
        (
            plain(
                "Payment done, see attached receipt.\nRegards\nPeter\n\n"
                + outlook_en("peter.novak@seznam.cz", sent_en(3, 18, "15:12"), "Complete your renewal order")
                + "\n"
                + payment_en("ORD-2026-000620", "99.00", "pnovak"),
                cte="7bit",
            ),
            jpg("receipt.jpg"),
        ),
    ),
    intents=["payment_notice"],
    fields={},
    note="payment notice with a receipt image; the order number and IBAN are only in the quoted instructions",
)

add(
    "en_forwarded_confirmation_as_attachment",
    sender=Who("Sophie Turner", "sophie@brightsolar.co.uk"),
    token="bsolar318",
    subject="Fw: Payment confirmation",
    date=when(3, 18, 15, 41),
    body=Multi(
        "mixed",
        (
            plain("Hi, please find attached the payment confirmation from our accounting dept.\nSophie\n"),
            Attached(
                (
                    ("From", "Accounts Payable <ap@brightsolar.co.uk>"),
                    ("To", "sophie@brightsolar.co.uk"),
                    ("Subject", "Payment confirmation"),
                    ("Date", when(3, 18, 14, 20)),
                ),
                plain(
                    d("""
                        Payment of EUR 240.00 to Example S.r.l. released today.
                        Payment reference: BRS0318AP2291
                        Beneficiary bank: BPER Banca
                        """),
                    cte="7bit",
                ),
            ),
        ),
    ),
    intents=["payment_notice"],
    fields={"payment_reference": "BRS0318AP2291"},
    note="the payment reference is in a message/rfc822 attachment the sender forwards",
)

add(
    "en_go_ahead_renew_username",
    sender=Who("Marco Rossi", "marco.rossi.uk@gmail.com"),
    token="mrhome26",
    subject="Re: Your service expires on 20/04/2026",
    date=when(4, 2, 7, 49),
    body=plain(
        "yes please go ahead and renew mrossi_home\n\n"
        "On Thu, Apr 2, 2026 at 7:00 AM Rinnovi Example <rinnovi@example.it> wrote:\n"
        + quote(reminder_en("home alarm portal", "mrossi_home", "20/04/2026"), ">")
    ),
    intents=["renewal_request"],
    fields={"username": "mrossi_home"},
    note="renew naming the username, which the quote also carries ('>' without space)",
)

add(
    "en_out_of_office",
    sender=Who("Olivia Brown", "olivia.brown@brownpartners.com"),
    token="obrown20",
    subject="Automatic reply: Your service expires on 30/04/2026",
    date=when(4, 9, 9, 0),
    extra=(("Auto-Submitted", "auto-replied"),),
    body=plain(
        d("""
            Thank you for your email. I am out of the office until 20 April with limited access to email.
            For urgent matters please contact my colleague James at james@brownpartners.com.
            """)
    ),
    intents=["other"],
    fields={},
    note="English out-of-office",
)

add(
    "en_close_refund_iban_bad_check",
    sender=Who("Giulia Marino", "giulia.marino@protonmail.com"),
    token="gmarinoIB",
    subject="Close account",
    date=when(3, 27, 12, 20),
    body=plain(
        d("""
            Hello,
            Please close my account and refund the remaining months to my IBAN IT31D0200801664000104512839.
            Thanks
            Giulia Marino
            """)
    ),
    intents=["cancellation"],
    fields={},
    invalid=[("iban", "IT31D0200801664000104512839")],
    note="closing the account, refund IBAN with swapped digits fails the check",
)

add(
    "en_new_card_and_company_name",
    sender=Who("Ben Foster", "ben@harborlight.studio"),
    token="hlight88",
    subject="Card + invoice name",
    date=when(3, 9, 18, 27),
    body=plain(
        d("""
            Hi,
            I changed my card, please charge the new one for the renewal next month. How do I give it to you?
            Also the invoices should show our company name "Harbor Light Studio Ltd" instead of my personal
            name.
            Thanks
            Ben
            """)
    ),
    intents=["billing_update", "card_change"],
    fields={},
    note="card change for the automatic renewal and a company name on invoices (no identifiers)",
)

add(
    "en_monthly_to_yearly_alternative",
    sender=Who("Nora Lindqvist", "nora@lindqvist-consulting.se"),
    token="noraL2026",
    subject="Billing cycle",
    date=when(2, 18, 8, 58),
    body=alt(
        "Hello,\nWe would like to move from monthly to yearly billing for our TEAM plan from the next cycle.\n"
        "Best regards\nNora Lindqvist\n",
        "<p>Hello,</p><p>We would like to move from monthly to yearly billing for our TEAM plan from the next "
        "cycle.</p><p>Best regards<br>Nora Lindqvist</p>\n",
        cte="base64",
    ),
    intents=["upgrade_request"],
    fields={},
    note="monthly to yearly is an upgrade; multipart/alternative with base64 parts",
)

add(
    "en_paid_then_autorenew_next_year",
    sender=Who("Chris Walker", "chris.walker@yahoo.com"),
    token="cwalk901",
    subject="Paid",
    date=when(3, 30, 16, 16),
    body=plain(
        d("""
            Paid the order ORD-2026-000901 by bank transfer today.
            From next year please set the automatic renewal with my card, I'm tired of transfers :)
            Chris
            """)
    ),
    intents=["payment_notice", "autorenew_on"],
    fields={"order_number": "ORD-2026-000901"},
    note="payment notice for a named order plus automatic renewal on",
)

add(
    "en_inhouse_company_cig_html_table",
    sender=Who("Procurement - AquaServizi S.p.A.", "procurement@aquaservizi.example.it"),
    token="aquaSP26",
    subject="RE: Billing details for your order",
    date=when(3, 13, 11, 8),
    body=html(
        outlook(
            [
                "Dear Sirs,",
                "please find below the CIG and our office code for the e-invoice (we are subject to split payment):",
                "",
            ],
            "utf-8",
            outlook_table(
                [
                    ("CIG", "KE5CD98085"),
                    ("Office code (Codice Univoco Ufficio)", "UFSP26"),
                    ("Portal username", "aquaservizi.rete"),
                ]
            ),
            ["", "Best regards", "Procurement Office – AquaServizi S.p.A."],
        ),
        cte="base64",
    ),
    intents=["pa_billing_details"],
    fields={"cig": ["KE5CD98085"], "office_code": "UFSP26", "username": "aquaservizi.rete"},
    note="an entity under split payment writing English, HTML-only Outlook table in base64",
)

add(
    "en_italian_abroad_tax_code_resend",
    sender=Who("Stefania Ferrari", "stefania.ferrari@btinternet.com"),
    token="sferrari90",
    subject="Invoice with tax code",
    date=when(3, 14, 19, 44),
    body=plain(
        d("""
            Hi, I live in London but I'm Italian, please issue the invoice with my Italian tax code
            FRRSFN90T50A944B and resend it to me.
            Thanks, Stefania Ferrari
            """)
    ),
    intents=["billing_update", "invoice_request"],
    fields={"fiscal_code": "FRRSFN90T50A944B"},
    note="fiscal code on the invoice and the invoice sent again",
)

add(
    "en_vat_ten_digits_typos",
    sender=Who("Luca Romano", "luca@romanoimport.it"),
    token="romanoIMP",
    subject="vat",
    date=when(2, 24, 12, 55),
    body=plain(
        "hi, our VAT is 0736278021, pls add it on the invoces from now on and send me again the last invoce with "
        "the VAT\nthanks Luca\n",
        cte="7bit",
    ),
    intents=["billing_update", "invoice_request"],
    fields={},
    invalid=[("vat_number", "0736278021")],
    note="VAT number with a digit missing (10 digits), typos",
)

add(
    "en_storage_price_question",
    sender=Who("Amy Wilson", "amy.wilson@wilsonvet.com"),
    token="awilsonQ",
    subject="storage",
    date=when(3, 20, 10, 10),
    body=plain(
        "Hello, how much would it cost to add storage? Just asking for now, we will decide next month.\nAmy\n",
        cte="7bit",
    ),
    intents=["other"],
    fields={},
    note="a price question, not yet an upgrade request",
)

add(
    "en_pls_renew_3_yrs",
    sender=Who("", "mike.t@icloud.com"),
    token="miket3yr",
    subject="Re: Your service expires on 10/04/2026",
    date=when(3, 28, 23, 5),
    body=plain("pls renew 3 yrs thx\n\nSent from my Galaxy\n", cte="7bit"),
    intents=["renewal_request"],
    fields={"years": 3},
    note="abbreviated mobile reply",
)

add(
    "en_formal_notice_not_renew",
    sender=Who("Richard Hughes", "r.hughes@hughesfarms.co.uk"),
    token="rhughes30",
    subject="Notice of non-renewal",
    date=when(3, 25, 11, 35),
    body=plain(
        d("""
            Dear Sir or Madam,

            We hereby give notice that we will not renew the service registered under username impianto-ovest,
            expiring on 30 April 2026. Please confirm receipt of this notice.

            Yours faithfully,
            Richard Hughes
            Director, Hughes Farms Ltd
            Company No. 04512893 - VAT GB 123 4567 89
            """)
    ),
    intents=["cancellation"],
    fields={"username": "impianto-ovest"},
    note="formal English non-renewal notice; company numbers only in the signature",
)

add(
    "en_autorenew_off_renew_now_manually",
    sender=Who("Sarah Kim", "sarah.kim@kimdental.com"),
    token="skim2026",
    subject="Re: Automatic renewal on 15/04/2026",
    date=when(4, 3, 9, 12),
    body=plain(
        d("""
            Please turn off the auto-renewal. I'll renew now manually for 1 year by bank transfer, send me the
            payment details.

            Sarah

            On Fri, Apr 3, 2026 at 8:00 AM Rinnovi Example <rinnovi@example.it> wrote:
            """)
        + quote(autorenew_en("dental archive", "15/04/2026", "149.00", "2208"))
    ),
    intents=["renewal_request", "autorenew_off"],
    fields={"years": 1},
    note="automatic renewal off and a manual one-year renewal by transfer now",
)

add(
    "en_html_base64_upgrade_pro",
    sender=Who("Green Farm Co-op", "office@greenfarm.example.org"),
    token="greenfarm10",
    subject="Upgrade",
    date=when(3, 11, 14, 14),
    body=html(
        d("""
            <html><body><div style="font-family:Verdana">Hi,<br><br>Please upgrade our plan to PRO and add 10 GB
            of storage to user <b>greenfarm_archive</b>.<br><br>Thanks<br>Green Farm Co-op office</div></body>
            </html>
            """),
        cte="base64",
    ),
    intents=["upgrade_request"],
    fields={"username": "greenfarm_archive"},
    note="HTML-only base64: higher plan and more storage",
)

add(
    "en_new_card_where_to_enter",
    sender=Who("Tomasz Kowalski", "t.kowalski@wp.pl"),
    token="tkowal42",
    subject="new card",
    date=when(3, 7, 13, 50),
    body=plain(
        "New card is ready, where can I enter it? Please dont ask me to send the number by email, I read your "
        "warning.\nTomasz\n",
        cte="7bit",
    ),
    intents=["card_change"],
    fields={},
    note="asks where to enter a new card, no digits",
)

add(
    "en_paid_cro_update_pec",
    sender=Who("Luna S.r.l. - Amministrazione", "amministrazione@lunasrl.it"),
    token="lunaSRL26",
    subject="Payment and PEC",
    date=when(3, 26, 10, 3),
    body=plain(
        d("""
            Good morning,
            we paid yesterday (CRO 41872230915). Please update our PEC to amministrazione@pec.lunasrl.it for
            future invoices.
            Best regards,
            Luna S.r.l.
            """)
    ),
    intents=["billing_update", "payment_notice"],
    fields={"pec": "amministrazione@pec.lunasrl.it", "payment_reference": "41872230915"},
    note="Italian company in English: transfer with CRO and a new PEC",
)


# --------------------------------------------------------------------------------------------
# Writing and checking


def write() -> None:
    for case in CASES:
        (HERE / f"{case.name}.eml").write_bytes(case.raw)
        text = json.dumps(case.golden, ensure_ascii=False, indent=2) + "\n"
        (HERE / f"{case.name}.json").write_text(text, encoding="utf-8")
    print(f"wrote {len(CASES)} cases to {HERE}")


def cig_ok(value: str) -> bool:
    if re.fullmatch(r"\d{7}[0-9A-F]{3}", value):
        return int(value[7:], 16) == int(value[:7]) * 211 % 4091
    if re.fullmatch(r"[XYZ][0-9A-F]{9}", value):
        return int(value[1:3], 16) == int(value[3:], 16) * 211 % 251
    if re.fullmatch(r"[A-U][0-9A-F]{9}", value):
        return int(value[7:], 16) == (int(value[1:7], 16) + ord(value[0]) - 64) * 211 % 4091
    return False


def field_ok(key: str, value: object) -> bool:
    from stdnum import iban
    from stdnum.it import codicefiscale, iva

    if key == "years":
        return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 10
    if not isinstance(value, str):
        return False
    checks: dict[str, Callable[[str], bool]] = {
        "cig": cig_ok,
        "cup": lambda v: re.fullmatch(r"[A-Z]\d{2}[A-Z]\d{11}", v) is not None,
        "office_code": lambda v: re.fullmatch(r"[A-Z0-9]{6}", v) is not None,
        "recipient_code": lambda v: re.fullmatch(r"[A-Z0-9]{7}", v) is not None,
        "vat_number": lambda v: re.fullmatch(r"\d{11}", v) is not None and iva.is_valid(v),
        "fiscal_code": lambda v: v == v.upper() and " " not in v and codicefiscale.is_valid(v),
        "pec": lambda v: v == v.lower() and re.fullmatch(r"[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)+", v) is not None,
        "iban": lambda v: re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", v) is not None and iban.is_valid(v),
        "order_number": lambda v: re.fullmatch(r"ORD-\d{4}-\d{6}", v) is not None,
        "payment_reference": lambda v: re.fullmatch(r"[A-Z0-9]+", v) is not None,
        "username": lambda v: v == v.lower() and re.fullmatch(r"[a-z0-9][a-z0-9._-]*", v) is not None,
    }
    return key in checks and checks[key](value)


def invalid_ok(key: str, written: str) -> bool:
    """True when the value as written fails its check (so it belongs in `invalid`)."""
    if key == "years":
        return not (written.isdigit() and 1 <= int(written) <= 10)
    value = re.sub(r"\s", "", written).upper()
    if key == "vat_number":
        value = value.removeprefix("IT")
    if key in ("cig", "cup"):
        return not field_ok(key, value)
    return not field_ok(key, value.lower() if key in ("pec", "username") else value)


def decoded(raw: bytes) -> str:
    """The subject and every text part, HTML also as plain text, nested forwarded messages included."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    texts = [str(message["subject"])]
    for part in message.walk():
        if part.get_content_maintype() != "text" or part.get_filename():
            continue
        assert isinstance(part, EmailMessage)
        content = part.get_content()
        assert isinstance(content, str)
        texts.append(content)
        if part.get_content_subtype() == "html":
            texts.append(htmllib.unescape(re.sub(r"<[^>]+>", " ", content)))
    return "\n".join(texts)


NUMBER_WORDS = {
    1: ("one", "un anno", "un ulteriore anno", "annuale"),
    2: ("two", "due"),
    3: ("three", "tre", "trienn"),
}


def present(key: str, value: object, text: str) -> bool:
    if key == "years":
        assert isinstance(value, int)
        low = text.lower()
        return re.search(rf"\b{value}\b", text) is not None or any(w in low for w in NUMBER_WORDS.get(value, ()))
    values = value if isinstance(value, list) else [value]
    squashed = re.sub(r"\s", "", text)
    return all(str(v).upper() in squashed.upper() for v in values)


def check() -> int:
    import subprocess

    problems: list[str] = []
    seen_ids: set[str] = set()
    mailbot = HERE.parent.parent / ".venv" / "bin" / "mailbot"
    emls = sorted(HERE.glob(f"{PREFIX}_*.eml"))
    expected = {case.name: case for case in CASES}
    for eml in emls:
        name = eml.stem
        where = f"{name}:"
        raw = eml.read_bytes()
        if name not in expected:
            problems.append(f"{where} not produced by this generator")
        elif expected[name].raw != raw:
            problems.append(f"{where} differs from what the generator writes")
        gold_path = eml.with_suffix(".json")
        if not gold_path.exists():
            problems.append(f"{where} no .json")
            continue
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        if list(gold) != ["intents", "fields", "invalid", "note"]:
            problems.append(f"{where} keys {list(gold)}")
            continue
        intents = gold["intents"]
        if intents != ["other"]:
            if not intents or any(i not in ORDER for i in intents):
                problems.append(f"{where} unknown intents {intents}")
            elif intents != sorted(set(intents), key=ORDER.index):
                problems.append(f"{where} intents not in acting order {intents}")
        if not isinstance(gold["note"], str) or not gold["note"] or "\n" in gold["note"]:
            problems.append(f"{where} note must be one line")
        text = decoded(raw)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        message_id = str(message["message-id"])
        if message_id != f"<{name}@client.example.org>" or message_id in seen_ids:
            problems.append(f"{where} Message-ID {message_id}")
        seen_ids.add(message_id)
        for header in ("from", "to", "subject", "date", "mime-version", "content-type"):
            if message[header] is None:
                problems.append(f"{where} missing {header}")
        if not re.fullmatch(r"rinnovi\+[A-Za-z0-9]{8,16}@example\.it", str(message["to"])):
            problems.append(f"{where} To {message['to']}")
        for key, value in gold["fields"].items():
            for one in value if key in ("cig", "cup") else [value]:
                if key in ("cig", "cup") and not isinstance(value, list):
                    problems.append(f"{where} {key} must be a list")
                if not field_ok(key, one):
                    problems.append(f"{where} field {key}={one!r} fails its check")
            if not present(key, value, text):
                problems.append(f"{where} field {key}={value!r} not in the message")
        for item in gold["invalid"]:
            if list(item) != ["field", "value"]:
                problems.append(f"{where} invalid item {item}")
                continue
            if not invalid_ok(item["field"], item["value"]):
                problems.append(f"{where} invalid {item} passes its check")
            if item["value"] not in text:
                problems.append(f"{where} invalid {item} not written so in the message")
        run = subprocess.run([str(mailbot), "parse", "--json", str(eml)], capture_output=True, check=False)
        if run.returncode != 0:
            problems.append(f"{where} mailbot parse exit {run.returncode}")
    for name in expected:
        if not (HERE / f"{name}.eml").exists():
            problems.append(f"{name}: not written")
    for problem in problems:
        print(problem)
    print(f"{len(emls)} cases checked, {len(problems)} problems")
    return 1 if problems else 0


def summary() -> None:
    counts: dict[str, int] = {}
    multi = html_only = 0
    for case in CASES:
        intents = case.golden["intents"]
        assert isinstance(intents, list)
        for intent in intents:
            counts[intent] = counts.get(intent, 0) + 1
        multi += len(intents) > 1
        message = email.message_from_bytes(case.raw, policy=email.policy.default)
        html_only += message.get_content_type() == "text/html"
    for intent in (*ORDER, "other"):
        print(f"{intent:20} {counts.get(intent, 0)}")
    print(f"cases {len(CASES)}, multi-request {multi}, HTML-only {html_only}")


if __name__ == "__main__":
    if "--check" in sys.argv:
        sys.exit(check())
    if "--summary" in sys.argv:
        summary()
    else:
        write()
