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


ITALIAN_WORDS = re.compile(
    r"\b(buongiorno|buonasera|salve|grazie|saluti|vorrei|ciao|spett|gentili|il|per|non|ho|vi|di|che|della)\b", re.I
)


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
    return [html.escape(block, quote=False).replace("\n", "<br>\n") for block in text.strip().split("\n\n")]


def quote_html(case: Case) -> str:
    if case.quote is None:
        return ""
    subject, text = our_email(case.quote)
    inner = "<br>\n".join(html.escape(line, quote=False) for line in text.split("\n"))
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

# --- card_change --------------------------------------------------------------------------------------
CASES += [
    Case(
        72,
        "how_do_i_update_card_details",
        "Megan Price <megan.price@mail.example.com>",
        "Re: We could not renew your service",
        t("""
            Hi there,

            how do I update my card details? I had a new card issued in April and I guess that's why the
            payment bounced. I looked under "Account" but can only see the old one.

            Thanks,
            Megan
        """),
        ["card_change"],
        "'how do I update my card details' above the quoted card-problem notice (card ending only in the quote)",
        cte="7bit",
        charset="us-ascii",
        quote=Quote("en_card", "gt_en", {"user": "price-home", "last4": "8812"}),
    ),
    Case(
        73,
        "banca_ha_bloccato_carta_cp1252_qp",
        "Alessandro Gentile <alessandro.gentile@gentileauto.example.it>",
        "carta bloccata",
        t("""
            Buongiorno,
            la banca mi ha bloccato la carta per un tentativo di frode, quella nuova mi arriva la settimana
            prossima. Come faccio a sostituirla per il rinnovo automatico? Non vorrei che l’addebito di
            giugno andasse a vuoto.
            Grazie
            Alessandro Gentile
        """),
        ["card_change"],
        "windows-1252 QP: card blocked by the bank, how to replace it for the automatic renewal",
        charset="windows-1252",
        cte="quoted-printable",
    ),
    Case(
        74,
        "card_ending_4821_replaced_outlook",
        "Robert Hughes <r.hughes@hughesjoinery.example.co.uk>",
        "Card change",
        t("""
            Hello,

            My card ending in 4821 was replaced by the bank after a fraud alert. I'd like the auto-renewal to
            use the new one from now on. Please send me whatever link I need to enter it - I know not to send
            card numbers by email.

            Regards,
            Robert Hughes
            Hughes Joinery Ltd
        """),
        ["card_change"],
        "HTML-only Outlook: 'my card ending in 4821 was replaced', wants the auto-renewal on the new card",
        form="html",
        client="outlook",
        cte="quoted-printable",
    ),
    Case(
        75,
        "cambiato_carta_termina_0093_gmail",
        "Cinzia Leone <cinzia.leone@mail.example.com>",
        "nuova carta",
        t("""
            Ciao, ho cambiato carta di credito: quella che termina con 0093 non è più valida dal mese scorso.
            Mi dite dove inserisco la nuova per il rinnovo automatico?

            Cinzia
        """),
        ["card_change"],
        "Gmail alternative: new credit card, old one 'termina con 0093' no longer valid",
        form="alt",
        client="gmail",
        cte="base64",
    ),
    Case(
        76,
        "addebitare_su_altra_carta_aziendale",
        "Pietro Guidi <pietro.guidi@guidi-trasporti.example.it>",
        "carta per rinnovo automatico",
        t("""
            Buongiorno,
            vorrei addebitare il rinnovo automatico su un'altra carta, la Mastercard aziendale, invece della
            mia personale. Qual è la procedura? Lunedì sono in ufficio e posso farlo subito.

            Pietro Guidi
            Guidi Trasporti snc
        """),
        ["card_change"],
        "latin-1 8bit: move the automatic renewal to another (company) card",
        charset="iso-8859-1",
        cte="8bit",
    ),
    Case(
        77,
        "charge_declined_new_card_outlook_quote",
        "Lucy Chambers <lucy@chambersflorist.example.com>",
        "RE: We could not renew your service",
        t("""
            Got your email that the charge was declined. New card, how do I change it?

            Lucy Chambers
            Chambers Florist
            01632 960123
        """),
        ["card_change"],
        "terse card change under an Outlook plain quote of our card-problem notice",
        charset="windows-1252",
        cte="8bit",
        quote=Quote("en_card", "outlook_en", {"user": "chambers-florist", "last4": "3307"}),
    ),
    Case(
        78,
        "carta_clonata_webmail_html",
        "Rosaria Caputo <rosaria.caputo@mail.example.it>",
        "carta clonata - non addebitate",
        t("""
            Buongiorno,

            la carta su cui addebitate il rinnovo automatico è stata clonata e la banca l'ha bloccata.
            Vi prego di non riprovare l'addebito su quella carta e di mandarmi un link per inserire la nuova,
            che mi arriva tra qualche giorno.

            Rosaria Caputo
        """),
        ["card_change"],
        "HTML-only webmail: cloned card blocked, send a link for the new one (no card digits at all)",
        form="html",
        client="webmail",
        cte="quoted-printable",
    ),
    Case(
        79,
        "swap_card_on_file_company_card",
        "Matteo Ricci <matteo.ricci@riccidesign.example.com>",
        "card on file",
        t("""
            Hi,

            Can I swap the card on file for our new company card? The renewal should be paid by the business
            from now on. Happy to do it through the portal if you point me to the right page.

            Matteo Ricci - Ricci Design
        """),
        ["card_change"],
        "English, Italian name: swap the card on file for a company card",
        cte="quoted-printable",
    ),
]

# --- payment_notice -----------------------------------------------------------------------------------
CASES += [
    Case(
        80,
        "paid_today_reference",
        "Oscar Lindqvist <oscar.lindqvist@mail.example.se>",
        "Re: Payment instructions for your order",
        t("""
            Paid today, reference 0306998877665544.
            Oscar
        """),
        ["payment_notice"],
        "'Paid today, reference ...' above quoted instructions holding IBAN, order number and '1 year'",
        fields={"payment_reference": "0306998877665544"},
        cte="7bit",
        charset="us-ascii",
        quote=Quote("en_payment", "gt_en", {"user": "lindqvist", "order": "ORD-2026-000702", "amount": "73.20"}),
    ),
    Case(
        81,
        "trn_con_ordine_outlook_alt",
        "Amministrazione Mariani Srl <amministrazione@marianisrl.example.it>",
        "Bonifico ordine ORD-2026-000311",
        t("""
            Buongiorno,

            vi comunichiamo che in data odierna abbiamo disposto il bonifico per l'ordine ORD-2026-000311.
            TRN 0306901234567890480160001500IT

            Cordiali saluti
            Ufficio Amministrazione
            Mariani Srl
        """),
        ["payment_notice"],
        "Outlook multipart/alternative: transfer made, TRN and order number (also in the subject)",
        fields={"order_number": "ORD-2026-000311", "payment_reference": "0306901234567890480160001500IT"},
        form="alt",
        client="outlook",
        cte="quoted-printable",
    ),
    Case(
        82,
        "in_allegato_la_contabile",
        "Giulio Marchi <giulio.marchi@marchicostruzioni.example.it>",
        "R: Istruzioni per il pagamento",
        t("""
            Buongiorno,
            in allegato la contabile del bonifico.
            Saluti
            Giulio Marchi
        """),
        ["payment_notice"],
        "'in allegato la contabile' with a PDF attached, over an Outlook quote of the instructions (order, IBAN)",
        form="attach",
        attachment="contabile_bonifico.pdf",
        charset="windows-1252",
        cte="quoted-printable",
        quote=Quote(
            "it_payment", "outlook_it", {"user": "marchi-cantiere", "order": "ORD-2026-000733", "amount": "146,40"}
        ),
    ),
    Case(
        83,
        "transfer_sent_cro_with_spaces",
        "Yusuf Demir <yusuf.demir@demirimport.example.com>",
        "transfer",
        t("""
            Hello, transfer sent this morning from our Italian account, CRO 1234 5678 901.
            Please confirm when you see it.
            Yusuf Demir
        """),
        ["payment_notice"],
        "CRO written with spaces: the reference is recorded without them",
        fields={"payment_reference": "12345678901"},
        cte="7bit",
        charset="us-ascii",
    ),
    Case(
        84,
        "bonifico_istantaneo_ordine_cp1252",
        "Lucia Ferretti <lucia.ferretti@mail.example.it>",
        "pagamento effettuato",
        t("""
            Salve,
            ho effettuato il pagamento tramite bonifico istantaneo per l’ordine ORD-2026-000245, dovrebbe
            esservi già arrivato. Non ho un numero di riferimento, la mia banca non me lo dà.
            Lucia Ferretti
        """),
        ["payment_notice"],
        "windows-1252 8bit: instant transfer made for a given order, no reference",
        fields={"order_number": "ORD-2026-000245"},
        charset="windows-1252",
        cte="8bit",
    ),
    Case(
        85,
        "paid_via_paypal_transaction_html",
        "Chloe Dubois <chloe.dubois@mail.example.fr>",
        "payment",
        t("""
            Hi,

            Just paid through PayPal, transaction ID 5TY05013RG002845M. Let me know if anything is missing.

            Chloé
        """),
        ["payment_notice"],
        "HTML-only Gmail: paid through PayPal with a transaction ID (the payment reference)",
        fields={"payment_reference": "5TY05013RG002845M"},
        form="html",
        client="gmail",
        cte="base64",
    ),
    Case(
        86,
        "pagato_bollettino_allego_ricevuta",
        "Angela Bruno <angela.bruno@mail.example.it>",
        "pagamento con bollettino",
        t("""
            Buongiorno, ho pagato col bollettino postale ieri pomeriggio in posta, allego la ricevuta
            fotografata. Fatemi sapere se si legge.
            Angela Bruno
        """),
        ["payment_notice"],
        "postal slip paid, receipt attached, no reference in the text",
        form="attach",
        attachment="ricevuta.pdf",
        charset="iso-8859-1",
        cte="8bit",
    ),
    Case(
        87,
        "cro_ordine_in_oggetto_latin1",
        "Mauro Pellegrino <mauro.pellegrino@pellegrinoinfissi.example.it>",
        "Pagamento ORD-2026-000452",
        t("""
            Buongiorno,
            bonifico disposto in data 12/05, CRO: 88213456701.
            Cordialità
            Mauro Pellegrino
        """),
        ["payment_notice"],
        "latin-1 QP: CRO in the body, the order number only in the subject the sender wrote",
        fields={"order_number": "ORD-2026-000452", "payment_reference": "88213456701"},
        charset="iso-8859-1",
        cte="quoted-printable",
    ),
    Case(
        88,
        "wired_amount_trn_base64",
        "Finance Team <finance@kestrel-analytics.example.com>",
        "Payment confirmation",
        t("""
            Dear Example team,

            We wired the amount for order ORD-2026-001207 yesterday. Our bank's reference is
            TRN 2026031400123456.

            Best regards,
            Finance Team
            Kestrel Analytics Ltd
        """),
        ["payment_notice"],
        "base64 utf-8: wired the amount for an order, TRN reference on the next line",
        fields={"order_number": "ORD-2026-001207", "payment_reference": "2026031400123456"},
        cte="base64",
    ),
    Case(
        89,
        "payment_done_emoji_over_instructions",
        "Sam Okafor <sam.okafor@mail.example.com>",
        "Re: Payment instructions for your order",
        t("""
            Payment done 👍

            Sent from my iPhone
        """),
        ["payment_notice"],
        "'Payment done' with an emoji from a phone; order number, IBAN and amount only in the quote",
        cte="quoted-printable",
        quote=Quote("en_payment", "gt_en", {"user": "okafor", "order": "ORD-2026-000977", "amount": "48.00"}),
    ),
]

# --- billing_update -----------------------------------------------------------------------------------
CASES += [
    Case(
        90,
        "use_my_fiscal_code_on_invoice",
        "Sara Ferrari <sara.ferrari@mail.example.co.uk>",
        "Invoice details",
        t("""
            Hi,

            I live in London but I still file my taxes in Italy, so could you use my fiscal code on the
            invoice? It's FRRSRA90E41A944C. Name and address stay the same.

            Thanks!
            Sara
        """),
        ["billing_update"],
        "English: 'use my fiscal code on the invoice' with a valid codice fiscale",
        fields={"fiscal_code": "FRRSRA90E41A944C"},
        cte="7bit",
        charset="us-ascii",
    ),
    Case(
        91,
        "nuovo_indirizzo_fatturazione_apple",
        "Elena Marino <elena.marino@marinoeventi.example.it>",
        "Nuovo indirizzo",
        t("""
            Buongiorno,

            da questo mese ci siamo trasferiti: il nuovo indirizzo da mettere sulle fatture è
            Via Manzoni 12, 20121 Milano. Tutto il resto (ragione sociale, partita IVA) rimane uguale.

            Grazie
            Elena Marino
            Marino Eventi
        """),
        ["billing_update"],
        "Apple Mail alternative: new billing address, no identifier ('partita IVA rimane uguale' gives none)",
        form="alt",
        client="apple",
        cte="quoted-printable",
    ),
    Case(
        92,
        "nuova_partita_iva_outlook_html",
        "Studio Associato Riva <segreteria@studioriva.example.it>",
        "Aggiornamento partita IVA",
        t("""
            Spett.le Example,

            vi informiamo che lo studio è diventato associazione professionale: la nostra nuova partita IVA
            è 02146780958. Vi preghiamo di aggiornarla in anagrafica prima della prossima fattura.

            Cordiali saluti
            Segreteria Studio Associato Riva
        """),
        ["billing_update"],
        "HTML-only Outlook: new VAT number to update before the next invoice",
        fields={"vat_number": "02146780958"},
        form="html",
        client="outlook",
        cte="quoted-printable",
    ),
    Case(
        93,
        "piva_corretta_check_sbagliato_latin1",
        "Franco Lodi <franco.lodi@lodiimpianti.example.it>",
        "P.IVA errata in fattura",
        t("""
            Buongiorno,
            nella fattura c'è la partita IVA sbagliata, quella giusta è 66240390843. Per favore correggete
            l'anagrafica così la prossima esce giusta.
            Franco Lodi
        """),
        ["billing_update"],
        "latin-1 QP: 'correct' VAT number given by the sender has a wrong check digit (invalid, still billing_update)",
        invalid=[{"field": "vat_number", "value": "66240390843"}],
        charset="iso-8859-1",
        cte="quoted-printable",
    ),
    Case(
        94,
        "vat_with_it_prefix_html",
        "Julia Schneider <julia.schneider@schneider-moda.example.it>",
        "VAT number for invoices",
        t("""
            Hello,

            please add our VAT number to the invoices from now on: IT 03598710246
            (Schneider Moda S.r.l., Bolzano).

            Thank you
            Julia Schneider
        """),
        ["billing_update"],
        "HTML-only webmail: VAT number written with the IT prefix and a space, recorded as 11 digits",
        fields={"vat_number": "03598710246"},
        form="html",
        client="webmail",
        charset="us-ascii",
        cte="7bit",
    ),
    Case(
        95,
        "nuova_pec_maiuscole",
        "Avv. Carla Marino <carla.marino@studiomarino.example.it>",
        "nuova PEC per fatturazione",
        t("""
            Buongiorno,
            vi comunico la nuova PEC dello studio a cui inviare le fatture: StudioMarino@PEC.example.it
            La vecchia casella verrà chiusa a fine mese.
            Avv. Carla Marino
        """),
        ["billing_update"],
        "new PEC written in mixed case (recorded lowercase), QP utf-8",
        fields={"pec": "studiomarino@pec.example.it"},
        cte="quoted-printable",
    ),
    Case(
        96,
        "solo_codice_sdi_base64",
        "Officina Meccanica Bassi <officinabassi@negozi.example.it>",
        "codice SDI",
        t("""
            Buongiorno,
            per la fatturazione elettronica usate il nostro codice SDI: SUBM70N
            Grazie
            Officina Meccanica Bassi
        """),
        ["billing_update"],
        "base64 utf-8: a company gives only its 7-character recipient code ('codice SDI')",
        fields={"recipient_code": "SUBM70N"},
        cte="base64",
    ),
    Case(
        97,
        "fiscal_code_wrong_check_letter",
        "Giuseppe Verdi <gverdi.uk@mail.example.co.uk>",
        "codice fiscale for invoice",
        t("""
            Good evening,
            my accountant says the invoice should carry my Italian codice fiscale. It is VRDGPP72C15L219A.
            Could you reissue future invoices with it?
            Regards, Giuseppe Verdi
        """),
        ["billing_update"],
        "English: fiscal code with a wrong check letter (invalid); asks future invoices to carry it",
        invalid=[{"field": "fiscal_code", "value": "VRDGPP72C15L219A"}],
        cte="7bit",
        charset="us-ascii",
    ),
    Case(
        98,
        "cambio_ragione_sociale_piva_pec_0000000",
        "Bianco & Figli <amministrazione@biancoefigli.example.it>",
        "Variazione dati societari",
        t("""
            Spett.le Example Servizi,

            dal 1° aprile la ditta individuale Bianco Mario è diventata Bianco & Figli S.r.l.
            Vi chiediamo di aggiornare i dati di fatturazione:
              - Ragione sociale: Bianco & Figli S.r.l.
              - Partita IVA: 07733510965
              - PEC: biancoefigli@pec.example.it
              - Codice destinatario: 0000000 (riceviamo tramite PEC)

            Cordiali saluti
            L’amministrazione
        """),
        ["billing_update"],
        "windows-1252 QP: company name change with new VAT, PEC and recipient code 0000000 (delivery by PEC)",
        fields={"vat_number": "07733510965", "pec": "biancoefigli@pec.example.it", "recipient_code": "0000000"},
        charset="windows-1252",
        cte="quoted-printable",
    ),
    Case(
        99,
        "invoice_my_business_instead_gmail",
        "Ethan Harlow <ethan@harlowdesign.example.it>",
        "invoicing",
        t("""
            Hi,

            please invoice my business instead of me personally from now on:
            Harlow Design Srl, VAT 04688230152, recipient code USAL8PV.

            Thanks,
            Ethan
        """),
        ["billing_update"],
        "Gmail alternative: invoice the sender's company, VAT number and recipient code in one line",
        fields={"vat_number": "04688230152", "recipient_code": "USAL8PV"},
        form="alt",
        client="gmail",
        cte="7bit",
        charset="us-ascii",
    ),
]

# --- upgrade_request ----------------------------------------------------------------------------------
CASES += [
    Case(
        100,
        "monthly_to_yearly_billing",
        "Olivia Bennett <olivia@bennettyoga.example.com>",
        "Billing frequency",
        t("""
            Hi,

            Could you switch me from monthly to yearly billing? I've been with you over a year now and the
            annual price works out cheaper.

            Thanks,
            Olivia Bennett
        """),
        ["upgrade_request"],
        "monthly to yearly billing in English",
        cte="quoted-printable",
    ),
    Case(
        101,
        "servono_altri_2_gb_sopra_avviso",
        "Archivio Studio Galli <archivio@studiogalli.example.it>",
        "Re: Spazio di archiviazione quasi esaurito",
        t("""
            Buongiorno,
            in effetti ce ne siamo accorti anche noi: ci servono altri 2 GB di spazio. Procedete pure con
            l'acquisto, pagamento con carta.
            Grazie
            Luca Galli
        """),
        ["upgrade_request"],
        "more storage ('altri 2 GB') above our storage warning at 85%; no years given",
        charset="iso-8859-1",
        cte="quoted-printable",
        quote=Quote("it_storage", "gt_it", {"user": "archivio_galli", "date": "30/11/2026"}),
    ),
    Case(
        102,
        "add_three_more_users_outlook",
        "Hassan Ali <hassan.ali@alisurveyors.example.co.uk>",
        "Extra users",
        t("""
            Good morning,

            Please add 3 more users to our account - we have new surveyors joining on Monday. Invoice the
            extra to the company as usual.

            Regards
            Hassan Ali
            Ali Surveyors LLP
        """),
        ["upgrade_request"],
        "HTML-only Outlook: add 3 more users ('3' is not years)",
        form="html",
        client="outlook",
        cte="quoted-printable",
    ),
    Case(
        103,
        "da_team_a_business_latin1",
        "Tommaso Gatti <tommaso.gatti@gattiingegneria.example.it>",
        "Cambio piano",
        t("""
            Salve,
            siamo cresciuti e il piano TEAM ci sta stretto: vorremmo passare al BUSINESS già da questo mese.
            Mi fate sapere quanto viene la differenza?
            Tommaso Gatti
        """),
        ["upgrade_request"],
        "latin-1 8bit: higher plan, TEAM to BUSINESS",
        charset="iso-8859-1",
        cte="8bit",
    ),
    Case(
        104,
        "need_business_plan_thunderbird",
        "Anna Kowalski <anna.kowalski@kowalski-tax.example.pl>",
        "Business plan",
        t("""
            Hello,

            Our team has grown to nine people, so we need the Business plan from next month. The Team plan
            doesn't give us enough shared folders.

            Best regards,
            Anna Kowalski
        """),
        ["upgrade_request"],
        "Thunderbird alternative: move up to the Business plan without the word 'upgrade'",
        form="alt",
        client="thunderbird",
        cte="quoted-printable",
    ),
    Case(
        105,
        "archivio_quasi_pieno_aggiungete_spazio_outlook",
        "Segreteria Scuola di Musica Verdi <segreteria@scuolaverdi.example.it>",
        "R: Spazio di archiviazione quasi esaurito",
        t("""
            Gentili signori,

            abbiamo letto l'avviso: l'archivio è quasi pieno. Aggiungete lo spazio che serve fino alla
            scadenza, come da vostra stima.

            Cordiali saluti
            La segreteria
        """),
        ["upgrade_request"],
        "HTML-only Outlook reply to our storage warning: add the space we estimated (the '2 GB' is only in the quote)",
        form="html",
        client="outlook",
        charset="windows-1252",
        cte="quoted-printable",
        quote=Quote("it_storage", "outlook_it", {"user": "scuola_verdi", "date": "15/09/2026"}),
    ),
    Case(
        106,
        "another_mailbox_user_new_employee",
        "Mark Evans <mark.evans@evans-estate.example.com>",
        "new starter",
        t("""
            Hi,
            We need another mailbox user for our new employee, Jenny, who starts on the 1st. Can you set that
            up and bill us?
            Mark
        """),
        ["upgrade_request"],
        "one more user for a new employee (an add-on), plain 7bit",
        cte="7bit",
        charset="us-ascii",
    ),
    Case(
        107,
        "potenziare_abbonamento_base64_cp1252",
        "Farmacia Colombo <farmacia.colombo@negozi.example.it>",
        "potenziamento abbonamento",
        t("""
            Buongiorno,
            vorremmo potenziare l’abbonamento: ci serve più spazio per le ricette scansionate e almeno altri
            due utenti per le nuove dottoresse.
            Attendiamo un preventivo.
            Farmacia Colombo
        """),
        ["upgrade_request"],
        "base64 windows-1252: more storage and two more users ('potenziare l'abbonamento')",
        charset="windows-1252",
        cte="base64",
    ),
]

# --- cancellation -------------------------------------------------------------------------------------
CASES += [
    Case(
        108,
        "non_rinnovate_sotto_promemoria",
        "Claudio Orlando <claudio.orlando@mail.example.it>",
        "Re: Il servizio scade il 31/05/2026",
        t("""
            non rinnovate, grazie
        """),
        ["cancellation"],
        "three words 'non rinnovate, grazie' above a quoted reminder offering 1, 2 or 3 years",
        cte="8bit",
        quote=Quote("it_reminder", "gt_it", {"user": "corlando", "date": "31/05/2026"}),
    ),
    Case(
        109,
        "please_cancel_my_subscription",
        "Wendy Clark <wendy.clark@mail.example.com>",
        "Re: Your service expires on 10 June 2026",
        t("""
            Hello,

            Please cancel my subscription. We don't use the cameras any more since we moved.

            Regards,
            Wendy Clark
        """),
        ["cancellation"],
        "'please cancel my subscription' above a quoted reminder",
        cte="7bit",
        charset="us-ascii",
        quote=Quote("en_reminder", "gt_en", {"user": "clark-home", "date": "10 June 2026"}),
    ),
    Case(
        110,
        "no_longer_need_service_html",
        "Ian Foster <ian.foster@fosterarch.example.com>",
        "Service no longer needed",
        t("""
            Hi,

            I'm retiring at the end of the month and closing the practice, so I no longer need the service.
            Thank you for the years of reliable work.

            Ian Foster
        """),
        ["cancellation"],
        "HTML-only: 'I no longer need the service' (practice closing)",
        form="html",
        client="webmail",
        cte="quoted-printable",
    ),
    Case(
        111,
        "impianto_dismesso_disdetta_latin1",
        "Logistica Fabbri <logistica@fabbritrasporti.example.it>",
        "Disdetta magazzino2",
        t("""
            Buongiorno,
            abbiamo dismesso l'impianto del secondo magazzino (utente magazzino2): vi diamo disdetta del
            servizio, non rinnovatelo alla scadenza.
            Cordiali saluti
            Ufficio logistica
        """),
        ["cancellation"],
        "latin-1 QP: 'disdetta' of a decommissioned installation with its username",
        fields={"username": "magazzino2"},
        charset="iso-8859-1",
        cte="quoted-printable",
    ),
    Case(
        112,
        "do_not_renew_other_provider_outlook",
        "Karen Mills <karen.mills@millsvet.example.co.uk>",
        "Do not renew",
        t("""
            Hello,

            Do not renew our subscription, we're moving to another provider that our new software supplier
            includes in their package.

            Kind regards,
            Karen Mills
            Practice Manager, Mills Veterinary Surgery
        """),
        ["cancellation"],
        "Outlook multipart/alternative: 'do not renew', moving to another provider",
        form="alt",
        client="outlook",
        cte="quoted-printable",
    ),
    Case(
        113,
        "attivita_chiusa_rimborso_iban_errato_cp1252",
        "Giorgia Landi <giorgia.landi@mail.example.it>",
        "chiusura attività",
        t("""
            Buongiorno,
            purtroppo l’attività ha chiuso a marzo e il servizio non ci serve più: chiudetelo pure.
            Se mi spetta qualcosa per i mesi non usati, l’IBAN è IT59X0503411701000000987655.
            Grazie di tutto
            Giorgia Landi
        """),
        ["cancellation"],
        "windows-1252 8bit: business closed, close the service; refund IBAN given with a wrong check (invalid)",
        invalid=[{"field": "iban", "value": "IT59X0503411701000000987655"}],
        charset="windows-1252",
        cte="8bit",
    ),
    Case(
        114,
        "delete_account_refund_iban",
        "Henrik Larsen <henrik.larsen@mail.example.dk>",
        "delete my account",
        t("""
            Hi,

            Please delete my account and all the recordings. If there's any refund due for the unused
            months, my IBAN is IT61 E020 0801 6000 0010 5432 178 (I have an Italian account).

            Henrik
        """),
        ["cancellation"],
        "delete account and data; a valid refund IBAN written in groups (recorded without spaces)",
        fields={"iban": "IT61E0200801600000105432178"},
        cte="7bit",
        charset="us-ascii",
    ),
    Case(
        115,
        "disdico_con_effetto_dalla_scadenza_outlook",
        "Dott. Renato Caruso <renato.caruso@studiocaruso.example.it>",
        "Disdetta servizio archivio",
        t("""
            Spett.le Example Servizi S.r.l.,

            con la presente disdico il servizio di archivio documentale con effetto dalla prossima scadenza
            contrattuale. Vi prego di confermarmi la ricezione della presente.

            Distinti saluti
            Dott. Renato Caruso
        """),
        ["cancellation"],
        "HTML-only Outlook formal letter: 'disdico il servizio con effetto dalla scadenza'",
        form="html",
        client="outlook",
        charset="iso-8859-1",
        cte="quoted-printable",
    ),
    Case(
        116,
        "non_lo_rinnovo_piu_base64",
        "mimmo <mimmo.russo77@mail.example.it>",
        "telecamere",
        t("""
            ciao non lo rinnovo piu, il tecnico mi ha messo un altro sistema con la sua app. buona giornata
        """),
        ["cancellation"],
        "base64, lowercase, no accents: 'non lo rinnovo piu' (another system installed)",
        cte="base64",
    ),
]

# --- invoice_request ----------------------------------------------------------------------------------
CASES += [
    Case(
        117,
        "non_trovo_fattura_marzo",
        "Patrizia Donati <patrizia.donati@donativiaggi.example.it>",
        "fattura rinnovo marzo",
        t("""
            Buongiorno,
            non trovo la fattura del rinnovo di marzo, né nella posta né nel portale. Potete reinviarla?
            Grazie
            Patrizia Donati
        """),
        ["invoice_request"],
        "cannot find the March renewal invoice, resend it",
        cte="quoted-printable",
    ),
    Case(
        118,
        "accountant_needs_last_year_invoice",
        "Rebecca Stone <rebecca.stone@stone-consulting.example.com>",
        "Invoice for our accountant",
        t("""
            Hello,

            Our accountant needs the invoice for last year's payment for the year-end file. Could you email
            it to me? I can't see a download link anywhere.

            Thank you,
            Rebecca
        """),
        ["invoice_request"],
        "Apple Mail alternative: invoice for last year's payment",
        form="alt",
        client="apple",
        cte="quoted-printable",
    ),
    Case(
        119,
        "fattura_in_pdf_gmail_html",
        "Simone Vitale <simone.vitale@mail.example.it>",
        "fattura pdf",
        t("""
            Ciao, mi serve la fattura in PDF dell'ultimo pagamento, quella che mi è arrivata è solo l'XML e
            non riesco ad aprirla.
            Grazie mille
            Simone
        """),
        ["invoice_request"],
        "HTML-only Gmail: needs the invoice as PDF (only got the XML)",
        form="html",
        client="gmail",
        cte="base64",
    ),
    Case(
        120,
        "copy_2025_invoices_for_mrossi",
        "Marco Rossi <marco.rossi@rossilondon.example.co.uk>",
        "2025 invoices",
        t("""
            Hi,
            Please send me a copy of the 2025 invoices for the account mrossi. Both renewals, if there
            were two.
            Thanks
            Marco
        """),
        ["invoice_request"],
        "copy of a year's invoices for a named account (username), '2025' is not a years count",
        fields={"username": "mrossi"},
        cte="7bit",
        charset="us-ascii",
    ),
    Case(
        121,
        "duplicato_fattura_numero_cp1252",
        "Ristorante Da Gino <info@ristorantedagino.example.it>",
        "duplicato fattura",
        t("""
            Buongiorno,
            ci servirebbe il duplicato della fattura n. 2026/0456, il commercialista dice che l’originale
            non gli è mai arrivato.
            Grazie, Gino
        """),
        ["invoice_request"],
        "windows-1252 QP: duplicate of an invoice by its number (not an order number)",
        charset="windows-1252",
        cte="quoted-printable",
    ),
    Case(
        122,
        "resend_invoice_2025_order_html",
        "Accounts - Blue Fern Hotel <accounts@bluefernhotel.example.com>",
        "Invoice copy - ORD-2025-004512",
        t("""
            Dear colleagues,

            Could you resend the invoice for ORD-2025-004512? It was never received by our accounts inbox.

            Kind regards,
            Accounts Department
            Blue Fern Hotel
        """),
        ["invoice_request"],
        "HTML-only Outlook: resend the invoice for a 2025 order number (in subject and body)",
        fields={"order_number": "ORD-2025-004512"},
        form="html",
        client="outlook",
        cte="quoted-printable",
    ),
]

# --- multi-request ------------------------------------------------------------------------------------
CASES += [
    Case(
        123,
        "renew_two_years_and_enable_autorenew",
        "Paul Fischer <paul.fischer@fischer-haus.example.de>",
        "Re: Your service expires on 18 May 2026",
        t("""
            Hello,

            yes, please renew for two years, and while you're at it enable auto-renew so I don't get
            caught out next time. Card is fine for both.

            Paul
        """),
        ["renewal_request", "autorenew_on"],
        "multi: renew for two years + enable auto-renew, above a quoted reminder",
        fields={"years": 2},
        cte="quoted-printable",
        quote=Quote("en_reminder", "gt_en", {"user": "fischer-haus", "date": "18 May 2026"}),
    ),
    Case(
        124,
        "annuale_e_rinnovo_automatico_outlook",
        "Cristina Leoni <cristina.leoni@leonidesign.example.it>",
        "Abbonamento annuale",
        t("""
            Buongiorno,

            vorrei passare dall'abbonamento mensile a quello annuale e, già che ci siamo, attivare il rinnovo
            automatico con la carta aziendale che avete già.

            Grazie
            Cristina Leoni
        """),
        ["upgrade_request", "autorenew_on"],
        "multi HTML-only Outlook: monthly to annual + switch on automatic renewal on the card already stored",
        form="html",
        client="outlook",
        cte="quoted-printable",
    ),
    Case(
        125,
        "fiscal_code_on_invoice_and_renew",
        "Luca Costa <luca.costa@mail.example.co.uk>",
        "renewal + invoice details",
        t("""
            Hi,

            I'd like to renew for another year. This time please put my codice fiscale on the invoice:
            CSTLCU68H23D612Q.

            Cheers,
            Luca
        """),
        ["billing_update", "renewal_request"],
        "multi in English: renew 'for another year' + fiscal code on the invoice",
        fields={"years": 1, "fiscal_code": "CSTLCU68H23D612Q"},
        cte="7bit",
        charset="us-ascii",
    ),
    Case(
        126,
        "bonifico_trn_e_fattura_latin1",
        "Amministrazione Ottica Moretti <amministrazione@otticamoretti.example.it>",
        "R: Istruzioni per il pagamento",
        t("""
            Buongiorno,
            abbiamo eseguito il bonifico, TRN 1101253480054203. Appena registrato ci inviate la fattura? Ci
            serve entro fine mese per la contabilità.
            Saluti
            Amministrazione
        """),
        ["payment_notice", "invoice_request"],
        "multi latin-1 QP: transfer made with TRN + please send the invoice; order and IBAN only in the quote",
        fields={"payment_reference": "1101253480054203"},
        charset="iso-8859-1",
        cte="quoted-printable",
        quote=Quote(
            "it_payment", "original_it", {"user": "ottica-moretti", "order": "ORD-2026-000822", "amount": "97,60"}
        ),
    ),
    Case(
        127,
        "renew_three_years_add_storage_gmail",
        "Dana Whitaker <dana@whitaker-archive.example.com>",
        "renewal and storage",
        t("""
            Hi,

            We'll renew the archive for 3 years, and please add 5 GB of storage at the same time - we're
            scanning the old paper files this summer.

            Dana
        """),
        ["upgrade_request", "renewal_request"],
        "multi Gmail alternative: renewal for 3 years + 5 GB more storage",
        fields={"years": 3},
        form="alt",
        client="gmail",
        cte="quoted-printable",
    ),
    Case(
        128,
        "togliete_automatico_rinnovo_bonifico_un_anno",
        "Alberto Serra <alberto.serra@serraelettrica.example.it>",
        "R: Addebito non riuscito",
        t("""
            Buongiorno,
            la carta è scaduta e non ho intenzione di metterne un'altra: togliete il rinnovo automatico e
            rinnovate per 1 anno, pago con bonifico. Mandatemi i dati.
            Alberto Serra
        """),
        ["renewal_request", "autorenew_off"],
        "multi: card expired but no card change wanted; renewal 1 year by transfer + automatic renewal off",
        fields={"years": 1},
        charset="windows-1252",
        cte="8bit",
        quote=Quote("it_card", "outlook_it", {"user": "serra-elettrica", "last4": "6620"}),
    ),
    Case(
        129,
        "renew_shop_cancel_warehouse",
        "Nadia Petrova <nadia.petrova@petrova-trading.example.com>",
        "shop yes, warehouse no",
        t("""
            Hello,

            Please renew the shop cameras as usual, but cancel the warehouse one (username warehouse-2) -
            we've given up that unit.

            Regards,
            Nadia Petrova
        """),
        ["renewal_request", "cancellation"],
        "multi: renew one service, cancel another whose username is given",
        fields={"username": "warehouse-2"},
        cte="7bit",
        charset="us-ascii",
    ),
    Case(
        130,
        "bonifico_cro_e_codice_fiscale_apple",
        "Francesco Marino <francesco.marino@mail.example.it>",
        "pagamento e codice fiscale",
        t("""
            Buonasera,

            fatto il bonifico (CRO 45123987012). In fattura per favore mettete il mio codice fiscale,
            MRNFNC77B12G273H, che l'altra volta mancava.

            Francesco Marino
        """),
        ["billing_update", "payment_notice"],
        "multi Apple Mail alternative: payment with CRO + fiscal code on the invoice",
        fields={"payment_reference": "45123987012", "fiscal_code": "MRNFNC77B12G273H"},
        form="alt",
        client="apple",
        cte="quoted-printable",
    ),
    Case(
        131,
        "autorenew_off_and_close_at_expiry",
        "Brian Murphy <brian.murphy@murphybikes.example.ie>",
        "Re: Automatic renewal notice",
        t("""
            Hi,

            Turn off the auto renew please, and close the account when it runs out - we're shutting the
            shop in June.

            Brian
        """),
        ["autorenew_off", "cancellation"],
        "multi: auto renew off + close the account at expiry, above the quoted automatic renewal notice",
        cte="7bit",
        charset="us-ascii",
        quote=Quote("en_autorenew", "gt_en", {"user": "murphy-bikes", "date": "2 June 2026", "amount": "59.00"}),
    ),
    Case(
        132,
        "rinnovo_un_anno_e_fattura_anno_scorso",
        "Rita Bellini <rita.bellini@mail.example.it>",
        "rinnovo",
        t("""
            Salve,
            rinnovo per un anno, pago con PayPal. E mandatemi per favore la fattura dell'anno scorso, non la
            trovo più.
            Rita
        """),
        ["renewal_request", "invoice_request"],
        "multi QP utf-8: renewal for one year + last year's invoice",
        fields={"years": 1},
        cte="quoted-printable",
    ),
    Case(
        133,
        "paid_and_put_vat_on_invoice",
        "Kai Müller <kai.mueller@mueller-werkstatt.example.it>",
        "payment / VAT",
        t("""
            Hi,

            Payment sent this morning, bank reference CRO 70233419856.
            Please put our VAT number 01544320987 on the invoice, it's for the Merano workshop.

            Thanks,
            Kai Müller
        """),
        ["billing_update", "payment_notice"],
        "multi English, utf-8 name: payment with CRO + VAT number on the invoice",
        fields={"payment_reference": "70233419856", "vat_number": "01544320987"},
        cte="8bit",
    ),
    Case(
        134,
        "business_e_nuova_ragione_sociale_cp1252",
        "Marchetti Costruzioni <info@marchetticostruzioni.example.it>",
        "Passaggio a BUSINESS e nuovi dati",
        t("""
            Buongiorno,
            due cose:
            1. vorremmo passare dal piano TEAM al piano BUSINESS;
            2. da maggio siamo diventati Marchetti Costruzioni S.p.A., quindi le fatture vanno intestate alla
               nuova società, P.IVA 14419550562.
            Grazie, l’ufficio amministrativo
        """),
        ["billing_update", "upgrade_request"],
        "multi windows-1252 QP: TEAM to BUSINESS + new company name and VAT number",
        fields={"vat_number": "14419550562"},
        charset="windows-1252",
        cte="quoted-printable",
    ),
    Case(
        135,
        "paid_by_transfer_then_autorenew_paypal",
        "Lena Vogel <lena.vogel@mail.example.at>",
        "Re: Payment instructions for your order",
        t("""
            Hello,

            I've paid this year's renewal by bank transfer (ref. 0306911122233344). From next year please
            enable automatic renewal with my PayPal instead, transfers are a pain from Austria.

            Lena
        """),
        ["payment_notice", "autorenew_on"],
        "multi: transfer made with reference + automatic renewal on via PayPal from next year",
        fields={"payment_reference": "0306911122233344"},
        cte="quoted-printable",
        quote=Quote("en_payment", "gt_en", {"user": "vogel", "order": "ORD-2026-000856", "amount": "61.00"}),
    ),
    Case(
        136,
        "disdetta_archivio_spazio_casella",
        "Studio Legale Conti <segreteria@studiolegaleconti.example.it>",
        "archivio e casella",
        t("""
            Buongiorno,

            l'archivio documentale non lo usiamo più, quindi non rinnovatelo. La casella di fatturazione
            invece ci serve, e anzi ci servirebbe più spazio: aggiungete 1 GB.

            Grazie
            Segreteria Studio Legale Conti
        """),
        ["upgrade_request", "cancellation"],
        "multi HTML-only Thunderbird: do not renew the archive + 1 GB more on the mailbox",
        form="html",
        client="thunderbird",
        charset="iso-8859-1",
        cte="quoted-printable",
    ),
    Case(
        137,
        "invoice_and_payment_order_number",
        "Victor Hugo Santos <victor.santos@santos-imports.example.com>",
        "ORD-2026-000918 paid",
        t("""
            Good morning,

            We paid ORD-2026-000918 by wire on Friday. Could you send the invoice as soon as it is registered?
            Our year-end closes next week.

            Best,
            Victor Santos
        """),
        ["payment_notice", "invoice_request"],
        "multi: order paid by wire (order number in subject and body, no reference) + send the invoice",
        fields={"order_number": "ORD-2026-000918"},
        cte="7bit",
        charset="us-ascii",
    ),
    Case(
        138,
        "rinnova_tutti_due_anni_spazio_fattura",
        "Villaggio Le Querce <direzione@lequerce.example.it>",
        "Rinnovo impianti villaggio",
        t("""
            Buongiorno,

            rinnovate tutti i dispositivi del villaggio per 2 anni. Aggiungete anche spazio per le
            registrazioni, che d'estate finisce sempre, e mandateci la fattura alla fine.

            Grazie
            La direzione
        """),
        ["upgrade_request", "renewal_request", "invoice_request"],
        "multi (3) base64 utf-8: renew all devices 2 years + more storage + invoice",
        fields={"years": 2},
        cte="base64",
    ),
    Case(
        139,
        "new_card_and_invoice_copy_outlook",
        "Jessica Hall <jessica.hall@hallpilates.example.com>",
        "RE: We could not renew your service",
        t("""
            Hi,

            Sorry about that - my bank replaced my card after it expired. How do I add the new card for the
            renewal? And can you resend last year's invoice? I lost it when my laptop died.

            Jess
        """),
        ["card_change", "invoice_request"],
        "multi HTML-only Outlook: add the new card + resend last year's invoice; card ending only in the quote",
        form="html",
        client="outlook",
        cte="quoted-printable",
        quote=Quote("en_card", "outlook_en", {"user": "hall-pilates", "last4": "9054"}),
    ),
    Case(
        140,
        "rinnovo_fattura_al_marito",
        "Sonia Pellegrini <sonia.pellegrini@mail.example.it>",
        "rinnovo e intestazione",
        t("""
            Buonasera,
            rinnoviamo per un anno. Però quest'anno la fattura intestatela a mio marito, Marco Pellegrini,
            codice fiscale PLLMRC83D09E506S, perché la detrazione la fa lui.
            Grazie
            Sonia
        """),
        ["billing_update", "renewal_request"],
        "multi: renewal one year + invoice in the husband's name with his fiscal code",
        fields={"years": 1, "fiscal_code": "PLLMRC83D09E506S"},
        cte="8bit",
    ),
    Case(
        141,
        "autorenew_off_and_invoice",
        "Thomas Berg <thomas.berg@bergtech.example.no>",
        "two requests",
        t("""
            Hello,

            1) Please switch off automatic renewal on our account.
            2) We never got the invoice for the last automatic charge in March - can you send it?

            Regards,
            Thomas Berg
        """),
        ["autorenew_off", "invoice_request"],
        "multi in a numbered list: automatic renewal off + invoice for the last charge",
        form="alt",
        client="webmail",
        cte="7bit",
        charset="us-ascii",
    ),
    Case(
        142,
        "renew_five_years_already_sent_transfer",
        "Margaret Doyle <margaret.doyle@doylefarm.example.ie>",
        "five years",
        t("""
            Dear Sirs,

            We would like to renew for five years this time, and I have already sent the transfer for it
            (bank reference 27144093365). Please let me know if the amount was not right.

            Yours sincerely,
            Margaret Doyle
        """),
        ["renewal_request", "payment_notice"],
        "multi: renewal for five years + transfer already sent with a reference",
        fields={"years": 5, "payment_reference": "27144093365"},
        cte="quoted-printable",
    ),
]

# --- other --------------------------------------------------------------------------------------------
CASES += [
    Case(
        143,
        "quanto_costa_tre_anni_bonifico",
        "Gianni Ferri <gianni.ferri@mail.example.it>",
        "info prezzi",
        t("""
            Buongiorno, prima di decidere volevo sapere quanto costa il rinnovo per 3 anni con bonifico e se
            c'è uno sconto rispetto a rinnovare ogni anno.
            Grazie
            Gianni Ferri
        """),
        ["other"],
        "price question about a 3-year renewal by transfer, before deciding: no request, no years field",
        cte="quoted-printable",
    ),
    Case(
        144,
        "thanks_all_good_over_confirmation",
        "Noah Fischer <noah.fischer@mail.example.com>",
        "Re: Your renewal is complete",
        t("""
            Thanks, all good!
        """),
        ["other"],
        "thanks only, above a quoted confirmation holding order number, username and '2 years'",
        cte="7bit",
        charset="us-ascii",
        quote=Quote(
            "en_done",
            "gt_en",
            {"user": "fischer-cabin", "order": "ORD-2026-000931", "years": "2 years", "date": "30 May 2028"},
        ),
    ),
    Case(
        145,
        "portale_lentissimo_outlook",
        "Ferramenta Bruni <ferramentabruni@negozi.example.it>",
        "portale lentissimo",
        t("""
            Buongiorno,

            da una settimana il portale è lentissimo e le telecamere del retro non si vedono quasi mai.
            Paghiamo un servizio e vorremmo che funzionasse. Potete controllare?

            Ferramenta Bruni
        """),
        ["other"],
        "HTML-only Outlook complaint about the portal being slow (a support matter, no listed request)",
        form="html",
        client="outlook",
        charset="windows-1252",
        cte="quoted-printable",
    ),
    Case(
        146,
        "team_vs_business_question",
        "Sophie Turner <sophie.turner@turnerlaw.example.com>",
        "Plans question",
        t("""
            Hi,

            What exactly is the difference between TEAM and BUSINESS? We're four people now, maybe six next
            year. I don't want to change anything yet, just trying to understand.

            Thanks,
            Sophie
        """),
        ["other"],
        "Gmail alternative: question on plan differences, explicitly no change requested",
        form="alt",
        client="gmail",
        cte="quoted-printable",
    ),
    Case(
        147,
        "ricevuto_grazie_html_quote_iban",
        "Maria Grazia Testa <mariagrazia.testa@mail.example.it>",
        "R: Ordine in attesa di pagamento",
        t("""
            Ricevuto, grazie mille. Buona giornata.

            Maria Grazia Testa
        """),
        ["other"],
        "HTML-only Outlook 'ricevuto, grazie' above a quote with order number, IBAN, '2 anni' and an example CIG",
        form="html",
        client="outlook",
        charset="iso-8859-1",
        cte="quoted-printable",
        quote=Quote(
            "it_payment_pa",
            "outlook_it",
            {"user": "mgtesta", "order": "ORD-2026-000870", "years": "2 anni", "amount": "98,00"},
        ),
    ),
    Case(
        148,
        "seo_services_spam",
        "Growth Team <hello@rank-boost.example.net>",
        "Quick question about example.it",
        t("""
            Hi there,

            I was checking example.it and noticed it isn't ranking on page one for "renewal software".
            We help businesses like yours triple organic traffic in 3 months. Would you be open to a quick
            15-minute call this week?

            Best,
            Growth Team
        """),
        ["other"],
        "unrelated cold sales pitch ('3 months' is not a renewal)",
        form="alt",
        client="webmail",
        cte="7bit",
        charset="us-ascii",
    ),
    Case(
        149,
        "quando_passa_il_tecnico",
        "Ornella Rizzo <ornella.rizzo@mail.example.it>",
        "telecamera cancello",
        t("""
            buongiorno la telecamera del cancello è staccata da domenica, si vede tutto nero. il tecnico
            quando passa? sono a casa tutti i pomeriggi
            ornella rizzo
        """),
        ["other"],
        "support question (camera offline, when will the technician come), lowercase",
        charset="iso-8859-1",
        cte="8bit",
    ),
    Case(
        150,
        "where_are_servers_gdpr_html",
        "DPO - Lakeside Clinic <dpo@lakesideclinic.example.com>",
        "GDPR question",
        t("""
            Dear Sir/Madam,

            As part of our annual GDPR review, could you tell us where your servers are located and whether
            the recordings are stored inside the EU? A copy of your data processing agreement would also help.

            Regards,
            Data Protection Officer
            Lakeside Clinic
        """),
        ["other"],
        "HTML-only webmail: GDPR question on server location and the DPA (no listed request)",
        form="html",
        client="webmail",
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
