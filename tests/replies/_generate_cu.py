"""Generator of the reply cases cu_043 .. cu_150 (the cu_001 .. cu_042 pairs are written by hand).

Each case below is one customer's reply written on its own: the text the sender typed, how their mail client
wraps it (plain, HTML-only, multipart/alternative, with an attachment), the charset and transfer encoding,
and the copy of our own email they quote, if any. The golden answer is written next to the text it
describes. Run it to rewrite the generated pairs:

    .venv/bin/python tests/replies/_generate_cu.py            # write the .eml/.json pairs
    .venv/bin/python tests/replies/_generate_cu.py --check    # check every cu_* pair (hand-written too)

The check mode verifies the golden files against the corpus spec: keys, intent names and acting order,
every value in ``fields`` valid and every value in ``invalid`` failing its check.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import quopri
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.header import Header
from email.utils import format_datetime
from pathlib import Path
from textwrap import dedent
from typing import Any

HERE = Path(__file__).parent
ORDER = [
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
]
IBAN = "IT60X0542811101000000123456"


@dataclass(frozen=True)
class Quote:
    """Our own email that the sender quotes below (or forwards above) their text."""

    kind: str  # a key of TEMPLATES
    style: str  # gt | outlook | original | forward | none-marker styles, see quote_plain
    values: dict[str, str] = field(default_factory=dict)
    sent: str = ""


@dataclass(frozen=True)
class Case:
    n: int
    slug: str
    sender: str
    subject: str
    body: str
    intents: list[str]
    note: str
    fields: dict[str, Any] = field(default_factory=dict)
    invalid: list[dict[str, str]] = field(default_factory=list)
    form: str = "plain"  # plain | html | alt | attach
    client: str = "plain"  # outlook | gmail | apple | thunderbird | webmail (for the HTML part)
    charset: str = "utf-8"
    cte: str = "8bit"  # 7bit | 8bit | quoted-printable | base64
    quote: Quote | None = None
    html_body: str | None = None  # the sender's own HTML, when it is not just the text in paragraphs
    attachment: str | None = None  # file name of a small PDF attached
    date: str = ""

    @property
    def name(self) -> str:
        return f"cu_{self.n:03d}_{self.slug}"


# Our emails, as customers see them. {user}, {order}, {amount}, {date}, {years}, {last4} are filled per case.
TEMPLATES: dict[str, str] = {
    "it_reminder": (
        "Gentile cliente,\n"
        "il servizio {user} scade il {date}. Può rinnovarlo per 1, 2 o 3 anni dal portale\n"
        "oppure rispondendo a questa email.\n"
        "Cordiali saluti\nUfficio rinnovi - Example Servizi S.r.l."
    ),
    "it_payment": (
        "Gentile cliente,\n"
        "abbiamo registrato l'ordine {order} (rinnovo {user}, {years}).\n"
        "Per completarlo effettui un bonifico a Example Servizi S.r.l.\n"
        "IBAN: " + IBAN + "\n"
        "Importo: {amount} EUR - Causale: {order}\n"
        "La fattura le sarà inviata 2-3 giorni dopo la registrazione del pagamento."
    ),
    "it_payment_pa": (
        "Gentile cliente,\n"
        "l'ordine {order} ({years}, {amount} EUR) è in attesa di pagamento con bonifico su IBAN " + IBAN + ".\n"
        "Solo per le pubbliche amministrazioni: rispondendo a questa email indicate CIG, codice univoco\n"
        "ufficio e utente del portale (es. CIG Z213346E34, codice UFXK9T, utente {user})."
    ),
    "it_autorenew": (
        "Gentile cliente,\n"
        "il rinnovo automatico del servizio {user} è attivo. Il {date} addebiteremo {amount} EUR\n"
        "sulla carta che termina con {last4} per {years}.\n"
        "Se non desidera il rinnovo può disattivarlo dal portale."
    ),
    "it_card": (
        "Gentile cliente,\n"
        "non siamo riusciti ad addebitare il rinnovo automatico del servizio {user}\n"
        "sulla carta che termina con {last4}. Aggiorni il metodo di pagamento entro 10 giorni."
    ),
    "it_expired": (
        "Gentile cliente,\n"
        "il servizio {user} è scaduto il {date}. Può riattivarlo entro 90 giorni dalla scadenza\n"
        "dal portale o rispondendo a questa email; dopo tale termine il servizio sarà sospeso."
    ),
    "it_done": (
        "Gentile cliente,\n"
        "il rinnovo del servizio {user} per {years} è stato registrato (ordine {order}).\n"
        "La nuova scadenza è il {date}. La fattura è allegata a questa email."
    ),
    "it_storage": (
        "Gentile cliente,\n"
        "lo spazio dell'archivio {user} è utilizzato all'85%. Alla media di utilizzo attuale\n"
        "le serviranno circa 2 GB aggiuntivi fino alla scadenza del {date}."
    ),
    "en_reminder": (
        "Dear customer,\n"
        "your service {user} expires on {date}. Renew for 1, 2 or 3 years from your account page\n"
        "or simply reply to this email.\n"
        "Kind regards,\nExample Renewals"
    ),
    "en_payment": (
        "Dear customer,\n"
        "we have registered order {order} (renewal of {user}, {years}).\n"
        "To complete it, please make a bank transfer to Example Servizi S.r.l.\n"
        "IBAN: " + IBAN + "\n"
        "Amount: EUR {amount} - Reference: {order}\n"
        "Your invoice will follow 2-3 days after the payment is registered."
    ),
    "en_autorenew": (
        "Dear customer,\n"
        "automatic renewal is active on {user}. On {date} we will charge EUR {amount}\n"
        "to the card ending in {last4} for {years}.\n"
        "You can switch automatic renewal off from your account page."
    ),
    "en_card": (
        "Dear customer,\n"
        "we could not charge the automatic renewal of {user} to the card ending in {last4}.\n"
        "Please update your payment method within 10 days to avoid an interruption."
    ),
    "en_expired": (
        "Dear customer,\n"
        "your service {user} expired on {date}. You can reactivate it within 90 days\n"
        "from your account page or by replying to this email."
    ),
    "en_done": (
        "Dear customer,\n"
        "the renewal of {user} for {years} is complete (order {order}).\n"
        "Your new expiry date is {date}. The invoice is attached."
    ),
}

SUBJECTS: dict[str, str] = {
    "it_reminder": "Il servizio scade il {date}",
    "it_payment": "Istruzioni per il pagamento",
    "it_payment_pa": "Ordine in attesa di pagamento",
    "it_autorenew": "Avviso di rinnovo automatico",
    "it_card": "Addebito non riuscito",
    "it_expired": "Servizio scaduto: riattivazione",
    "it_done": "Rinnovo completato",
    "it_storage": "Spazio di archiviazione quasi esaurito",
    "en_reminder": "Your service expires on {date}",
    "en_payment": "Payment instructions for your order",
    "en_autorenew": "Automatic renewal notice",
    "en_card": "We could not renew your service",
    "en_expired": "Your service has expired",
    "en_done": "Your renewal is complete",
}

DEFAULTS = {
    "user": "mrossi",
    "order": "ORD-2026-000123",
    "amount": "122,00",
    "date": "31/03/2026",
    "years": "1 anno",
    "last4": "4417",
}


def our_email(quote: Quote) -> tuple[str, str]:
    values = {**DEFAULTS, **quote.values}
    if quote.kind.startswith("en_") and "years" not in quote.values:
        values["years"] = "1 year"
    return SUBJECTS[quote.kind].format(**values), TEMPLATES[quote.kind].format(**values)


def address_of(sender: str) -> str:
    match = re.search(r"<([^>]+)>", sender)
    return match.group(1) if match else sender


GIORNI = ["lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"]
MESI = ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July"]


ITALIAN_WORDS = re.compile(r"\b(buongiorno|buonasera|salve|grazie|saluti|vorrei|ciao|spett|gentili|il|per|non)\b", re.I)


def is_italian(case: Case) -> bool:
    """Whether the sender writes Italian (so their clock is in Italy): by our quoted email, else by their words."""
    if case.quote is not None:
        return case.quote.style.endswith("_it")
    return len(ITALIAN_WORDS.findall(case.body)) >= 2


def moment(case: Case) -> datetime:
    """When the sender wrote: spread over March-May 2026, at varied hours, in the sender's zone."""
    local = datetime(2026, 3, 1, 7) + timedelta(
        days=(case.n * 37) % 92, hours=(case.n * 7) % 14, minutes=case.n * 13 % 60
    )
    if is_italian(case):
        hours = 2 if local >= datetime(2026, 3, 29, 3) else 1
    else:
        hours = [0, 1, -5, 2, -8, 0, 10][case.n % 7]
    return local.replace(second=case.n * 29 % 60, tzinfo=timezone(timedelta(hours=hours)))


def sent_of(case: Case) -> str:
    """When our quoted email went out: a few days before the reply, at 9:00, written as the client does."""
    assert case.quote is not None
    if case.quote.sent:
        return case.quote.sent
    when = moment(case) - timedelta(days=1 + case.n % 4)
    if case.quote.style.endswith("_it"):
        if case.quote.style == "original_it":
            return f"{when:%d/%m/%Y} 09:00"
        if case.quote.style == "gt_it":
            return f"{GIORNI[when.weekday()][:3]} {when.day} {MESI[when.month - 1][:3]} {when.year} alle ore 09:00"
        return f"{GIORNI[when.weekday()]} {when.day} {MESI[when.month - 1]} {when.year} 09:00"
    return f"{DAYS[when.weekday()]}, {MONTHS[when.month - 1]} {when.day}, {when.year} 9:00 AM"


def quote_plain(case: Case) -> str:
    """The quoted copy of our email as a text client writes it under (or around) the sender's text."""
    if case.quote is None:
        return ""
    subject, text = our_email(case.quote)
    to = address_of(case.sender)
    style = case.quote.style
    sent = sent_of(case)
    if style == "gt_it":
        head = f"Il giorno {sent} Rinnovi Example <rinnovi@example.it> ha scritto:"
        return "\n\n" + head + "\n" + "\n".join("> " + line if line else ">" for line in text.split("\n"))
    if style == "gt_en":
        head = f"On {sent}, Example Renewals <rinnovi@example.it> wrote:"
        return "\n\n" + head + "\n" + "\n".join("> " + line if line else ">" for line in text.split("\n"))
    if style == "outlook_it":
        return (
            f"\n\n________________________________\nDa: Rinnovi Example <rinnovi@example.it>\n"
            f"Inviato: {sent}\nA: {to}\nOggetto: {subject}\n\n{text}\n"
        )
    if style == "outlook_en":
        return (
            f"\n\nFrom: Example Renewals <rinnovi@example.it>\nSent: {sent}\nTo: {to}\nSubject: {subject}\n\n{text}\n"
        )
    if style == "original_it":
        return (
            f"\n\n-----Messaggio originale-----\nDa: rinnovi@example.it\nData: {sent}\nA: {to}\n"
            f"Oggetto: {subject}\n\n{text}\n"
        )
    if style == "forward_en":
        return (
            f"\n\n---------- Forwarded message ---------\nFrom: Example Renewals <rinnovi@example.it>\n"
            f"Date: {sent}\nSubject: {subject}\nTo: <{to}>\n\n{text}\n"
        )
    if style == "forward_it":
        return (
            f"\n\n-------- Messaggio inoltrato --------\nOggetto: {subject}\nData: {sent}\n"
            f"Mittente: Rinnovi Example <rinnovi@example.it>\nA: {to}\n\n{text}\n"
        )
    raise ValueError(f"{case.name}: unknown quote style {style}")


def paragraphs_html(text: str) -> list[str]:
    return [html.escape(block).replace("\n", "<br>\n") for block in text.strip().split("\n\n")]


def quote_html(case: Case) -> str:
    if case.quote is None:
        return ""
    subject, text = our_email(case.quote)
    inner = "<br>\n".join(html.escape(line) for line in text.split("\n"))
    sent = html.escape(sent_of(case))
    to = html.escape(address_of(case.sender))
    it = case.quote.style.endswith("_it")
    if case.client == "outlook":
        labels = ("Da", "Inviato", "A", "Oggetto") if it else ("From", "Sent", "To", "Subject")
        return (
            '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">\n'
            f'<p class="MsoNormal"><b>{labels[0]}:</b> Rinnovi Example &lt;rinnovi@example.it&gt;<br>\n'
            f"<b>{labels[1]}:</b> {sent}<br>\n<b>{labels[2]}:</b> {to}<br>\n"
            f"<b>{labels[3]}:</b> {html.escape(subject)}</p>\n</div>\n"
            f'<p class="MsoNormal">{inner}</p>\n'
        )
    head = (
        f"Il giorno {sent} Rinnovi Example &lt;rinnovi@example.it&gt; ha scritto:"
        if it
        else f"On {sent}, Example Renewals &lt;rinnovi@example.it&gt; wrote:"
    )
    if case.client == "gmail":
        return (
            f'<br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">{head}<br></div>'
            '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid '
            f'rgb(204,204,204);padding-left:1ex">{inner}</blockquote></div>\n'
        )
    if case.client == "thunderbird":
        return f'<div class="moz-cite-prefix">{head}<br></div>\n<blockquote type="cite">{inner}</blockquote>\n'
    return f'<div><br><blockquote type="cite"><div>{head}</div><div>{inner}</div></blockquote></div>\n'


def own_html(case: Case) -> str:
    if case.html_body is not None:
        return case.html_body
    if case.client == "outlook":
        return "\n".join(f'<p class="MsoNormal">{p}<o:p></o:p></p>' for p in paragraphs_html(case.body))
    if case.client == "gmail":
        return (
            '<div dir="ltr">' + "".join(f"<div>{p}</div><div><br></div>" for p in paragraphs_html(case.body)) + "</div>"
        )
    return "".join(f"<p>{p}</p>\n" for p in paragraphs_html(case.body))


def html_document(case: Case) -> str:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={case.charset}">'
    if case.client == "outlook":
        style = '<style>p.MsoNormal{margin:0cm;font-size:11.0pt;font-family:"Calibri",sans-serif;}</style>'
        return (
            f'<html xmlns:o="urn:schemas-microsoft-com:office:office">\n<head>\n{meta}\n{style}\n</head>\n'
            f'<body lang="IT" link="#0563C1">\n<div class="WordSection1">\n{own_html(case)}\n'
            f"{quote_html(case)}</div>\n</body>\n</html>\n"
        )
    return f"<html>\n<head>{meta}</head>\n<body>\n{own_html(case)}\n{quote_html(case)}</body>\n</html>\n"


def encode_part(text: str, charset: str, cte: str) -> tuple[str, bytes]:
    """Headers and body of one text part; raises if the text does not fit the charset or the encoding."""
    raw = text.replace("\n", "\r\n").encode(charset)
    if cte == "7bit":
        raw.decode("ascii")
        return "7bit", raw
    if cte == "8bit":
        return "8bit", raw
    if cte == "quoted-printable":
        return cte, quopri.encodestring(text.encode(charset)).replace(b"\n", b"\r\n")
    if cte == "base64":
        return cte, base64.encodebytes(raw).replace(b"\n", b"\r\n")
    raise ValueError(cte)


def text_part(text: str, subtype: str, charset: str, cte: str) -> bytes:
    name, body = encode_part(text, charset, cte)
    head = f"Content-Type: text/{subtype}; charset={charset}\r\nContent-Transfer-Encoding: {name}\r\n\r\n"
    return head.encode("ascii") + body


def header_value(value: str) -> str:
    try:
        value.encode("ascii")
    except UnicodeEncodeError:
        if "<" in value:
            display, addr = value.rsplit("<", 1)
            return Header(display.strip().strip('"'), "utf-8").encode() + " <" + addr
        return Header(value, "utf-8").encode()
    return value


def boundary(case: Case, tag: str) -> str:
    return f"----=_Part_{tag}_{hashlib.sha1(case.name.encode()).hexdigest()[:20]}"


def token(case: Case) -> str:
    digest = hashlib.sha256(case.name.encode()).hexdigest()
    length = 8 + case.n % 9
    return "".join(c.upper() if i % 3 == 0 and c.isalpha() else c for i, c in enumerate(digest[:length]))


FAKE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def render(case: Case) -> bytes:
    plain = case.body.rstrip("\n") + quote_plain(case) + "\n"
    if case.form == "plain":
        body = text_part(plain, "plain", case.charset, case.cte)
    elif case.form == "html":
        body = text_part(html_document(case), "html", case.charset, case.cte)
    elif case.form == "alt":
        b = boundary(case, "alt")
        body = (
            f'Content-Type: multipart/alternative; boundary="{b}"\r\n\r\n'.encode()
            + f"--{b}\r\n".encode()
            + text_part(plain, "plain", case.charset, case.cte)
            + f"\r\n--{b}\r\n".encode()
            + text_part(html_document(case), "html", case.charset, case.cte)
            + f"\r\n--{b}--\r\n".encode()
        )
    elif case.form == "attach":
        b = boundary(case, "mix")
        assert case.attachment is not None
        pdf = base64.encodebytes(FAKE_PDF).replace(b"\n", b"\r\n")
        body = (
            f'Content-Type: multipart/mixed; boundary="{b}"\r\n\r\n'.encode()
            + b"This is a multi-part message in MIME format.\r\n\r\n"
            + f"--{b}\r\n".encode()
            + text_part(plain, "plain", case.charset, case.cte)
            + f"\r\n--{b}\r\n".encode()
            + (
                f'Content-Type: application/pdf; name="{case.attachment}"\r\n'
                f'Content-Disposition: attachment; filename="{case.attachment}"\r\n'
                "Content-Transfer-Encoding: base64\r\n\r\n"
            ).encode()
            + pdf
            + f"\r\n--{b}--\r\n".encode()
        )
    else:
        raise ValueError(case.form)
    head = (
        f"From: {header_value(case.sender)}\r\n"
        f"To: rinnovi+{token(case)}@example.it\r\n"
        f"Subject: {header_value(case.subject)}\r\n"
        f"Date: {date_for(case)}\r\n"
        f"Message-ID: <{case.name}@client.example.org>\r\n"
        "MIME-Version: 1.0\r\n"
    )
    return head.encode("ascii") + body


def golden(case: Case) -> str:
    answer = {"intents": case.intents, "fields": case.fields, "invalid": case.invalid, "note": case.note}
    return json.dumps(answer, ensure_ascii=False, indent=2) + "\n"


def t(text: str) -> str:
    """The sender's text, written indented in this file."""
    return dedent(text).strip("\n") + "\n"


CASES: list[Case] = []


# --- renewal_request ---------------------------------------------------------------------------------
CASES += [
    Case(
        43,
        "un_altro_anno_sopra_promemoria",
        "Studio Bianchi <segreteria@studiobianchi.example.it>",
        "Re: Il servizio scade il 30/04/2026",
        t("""
            Buongiorno,
            rinnovatemi pure per un altro anno, stesso metodo di pagamento dell'anno scorso (carta).
            Grazie e buona giornata

            Segreteria Studio Bianchi
        """),
        ["renewal_request"],
        "'un altro anno' under a quoted reminder that offers 1, 2 or 3 years and holds the username",
        fields={"years": 1},
        charset="utf-8",
        cte="quoted-printable",
        quote=Quote("it_reminder", "gt_it", {"user": "studio_bianchi", "date": "30/04/2026"}),
    ),
    Case(
        44,
        "two_years_by_card_gmail",
        "Nathan Brooks <nathan.brooks@mail.example.com>",
        "Re: Your service expires on 12 May 2026",
        t("""
            Please renew for 2 years by card. Thank you.

            Nathan
        """),
        ["renewal_request"],
        "Gmail multipart/alternative: '2 years by card' above a quoted reminder offering 1, 2 or 3 years",
        fields={"years": 2},
        form="alt",
        client="gmail",
        cte="quoted-printable",
        quote=Quote("en_reminder", "gt_en", {"user": "brooks-home", "date": "12 May 2026"}),
    ),
    Case(
        45,
        "rinnovare_ma_con_paypal_latin1",
        "Giovanna Neri <giovanna.neri@posta.example.com>",
        "R: Istruzioni per il pagamento",
        t("""
            Buonasera,
            ho ricevuto le istruzioni per il bonifico ma vorrei rinnovare pagando con PayPal, si può fare?
            In caso mandatemi il collegamento giusto, il bonifico non lo faccio.
            Giovanna Neri
        """),
        ["renewal_request"],
        "latin-1 QP: 'vorrei rinnovare pagando con PayPal' instead of the quoted transfer instructions (order, IBAN)",
        charset="iso-8859-1",
        cte="quoted-printable",
        quote=Quote(
            "it_payment",
            "original_it",
            {"user": "gneri", "order": "ORD-2026-000578", "amount": "61,00"},
        ),
    ),
    Case(
        46,
        "renew_all_my_devices_webmail_html",
        "Carlos Mendes <carlos.mendes@webmail.example.pt>",
        "renewal - all cameras",
        t("""
            Hello,

            Renew all my devices please, all four cameras, for a year each.
            The invoice can go to the usual address.

            Regards,
            Carlos Mendes
        """),
        ["renewal_request"],
        "HTML-only webmail: 'renew all my devices' for a year each (years 1), four cameras is not a years count",
        fields={"years": 1},
        form="html",
        client="webmail",
        cte="quoted-printable",
    ),
    Case(
        47,
        "rinovare_cinque_anni_senza_accenti",
        "Sergio Pini <sergio.pini60@mail.example.net>",
        "abbonamento telecamere",
        t("""
            buongiorno vorrei rinovare per cinque anni l abbonamento delle telecamere, cosi non ci penso piu.
            come pago? ho solo il bancomat
            sergio pini
        """),
        ["renewal_request"],
        "typos and no accents: 'rinovare per cinque anni' (years 5), 7bit ascii",
        fields={"years": 5},
        charset="us-ascii",
        cte="7bit",
    ),
    Case(
        48,
        "go_ahead_three_years_outlook_quote",
        "Fiona MacLeod <fiona@macleod-guesthouse.example.co.uk>",
        "RE: Your service expires on 1 June 2026",
        t("""
            Hi,

            Go ahead with the renewal, three years please. Send me the bank details and I'll pay by transfer.

            Best wishes,
            Fiona
        """),
        ["renewal_request"],
        "Outlook plain quote (From/Sent/To/Subject) under 'three years please' by bank transfer",
        fields={"years": 3},
        charset="windows-1252",
        cte="quoted-printable",
        quote=Quote("en_reminder", "outlook_en", {"user": "macleod-gh", "date": "1 June 2026"}),
    ),
    Case(
        49,
        "confermo_rinnovo_biennale_cp1252",
        "Carrozzeria Valli <info@carrozzeriavalli.example.it>",
        "conferma rinnovo",
        t("""
            Spett.le Ufficio Rinnovi,
            vi confermo il rinnovo biennale del servizio di videosorveglianza dell’officina.
            Il pagamento è con carta, come l’ultima volta.
            Cordiali saluti
            Carrozzeria Valli – Amministrazione
        """),
        ["renewal_request"],
        "windows-1252 8bit with curly apostrophes: 'rinnovo biennale' means 2 years",
        fields={"years": 2},
        charset="windows-1252",
        cte="8bit",
    ),
    Case(
        50,
        "renew_for_12_years_invalid",
        "Howard Lee <howard.lee@leeandsons.example.com>",
        "long renewal?",
        t("""
            Hi team,
            can you renew us for 12 years? We'd like to lock in the current price and forget about it.
            If that's too long, do the maximum you allow.
            Howard Lee
        """),
        ["renewal_request"],
        "renewal for 12 years: above the 10-year limit, so years is invalid and not in fields",
        invalid=[{"field": "years", "value": "12"}],
        cte="7bit",
        charset="us-ascii",
    ),
    Case(
        51,
        "rinnovate_per_15_anni_outlook_html",
        "Ivo Barbieri <ivo.barbieri@barbieri-serramenti.example.it>",
        "Rinnovo lungo",
        t("""
            Buongiorno,

            rinnovate per 15 anni, così fino alla pensione non ci penso più!

            Ivo Barbieri
            Barbieri Serramenti
        """),
        ["renewal_request"],
        "HTML-only Outlook: renewal for 15 years, above the limit (invalid years)",
        invalid=[{"field": "years", "value": "15"}],
        form="html",
        client="outlook",
        charset="iso-8859-1",
        cte="quoted-printable",
    ),
    Case(
        52,
        "renew_harbour_view_only",
        "Alice Nguyen <alice.nguyen@harbourstays.example.com>",
        "Renewal - harbour-view only",
        t("""
            Hello,

            Please renew the account harbour-view only. The other flat (the one on Mill Street) is being
            sold, so leave that one for now and I'll get back to you about it.

            Alice
        """),
        ["renewal_request"],
        "renew one named service (username in subject and body); the other one is left undecided, not cancelled",
        fields={"username": "harbour-view"},
        cte="7bit",
        charset="us-ascii",
    ),
    Case(
        53,
        "archivio_due_annualita_apple",
        "Dott. Paolo Sanna <paolo.sanna@studiosanna.example.it>",
        "Archivio documentale",
        t("""
            Buongiorno,

            procediamo con il rinnovo dell'archivio documentale per due annualità, fattura come sempre
            intestata allo studio.

            Cordiali saluti
            Paolo Sanna
        """),
        ["renewal_request"],
        "Apple Mail multipart/alternative: 'due annualità' (years 2); invoice as usual is not a billing change",
        fields={"years": 2},
        form="alt",
        client="apple",
        cte="quoted-printable",
    ),
    Case(
        54,
        "lapsed_reactivate_villa_lago",
        "Greta Holm <greta.holm@mail.example.se>",
        "Re: Your service has expired",
        t("""
            Hi, sorry - I was travelling and missed all your emails. My subscription lapsed last month,
            can you reactivate it? The username is villa-lago. I can pay by card straight away.

            Greta
        """),
        ["renewal_request"],
        "reactivation after expiry in English, username given, above a quoted expiry notice",
        fields={"username": "villa-lago"},
        cte="quoted-printable",
        quote=Quote("en_expired", "gt_en", {"user": "villa-lago", "date": "2 March 2026"}),
    ),
    Case(
        55,
        "procedete_rinnovo_carta_base64",
        "Michela Costa <michela.costa@mail.example.net>",
        "Re: Ordine in attesa di pagamento",
        t("""
            Salve, procedete pure col rinnovo, però pago con carta di credito e non con il bonifico.
            Grazie
            Michela
        """),
        ["renewal_request"],
        "base64 utf-8: renewal paying by card, above our email holding order, IBAN, '1 anno' and an example CIG",
        cte="base64",
        quote=Quote("it_payment_pa", "gt_it", {"user": "mcosta", "order": "ORD-2026-000640", "amount": "61,00"}),
    ),
    Case(
        56,
        "renew_2_yrs_card_terse",
        "Dev Sharma <dev@sharmaprint.example.com>",
        "Re: renewal",
        t("""
            Renew. 2 yrs. Card.

            Sent from my phone
        """),
        ["renewal_request"],
        "terse three-word reply: 'Renew. 2 yrs. Card.'",
        fields={"years": 2},
        cte="7bit",
        charset="us-ascii",
    ),
    Case(
        57,
        "rinnovo_triennale_con_ordine_in_oggetto",
        "Impianti Sud Srl <ufficio@impiantisud.example.it>",
        "Rinnovo triennale impianto-sud - ORD-2026-000417",
        t("""
            Buongiorno,
            vi confermo il rinnovo triennale per l'impianto indicato in oggetto, riferimento vostro ordine
            ORD-2026-000417. Attendiamo i dati per il pagamento.

            Ufficio amministrativo
            Impianti Sud Srl
        """),
        ["renewal_request"],
        "'rinnovo triennale' (years 3); username and order number written by the sender in the subject and body",
        fields={"years": 3, "username": "impianto-sud", "order_number": "ORD-2026-000417"},
        charset="iso-8859-1",
        cte="8bit",
    ),
]

# --- autorenew_off ------------------------------------------------------------------------------------
CASES += [
    Case(
        58,
        "niente_addebito_automatico_gmail",
        "Federica Longo <federica.longo@mail.example.com>",
        "Re: Avviso di rinnovo automatico",
        t("""
            Ciao,
            non voglio più l'addebito automatico sulla carta: quando scade il servizio decido io se rinnovarlo
            a mano. Grazie!
            Federica
        """),
        ["autorenew_off"],
        "Gmail alternative: 'non voglio più l'addebito automatico'; card ending, amount and '1 anno' only in the quote",
        form="alt",
        client="gmail",
        cte="quoted-printable",
        quote=Quote(
            "it_autorenew", "gt_it", {"user": "flongo", "date": "14/05/2026", "amount": "59,00", "last4": "2291"}
        ),
    ),
    Case(
        59,
        "please_turn_off_auto_renew",
        "Peter Novak <peter.novak@novak-dental.example.cz>",
        "Re: Automatic renewal notice",
        t("""
            please turn off auto-renew. thanks
        """),
        ["autorenew_off"],
        "one-line 'please turn off auto-renew' above the quoted automatic renewal notice",
        cte="7bit",
        charset="us-ascii",
        quote=Quote("en_autorenew", "gt_en", {"user": "novak-dental", "date": "3 June 2026", "amount": "89.00"}),
    ),
    Case(
        60,
        "dont_charge_me_automatically",
        "Laura Martínez <laura.martinez@mail.example.es>",
        "Next year’s charge",
        t("""
            Hello,

            I don’t want to be charged automatically next year. I’ll renew manually when the time comes —
            I like to check my budget first.

            Thank you,
            Laura Martínez
        """),
        ["autorenew_off"],
        "UTF-8 QP with curly quotes: no automatic charge, will renew manually (not a renewal request now)",
        cte="quoted-printable",
    ),
    Case(
        61,
        "revoco_autorizzazione_addebito_latin1",
        "Rag. Aldo Rota <aldo.rota@officinarota.example.it>",
        "Revoca addebito ricorrente officina-rota",
        t("""
            Spett.le Example Servizi S.r.l.,

            con la presente revoco l'autorizzazione all'addebito ricorrente su carta per il servizio
            officina-rota. Il servizio resta attivo fino alla scadenza; per il rinnovo mi regolerò io.

            Distinti saluti
            Rag. Aldo Rota
        """),
        ["autorenew_off"],
        "formal latin-1 QP: 'revoco l'autorizzazione all'addebito ricorrente' (automatic renewal off), username given",
        fields={"username": "officina-rota"},
        charset="iso-8859-1",
        cte="quoted-printable",
    ),
    Case(
        62,
        "opt_out_recurring_payment_outlook",
        "Sarah O'Connell <s.oconnell@oconnell-legal.example.ie>",
        "Recurring payment - archive",
        t("""
            Good afternoon,

            Please opt us out of the recurring payment on the document archive. When it comes up for renewal
            we will pay by bank transfer instead, as our finance team now requires.

            Kind regards,
            Sarah O'Connell
            Office Manager
        """),
        ["autorenew_off"],
        "HTML-only Outlook: opt out of the recurring payment (future transfer is not a payment notice or renewal now)",
        form="html",
        client="outlook",
        cte="quoted-printable",
    ),
    Case(
        63,
        "non_rinnovate_automaticamente_cp1252",
        "Marta Ruggeri <marta.ruggeri@mail.example.it>",
        "rinnovo automatico",
        t("""
            Buongiorno,
            per favore non rinnovate automaticamente il mio abbonamento: preferisco decidere io di volta in
            volta, magari l’anno prossimo lo tengo, magari no.
            Grazie
            Marta
        """),
        ["autorenew_off"],
        "windows-1252 8bit: 'non rinnovate automaticamente' is automatic renewal off, not a cancellation",
        charset="windows-1252",
        cte="8bit",
    ),
    Case(
        64,
        "stop_automatic_renewal_paypal",
        "George Ionescu <george.ionescu@mail.example.ro>",
        "Stop automatic renewal on PayPal",
        t("""
            Hi,
            Can you stop the automatic renewal on my PayPal? I'm not cancelling, I just want to pay by hand
            each time.
            George
        """),
        ["autorenew_off"],
        "'stop the automatic renewal on my PayPal', explicitly 'I'm not cancelling'",
        cte="7bit",
        charset="us-ascii",
    ),
    Case(
        65,
        "disabilitare_pagamento_ricorrente_thunderbird",
        "Enrico Villa <enrico.villa@villaimpianti.example.it>",
        "pagamento ricorrente PayPal",
        t("""
            Salve,
            potete disabilitare il pagamento ricorrente con PayPal sul mio account? Dal portale non me lo fa
            fare, il pulsante è grigio.

            Enrico Villa
        """),
        ["autorenew_off"],
        "Thunderbird multipart/alternative: 'disabilitare il pagamento ricorrente con PayPal'",
        form="alt",
        client="thunderbird",
        cte="8bit",
    ),
]

# --- autorenew_on -------------------------------------------------------------------------------------
CASES += [
    Case(
        66,
        "switch_on_automatic_renewal_dr_ferri",
        "Dr Anna Ferri <anna.ferri@ferriclinic.example.com>",
        "automatic renewal for dr.ferri",
        t("""
            Dear Sir or Madam,

            Please switch on automatic renewal for our account dr.ferri. The card we paid with last time
            is fine.

            Yours faithfully,
            Dr Anna Ferri
        """),
        ["autorenew_on"],
        "switch on automatic renewal for a dotted username written by the sender",
        fields={"username": "dr.ferri"},
        cte="7bit",
        charset="us-ascii",
    ),
    Case(
        67,
        "si_rinnovasse_da_solo_latin1",
        "Gabriella Fumagalli <gabriella.fumagalli@posta.example.com>",
        "abbonamento",
        t("""
            Buongiorno, sono un po' distratta con le scadenze: vorrei che il servizio si rinnovasse da solo
            ogni anno, senza che io debba ricordarmelo. Si può? Ho una carta Visa.
            Grazie, Gabriella
        """),
        ["autorenew_on"],
        "latin-1 QP, no keyword: 'vorrei che il servizio si rinnovasse da solo ogni anno' is automatic renewal on",
        charset="iso-8859-1",
        cte="quoted-printable",
    ),
    Case(
        68,
        "enable_auto_renewal_paypal_gmail",
        "Tomás Rivera <tomas.rivera@mail.example.com>",
        "Re: Your service expires on 20 May 2026",
        t("""
            Hi,

            enable auto renewal via PayPal please, so it doesn't expire on me again like last year.

            Cheers,
            Tomás
        """),
        ["autorenew_on"],
        "Gmail alternative: enable auto renewal via PayPal, above a reminder offering 1, 2 or 3 years",
        form="alt",
        client="gmail",
        cte="quoted-printable",
        quote=Quote("en_reminder", "gt_en", {"user": "rivera-shop", "date": "20 May 2026"}),
    ),
    Case(
        69,
        "mettete_rinnovo_automatico_outlook_quote",
        "Bar Centrale di Mauro Testa <barcentrale@negozi.example.it>",
        "R: Il servizio scade il 15/06/2026",
        t("""
            Mettete pure il rinnovo automatico, così non devo ricordarmelo. Carta quella di sempre.
            Mauro
        """),
        ["autorenew_on"],
        "'mettete pure il rinnovo automatico' over an Outlook plain quote of the reminder",
        charset="windows-1252",
        cte="quoted-printable",
        quote=Quote("it_reminder", "outlook_it", {"user": "bar-centrale", "date": "15/06/2026"}),
    ),
    Case(
        70,
        "yes_to_auto_renew",
        "Irene Walsh <irene.walsh@mail.example.ie>",
        "auto-renew",
        t("""
            Hi, yes to auto-renew! Saves me the hassle every spring.
            Irene
        """),
        ["autorenew_on"],
        "very short 'yes to auto-renew'",
        cte="7bit",
        charset="us-ascii",
    ),
    Case(
        71,
        "riattivate_rinnovo_automatico_tolto_base64",
        "Nicola Sorrentino <nicola.sorrentino@sorrentinofoto.example.it>",
        "rinnovo automatico di nuovo",
        t("""
            Buongiorno,
            l'anno scorso avevo tolto il rinnovo automatico perché avevo problemi con la carta; ora è tutto
            a posto, riattivate il rinnovo automatico che avevo tolto, sulla stessa carta.

            Grazie
            Nicola Sorrentino
            Sorrentino Foto
        """),
        ["autorenew_on"],
        "base64 utf-8: switch automatic renewal back on (card problems were last year, no card change now)",
        cte="base64",
    ),
]

# END OF CASES


def date_for(case: Case) -> str:
    return case.date or format_datetime(moment(case))


def write_all() -> None:
    names = set()
    for case in CASES:
        assert case.name not in names, case.name
        names.add(case.name)
        (HERE / f"{case.name}.eml").write_bytes(render(case))
        (HERE / f"{case.name}.json").write_text(golden(case), encoding="utf-8")


# ---------------------------------------------------------------------------------------------------------
# The check of every cu_* golden file (hand-written and generated).

FIELD_KEYS = {
    "cig",
    "cup",
    "office_code",
    "recipient_code",
    "vat_number",
    "fiscal_code",
    "pec",
    "iban",
    "order_number",
    "payment_reference",
    "username",
    "years",
}


def is_valid_cig(value: str) -> bool:
    c = value.upper()
    if re.fullmatch(r"\d{7}[0-9A-F]{3}", c):
        return int(c[7:], 16) == int(c[:7]) * 211 % 4091
    if re.fullmatch(r"[XYZ][0-9A-F]{9}", c) and int(c[1:3], 16) == int(c[3:], 16) * 211 % 251:
        return True
    if re.fullmatch(r"[A-U][0-9A-F]{9}", c):
        return int(c[7:], 16) == (int(c[1:7], 16) + ord(c[0]) - 64) * 211 % 4091
    return False


def is_valid(key: str, value: Any) -> bool:
    from stdnum import iban
    from stdnum.it import codicefiscale, iva

    text = str(value)
    squeezed = re.sub(r"[\s.\-]", "", text).upper()
    if key == "years":
        return (
            isinstance(value, int) and 1 <= value <= 10
            if not isinstance(value, str)
            else text.isdigit() and 1 <= int(text) <= 10
        )
    if key == "cig":
        return is_valid_cig(squeezed)
    if key == "cup":
        return re.fullmatch(r"[A-Z]\d{2}[A-Z]\d{11}", squeezed) is not None
    if key == "office_code":
        return re.fullmatch(r"[A-Z0-9]{6}", squeezed) is not None
    if key == "recipient_code":
        return re.fullmatch(r"[A-Z0-9]{7}", squeezed) is not None
    if key == "vat_number":
        number = squeezed.removeprefix("IT")
        return re.fullmatch(r"\d{11}", number) is not None and bool(iva.is_valid(number))
    if key == "fiscal_code":
        return bool(codicefiscale.is_valid(squeezed)) if len(squeezed) == 16 else bool(iva.is_valid(squeezed))
    if key == "pec":
        return re.fullmatch(r"[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)+", text) is not None
    if key == "iban":
        return bool(iban.is_valid(squeezed))
    if key == "order_number":
        return re.fullmatch(r"ORD-\d{4}-\d{6}", text) is not None
    if key == "payment_reference":
        return re.fullmatch(r"[A-Z0-9]{6,40}", text) is not None
    if key == "username":
        return re.fullmatch(r"[a-z0-9][a-z0-9._-]*", text) is not None
    raise KeyError(key)


def is_canonical(key: str, value: Any) -> bool:
    """A value in ``fields`` is valid and in the spec's normal form (uppercase, no spaces, no IT prefix...)."""
    if key in ("cig", "cup"):
        return isinstance(value, list) and all(
            isinstance(v, str) and v == v.upper() and is_valid(key, v) for v in value
        )
    if key == "years":
        return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 10
    if not isinstance(value, str) or not is_valid(key, value) or " " in value:
        return False
    if key in ("pec", "username"):
        return value == value.lower()
    if key == "vat_number":
        return value.isdigit()
    return value == value.upper()


def check(run_parser: bool) -> list[str]:
    import subprocess

    problems: list[str] = []
    emls = sorted(HERE.glob("cu_*.eml"))
    jsons = sorted(HERE.glob("cu_*.json"))
    if {p.stem for p in emls} != {p.stem for p in jsons}:
        problems.append(f"unpaired: {sorted({p.stem for p in emls} ^ {p.stem for p in jsons})}")
    ids: set[str] = set()
    for eml in emls:
        name = eml.stem
        raw = eml.read_bytes()
        head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0]
        for header in (b"From:", b"To:", b"Subject:", b"Date:", b"MIME-Version:", b"Content-Type:"):
            if not re.search(rb"(?im)^" + re.escape(header), head):
                problems.append(f"{name}: no {header.decode()} header")
        mid = re.search(rb"(?im)^Message-I[Dd]: *<([^>]+)>", raw)
        if not mid or mid.group(1).decode() != f"{name}@client.example.org":
            problems.append(f"{name}: Message-ID is not <{name}@client.example.org>")
        elif mid.group(1) in ids:
            problems.append(f"{name}: duplicate Message-ID")
        else:
            ids.add(mid.group(1).decode())
        for digits in re.findall(rb"(?<![\dA-Z])(?:\d[ -]?){13,19}(?![\dA-Z])", raw):
            number = re.sub(rb"\D", b"", digits).decode()
            if number[0] in "3456" and len(number) in (15, 16) and luhn_ok(number):
                problems.append(f"{name}: looks like a card number: {number}")
        try:
            answer = json.loads(eml.with_suffix(".json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            problems.append(f"{name}: json: {error}")
            continue
        if list(answer) != ["intents", "fields", "invalid", "note"]:
            problems.append(f"{name}: keys {list(answer)}")
            continue
        intents = answer["intents"]
        if intents == ["other"]:
            pass
        elif not intents or any(i not in ORDER for i in intents):
            problems.append(f"{name}: unknown intent in {intents}")
        elif intents != sorted(intents, key=ORDER.index) or len(set(intents)) != len(intents):
            problems.append(f"{name}: intents not in acting order: {intents}")
        for key, value in answer["fields"].items():
            if key not in FIELD_KEYS:
                problems.append(f"{name}: unknown field {key}")
            elif not is_canonical(key, value):
                problems.append(f"{name}: field {key}={value!r} is not valid or not normalised")
        if intents == ["other"] and answer["fields"]:
            problems.append(f"{name}: fields on an 'other' message")
        for item in answer["invalid"]:
            if set(item) != {"field", "value"} or item["field"] not in FIELD_KEYS:
                problems.append(f"{name}: bad invalid entry {item}")
            elif is_valid(item["field"], item["value"]):
                problems.append(f"{name}: invalid value {item} passes its check")
            elif item["value"].encode() not in decoded_text(raw).encode():
                problems.append(f"{name}: invalid value {item['value']!r} not written in the message")
        if not isinstance(answer["note"], str) or "\n" in answer["note"] or not answer["note"]:
            problems.append(f"{name}: note must be one line")
        if run_parser:
            done = subprocess.run(
                [str(HERE.parents[1] / ".venv/bin/mailbot"), "parse", "--json", str(eml)],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                problems.append(f"{name}: mailbot parse failed ({done.returncode}): {done.stderr.strip()[-200:]}")
            else:
                try:
                    json.loads(done.stdout)
                except ValueError:
                    problems.append(f"{name}: mailbot parse printed no JSON")
    return problems


def luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def decoded_text(raw: bytes) -> str:
    """All text parts of a message, decoded (to find the values written in it)."""
    import email
    from email import policy

    message = email.message_from_bytes(raw, policy=policy.default)
    texts = [str(message["Subject"] or "")]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            texts.append(html.unescape(part.get_content()))
    return "\n".join(texts)


def main(argv: list[str]) -> int:
    if "--check" in argv:
        problems = check(run_parser="--no-parse" not in argv)
        for problem in problems:
            print(problem)
        print(f"{len(list(HERE.glob('cu_*.eml')))} cases, {len(problems)} problems")
        return 1 if problems else 0
    write_all()
    print(f"wrote {len(CASES)} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
