# ruff: noqa: E501
# (the message bodies are corpus text: their long lines are the messages as people write them)
"""The pa_* reply cases: writes the generated ones (pa_046 on) and checks every pa_* pair.

    python tests/replies/_generate_pa.py          # (re)write the generated cases
    python tests/replies/_generate_pa.py --check  # check every pa_* pair (hand-written ones too)

pa_001 to pa_045 are written by hand and are not touched here. Every generated case below is its own
message (body, sender, layout, encoding written for it); the helpers only assemble the MIME parts, the
quoted copies of our own emails and some signatures and disclaimers. The golden answer of each case is
written from what its message says, never from the parser's output.
"""

from __future__ import annotations

import base64
import email
import email.policy
import json
import quopri
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
PREFIX = "pa"

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


# --------------------------------------------------------------------------------------------------
# checks of single values


def cig_ok(c: str) -> bool:
    if re.fullmatch(r"\d{7}[0-9A-F]{3}", c):
        return c[7:] == "%03X" % (int(c[:7]) * 211 % 4091)
    if re.fullmatch(r"[XYZ][0-9A-F]{9}", c):
        return int(c[1:3], 16) == int(c[3:], 16) * 211 % 251
    if re.fullmatch(r"[A-U][0-9A-F]{9}", c):
        return int(c[7:], 16) == (int(c[1:7], 16) + ord(c[0]) - 64) * 211 % 4091
    return False


def value_ok(field: str, v: object) -> bool:
    from stdnum import iban
    from stdnum.it import codicefiscale, iva

    if field == "years":
        return isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 10
    if not isinstance(v, str):
        return False
    if field == "cig":
        return cig_ok(v)
    if field == "cup":
        return bool(re.fullmatch(r"[A-Z]\d{2}[A-Z]\d{11}", v))
    if field == "office_code":
        return bool(re.fullmatch(r"[A-Z0-9]{6}", v))
    if field == "recipient_code":
        return bool(re.fullmatch(r"[A-Z0-9]{7}", v))
    if field == "vat_number":
        return bool(re.fullmatch(r"\d{11}", v)) and iva.is_valid(v)
    if field == "fiscal_code":
        return bool(re.fullmatch(r"[A-Z0-9]{16}|\d{11}", v)) and codicefiscale.is_valid(v)
    if field == "pec":
        return v == v.lower() and bool(re.fullmatch(r"[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)+", v))
    if field == "iban":
        return v == v.upper() and " " not in v and iban.is_valid(v)
    if field == "order_number":
        return bool(re.fullmatch(r"ORD-\d{4}-\d{6}", v))
    if field == "payment_reference":
        return v == v.upper() and bool(re.fullmatch(r"[A-Z0-9/-]{6,40}", v))
    if field == "username":
        return v == v.lower() and bool(re.fullmatch(r"[a-z0-9._@-]{3,40}", v))
    return False


def invalid_fails(field: str, value: object) -> bool:
    """An `invalid` entry's value, normalised like a field value would be, must fail its check."""
    if field == "years":
        return isinstance(value, int) and not 1 <= value <= 10
    if not isinstance(value, str):
        return False
    v = value.strip()
    if field in ("cig", "cup", "office_code", "recipient_code", "fiscal_code", "iban"):
        v = re.sub(r"\s", "", v).upper()
    if field == "vat_number":
        v = re.sub(r"^IT", "", re.sub(r"\s", "", v.upper()))
    return not value_ok(field, v)


def message_text(raw: bytes) -> str:
    """Subject plus every decoded text part, for the check that each golden value is in the message."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    parts = [str(msg.get("Subject", ""))]
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())
        elif part.get_content_type() == "message/rfc822":
            continue
    text = "\n".join(parts)
    text = re.sub(r"<[^>]+>", " ", text)
    import html

    return html.unescape(text)


def check(run_parser: bool = True) -> int:
    errors: list[str] = []
    emls = sorted(HERE.glob(f"{PREFIX}_*.eml"))
    jsons = sorted(HERE.glob(f"{PREFIX}_*.json"))
    names_e = {p.stem for p in emls}
    names_j = {p.stem for p in jsons}
    for missing in sorted(names_e ^ names_j):
        errors.append(f"{missing}: .eml without .json or the reverse")
    ids: dict[str, str] = {}
    counts: dict[str, int] = {}
    multi = html_only = english = 0
    for path in emls:
        name = path.stem
        if not re.fullmatch(rf"{PREFIX}_\d{{3}}_[a-z0-9_]+", name):
            errors.append(f"{name}: bad name")
        jpath = path.with_suffix(".json")
        if not jpath.exists():
            continue
        gold = json.loads(jpath.read_text(encoding="utf-8"))
        if set(gold) != {"intents", "fields", "invalid", "note"}:
            errors.append(f"{name}: keys {sorted(gold)}")
            continue
        intents = gold["intents"]
        if intents == ["other"]:
            pass
        elif not intents or any(i not in ORDER for i in intents):
            errors.append(f"{name}: bad intents {intents}")
        elif [ORDER.index(i) for i in intents] != sorted({ORDER.index(i) for i in intents}):
            errors.append(f"{name}: intents out of order or repeated {intents}")
        for i in intents:
            counts[i] = counts.get(i, 0) + 1
        multi += len(intents) > 1
        if not isinstance(gold["note"], str) or not gold["note"] or "\n" in gold["note"]:
            errors.append(f"{name}: note")
        raw = path.read_bytes()
        text = message_text(raw)
        flat = re.sub(r"\s", "", text).upper()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        for header in ("From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"):
            if msg.get(header) is None:
                errors.append(f"{name}: no {header}")
        mid = str(msg.get("Message-ID", ""))
        if mid != f"<{name}@client.example.org>":
            errors.append(f"{name}: Message-ID {mid}")
        if mid in ids:
            errors.append(f"{name}: Message-ID also in {ids[mid]}")
        ids[mid] = name
        to = str(msg.get("To", ""))
        if not re.search(r"rinnovi(\+[A-Za-z0-9]{8,16})?@example\.it", to):
            errors.append(f"{name}: To {to}")
        if msg.get_content_type() == "text/html":
            html_only += 1
        lang = gold["note"]
        english += lang.startswith("EN")
        fields = gold["fields"]
        for key, value in fields.items():
            if key not in FIELD_KEYS:
                errors.append(f"{name}: unknown field {key}")
                continue
            values = value if key in ("cig", "cup") else [value]
            if key in ("cig", "cup") and (not isinstance(value, list) or not value):
                errors.append(f"{name}: {key} must be a non-empty list")
            for v in values:
                if not value_ok(key, v):
                    errors.append(f"{name}: {key}={v!r} fails its check")
                elif key != "years" and re.sub(r"\s", "", str(v)).upper() not in flat:
                    errors.append(f"{name}: {key}={v!r} not in the message text")
        if not isinstance(gold["invalid"], list):
            errors.append(f"{name}: invalid must be a list")
        for item in gold["invalid"]:
            if set(item) != {"field", "value"} or item["field"] not in FIELD_KEYS:
                errors.append(f"{name}: bad invalid item {item}")
                continue
            if not invalid_fails(item["field"], item["value"]):
                errors.append(f"{name}: invalid {item} passes its check")
            if item["field"] != "years" and str(item["value"]) not in text:
                errors.append(f"{name}: invalid value {item['value']!r} not written so in the message")
    if run_parser:
        exe = HERE.parents[1] / ".venv" / "bin" / "mailbot"
        for path in emls:
            done = subprocess.run([str(exe), "parse", "--json", str(path)], capture_output=True, check=False)
            if done.returncode != 0:
                errors.append(f"{path.stem}: mailbot parse exit {done.returncode}: {done.stderr[-300:]!r}")
    for e in errors:
        print("ERROR", e)
    print(f"cases: {len(emls)}  multi-request: {multi}  HTML-only: {html_only}  English: {english}")
    for i in [*ORDER, "other"]:
        print(f"  {i}: {counts.get(i, 0)}")
    return 1 if errors else 0


# --------------------------------------------------------------------------------------------------
# assembling a message


def _token(slug: str) -> str:
    import hashlib

    digest = hashlib.sha1(slug.encode()).hexdigest()
    alnum = "".join(c.upper() if int(c, 16) % 3 == 0 and c.isalpha() else c for c in digest)
    return alnum[: 8 + int(digest[0], 16) % 9]


def _date(num: int) -> str:
    import datetime

    start = datetime.datetime(2026, 1, 12)
    when = start + datetime.timedelta(
        days=num * 4 // 10, hours=8 + (num * 5) % 10, minutes=(num * 53) % 60, seconds=num % 60
    )
    if when.weekday() >= 5:
        when += datetime.timedelta(days=7 - when.weekday())
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return f"{days[when.weekday()]}, {when.day:02d} {months[when.month - 1]} {when.year} {when:%H:%M:%S} +0100"


def _header(value: str) -> str:
    from email.header import Header

    if all(ord(c) < 128 for c in value):
        return value
    return Header(value, "utf-8").encode()


def _address(value: str) -> str:
    """'Name <addr>' with a non-ASCII name encoded; a bare address as it is."""
    from email.utils import formataddr, parseaddr

    if all(ord(c) < 128 for c in value):
        return value
    name, addr = parseaddr(value)
    return formataddr((name, addr), charset="utf-8")


def _encode(text: str, charset: str, enc: str) -> bytes:
    data = text.encode(charset)
    if enc == "qp":
        return quopri.encodestring(data)
    if enc == "b64":
        return base64.encodebytes(data)
    if enc == "7bit":
        data.decode("ascii")
    return data


ENC_NAMES = {"qp": "quoted-printable", "b64": "base64", "8bit": "8bit", "7bit": "7bit"}


def _part(ctype: str, text: str, charset: str, enc: str) -> bytes:
    head = f'Content-Type: {ctype}; charset="{charset}"\nContent-Transfer-Encoding: {ENC_NAMES[enc]}\n\n'
    body = _encode(text, charset, enc)
    if not body.endswith(b"\n"):
        body += b"\n"
    return head.encode() + body


def auto_html(text: str) -> str:
    """A plain Gmail-like HTML twin of a text body (used for multipart/alternative)."""
    import html

    out: list[str] = []
    quoting = False
    for line in text.split("\n"):
        if line.startswith(">"):
            if not quoting:
                out.append(
                    '<blockquote class="gmail_quote" style="margin:0 0 0 .8ex;border-left:1px #ccc solid;padding-left:1ex">'
                )
                quoting = True
            out.append(html.escape(line.lstrip("> ")) + "<br>")
            continue
        if quoting:
            out.append("</blockquote>")
            quoting = False
        out.append(f"<div>{html.escape(line) if line.strip() else '<br>'}</div>")
    if quoting:
        out.append("</blockquote>")
    return '<div dir="ltr">' + "\n".join(out) + "</div>\n"


def build(
    name: str,
    num: int,
    *,
    frm: str,
    subject: str,
    body: str,
    layout: str,
    charset: str,
    enc: str,
    html: str | None,
    extra: str,
    attached: str | None = None,
) -> bytes:
    head = (
        f"From: {_address(frm)}\n"
        f"To: rinnovi+{_token(name)}@example.it\n"
        f"Subject: {_header(subject)}\n"
        f"Date: {_date(num)}\n"
        f"Message-ID: <{name}@client.example.org>\n"
        f"{extra}"
        "MIME-Version: 1.0\n"
    )
    if layout == "plain":
        return head.encode() + _part("text/plain", body, charset, enc)
    if layout == "html":
        assert html is not None
        return head.encode() + _part("text/html", html, charset, enc)
    if layout == "attached":
        assert attached is not None
        boundary = f"----=_Mixed_{num:03d}_{_token(name)}"
        return (
            head.encode()
            + f'Content-Type: multipart/mixed; boundary="{boundary}"\n\n'.encode()
            + f"--{boundary}\n".encode()
            + _part("text/plain", body, charset, enc)
            + f"\n--{boundary}\n".encode()
            + b"Content-Type: message/rfc822\nContent-Disposition: attachment\n\n"
            + attached.encode("utf-8")
            + f"\n--{boundary}--\n".encode()
        )
    boundary = f"----=_NextPart_{num:03d}_{_token(name)}"
    twin = html if html is not None else auto_html(body)
    return (
        head.encode()
        + f'Content-Type: multipart/alternative; boundary="{boundary}"\n\n'.encode()
        + f"--{boundary}\n".encode()
        + _part("text/plain", body, charset, enc)
        + f"\n--{boundary}\n".encode()
        + _part("text/html", twin, charset, enc)
        + f"\n--{boundary}--\n".encode()
    )


CASES: list[dict[str, object]] = []


def case(
    num: int,
    slug: str,
    *,
    frm: str,
    subject: str,
    body: str = "",
    intents: list[str],
    fields: dict[str, object] | None = None,
    invalid: list[dict[str, str]] | None = None,
    note: str,
    layout: str = "plain",
    charset: str = "utf-8",
    enc: str = "8bit",
    html: str | None = None,
    extra: str = "",
    attached: str | None = None,
) -> None:
    CASES.append(
        {
            "name": f"{PREFIX}_{num:03d}_{slug}",
            "num": num,
            "msg": dict(
                frm=frm,
                subject=subject,
                body=body,
                layout=layout,
                charset=charset,
                enc=enc,
                html=html,
                extra=extra,
                attached=attached,
            ),
            "gold": {"intents": intents, "fields": fields or {}, "invalid": invalid or [], "note": note},
        }
    )


def generate() -> None:
    seen: set[int] = set()
    for c in CASES:
        num = int(c["num"])  # type: ignore[call-overload]
        assert num not in seen and num >= 46, num
        seen.add(num)
        name = str(c["name"])
        raw = build(name, num, **c["msg"])  # type: ignore[arg-type]
        (HERE / f"{name}.eml").write_bytes(raw)
        gold = json.dumps(c["gold"], ensure_ascii=False, indent=2)
        (HERE / f"{name}.json").write_text(gold + "\n", encoding="utf-8")
    print(f"wrote {len(CASES)} cases")


# --------------------------------------------------------------------------------------------------
# pieces: quoted copies of our own emails, Outlook HTML, signatures, disclaimers


def gt(lines: str) -> str:
    """Quote with '> '."""
    return "\n".join("> " + line if line else ">" for line in lines.strip("\n").split("\n")) + "\n"


OUR_PA_REQUEST_IT = """Gentile cliente,
per completare il rinnovo del servizio {service} con pagamento tramite
bonifico, in quanto pubblica amministrazione, La preghiamo di comunicarci:
- il codice CIG
- il codice univoco ufficio
- lo username utilizzato per l'accesso al portale
Cordiali saluti
Ufficio Rinnovi - Example Servizi S.r.l."""

OUR_REMINDER_IT = """Gentile cliente,
il servizio {service} (username {user}) scade il {date}.
Per non perdere i dati rinnovi ora dal portale: Rinnova ora
Cordiali saluti
Ufficio Rinnovi"""

OUR_TRANSFER_IT = """Gentile cliente,
il Suo ordine {order} è in attesa di pagamento.
Per completarlo effettui un bonifico di EUR {amount} a:
Beneficiario: Example Servizi S.r.l.
IBAN: IT60X0542811101000000123456
Causale: {order}
La fattura sarà emessa 2-3 giorni dopo la registrazione del pagamento."""

OUR_REMINDER_EN = """Dear customer,
your {service} service (username {user}) expires on {date}.
Renew now from the portal to keep your data.
Best regards,
The Renewals Team"""

OUR_TRANSFER_EN = """Dear customer,
your order {order} is awaiting payment. Please transfer EUR {amount} to
Example Servizi S.r.l., IBAN IT60X0542811101000000123456, quoting {order}.
The invoice follows 2-3 days after the payment is registered."""

OUR_AUTORENEW_IT = """Gentile cliente,
il rinnovo automatico del servizio {service} (username {user}) verrà
addebitato il {date} sulla carta che termina con 4417.
Per disattivarlo acceda al portale, sezione Abbonamenti."""

OUR_CARD_IT = """Gentile cliente,
non è stato possibile addebitare il rinnovo automatico del servizio
{service} (username {user}): la carta risulta scaduta.
Aggiorni il metodo di pagamento dal portale."""


def gmail_quote(when: str, text: str, lang: str = "it") -> str:
    if lang == "en":
        return f"\nOn {when}, Rinnovi <rinnovi@example.it> wrote:\n" + gt(text)
    return f"\nIl giorno {when} Rinnovi <rinnovi@example.it> ha scritto:\n\n" + gt(text)


def outlook_quote(when: str, to: str, subject: str, text: str, lang: str = "it") -> str:
    if lang == "en":
        return (
            "\n________________________________\n"
            f"From: Rinnovi <rinnovi@example.it>\nSent: {when}\nTo: {to}\nSubject: {subject}\n\n{text}\n"
        )
    return (
        "\n-----Messaggio originale-----\n"
        f"Da: Rinnovi [mailto:rinnovi@example.it]\nInviato: {when}\nA: {to}\nOggetto: {subject}\n\n{text}\n"
    )


def o_p(text: str) -> str:
    return f'<p class="MsoNormal">{text}<o:p></o:p></p>\n'


def o_table(rows: list[tuple[str, str]], bold_labels: bool = True) -> str:
    cells = []
    for label, value in rows:
        lab = f"<b>{label}</b>" if bold_labels else label
        cells.append(
            "<tr>"
            f'<td width="220" valign="top" style="border:solid windowtext 1.0pt;padding:0cm 5.4pt 0cm 5.4pt">{o_p(lab)}</td>'
            f'<td width="260" valign="top" style="border:solid windowtext 1.0pt;border-left:none;padding:0cm 5.4pt 0cm 5.4pt">{o_p(value)}</td>'
            "</tr>\n"
        )
    return (
        '<table class="MsoTableGrid" border="1" cellspacing="0" cellpadding="0" style="border-collapse:collapse;border:none">\n'
        + "".join(cells)
        + "</table>\n"
    )


def o_quote(when: str, to: str, subject: str, text: str, lang: str = "it") -> str:
    import html as h

    labels = ("From", "Sent", "To", "Subject") if lang == "en" else ("Da", "Inviato", "A", "Oggetto")
    head = (
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">\n'
        f'<p class="MsoNormal"><b>{labels[0]}:</b> Rinnovi &lt;rinnovi@example.it&gt;<br>\n'
        f"<b>{labels[1]}:</b> {when}<br>\n<b>{labels[2]}:</b> {h.escape(to)}<br>\n"
        f"<b>{labels[3]}:</b> {h.escape(subject)}<o:p></o:p></p>\n</div>\n"
    )
    return head + "".join(o_p(h.escape(line) if line else "&nbsp;") for line in text.split("\n"))


def outlook_html(inner: str) -> str:
    return (
        '<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:w="urn:schemas-microsoft-com:office:word" xmlns="http://www.w3.org/TR/REC-html40">\n'
        '<head>\n<meta name="Generator" content="Microsoft Word 15 (filtered medium)">\n'
        "<style><!--\np.MsoNormal, li.MsoNormal, div.MsoNormal\n\t{margin:0cm;font-size:11.0pt;"
        'font-family:"Calibri",sans-serif;}\n--></style>\n</head>\n'
        '<body lang="IT" link="#0563C1" vlink="#954F72" style="word-wrap:break-word">\n'
        '<div class="WordSection1">\n' + inner + "</div>\n</body>\n</html>\n"
    )


PRIVACY_IT = """
AVVISO DI RISERVATEZZA: le informazioni contenute in questo messaggio e negli
eventuali allegati sono riservate e destinate esclusivamente al destinatario.
Qualora il messaggio Le fosse pervenuto per errore, La invitiamo a
cancellarlo e a darne comunicazione al mittente. Ai sensi del Regolamento UE
2016/679 (GDPR) il trattamento dei dati personali avviene secondo
l'informativa pubblicata sul sito istituzionale dell'Ente.
Prima di stampare pensa all'ambiente."""

PRIVACY_EN = """
CONFIDENTIALITY NOTICE: This e-mail and any attachments are confidential and
intended solely for the addressee. If you have received it in error, please
notify the sender and delete it. Any unauthorised use, disclosure or copying
is prohibited."""


# --------------------------------------------------------------------------------------------------
# the generated cases, 046 on

case(
    46,
    "asl_outlook_table_cig_cup_cuu_user",
    frm='"UOC Acquisti - ASL Bari" <acquisti.servizi@asl.bari.it>',
    subject="R: Rinnovo servizio monitoraggio temperature frigoemoteche - dati PA",
    layout="html",
    charset="windows-1252",
    enc="qp",
    html=outlook_html(
        o_p("Buongiorno,")
        + o_p("si riportano di seguito i dati da indicare nella fattura elettronica di rinnovo:")
        + o_p("&nbsp;")
        + o_table(
            [
                ("CIG", "B7DCF25ECF"),
                ("CUP", "B73J10666581491"),
                ("Codice Univoco Ufficio", "PHKQDL"),
                ("Username portale", "asl.bari-frigo"),
            ]
        )
        + o_p("&nbsp;")
        + o_p("Si ricorda che le fatture prive di CIG non potranno essere liquidate.")
        + o_p("Distinti saluti")
        + o_p(
            '<span style="font-size:9.0pt;color:#1F3864">Dott.ssa Angela De Marzo<br>UOC Area Gestione Patrimonio'
            " &#8211; Settore Acquisti<br>ASL Bari &#8211; Lungomare Starita 6, 70132 Bari<br>"
            "C.F./P.IVA 06534340721 &#8211; PEC acquisti.aslbari@pec.rupar.puglia.it</span>"
        )
        + o_p("&nbsp;")
        + o_quote(
            "marted&igrave; 20 gennaio 2026 09:00",
            "acquisti.servizi@asl.bari.it",
            "Rinnovo servizio monitoraggio temperature frigoemoteche - dati PA",
            OUR_PA_REQUEST_IT.format(service="Monitoraggio Frigoemoteche"),
        )
    ),
    intents=["pa_billing_details"],
    fields={"cig": ["B7DCF25ECF"], "cup": ["B73J10666581491"], "office_code": "PHKQDL", "username": "asl.bari-frigo"},
    note="Outlook HTML-only (QP windows-1252): four label/value rows incl. CUP; the ASL's C.F./P.IVA and PEC in the signature are not fields",
)

case(
    47,
    "pipe_table_in_plain_text",
    frm="Servizi Scolastici <servizi.scolastici@comune.sanmauro.to.it>",
    subject="R: richiesta dati per fattura",
    charset="iso-8859-1",
    enc="8bit",
    body="""Buongiorno,
di seguito quanto richiesto:

Voce                          | Valore
------------------------------|----------------------
CIG                           | Z7D560A6FC
Codice univoco ufficio        | 6AFQFJ
Nome utente portale           | asilo.girasole

Per qualsiasi chiarimento potete contattare l'ufficio allo 011 8228011.

Cordiali saluti
Ufficio Servizi Scolastici - Comune di San Mauro Torinese
""",
    intents=["pa_billing_details"],
    fields={"cig": ["Z7D560A6FC"], "office_code": "6AFQFJ", "username": "asilo.girasole"},
    note="a plain-text table with '|' between label and value ('Nome utente portale | x'); 8bit latin-1",
)

case(
    48,
    "rinnovo_n1_anno_cig_new_family",
    frm='"Comune di Villafranca Padovana" <tecnico@comune.villafranca.pd.it>',
    subject="Re: Il servizio Portale Impianti scade il 28/02/2026",
    enc="qp",
    body="""Spett.le ditta,
si richiede il rinnovo del servizio per n. 1 (uno) anno con pagamento a mezzo bonifico bancario.
Ai fini della fatturazione elettronica:
cig: B994D3E46F
cod. univoco: ZCZBTT
user: villafranca.pozzi

Cordiali saluti
L'Istruttore Tecnico
Geom. Davide Zanon
"""
    + gmail_quote(
        "lun 19 gen 2026 alle ore 08:00",
        OUR_REMINDER_IT.format(service="Portale Impianti", user="villafranca.pozzi", date="28/02/2026"),
    ),
    intents=["renewal_request", "pa_billing_details"],
    fields={"years": 1, "cig": ["B994D3E46F"], "office_code": "ZCZBTT", "username": "villafranca.pozzi"},
    note="'per n. 1 (uno) anno' by bank transfer, lowercase 'cig:', 'cod. univoco:', 'user:'; the same username also in our quoted reminder",
)

case(
    49,
    "cig_and_cuu_in_subject_user_in_body",
    frm="ufficiotecnico@comune.cavour.to.it",
    subject="R: rinnovo - C.I.G. 9513358F5C - CUU OF7JYU",
    layout="alt",
    enc="qp",
    body="""Buongiorno,
i dati sono in oggetto. L'utente del portale è ufficiotecnico.cavour
Saluti
Ufficio Tecnico Cavour
""",
    intents=["pa_billing_details"],
    fields={"cig": ["9513358F5C"], "office_code": "OF7JYU", "username": "ufficiotecnico.cavour"},
    note="CIG with dotted label and the CUU only in the Subject, username in the body; multipart/alternative",
)

case(
    50,
    "three_cigs_three_services",
    frm='"Ufficio Economato - Comune di Imola" <economato@comune.imola.bo.it>',
    subject="Rinnovi 2026 - CIG per singolo servizio",
    charset="iso-8859-1",
    enc="qp",
    body="""Buongiorno,
per l'anno 2026 l'Ente ha assunto tre distinti impegni di spesa, quindi vi
chiediamo tre fatture, una per servizio, ciascuna con il proprio CIG:

1) Portale Impianti (centrali termiche scuole) ......... cig 4602037910
2) Archivio documentale (protocollo storico) .......... cig 16290720BE
3) Caselle di fatturazione elettronica ................ cig 2441955D00

Il codice univoco ufficio è lo stesso per tutte e tre: TJ0WYU.
L'utenza di riferimento sul portale è imola.economato.

Grazie della collaborazione
Ufficio Economato
""",
    intents=["pa_billing_details"],
    fields={
        "cig": ["4602037910", "16290720BE", "2441955D00"],
        "office_code": "TJ0WYU",
        "username": "imola.economato",
    },
    note="three ordinary CIGs, one per service, in order of appearance, with dotted leaders; one office code",
)

case(
    51,
    "regione_cup_cig_dotted_labels",
    frm='"Regione Marche - P.F. Informatica" <informatica@regione.marche.it>',
    subject="Fatturazione rinnovo piattaforma di conservazione",
    enc="b64",
    body="""Gentili Signori,

in riferimento al rinnovo della piattaforma di conservazione, si comunicano gli estremi da riportare obbligatoriamente in fattura:

C.I.G.: B8134D70D1
C.U.P.: H22H75866415855
Codice Univoco Ufficio: HVAUVZ

La fattura dovrà essere emessa in regime di scissione dei pagamenti (art. 17-ter DPR 633/1972).

Distinti saluti

P.F. Informatica e Crescita Digitale
Regione Marche
Via Tiziano 44 - 60125 Ancona
""",
    intents=["pa_billing_details"],
    fields={"cig": ["B8134D70D1"], "cup": ["H22H75866415855"], "office_code": "HVAUVZ"},
    note="'C.I.G.:' and 'C.U.P.:' with dots, a region's formal letter; base64 utf-8",
)

case(
    52,
    "codice_ipa_ufficio_lowercase_cig",
    frm='"Ufficio Ragioneria" <ragioneria@comune.sestolevante.ge.it>',
    subject="Re: dati per fattura elettronica PA",
    enc="b64",
    body="""Buongiorno,

il codice IPA dell'ufficio di fatturazione è HMASQX, mentre il cig dell'affidamento è il seguente: x27af21f05
Per il portale usate pure l'utenza "sestri.ced".

Un saluto,
Roberta
Servizio Finanziario - Comune di Sestri Levante
""",
    intents=["pa_billing_details"],
    fields={"cig": ["X27AF21F05"], "office_code": "HMASQX", "username": "sestri.ced"},
    note="'codice IPA dell'ufficio di fatturazione è x', a smart CIG written all lowercase after 'il seguente:', username in quotes",
)

case(
    53,
    "school_outlook_html_cuu_row",
    frm='"DSGA - IIS Galilei" <dsga@iisgalileicrema.edu.it>',
    subject="RE: Piattaforma laboratori - dati fatturazione",
    layout="html",
    charset="utf-8",
    enc="qp",
    html=outlook_html(
        o_p("Gentile fornitore,")
        + o_p("rispondo alla Vostra richiesta.")
        + o_table(
            [
                ("Codice Univoco Ufficio (CUU)", "EZYEX1"),
                ("Smart CIG", "YA42FEBD06"),
                ("Nome utente portale", "lab.chimica-galilei"),
            ],
            bold_labels=False,
        )
        + o_p("&nbsp;")
        + o_p("Cordialmente,")
        + o_p(
            "Il Direttore dei Servizi Generali e Amministrativi<br>Istituto di Istruzione Superiore &#8220;G. Galilei&#8221; &#8211; Crema"
        )
        + o_p('<span style="font-size:8.0pt">C.F. 91035070194 &#8211; Codice meccanografico CRIS00400N</span>')
    ),
    intents=["pa_billing_details"],
    fields={"cig": ["YA42FEBD06"], "office_code": "EZYEX1", "username": "lab.chimica-galilei"},
    note="HTML-only school mail, table rows 'Codice Univoco Ufficio (CUU)' / 'Nome utente portale' with unbolded labels; C.F. in the signature is not a field",
)

case(
    54,
    "outlook_forward_from_economato_vedi_sotto",
    frm='"Carla Fumagalli" <c.fumagalli@comune.seregno.mb.it>',
    subject="I: R: codici per fornitore portale impianti",
    enc="qp",
    charset="windows-1252",
    body="""Vedi sotto.
Grazie
Carla

Carla Fumagalli
Servizio Manutenzioni – Comune di Seregno

Da: Economato <economato@comune.seregno.mb.it>
Inviato: giovedì 22 gennaio 2026 16:12
A: Carla Fumagalli <c.fumagalli@comune.seregno.mb.it>
Oggetto: R: codici per fornitore portale impianti

Ciao Carla,
CIG Y64E42B06E
Codice univoco ufficio: RDRGDS
La fattura deve arrivare entro marzo, altrimenti slitta tutto.
Ciao, Marta

Da: Carla Fumagalli
Inviato: giovedì 22 gennaio 2026 11:40
A: Economato
Oggetto: codici per fornitore portale impianti

Marta, mi servono CIG e codice univoco per il fornitore del portale (utente seregno.manutenzioni).
""",
    intents=["pa_billing_details"],
    fields={"cig": ["Y64E42B06E"], "office_code": "RDRGDS", "username": "seregno.manutenzioni"},
    note="'Vedi sotto' over an Outlook forward from the comune's economato holding the codes; the username is in the employee's own earlier message in the thread",
)

case(
    55,
    "procura_username_with_digits",
    frm="Procura della Repubblica di Treviso - Ufficio Spese <spese.procura.treviso@giustizia.it>",
    subject="Fatturazione rinnovo - Procura Treviso",
    charset="iso-8859-1",
    enc="qp",
    body="""Si comunicano i dati per l'emissione della fattura relativa al rinnovo in oggetto:

Codice Univoco Ufficio: 9NFD02
CIG: ZC0DC6D556
Username portale: procura.tv01

Si ricorda che la fattura deve essere intestata a Ministero della Giustizia - Procura della Repubblica presso il Tribunale di Treviso.

Il Funzionario
Ufficio Spese di Funzionamento
""",
    intents=["pa_billing_details"],
    fields={"office_code": "9NFD02", "cig": ["ZC0DC6D556"], "username": "procura.tv01"},
    note="a ministry's peripheral office (Procura); username with digits, office code starting with a digit",
)

case(
    56,
    "rinnoviamo_e_codice_freccia",
    frm='"Polizia Locale Unione Terre d\'Argine" <pl.segreteria@terredargine.it>',
    subject="rinnovo telecamere",
    body="""Ciao, rinnoviamo anche quest'anno le telecamere (un anno, bonifico come sempre).
Il codice univoco è il seguente -> IS5D9I
CIG -> P3EE52D981
Utente -> pl.terredargine
Grazie mille
Stefano
""",
    intents=["renewal_request", "pa_billing_details"],
    fields={"years": 1, "cig": ["P3EE52D981"], "office_code": "IS5D9I", "username": "pl.terredargine"},
    note="an informal union of comuni: renew 'un anno' plus codes after '->' arrows",
)

case(
    57,
    "all_caps_old_system",
    frm="PROTOCOLLO@COMUNE.ALTAMURA.BA.IT",
    subject="DATI FATTURAZIONE RINNOVO",
    enc="7bit",
    charset="us-ascii",
    body="""SPETT.LE DITTA
SI TRASMETTONO I DATI RICHIESTI:
CODICE UNIVOCO UFFICIO: K40VST
CODICE CIG: 82753678E0
USERNAME: ALTAMURA.CIMITERO
DISTINTI SALUTI
IL RESPONSABILE DEL SERVIZIO
""",
    intents=["pa_billing_details"],
    fields={"office_code": "K40VST", "cig": ["82753678E0"], "username": "altamura.cimitero"},
    note="everything in capitals from an old protocol system; the username is lowercased in the field",
)

case(
    58,
    "pa_codice_destinatario_six_chars",
    frm='"Ufficio Contabilità - Consorzio Bonifica Emilia Centrale" <contabilita@emiliacentrale.it>',
    subject="R: Rinnovo - dati per la fattura elettronica",
    enc="qp",
    body="""Buongiorno,
siamo un ente pubblico economico soggetto a split payment.
Codice destinatario (PA): QQZPT4
CIG: L293C4BDFE
Username: bonifica.emiliacentrale
Grazie, saluti
Ufficio Contabilità
""",
    intents=["pa_billing_details"],
    fields={"office_code": "QQZPT4", "cig": ["L293C4BDFE"], "username": "bonifica.emiliacentrale"},
    note="a PA calls its 6-char office code 'Codice destinatario (PA)': still office_code, not recipient_code",
)

case(
    59,
    "our_example_values_quoted_sender_gives_others",
    frm="Comune di Bra - Servizi Informativi <ced@comune.bra.cn.it>",
    subject="Re: Richiesta codici per fatturazione PA",
    enc="qp",
    charset="iso-8859-1",
    body="""Buongiorno, ecco i nostri:
CIG Z908E8D349
codice univoco 9ZHKKE
username bra.ced

Saluti, CED Comune di Bra
"""
    + gmail_quote(
        "ven 23 gen 2026 alle ore 09:30",
        """Gentile cliente,
per emettere la fattura elettronica ci servono il CIG (es. Z213346E34),
il codice univoco ufficio (es. UFXK9T) e lo username del portale
(es. comune.esempio).
Grazie""",
    ),
    intents=["pa_billing_details"],
    fields={"cig": ["Z908E8D349"], "office_code": "9ZHKKE", "username": "bra.ced"},
    note="our quoted email holds example values (Z213346E34, UFXK9T, comune.esempio) that must not be taken; the sender's own are above",
)

case(
    60,
    "username_lo_stesso_di_sempre",
    frm='"Ragioneria - Comune di Cittadella" <ragioneria@comune.cittadella.pd.it>',
    subject="Re: dati PA per rinnovo",
    body="""Buongiorno,
CIG: Y8FD4A1BE9
Codice univoco ufficio: N659O2
Username: lo stesso di sempre, non è cambiato.

Saluti
Ragioneria Cittadella
""",
    intents=["pa_billing_details"],
    fields={"cig": ["Y8FD4A1BE9"], "office_code": "N659O2"},
    note="'Username: lo stesso di sempre' gives no username value (no word of the label or the sentence is a username)",
)

case(
    61,
    "codes_and_already_paid_cro",
    frm='"Servizio Finanziario - Comune di Vignola" <finanziario@comune.vignola.mo.it>',
    subject="R: ordine in attesa di pagamento - rinnovo archivio",
    enc="qp",
    body="""Buongiorno,
vi informiamo che il bonifico per il rinnovo è già partito ieri (CRO 1026713458200).
Per la fattura in split payment: CIG MCC46F43D2 - codice ufficio V21I9M.

Servizio Finanziario
Comune di Vignola
"""
    + outlook_quote(
        "martedì 27 gennaio 2026 08:00",
        "finanziario@comune.vignola.mo.it",
        "Ordine in attesa di pagamento",
        OUR_TRANSFER_IT.format(order="ORD-2026-000468", amount="366,00"),
    ),
    intents=["pa_billing_details", "payment_notice"],
    fields={"cig": ["MCC46F43D2"], "office_code": "V21I9M", "payment_reference": "1026713458200"},
    note="codes plus 'il bonifico è già partito (CRO ...)'; the order number and our IBAN only in the quoted Outlook copy",
)

case(
    62,
    "asl_renew_one_year_cig_cup",
    frm='"SC Tecnologie Biomediche - ASST Lodi" <biomediche@asst-lodi.it>',
    subject="Rinnovo canone annuale piattaforma monitoraggio",
    charset="windows-1252",
    enc="qp",
    body="""Buongiorno,
con riferimento alla Vs. offerta, si conferma il rinnovo per ulteriori 12 mesi (un anno) alle medesime condizioni, pagamento tramite bonifico a 60 gg d.f.

Dati per la fatturazione elettronica:
• CIG: SA3211122A
• CUP: H12G28537816609
• Codice Univoco Ufficio: PFLV9F
• Utente piattaforma: asst.lodi-biomed

Cordiali saluti
SC Tecnologie Biomediche e Informatiche
ASST di Lodi – Piazza Ospitale 10, 26900 Lodi
""",
    intents=["renewal_request", "pa_billing_details"],
    fields={
        "years": 1,
        "cig": ["SA3211122A"],
        "cup": ["H12G28537816609"],
        "office_code": "PFLV9F",
        "username": "asst.lodi-biomed",
    },
    note="hospital trust confirms renewal 'per ulteriori 12 mesi (un anno)' with CIG, CUP, office code and user in bullets (windows-1252 QP)",
)

case(
    63,
    "prefettura_fiscal_code_given",
    frm="Prefettura - UTG di Cuneo - Ufficio Contabilità <contabilita.prefcn@interno.it>",
    subject="Dati per fatturazione elettronica - rinnovo servizio",
    charset="iso-8859-1",
    enc="qp",
    body="""In riscontro alla richiesta pervenuta, si comunicano i seguenti dati:

- Intestazione: Prefettura - Ufficio Territoriale del Governo di Cuneo
- Codice Fiscale: 80499060707
- Codice Univoco Ufficio: UPXQMB
- CIG: C6AE302D91

La fattura sarà assoggettata al regime dello split payment.

IL DIRIGENTE DELL'AREA I
""",
    intents=["pa_billing_details"],
    fields={"fiscal_code": "80499060707", "office_code": "UPXQMB", "cig": ["C6AE302D91"]},
    note="a Prefettura lists its fiscal code among the billing data asked for: a field here (not a signature)",
)

case(
    64,
    "ispettorato_ordinativo_pagamento",
    frm="Ispettorato Territoriale del Lavoro di Modena <itl.modena@ispettorato.gov.it>",
    subject="Pagamento ordine ORD-2026-000702",
    enc="qp",
    body="""Si comunica che in data odierna è stato emesso l'ordinativo di pagamento n. 48 a saldo dell'ordine in oggetto, per l'importo imponibile di euro 150,00.
L'IVA sarà versata direttamente all'Erario ai sensi dell'art. 17-ter del D.P.R. 633/72.

Il Funzionario Delegato
""",
    intents=["payment_notice"],
    fields={"order_number": "ORD-2026-000702"},
    note="a ministry's local office notifies an ordinativo di pagamento for the order named in its own subject; no CRO",
)

case(
    65,
    "ordinary_cig_bad_checksum_with_user",
    frm='"Comune di Trecate" <lavoripubblici@comune.trecate.no.it>',
    subject="R: portale impianti - codici",
    body="""Buongiorno,
codice CIG 9990608E86
codice univoco ufficio 0Y07NY
utente trecate.illuminazione
cordialità
LL.PP. Trecate
""",
    intents=["pa_billing_details"],
    fields={"office_code": "0Y07NY", "username": "trecate.illuminazione"},
    invalid=[{"field": "cig", "value": "9990608E86"}],
    note="an ordinary CIG whose last hex digit is off by one (checksum fails): invalid; office code and user valid",
)

case(
    66,
    "en_pa_codes_only",
    frm='"Procurement Unit - Politecnico di Milano" <procurement.deib@polimi.it>',
    subject="Re: PA billing details needed for your renewal",
    enc="qp",
    body="""Hello,

here are the details you asked for:
- CIG: B7DAB4866B
- Office code for e-invoicing: RVD5RX
- Username: deib-sensorlab

Thanks,
Procurement Unit, DEIB
"""
    + gmail_quote(
        "Thu, 29 Jan 2026 at 09:00",
        """Dear customer,
as a public administration paying by bank transfer, please send us the CIG,
the unique office code (codice univoco ufficio) and your portal username.""",
        lang="en",
    ),
    intents=["pa_billing_details"],
    fields={"cig": ["B7DAB4866B"], "office_code": "RVD5RX", "username": "deib-sensorlab"},
    note="EN: an Italian university department answers our PA request in English with a dash list",
)

case(
    67,
    "regione_html_paragraphs_bracket_note",
    frm='"Regione Umbria - Servizio Sistemi Informativi" <sistemiinformativi@regione.umbria.it>',
    subject="R: rinnovo archivio - dati fatturazione",
    layout="html",
    enc="qp",
    html="""<html><body style="font-family:Verdana;font-size:10pt">
<p>Buongiorno,</p>
<p>per il rinnovo dell'archivio la fattura dovr&agrave; riportare:</p>
<p>Codice Univoco Ufficio (ai fini della fatturazione elettronica, vedi IndicePA): <strong>I67NFR</strong><br>
CIG (affidamento diretto ex art. 50 D.Lgs. 36/2023): <strong>O531967A50</strong></p>
<p>Il nostro nome utente sul vostro portale &egrave; <em>umbria.archivio</em>.</p>
<p>Cordiali saluti<br>Servizio Sistemi Informativi e Digitalizzazione<br>Regione Umbria</p>
</body></html>
""",
    intents=["pa_billing_details"],
    fields={"office_code": "I67NFR", "cig": ["O531967A50"], "username": "umbria.archivio"},
    note="HTML-only without a table: long notes in brackets between labels and bold values, username in italics",
)

case(
    68,
    "consorzio_codes_en_dash_line",
    frm="amministrazione@consorziorifiutiveneto.it",
    subject="Re: rinnovo caselle di fatturazione",
    charset="windows-1252",
    enc="8bit",
    body="""Buongiorno,
per la fattura elettronica usate: CUU PYZ21T – CIG 2521911AC8 – username crv.amministrazione
Vi chiediamo di inviare copia di cortesia anche a ragioneria@consorziorifiutiveneto.it.
Grazie
Amministrazione – Consorzio Rifiuti Veneto
""",
    intents=["pa_billing_details"],
    fields={"office_code": "PYZ21T", "cig": ["2521911AC8"], "username": "crv.amministrazione"},
    note="all three codes on one line separated by en dashes (windows-1252 8bit); a courtesy e-mail address is not a PEC field",
)

case(
    69,
    "pa_cancellation_impianto_dismesso",
    frm='"Comune di Pontremoli" <tecnico@comune.pontremoli.ms.it>',
    subject="R: Il servizio Portale Impianti scade il 30/04/2026",
    charset="iso-8859-1",
    enc="qp",
    body="""Buongiorno,
l'impianto di depurazione collegato al portale è stato dismesso a fine 2025, quindi non rinnoveremo il servizio.
Potete chiudere l'utenza alla scadenza.
Grazie per la collaborazione di questi anni.

Ufficio Tecnico Pontremoli
"""
    + gmail_quote(
        "lun 2 feb 2026 alle ore 08:00",
        OUR_REMINDER_IT.format(service="Portale Impianti", user="pontremoli.depuratore", date="30/04/2026"),
    ),
    intents=["cancellation"],
    note="'non rinnoveremo il servizio ... chiudere l'utenza': cancellation; the username only in our quoted reminder",
)

case(
    70,
    "unrelated_no_contract",
    frm="Segreteria Sindaco <segreteria.sindaco@comune.bellano.lc.it>",
    subject="Re: Il servizio Archivio Documentale scade il 15/03/2026",
    body="""Buongiorno,
credo ci sia un errore: il Comune di Bellano non ha mai sottoscritto alcun servizio di archivio documentale con la vostra società.
Verificate i vostri indirizzi, grazie.

Segreteria del Sindaco
""",
    intents=["other"],
    note="the sender says they never had the service: no request we act on",
)

case(
    71,
    "company_invoice_request_last_order",
    frm="Nicoletta Bassi <amministrazione@bassiarredamenti.it>",
    subject="fattura dicembre",
    body="""Buongiorno,
il nostro commercialista non trova la fattura del rinnovo di dicembre (ordine ORD-2025-004412).
Me ne potete rimandare una copia? Anche in pdf va bene.
Grazie
Nicoletta Bassi
Bassi Arredamenti srl
""",
    intents=["invoice_request"],
    fields={"order_number": "ORD-2025-004412"},
    note="a company asks for an invoice copy, identifying it by a 2025 order number",
)

case(
    72,
    "ditta_individuale_fiscal_code_on_invoice",
    frm="Luca Rossi <elettricista.rossi@gmail.com>",
    subject="Re: fattura rinnovo",
    enc="qp",
    body="""Salve,
sono una ditta individuale in regime forfettario: in fattura mettete anche il mio codice fiscale RSSMRA80A01H501U oltre alla partita iva 09533240322.
Codice destinatario non ce l'ho, usate la pec rossi.impianti@pec.it
Grazie
Luca Rossi
""",
    intents=["billing_update"],
    fields={
        "fiscal_code": "RSSMRA80A01H501U",
        "vat_number": "09533240322",
        "pec": "rossi.impianti@pec.it",
    },
    note="sole trader: 'put my fiscal code on the invoice' with VAT number and a PEC instead of a recipient code",
)

case(
    73,
    "fiscal_code_wrong_check_letter",
    frm='"Studio Dentistico Dott.ssa Bianchi" <info@studiobianchi-dentista.it>',
    subject="correzione dati fattura",
    charset="iso-8859-1",
    enc="qp",
    body="""Buongiorno,
nella fattura di gennaio il codice fiscale della dottoressa è sbagliato.
Quello corretto è: BNCLGU75C12F205R
Vi chiedo di usarlo dalle prossime fatture.
Cordiali saluti
La segreteria dello studio
""",
    intents=["billing_update"],
    invalid=[{"field": "fiscal_code", "value": "BNCLGU75C12F205R"}],
    note="a fiscal code correction whose check letter is wrong: still a billing update, the value invalid",
)

case(
    74,
    "en_company_paid_transfer_cro",
    frm="Accounts <accounts@alpineprecision.it>",
    subject="Payment sent - ORD-2026-000811",
    layout="alt",
    enc="qp",
    body="""Good morning,

We have paid order ORD-2026-000811 today by bank transfer, CRO 0558201774391.
Please let us know once it is registered.

Regards,
Alpine Precision S.r.l. – Accounts
""",
    intents=["payment_notice"],
    fields={"order_number": "ORD-2026-000811", "payment_reference": "0558201774391"},
    note="EN: a company's payment notice with order number in subject and body and a CRO",
)

case(
    75,
    "company_renew_three_years_card",
    frm='"Officina Meccanica F.lli Gatti" <info@officinagatti.it>',
    subject="Re: Il servizio Portale Impianti scade il 20/03/2026",
    charset="iso-8859-1",
    enc="qp",
    body="""Buongiorno,
vogliamo rinnovare per tre anni così non ci pensiamo più. Paghiamo con carta di credito dal portale?
Grazie
Mario Gatti
"""
    + gmail_quote(
        "mer 4 feb 2026 alle ore 08:00",
        OUR_REMINDER_IT.format(service="Portale Impianti", user="gatti.compressori", date="20/03/2026"),
    ),
    intents=["renewal_request"],
    fields={"years": 3},
    note="a company renews 'per tre anni' paying by card; the username only in our quoted reminder",
)

case(
    76,
    "en_switch_off_autorenew",
    frm="Sarah Lindqvist <sarah@lindqvist-design.com>",
    subject="Re: Automatic renewal on 01/04/2026",
    body="""Hi,
please turn off automatic renewal for my archive. I'd rather renew manually when the time comes.
Thanks,
Sarah
"""
    + gmail_quote(
        "Fri, 6 Feb 2026 at 08:00",
        """Dear customer,
the automatic renewal of your Document Archive (username lindqvist_design)
will be charged on 01/04/2026 to your card ending 4417.""",
        lang="en",
    ),
    intents=["autorenew_off"],
    note="EN: switch off automatic renewal; username only in our quoted notice",
)

case(
    77,
    "card_expired_how_to_change",
    frm="Giovanni Ferri <giovanni.ferri@ferriimpianti.com>",
    subject="R: Addebito non riuscito",
    enc="qp",
    body="""Buongiorno,
sì, la carta è scaduta a gennaio. Come faccio a inserire quella nuova per il rinnovo automatico? Non trovo la voce nel portale.
Saluti
G. Ferri
"""
    + outlook_quote(
        "lunedì 9 febbraio 2026 07:30",
        "giovanni.ferri@ferriimpianti.com",
        "Addebito non riuscito",
        OUR_CARD_IT.format(service="Portale Impianti", user="ferri-impianti"),
    ),
    intents=["card_change"],
    note="card expired, asks how to change the card for automatic renewal",
)

case(
    78,
    "renew_and_autorenew_on_paypal",
    frm="Elena Moretti <elena.moretti@agriturismoilpoggio.it>",
    subject="rinnovo + rinnovo automatico",
    layout="alt",
    enc="b64",
    body="""Ciao,
rinnovatemi pure l'archivio per un anno e da quest'anno attivate anche il rinnovo automatico con PayPal, così non rischio di dimenticarmene.
Grazie!
Elena – Agriturismo Il Poggio
""",
    intents=["renewal_request", "autorenew_on"],
    fields={"years": 1},
    note="renew one year and switch automatic renewal on with PayPal; multipart/alternative base64",
)

case(
    79,
    "upgrade_business_and_new_company",
    frm="Tommaso Leone <t.leone@leoneconsulting.it>",
    subject="passaggio a piano BUSINESS",
    enc="qp",
    body="""Buongiorno,
vorremmo passare dal piano TEAM al piano BUSINESS (ci servono altri 5 utenti).
Vi segnalo anche che la fattura dell'upgrade va intestata alla nuova società:
Leone Consulting S.r.l. - P.IVA 07079790999 - codice SDI 0X2ZQ8F.
Grazie
Tommaso Leone
""",
    intents=["billing_update", "upgrade_request"],
    fields={"vat_number": "07079790999", "recipient_code": "0X2ZQ8F"},
    note="upgrade TEAM to BUSINESS plus a billing update to a new company with VAT number and SDI code",
)

case(
    80,
    "en_renew_two_years_and_last_invoice",
    frm="Marco Bellini <m.bellini@bellini-eng.co.uk>",
    subject="Re: Your Device Portal expires on 31/03/2026",
    body="""Hello,
please renew for two years (I'll pay by card). Could you also send me again last year's invoice? Our accountant can't find it.
Cheers,
Marco
"""
    + gmail_quote(
        "Mon, 9 Feb 2026 at 08:00",
        OUR_REMINDER_EN.format(service="Device Portal", user="bellini-eng", date="31/03/2026"),
        lang="en",
    ),
    intents=["renewal_request", "invoice_request"],
    fields={"years": 2},
    note="EN: renew for two years plus a request for last year's invoice copy",
)

case(
    81,
    "one_line_dash_separated",
    frm="Sistemi Informativi ASP Cosenza <sia@aspcs.it>",
    subject="R: dati fatturazione PA",
    enc="qp",
    body="""CIG: 257924082C - CUU: GY29DB - username: asp.cosenza
Saluti, SIA
""",
    intents=["pa_billing_details"],
    fields={"cig": ["257924082C"], "office_code": "GY29DB", "username": "asp.cosenza"},
    note="the whole answer is one line with the three codes separated by dashes, no greeting",
)

case(
    82,
    "cig_in_subject_table_for_the_rest",
    frm='"Comune di Oderzo - Settore Tecnico" <settore.tecnico@comune.oderzo.tv.it>',
    subject="RE: Rinnovo Portale Impianti - CIG ZC2F84D08F",
    layout="html",
    charset="windows-1252",
    enc="qp",
    html=outlook_html(
        o_p("Buongiorno,")
        + o_p("il CIG &egrave; indicato in oggetto; gli altri dati sono i seguenti:")
        + o_table(
            [
                ("Codice univoco ufficio:", "8P5QA3"),
                ("Username utilizzato per l&#8217;accesso al portale:", "oderzo.impianti-sportivi"),
            ]
        )
        + o_p("&nbsp;")
        + o_p("Saluti<br>Settore Tecnico &#8211; Comune di Oderzo")
    ),
    intents=["pa_billing_details"],
    fields={"cig": ["ZC2F84D08F"], "office_code": "8P5QA3", "username": "oderzo.impianti-sportivi"},
    note="HTML-only: the CIG only in the sender's subject, office code and our own username wording in a two-column table",
)

case(
    83,
    "renew_codes_and_transfer_done",
    frm='"Comune di Brugherio - Ragioneria" <ragioneria@comune.brugherio.mb.it>',
    subject="Re: Istruzioni per il pagamento del rinnovo",
    enc="qp",
    charset="iso-8859-1",
    body="""Buongiorno,
confermiamo il rinnovo per un anno del Portale Impianti e vi comunichiamo che abbiamo già effettuato il bonifico (CRO 0306909600123457) per l'importo netto, essendo in split payment.
Nella fattura indicate:
CIG 1973060C9B
Codice Univoco Ufficio 7S333H
Username brugherio.ced

Ragioneria - Comune di Brugherio
"""
    + gmail_quote(
        "mar 10 feb 2026 alle ore 08:00",
        OUR_TRANSFER_IT.format(order="ORD-2026-000744", amount="366,00"),
    ),
    intents=["renewal_request", "pa_billing_details", "payment_notice"],
    fields={
        "years": 1,
        "cig": ["1973060C9B"],
        "office_code": "7S333H",
        "username": "brugherio.ced",
        "payment_reference": "0306909600123457",
    },
    note="three requests in one: renew one year, PA codes, transfer already made with CRO; order number and IBAN only in our quote",
)

case(
    84,
    "html_label_br_value_next_line",
    frm="Economato - Comune di Bagheria <economato@comune.bagheria.pa.it>",
    subject="R: richiesta codici",
    layout="html",
    enc="qp",
    html="""<div style="font-family:Tahoma;font-size:12px">Buongiorno,<br><br>
<b>Codice Univoco Ufficio:</b><br>
BKA52Z<br><br>
<b>Codice CIG:</b><br>
Z3376C30CE<br><br>
<b>Username:</b><br>
bagheria.economato<br><br>
Distinti saluti<br>
L'Economo Comunale<br>
<span style="color:#888">Comune di Bagheria - Corso Umberto I 165 - tel. 091 943111</span>
</div>
""",
    intents=["pa_billing_details"],
    fields={"office_code": "BKA52Z", "cig": ["Z3376C30CE"], "username": "bagheria.economato"},
    note="HTML-only: each bold label followed by <br> and its value on the next line",
)

case(
    85,
    "school_cuu_called_codice_ipa_in_brackets",
    frm="Liceo Scientifico Statale A. Volta <rmps12000x@istruzione.it>",
    subject="Fattura elettronica - rinnovo",
    charset="iso-8859-1",
    enc="qp",
    body="""Si forniscono i dati per la fattura elettronica:
Codice univoco ufficio fatturazione elettronica (Codice IPA): 4QEQPN
CIG: XE54D45817
Nome utente: liceo.volta-rm

Distinti saluti
Il DSGA
Liceo Scientifico Statale "A. Volta" - Roma
C.F. 80218930587 - Codice Meccanografico RMPS12000X
""",
    intents=["pa_billing_details"],
    fields={"office_code": "4QEQPN", "cig": ["XE54D45817"], "username": "liceo.volta-rm"},
    note="a long label with '(Codice IPA)' before the colon; the school's C.F. and mechanographic code in the signature are not fields",
)

case(
    86,
    "smart_and_new_cig_with_cup",
    frm='"Area Tecnica - Comune di Cesenatico" <areatecnica@comune.cesenatico.fc.it>',
    subject="codici per fatture rinnovo + ampliamento",
    enc="b64",
    body="""Buongiorno,

per il rinnovo del contratto in essere il CIG resta quello vecchio (smart CIG X217777D3D); per l'ampliamento dei sensori, finanziato con il bando regionale, c'è un nuovo CIG B3A9D6BE78 e il CUP G68D00558238810.

Codice univoco ufficio per entrambe le fatture: 16I76B.

Grazie
Area Tecnica Cesenatico
""",
    intents=["pa_billing_details"],
    fields={"cig": ["X217777D3D", "B3A9D6BE78"], "cup": ["G68D00558238810"], "office_code": "16I76B"},
    note="a smart CIG and a 2024-family CIG in one sentence, with a CUP and one office code; base64",
)

case(
    87,
    "renew_username_dots_dashes",
    frm="Comune di San Giorgio Piacentino <tecnico@comune.sangiorgiopiacentino.pc.it>",
    subject="rinnovo 2026",
    charset="windows-1252",
    enc="qp",
    body="""Buongiorno,
procedete pure con il rinnovo annuale; pagheremo con bonifico alla ricezione della fattura.
Username: comune.s-giorgio.pc
Codice univoco: OFBCIX
CIG: Y515D5C0B9
Grazie – Ufficio Tecnico
""",
    intents=["renewal_request", "pa_billing_details"],
    fields={"years": 1, "username": "comune.s-giorgio.pc", "office_code": "OFBCIX", "cig": ["Y515D5C0B9"]},
    note="'rinnovo annuale' plus codes, a username with both dots and a dash",
)

case(
    88,
    "codice_cig_n_degree_8bit",
    frm="Servizio Cultura <cultura@comune.sassuolo.mo.it>",
    subject="R: dati PA",
    charset="windows-1252",
    enc="8bit",
    body="""Buongiorno,
codice CIG n° F0BD3334A5
codice univoco ufficio n° E68F7E
per l’accesso usiamo “museo.sassuolo”
Cordiali saluti
Servizio Cultura – Comune di Sassuolo
""",
    intents=["pa_billing_details"],
    fields={"cig": ["F0BD3334A5"], "office_code": "E68F7E", "username": "museo.sassuolo"},
    note="'n°' between label and value, curly quotes around the username; windows-1252 8bit",
)

case(
    89,
    "office_code_with_office_name_after",
    frm='"Unione Reno Galliera - Servizio Finanziario" <finanziario@renogalliera.it>',
    subject="Re: Portale Impianti: dati per il rinnovo",
    enc="qp",
    body="""Buongiorno,
codice univoco ufficio: 7QXI6R (Servizio Finanziario - Unione Reno Galliera)
CIG: Z641412F93
username: renogalliera.pl

Si precisa che l'Unione è soggetta a split payment.
Saluti
""",
    intents=["pa_billing_details"],
    fields={"office_code": "7QXI6R", "username": "renogalliera.pl"},
    invalid=[{"field": "cig", "value": "Z641412F93"}],
    note="office code followed by the office's name in brackets; the smart CIG's checksum fails (last digit off by one)",
)

case(
    90,
    "renew_same_data_as_last_year",
    frm="Segreteria Comune di Roburent <segreteria@comune.roburent.cn.it>",
    subject="Re: Il servizio Portale Impianti scade il 31/03/2026",
    charset="iso-8859-1",
    enc="qp",
    body="""Buongiorno,
si rinnova. I dati per la fattura sono gli stessi dell'anno scorso (CIG a parte, che vi mandiamo appena la determina è esecutiva).
Saluti
La segreteria
"""
    + gmail_quote(
        "lun 9 feb 2026 alle ore 08:00",
        OUR_REMINDER_IT.format(service="Portale Impianti", user="roburent.acquedotto", date="31/03/2026"),
    ),
    intents=["renewal_request"],
    note="'si rinnova' with billing data 'the same as last year' and the CIG promised later: no values given",
)

case(
    91,
    "renew_one_year_five_char_code",
    frm="Ufficio Ragioneria <ragioneria@comune.gardone.bs.it>",
    subject="rinnovo e dati fattura",
    body="""Buongiorno,
rinnovare per 1 anno, pagamento con bonifico.
CIG 203787292A
Codice univoco ufficio: Q7ZLK
Utente: gardone.vt
Grazie
""",
    intents=["renewal_request", "pa_billing_details"],
    fields={"years": 1, "cig": ["203787292A"], "username": "gardone.vt"},
    invalid=[{"field": "office_code", "value": "Q7ZLK"}],
    note="renew 1 year with codes, but the office code has only 5 characters: invalid",
)

case(
    92,
    "html_quietanza_trn_table",
    frm='"Tesoreria Comunale" <tesoreria@comune.chieri.to.it>',
    subject="Comunicazione di avvenuto pagamento",
    layout="html",
    charset="iso-8859-1",
    enc="qp",
    html="""<html><body>
<p>Si comunica l'avvenuto pagamento come da prospetto:</p>
<table border="1" cellspacing="0" cellpadding="4" style="font-family:Arial;font-size:9pt">
<tr><th>Beneficiario</th><th>Riferimento</th><th>Importo netto</th><th>Data valuta</th><th>TRN</th></tr>
<tr><td>Example Servizi S.r.l.</td><td>ORD-2026-000791</td><td>&euro; 300,00</td><td>12/02/2026</td><td>0306901792650013481120002200IT</td></tr>
</table>
<p>IVA assolta dall'Ente ai sensi dell'art. 17-ter DPR 633/72.</p>
<p>Servizio Tesoreria - Comune di Chieri</p>
</body></html>
""",
    intents=["payment_notice"],
    fields={"order_number": "ORD-2026-000791", "payment_reference": "0306901792650013481120002200IT"},
    note="HTML-only: a treasury's payment notice as a one-row table with column headers (order number and TRN)",
)

case(
    93,
    "invoice_rejected_reissue_with_cig",
    frm="Servizio Bilancio <bilancio@comune.formigine.mo.it>",
    subject="Fattura n. 2026/0077 rifiutata",
    enc="qp",
    body="""Buongiorno,
la fattura n. 2026/0077 è stata rifiutata tramite SdI perché priva del CIG.
Vi chiediamo di emettere nota di credito e nuova fattura riportando:
CIG Z7D560A6FD
codice univoco ufficio 5JSJC6
Grazie
Servizio Bilancio - Comune di Formigine
""",
    intents=["pa_billing_details"],
    fields={"office_code": "5JSJC6"},
    invalid=[{"field": "cig", "value": "Z7D560A6FD"}],
    note="invoice rejected for a missing CIG: new PA billing details, but the CIG given has a wrong checksum (last digit off by one)",
)

case(
    94,
    "inline_answers_in_our_quote",
    frm="Comune di Feltre - Ufficio Ambiente <ambiente@comune.feltre.bl.it>",
    subject="Re: Portale Impianti: dati per il rinnovo",
    body="""Buongiorno, rispondo qui sotto in linea.

Il giorno lun 9 feb 2026 alle ore 08:00 Rinnovi <rinnovi@example.it> ha scritto:
> Gentile cliente,
> per completare il rinnovo del servizio Portale Impianti con pagamento
> tramite bonifico, in quanto pubblica amministrazione, La preghiamo di
> comunicarci:
> - il codice CIG

X1EB1AAAC7

> - il codice univoco ufficio

SCMEJV

> - lo username utilizzato per l'accesso al portale

feltre.ambiente

> Cordiali saluti
> Ufficio Rinnovi

Grazie a voi
Ufficio Ambiente Feltre
""",
    intents=["pa_billing_details"],
    fields={"cig": ["X1EB1AAAC7"], "office_code": "SCMEJV", "username": "feltre.ambiente"},
    note="answers written inline between the '>' lines of our quoted request: the labels are ours, the values the sender's",
)

case(
    95,
    "outlook_quote_with_examples_sender_gives_cig_only",
    frm='"Ragioneria - Comune di Nizza Monferrato" <ragioneria@comune.nizzamonferrato.at.it>',
    subject="R: dati per la fatturazione PA",
    charset="windows-1252",
    enc="qp",
    body="""Buongiorno,
il CIG è 4151952B2B. Il codice ufficio e l'utenza ve li comunica il collega dei Lavori Pubblici.
Saluti
"""
    + outlook_quote(
        "martedì 10 febbraio 2026 09:00",
        "ragioneria@comune.nizzamonferrato.at.it",
        "dati per la fatturazione PA",
        """Gentile cliente,
ci comunichi CIG (es. 1234567ABC), codice univoco ufficio (es. UFXK9T) e
username del portale (es. nizza.acquedotto).""",
    ),
    intents=["pa_billing_details"],
    fields={"cig": ["4151952B2B"]},
    note="only the CIG is given; office code and username examples sit in our quoted Outlook copy",
)

case(
    96,
    "en_pa_will_not_renew",
    frm="ICT Services - University of Bologna <ict.dept@unibo.it>",
    subject="RE: Your Document Archive expires on 30/04/2026",
    enc="qp",
    body="""Dear Renewals Team,

we will not renew the Document Archive subscription: the department has moved to the university's central platform.
Please do not issue any renewal order or invoice.

Best regards,
ICT Services, Department of Physics and Astronomy
Alma Mater Studiorum – Università di Bologna
VAT 01131710376 – Tax code 80007010376
""",
    intents=["cancellation"],
    note="EN: a university department will not renew; the university's VAT and tax code in the signature are not fields",
)

case(
    97,
    "company_html_table_recipient_code",
    frm='"Ufficio Amministrazione" <amministrazione@caseificiovaltaleggio.it>',
    subject="Aggiornamento anagrafica fatturazione",
    layout="html",
    charset="windows-1252",
    enc="qp",
    html=outlook_html(
        o_p("Buongiorno,")
        + o_p("vi chiediamo di aggiornare la nostra anagrafica con i seguenti dati:")
        + o_table(
            [
                ("Ragione sociale", "Caseificio Val Taleggio Soc. Coop. Agricola"),
                ("Partita IVA", "04696560335"),
                ("Codice destinatario SDI", "SUBM70N"),
                ("PEC", "caseificiovaltaleggio@pec.confcooperative.it"),
            ]
        )
        + o_p("&nbsp;")
        + o_p("Grazie e buon lavoro<br>Ufficio Amministrazione")
    ),
    intents=["billing_update"],
    fields={
        "vat_number": "04696560335",
        "recipient_code": "SUBM70N",
        "pec": "caseificiovaltaleggio@pec.confcooperative.it",
    },
    note="HTML-only Outlook table with a cooperative's new billing data: VAT number, SDI recipient code, PEC",
)

case(
    98,
    "en_new_registered_address_only",
    frm="Olivia Grant <olivia.grant@grantstudio.it>",
    subject="Change of billing address",
    body="""Hi,
we've moved. Please put our new address on future invoices:

Grant Studio S.r.l.
Via Solferino 40
20121 Milano MI

Everything else stays the same.
Thanks,
Olivia
""",
    intents=["billing_update"],
    note="EN: billing update with only a new address, no identifier",
)

case(
    99,
    "company_vat_and_fiscal_code_differ",
    frm="Contabilità <contabilita@edilnordcostruzioni.it>",
    subject="dati corretti per fatturazione",
    charset="iso-8859-1",
    enc="qp",
    body="""Buongiorno,
vi segnaliamo che sulla vostra fattura la partita IVA e il codice fiscale della società sono invertiti / sbagliati. I dati corretti sono:

Partita IVA: 10360810427
Codice Fiscale: 01614810321

(la società è stata costituita prima dell'apertura della partita IVA, per questo i due numeri sono diversi).
Grazie
Ufficio Contabilità Edilnord Costruzioni S.p.A.
""",
    intents=["billing_update"],
    fields={"vat_number": "10360810427", "fiscal_code": "01614810321"},
    note="a company whose 11-digit fiscal code differs from its VAT number: both given as corrections",
)

case(
    100,
    "html_zero_code_and_pec",
    frm='"Parrucchieria Stella" <stella.parrucchieria@libero.it>',
    subject="dati per fattura elettronica",
    layout="html",
    enc="b64",
    html="""<div>Buongiorno,</div><div>per la fattura elettronica:</div><div><br></div>
<div>codice destinatario: <b>0000000</b></div>
<div>pec: <b>Parrucchieria.Stella@PEC.libero.it</b></div>
<div><br></div><div>grazie mille</div><div>Stella</div>
<div><br></div><div style="color:#999">Inviato da Libero Mail per Android</div>
""",
    intents=["billing_update"],
    fields={"recipient_code": "0000000", "pec": "parrucchieria.stella@pec.libero.it"},
    note="HTML-only base64 from a webmail app: recipient code 0000000 with a mixed-case PEC (lowercased in the field)",
)

case(
    101,
    "company_new_pec_then_renew",
    frm="Andrea Colombo <andrea@colombotermotecnica.it>",
    subject="Re: Il servizio Portale Impianti scade il 15/03/2026",
    enc="qp",
    body="""Ciao,
sì rinnoviamo, un anno con carta come sempre.
Ah, la PEC è cambiata: ora è colombotermotecnica@legalmail.it (quella vecchia su aruba non c'è più).
Andrea
"""
    + gmail_quote(
        "lun 9 feb 2026 alle ore 08:00",
        OUR_REMINDER_IT.format(service="Portale Impianti", user="colombo.caldaie", date="15/03/2026"),
    ),
    intents=["billing_update", "renewal_request"],
    fields={"years": 1, "pec": "colombotermotecnica@legalmail.it"},
    note="renew one year by card, plus a new PEC mentioned as an aside; intents in acting order (billing update first)",
)

case(
    102,
    "paid_and_want_receipted_invoice",
    frm="Amministrazione Hotel Belvedere <amministrazione@hotelbelvedere-garda.it>",
    subject="bonifico ordine ORD-2026-000829",
    charset="windows-1252",
    enc="8bit",
    body="""Buongiorno,
abbiamo saldato l’ordine ORD-2026-000829 con bonifico del 13/02, TRN 1101260440051712.
Ci potete inviare la fattura quietanzata per la nostra contabilità?
Grazie
Amministrazione – Hotel Belvedere srl
""",
    intents=["payment_notice", "invoice_request"],
    fields={"order_number": "ORD-2026-000829", "payment_reference": "1101260440051712"},
    note="a transfer made with TRN plus a request for the receipted invoice; windows-1252 8bit",
)

case(
    103,
    "autorenew_off_and_do_not_renew",
    frm="Fabio Marini <fabio.marini@marinifoto.it>",
    subject="R: Rinnovo automatico del 10/03/2026",
    enc="qp",
    body="""Buongiorno,
togliete il rinnovo automatico per favore: ho chiuso l'attività e il servizio non mi serve più, non voglio rinnovarlo.
Fabio Marini
"""
    + outlook_quote(
        "lunedì 16 febbraio 2026 08:00",
        "fabio.marini@marinifoto.it",
        "Rinnovo automatico del 10/03/2026",
        OUR_AUTORENEW_IT.format(service="Archivio Documentale", user="marinifoto", date="10/03/2026"),
    ),
    intents=["autorenew_off", "cancellation"],
    note="switch automatic renewal off and do not renew (business closed)",
)

case(
    104,
    "new_card_and_autorenew_back_on",
    frm="Chiara Sala <chiara.sala@studiosala.eu>",
    subject="nuova carta",
    body="""Buongiorno,
ho una carta nuova perché la vecchia mi è stata clonata. Vorrei riattivare il rinnovo automatico dell'archivio con la nuova carta: come posso fare? (non vi mando i dati qui, ovviamente)
Grazie
Chiara Sala
""",
    intents=["card_change", "autorenew_on"],
    note="new card for automatic renewal and switch automatic renewal back on; no card number given",
)

case(
    105,
    "monthly_to_annual",
    frm="Roberto Villa <r.villa@villaservizi.it>",
    subject="passaggio ad abbonamento annuale",
    layout="alt",
    enc="qp",
    body="""Salve,
attualmente paghiamo il portale mese per mese. Vorremmo passare all'abbonamento annuale per avere lo sconto. Procedete pure.
Saluti
Roberto Villa - Villa Servizi srl
""",
    intents=["upgrade_request"],
    note="monthly to annual cadence is an upgrade",
)

case(
    106,
    "en_thanks_received",
    frm="Lucia Ferraro <lucia.ferraro@ferrarodesign.it>",
    subject="Re: Payment received - your service has been renewed",
    body="""Great, thank you very much!
Lucia
""",
    intents=["other"],
    note="EN: a two-line thank-you after our confirmation",
)

case(
    107,
    "unrelated_reply_wrong_thread",
    frm="Massimo Conti <massimo.conti@contitrasporti.it>",
    subject="Re: Il servizio Archivio Documentale scade il 31/03/2026",
    enc="qp",
    body="""Ciao Giorgio, ti confermo la riunione di giovedì alle 15 in sede, porta i preventivi dei furgoni.
Massimo
"""
    + gmail_quote(
        "lun 16 feb 2026 alle ore 08:00",
        OUR_REMINDER_IT.format(service="Archivio Documentale", user="conti.trasporti", date="31/03/2026"),
    ),
    intents=["other"],
    note="an unrelated message sent by mistake as a reply to our reminder",
)

case(
    108,
    "complaint_price_no_request",
    frm="Ufficio Tecnico <tecnico@comune.cortemilia.cn.it>",
    subject="R: Istruzioni per il bonifico del rinnovo",
    charset="iso-8859-1",
    enc="qp",
    body="""Buongiorno,
prendiamo atto, ma segnaliamo che la commissione per il bonifico ci sembra eccessiva per un ente pubblico che non può pagare con carta.
Ne parleremo con l'Amministrazione.
Ufficio Tecnico
""",
    intents=["other"],
    note="a complaint about the bank-transfer fee, nothing requested",
)

case(
    109,
    "en_company_new_pec",
    frm="Finance Team <finance@brightwave-solutions.it>",
    subject="New certified e-mail (PEC) for invoices",
    body="""Hello,

Please note our new PEC for e-invoicing: brightwave.solutions@pec.brightwave.it
Kindly update your records before the next invoice.

Regards,
Finance Team – Brightwave Solutions S.r.l.
VAT IT04675090981
""",
    intents=["billing_update"],
    fields={"pec": "brightwave.solutions@pec.brightwave.it"},
    note="EN: new PEC for invoices; the VAT number in the signature is not part of the change",
)

case(
    110,
    "en_recipient_code_new_provider",
    frm="Luca Pozzi <luca.pozzi@pozzi-automation.com>",
    subject="SDI code change",
    enc="qp",
    body="""Hi,
our e-invoicing provider changed. New SDI recipient code: usal8pr (7 chars, please double check).
Thanks
Luca
""",
    intents=["billing_update"],
    fields={"recipient_code": "USAL8PR"},
    note="EN: a new recipient code written in lowercase (uppercased in the field)",
)

case(
    111,
    "en_paid_from_our_iban_cro",
    frm="Treasury <treasury@ventura-logistics.eu>",
    subject="Re: Your order is awaiting payment",
    body="""Hello,
payment made today from our account IT61X0306909606100000012345, CRO 4408122907733.
Regards,
Treasury Dept.
"""
    + gmail_quote(
        "Mon, 16 Feb 2026 at 08:00",
        OUR_TRANSFER_EN.format(order="ORD-2026-000852", amount="183.00"),
        lang="en",
    ),
    intents=["payment_notice"],
    fields={"iban": "IT61X0306909606100000012345", "payment_reference": "4408122907733"},
    note="EN: payment notice naming the payer's own IBAN and a CRO; our IBAN and the order number only in the quote",
)

case(
    112,
    "en_renew_three_years_no_autorenew",
    frm="Peter Hofer <p.hofer@hofer-holz.it>",
    subject="Renewal",
    layout="alt",
    enc="b64",
    body="""Hello,
we'd like to renew the device portal for 3 years, paying by card now. At the same time please switch off the automatic renewal, we'll decide again in 2029.
Best,
Peter Hofer
Hofer Holz GmbH / S.r.l. – Bruneck/Brunico
""",
    intents=["renewal_request", "autorenew_off"],
    fields={"years": 3},
    note="EN: renew for 3 years by card and switch automatic renewal off; multipart/alternative base64",
)

case(
    113,
    "en_card_change_request",
    frm="Anna Keller <anna.keller@kellerdesign.it>",
    subject="Re: We could not charge your card",
    body="""Hi, my card was replaced by the bank last week. How can I put the new one on the automatic renewal? Thanks, Anna
"""
    + gmail_quote(
        "Tue, 17 Feb 2026 at 07:30",
        """Dear customer,
we could not charge the automatic renewal of your Document Archive
(username keller_design): your card was declined. Please update your payment method.""",
        lang="en",
    ),
    intents=["card_change"],
    note="EN: new card for automatic renewal after a declined charge",
)

case(
    114,
    "en_question_split_payment",
    frm="Procurement <procurement@cnr-ismar.it>",
    subject="Question about split payment",
    enc="qp",
    body="""Good morning,
before sending you our codes: do you issue invoices under split payment (scissione dei pagamenti)? Our institute is subject to it and cannot accept invoices with VAT collected by the supplier.
Kind regards,
Procurement Office
""",
    intents=["other"],
    note="EN: a public research institute asks whether we invoice under split payment; no codes yet",
)

case(
    115,
    "en_pa_html_table_codes",
    frm='"Purchasing Office - ARPAE" <purchasing@arpae.it>',
    subject="RE: PA billing details needed for your renewal",
    layout="html",
    charset="utf-8",
    enc="qp",
    html=outlook_html(
        o_p("Dear Sirs,")
        + o_p("please find the requested details below.")
        + o_table([("CIG", "B39A914BC1"), ("Unique Office Code", "G3F9CA"), ("Portal username", "arpae.aria-bo")])
        + o_p("&nbsp;")
        + o_p("Kind regards,<br>Purchasing Office")
        + o_quote(
            "Monday, February 16, 2026 9:00 AM",
            "purchasing@arpae.it",
            "PA billing details needed for your renewal",
            """Dear customer,
as a public administration paying by bank transfer, please send us the CIG,
the unique office code and your portal username.""",
            lang="en",
        )
    ),
    intents=["pa_billing_details"],
    fields={"cig": ["B39A914BC1"], "office_code": "G3F9CA", "username": "arpae.aria-bo"},
    note="EN: HTML-only Outlook table with English labels from a regional agency",
)

case(
    116,
    "html_table_cig_per_plant",
    frm='"Servizio Idrico Integrato - Unione dei Comuni del Frignano" <sii@unionefrignano.mo.it>',
    subject="R: rinnovo telecontrollo serbatoi - CIG per impianto",
    layout="html",
    charset="windows-1252",
    enc="qp",
    html=outlook_html(
        o_p("Buongiorno,")
        + o_p("come anticipato telefonicamente, ogni impianto ha il proprio CIG:")
        + o_table(
            [
                ("Serbatoio Pavullo &#8211; CIG", "585883713E"),
                ("Serbatoio Lama Mocogno &#8211; CIG", "8031986C84"),
                ("Serbatoio Fanano &#8211; CIG", "34201984AC"),
                ("Codice univoco ufficio (unico)", "BIC145"),
            ]
        )
        + o_p("&nbsp;")
        + o_p("Cordiali saluti<br>Servizio Idrico Integrato<br>Unione dei Comuni del Frignano")
    ),
    intents=["pa_billing_details"],
    fields={"cig": ["585883713E", "8031986C84", "34201984AC"], "office_code": "BIC145"},
    note="HTML-only: three CIGs in three table rows (one per plant) in order, then one office code",
)

case(
    117,
    "cig_slash_cup_and_paid",
    frm="Ufficio Contabilità - GAL Valli del Canavese <contabilita@galvallidelcanavese.it>",
    subject="Pagamento e dati fattura",
    charset="iso-8859-1",
    enc="qp",
    body="""Buongiorno,
abbiamo provveduto al pagamento dell'ordine ORD-2026-000873 (bonifico del 17/02, CRO 21044876511).
Da riportare in fattura: CIG/CUP: U2E98EF296 / D28G22691579275
Codice univoco: AEZ732

Cordiali saluti
GAL Valli del Canavese
""",
    intents=["pa_billing_details", "payment_notice"],
    fields={
        "order_number": "ORD-2026-000873",
        "payment_reference": "21044876511",
        "cig": ["U2E98EF296"],
        "cup": ["D28G22691579275"],
        "office_code": "AEZ732",
    },
    note="'CIG/CUP: x / y' on one line, office code, plus a payment with CRO and order number",
)

case(
    118,
    "forward_attached_from_ufficio_contratti",
    frm="Daniela Greco <d.greco@comune.lecce.it>",
    subject="I: dati per fattura rinnovo piattaforma",
    layout="attached",
    body="""Buongiorno,
vi inoltro in allegato la mail dell'Ufficio Contratti con i dati richiesti.
Cordiali saluti
Daniela Greco
Settore Innovazione Tecnologica - Comune di Lecce
""",
    attached="""From: Ufficio Contratti <contratti@comune.lecce.it>
To: Daniela Greco <d.greco@comune.lecce.it>
Subject: R: dati per fattura rinnovo piattaforma
Date: Tue, 17 Feb 2026 16:20:00 +0100
Message-ID: <contratti-2026-0217-1620@comune.lecce.it>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Daniela,
per il rinnovo della piattaforma:
CIG B22187984C
Codice univoco ufficio 71HGET
Il fornitore deve indicare anche il numero di impegno 2026/311 in causale.
Ufficio Contratti
""",
    intents=["pa_billing_details"],
    fields={"cig": ["B22187984C"], "office_code": "71HGET"},
    note="the codes are only in an attached forwarded message (message/rfc822) from the comune's own contracts office, forwarded as the answer",
)

case(
    119,
    "office_code_in_signature_pointed_to",
    frm='"Servizio Provveditorato - Città Metropolitana di Genova" <provveditorato@cittametropolitana.genova.it>',
    subject="Re: dati per fatturazione elettronica",
    enc="qp",
    body="""Buongiorno,
per la fattura del rinnovo usate il CIG B7C53EDDDC e il codice univoco ufficio riportato in calce.

Cordiali saluti

Servizio Provveditorato
Città Metropolitana di Genova
Largo Cattanei 3 - 16147 Genova
C.F. 80007350103 - P.IVA 00949170104
Codice Univoco Ufficio per la fatturazione elettronica: PGOJJ7
""",
    intents=["pa_billing_details"],
    fields={"cig": ["B7C53EDDDC"], "office_code": "PGOJJ7"},
    note="the text asks to use the office code 'riportato in calce', so the signature's office code IS a field; its C.F. and P.IVA are not",
)

case(
    120,
    "office_code_only_in_signature_not_asked",
    frm="Ufficio Tecnico Comune di Sondalo <tecnico@comune.sondalo.so.it>",
    subject="R: rinnovo - CIG",
    enc="qp",
    charset="iso-8859-1",
    body="""Buongiorno,
il CIG del rinnovo è B57ABB42DC. Per il resto vi risponderà la ragioneria.
Saluti

--
Ufficio Tecnico - Comune di Sondalo (SO)
Via Verdi 6, 23035 Sondalo - tel. 0342 801211
C.F. 83000510142 - Cod. Univoco Fatturazione 3OQSGL
""",
    intents=["pa_billing_details"],
    fields={"cig": ["B57ABB42DC"]},
    note="only the CIG is given; an office code sits in the signature block next to the C.F. and the text does not point to it: not a field",
)

case(
    121,
    "pa_paid_mandato_quietanza_cro",
    frm="Ragioneria Comune di Castel San Pietro Terme <ragioneria@comune.castelsanpietroterme.bo.it>",
    subject="avvenuto pagamento fattura 2026/0153",
    enc="qp",
    body="""Si comunica che la fattura n. 2026/0153 è stata pagata con mandato n. 602 del 16/02/2026, quietanzato dal tesoriere in data 18/02/2026 (CRO 0500017281033).
Cordiali saluti
Servizio Ragioneria
""",
    intents=["payment_notice"],
    fields={"payment_reference": "0500017281033"},
    note="mandato and quietanza numbers and an invoice number are not fields; only the CRO is",
)

case(
    122,
    "pa_renew_two_years_stated",
    frm='"Comune di Tirano - Servizi Demografici" <demografici@comune.tirano.so.it>',
    subject="Re: Il servizio Archivio Documentale scade il 30/04/2026",
    enc="qp",
    body="""Buongiorno,
questa volta vorremmo rinnovare per due anni, l'impegno di spesa è già pluriennale.
CIG: B2E4CAF67D
codice ufficio: RTAE9G
Grazie
Servizi Demografici - Comune di Tirano
"""
    + gmail_quote(
        "mer 18 feb 2026 alle ore 08:00",
        OUR_REMINDER_IT.format(service="Archivio Documentale", user="tirano.anagrafe", date="30/04/2026"),
    ),
    intents=["renewal_request", "pa_billing_details"],
    fields={"years": 2, "cig": ["B2E4CAF67D"], "office_code": "RTAE9G"},
    note="a PA asks to renew 'per due anni' (what it says, even if bank transfer is annual) with CIG and office code; username only in our quote",
)

case(
    123,
    "lowercase_cig_in_sentence_new_family",
    frm="anagrafe@comune.arcore.mb.it",
    subject="re: codici",
    body="""il cig è b3945e6346 e il codice univoco ufficio hxo55z, username arcore-anagrafe. ciao
""",
    intents=["pa_billing_details"],
    fields={"cig": ["B3945E6346"], "office_code": "HXO55Z", "username": "arcore-anagrafe"},
    note="one lowercase sentence: 'il cig è b39...' (2024 family) with lowercase office code and username",
)

case(
    124,
    "cod_univoco_uff_abbrev_example_in_quote",
    frm='"Comune di Spoleto - Economato" <economato@comune.spoleto.pg.it>',
    subject="R: Rinnovo: richiesta dati PA",
    charset="windows-1252",
    enc="qp",
    body="""Buongiorno,
Cod. Univoco Uff.: 7MYQOA
CIG Z72B34A94E
Cordiali saluti
Economato
"""
    + outlook_quote(
        "mercoledì 18 febbraio 2026 09:00",
        "economato@comune.spoleto.pg.it",
        "Rinnovo: richiesta dati PA",
        """Gentile cliente,
ci indichi CIG (es. Z213346E34) e codice univoco ufficio (es. UFXK9T).""",
    ),
    intents=["pa_billing_details"],
    fields={"office_code": "7MYQOA"},
    invalid=[{"field": "cig", "value": "Z72B34A94E"}],
    note="'Cod. Univoco Uff.:' abbreviation; the CIG's checksum fails; valid-looking examples only in our quoted copy",
)

case(
    125,
    "renew_one_plant_not_the_other",
    frm='"Comune di Ovada - Lavori Pubblici" <llpp@comune.ovada.al.it>',
    subject="Re: rinnovo impianti 2026",
    enc="qp",
    body="""Buongiorno,
rinnovate per un anno soltanto l'impianto della piscina comunale (utenza ovada.piscina), con bonifico:
CIG Z2AAF7E6A1
cod. univoco ufficio A8T3RU

L'impianto della ex scuola di via Galliera invece NON va rinnovato: l'edificio è stato venduto, potete chiudere il servizio alla scadenza.

Saluti
LL.PP. Ovada
""",
    intents=["renewal_request", "pa_billing_details", "cancellation"],
    fields={"years": 1, "username": "ovada.piscina", "office_code": "A8T3RU"},
    invalid=[{"field": "cig", "value": "Z2AAF7E6A1"}],
    note="renew one plant for a year with codes and cancel the other; the smart CIG does not pass its check",
)

case(
    126,
    "html_inline_bold_span",
    frm="Comune di Grado - Turismo <turismo@comune.grado.go.it>",
    subject="R: dati PA rinnovo webcam spiaggia",
    layout="html",
    charset="iso-8859-1",
    enc="qp",
    html="""<html><body><div style="font-family:Georgia;font-size:11pt">
<p>Gentili,</p>
<p>ecco i dati: CIG <b>B14B8ABE8F</b>, codice univoco dell'ufficio <b><span style="color:#c00000">P47P9P</span></b>,
e lo username &egrave; <span style="font-family:Courier New">grado.webcam</span>.</p>
<p>Ci servirebbe la fattura entro fine mese, grazie!</p>
<p>Ufficio Turismo<br>Comune di Grado</p>
</div></body></html>
""",
    intents=["pa_billing_details"],
    fields={"cig": ["B14B8ABE8F"], "office_code": "P47P9P", "username": "grado.webcam"},
    note="HTML-only: values inside bold and coloured spans within a sentence",
)

case(
    127,
    "corrected_office_code",
    frm="Ragioneria <ragioneria@comune.montebelluna.tv.it>",
    subject="CORREZIONE codice univoco ufficio",
    enc="qp",
    body="""Buongiorno,
ci scusiamo: il codice univoco ufficio che vi abbiamo comunicato la settimana scorsa è quello del settore sbagliato.
Per la fattura del rinnovo il codice corretto è B0TDBM (Settore Lavori Pubblici). Il CIG resta invariato.
Grazie
Ragioneria Montebelluna
""",
    intents=["pa_billing_details"],
    fields={"office_code": "B0TDBM"},
    note="a correction of the office code given in an earlier mail; the CIG 'resta invariato' is not restated",
)

case(
    128,
    "determina_affidamento_cig_payment_later",
    frm='"Settore Servizi Sociali - Comune di Carpi" <servizisociali@comune.carpi.mo.it>',
    subject="Determina di affidamento - rinnovo archivio cartelle sociali",
    charset="iso-8859-1",
    enc="qp",
    body="""Buongiorno,
vi informiamo che con determina dirigenziale n. 134 del 12/02/2026 è stato affidato il rinnovo del servizio di archivio (utenza carpi.sociali).
Il CIG assegnato è B6F6ABD6F4; il codice univoco ufficio è 50FQO1.
Il pagamento avverrà a 30 giorni dal ricevimento della fattura elettronica.

Cordiali saluti
Settore Servizi Sociali
""",
    intents=["pa_billing_details"],
    fields={"username": "carpi.sociali", "cig": ["B6F6ABD6F4"], "office_code": "50FQO1"},
    note="a determina di affidamento with CIG and office code; payment only announced for later (no payment notice)",
)

case(
    129,
    "siope_transfer_trn",
    frm="Servizio Bilancio - Comune di Sesto Fiorentino <bilancio@comune.sesto-fiorentino.fi.it>",
    subject="Pagamento ordine ORD-2026-000902",
    enc="b64",
    body="""Buongiorno,
l'ordine in oggetto è stato pagato tramite SIOPE+ in data 19/02/2026.
Identificativo transazione (TRN): 0306912345678901234567890120IT

Cordiali saluti
Servizio Bilancio
""",
    intents=["payment_notice"],
    fields={"order_number": "ORD-2026-000902", "payment_reference": "0306912345678901234567890120IT"},
    note="payment through SIOPE+ with a long TRN written after a label in Italian; order number in the sender's subject; base64",
)

case(
    130,
    "unione_html_renew_one_year_table",
    frm='"Unione Montana Valli Chisone e Germanasca" <ragioneria@umchisonegermanasca.it>',
    subject="RE: Il servizio Portale Impianti scade il 31/03/2026",
    layout="html",
    charset="windows-1252",
    enc="qp",
    html=outlook_html(
        o_p("Buongiorno,")
        + o_p("l&#8217;Unione chiede il rinnovo del servizio per un anno, con pagamento tramite bonifico.")
        + o_p("Dati per la fattura elettronica:")
        + o_table([("CIG", "B7DF7785A1"), ("Codice Univoco Ufficio", "O35YE4"), ("Username", "um.chisone-germanasca")])
        + o_p("&nbsp;")
        + o_p("Cordiali saluti<br>Ufficio Ragioneria")
        + o_quote(
            "luned&igrave; 16 febbraio 2026 08:00",
            "ragioneria@umchisonegermanasca.it",
            "Il servizio Portale Impianti scade il 31/03/2026",
            OUR_REMINDER_IT.format(service="Portale Impianti", user="um.chisone-germanasca", date="31/03/2026"),
        )
    ),
    intents=["renewal_request", "pa_billing_details"],
    fields={"years": 1, "cig": ["B7DF7785A1"], "office_code": "O35YE4", "username": "um.chisone-germanasca"},
    note="HTML-only: renew one year by transfer in a paragraph, codes in an Outlook table",
)

case(
    131,
    "en_pa_paid_and_codes",
    frm="Administration Office - INFN Sezione di Padova <amministrazione@pd.infn.it>",
    subject="Re: Your order is awaiting payment",
    enc="qp",
    body="""Dear Renewals Team,

The transfer for your order has been executed today (CRO 0889021533412). As a public body under split payment, we paid the net amount only.
For the e-invoice please use:
CIG: B325188EA8
Office code: 5RGN5S

Best regards,
Administration Office
"""
    + gmail_quote(
        "Wed, 18 Feb 2026 at 08:00",
        OUR_TRANSFER_EN.format(order="ORD-2026-000884", amount="244.00"),
        lang="en",
    ),
    intents=["pa_billing_details", "payment_notice"],
    fields={"payment_reference": "0889021533412", "cig": ["B325188EA8"], "office_code": "5RGN5S"},
    note="EN: a research institute reports the transfer (CRO) and gives CIG and office code; order number only in our quote",
)

case(
    132,
    "en_invoice_copy_for_audit",
    frm="Giorgia Mancini <giorgia@mancini-partners.it>",
    subject="Invoice copies for 2025",
    body="""Hello,
for our annual audit we need copies of all invoices you issued to us in 2025 (archive and device portal). Could you email them as PDF?
Thank you,
Giorgia Mancini
Mancini & Partners – Studio Legale
""",
    intents=["invoice_request"],
    note="EN: a law firm asks for copies of last year's invoices",
)

case(
    133,
    "en_more_storage",
    frm="IT <it@venetoceramiche.com>",
    subject="Need more space on the archive",
    layout="alt",
    enc="qp",
    body="""Hi,
we got the yellow warning: the archive is at 78%. Please add 2 GB of storage to our plan.
Thanks
IT Dept – Veneto Ceramiche S.p.A.
""",
    intents=["upgrade_request"],
    note="EN: buy 2 GB more storage after the usage warning",
)

case(
    134,
    "en_autorenew_on",
    frm="Daniel Russo <daniel.russo@russoimport.com>",
    subject="Auto renewal",
    body="""Hi, can you switch on automatic renewal for my account? I have PayPal set up already.
Thanks,
Daniel
""",
    intents=["autorenew_on"],
    note="EN: switch automatic renewal on with PayPal",
)

case(
    135,
    "en_vat_check_digit_wrong",
    frm="Accounts Payable <ap@lakeviewhotels.it>",
    subject="Billing details update",
    enc="qp",
    body="""Hello,

please update the company on our invoices to:
Lakeview Hotels S.r.l.
VAT no. 12267620288
Recipient code: NCXVJCN

Thank you
""",
    intents=["billing_update"],
    fields={"recipient_code": "NCXVJCN"},
    invalid=[{"field": "vat_number", "value": "12267620288"}],
    note="EN: billing update whose VAT number has a wrong check digit (invalid); the recipient code is fine",
)

case(
    136,
    "en_forwarded_to_accounts",
    frm="Office Manager <office@harbourlabs.it>",
    subject="Re: Your Device Portal expires on 15/04/2026",
    body="""Hi,
I've forwarded this to our accounts department, they'll get back to you.
Regards,
Emma
"""
    + gmail_quote(
        "Thu, 19 Feb 2026 at 08:00",
        OUR_REMINDER_EN.format(service="Device Portal", user="harbour-labs", date="15/04/2026"),
        lang="en",
    ),
    intents=["other"],
    note="EN: 'forwarded to our accounts department', no request; username only in our quote",
)

case(
    137,
    "en_pa_renew_one_year_base64",
    frm="Technical Office - Comune di Merano/Gemeinde Meran <technik@gemeinde.meran.bz.it>",
    subject="Renewal 2026 - billing data",
    enc="b64",
    charset="utf-8",
    body="""Good morning,

the municipality wishes to renew the monitoring portal for one year, payment by bank transfer.
Billing data for the electronic invoice:
 - CIG: B0DD716A79
 - Codice Univoco Ufficio / unique office code: IOCTIQ
 - Username: meran.technik

Kind regards / Mit freundlichen Grüßen
Technical Office – Comune di Merano / Gemeinde Meran
""",
    intents=["renewal_request", "pa_billing_details"],
    fields={"years": 1, "cig": ["B0DD716A79"], "office_code": "IOCTIQ", "username": "meran.technik"},
    note="EN: a bilingual South Tyrol municipality renews for one year with the three codes; base64 utf-8",
)

case(
    138,
    "en_close_and_final_invoice",
    frm="Helen Carter <helen.carter@cartertextiles.co.uk>",
    subject="Closing our account",
    body="""Hello,
we are closing our Italian branch, so please cancel our subscription and do not renew it in May.
Could you also send me a copy of the last invoice (order ORD-2025-003917) for our records?
Many thanks,
Helen Carter
""",
    intents=["invoice_request", "cancellation"],
    fields={"order_number": "ORD-2025-003917"},
    note="EN: cancel the subscription plus ask for a copy of the last invoice; intents in acting order",
)

case(
    139,
    "en_new_company_and_upgrade_users",
    frm="Stefano Riva <s.riva@rivatech.it>",
    subject="Upgrade + new company details",
    enc="qp",
    body="""Hello,

we need 3 more users on the portal (we are hiring). Please also invoice the new company from now on:
RivaTech Solutions S.r.l., VAT 00148380488, PEC rivatechsolutions@pec.it

Thanks!
Stefano
""",
    intents=["billing_update", "upgrade_request"],
    fields={"vat_number": "00148380488", "pec": "rivatechsolutions@pec.it"},
    note="EN: add 3 users (upgrade) plus invoice a new company (VAT number and PEC)",
)

case(
    140,
    "studio_recipient_code_and_invoice_copy",
    frm="Studio Notarile Ferrero <segreteria@notaioferrero.it>",
    subject="codice destinatario e copia fattura",
    charset="iso-8859-1",
    enc="qp",
    body="""Buongiorno,
lo studio ha cambiato software di fatturazione: il nuovo codice destinatario è C3EDQME.
Potreste inoltre rimandarci copia della fattura di febbraio, che col vecchio codice è andata persa?
Grazie
La segreteria - Studio Notarile Ferrero
""",
    intents=["billing_update", "invoice_request"],
    fields={"recipient_code": "C3EDQME"},
    note="a notary's office: new recipient code plus a copy of the February invoice",
)

case(
    141,
    "girato_al_manutentore",
    frm="Ufficio Patrimonio <patrimonio@comune.agliana.pt.it>",
    subject="R: Il servizio Portale Impianti scade il 30/04/2026",
    enc="qp",
    body="""Buongiorno,
l'impianto è gestito in concessione dalla ditta manutentrice, abbiamo girato la vostra comunicazione a loro.
Eventuali rinnovi li farà direttamente il concessionario.
Saluti
Ufficio Patrimonio
""",
    intents=["other"],
    note="the comune passed our mail on to the maintenance company; no request of its own",
)

case(
    142,
    "en_how_much_for_a_user",
    frm="Marta Silvestri <marta@silvestri-arch.it>",
    subject="Question about extra users",
    body="""Hi, how much would it cost to add one more user to our TEAM plan, and would it follow our current expiry date? Just asking for now, no need to change anything yet.
Marta
""",
    intents=["other"],
    note="EN: a price question about an extra user, explicitly not a request yet",
)

case(
    143,
    "company_autorenew_off_short",
    frm="info@panificiobonetti.it",
    subject="R: Rinnovo automatico del 20/03/2026",
    body="""disattivate il rinnovo automatico grazie, quest'anno rinnovo io a mano con bonifico

Panificio Bonetti
"""
    + gmail_quote(
        "gio 19 feb 2026 alle ore 08:00",
        OUR_AUTORENEW_IT.format(service="Portale Impianti", user="bonetti.forni", date="20/03/2026"),
    ),
    intents=["autorenew_off"],
    note="switch automatic renewal off; 'rinnovo io a mano' is a future intention, not a renewal request now",
)

case(
    144,
    "two_invalid_codes_valid_user",
    frm="Segreteria IC Rita Levi Montalcini <segreteria@icrlm.edu.it>",
    subject="Re: dati fatturazione",
    charset="iso-8859-1",
    enc="qp",
    body="""Buongiorno,
CIG: B8C01E29EF
Cod. univoco: UFK9T
Username: ic.levimontalcini
Cordiali saluti
Segreteria
""",
    intents=["pa_billing_details"],
    fields={"username": "ic.levimontalcini"},
    invalid=[{"field": "cig", "value": "B8C01E29EF"}, {"field": "office_code", "value": "UFK9T"}],
    note="both codes invalid (CIG checksum, 5-char office code); only the username is a valid field",
)

case(
    145,
    "html_forward_from_economato_with_table",
    frm='"Ufficio Informatica - Comune di Rho" <informatica@comune.rho.mi.it>',
    subject="I: codici fatturazione rinnovo portale",
    layout="html",
    charset="windows-1252",
    enc="qp",
    html=outlook_html(
        o_p("Buongiorno, vi inoltro i dati forniti dal nostro Economato.")
        + o_p("Paolo")
        + o_p("&nbsp;")
        + '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">\n'
        + o_p(
            "<b>Da:</b> Economato &lt;economato@comune.rho.mi.it&gt;<br><b>Inviato:</b> gioved&igrave; 19 febbraio 2026 15:02<br>"
            "<b>A:</b> Ufficio Informatica &lt;informatica@comune.rho.mi.it&gt;<br><b>Oggetto:</b> codici fatturazione rinnovo portale"
        )
        + "</div>\n"
        + o_p("Ciao Paolo, ecco i codici per il fornitore:")
        + o_table([("CIG", "B9143FE228"), ("Codice univoco ufficio", "XZMAS6"), ("Utenza", "rho.informatica")])
        + o_p("Economato")
    ),
    intents=["pa_billing_details"],
    fields={"cig": ["B9143FE228"], "office_code": "XZMAS6", "username": "rho.informatica"},
    note="HTML-only: an Outlook forward of the comune's economato mail whose table holds the codes",
)

case(
    146,
    "company_paid_and_new_recipient_code",
    frm="Amministrazione <amministrazione@lattoneriacorti.it>",
    subject="Re: Il Suo ordine è in attesa di pagamento",
    charset="windows-1252",
    enc="qp",
    body="""Buongiorno,
bonifico fatto oggi, CRO 00331290874.
Per le prossime fatture il codice destinatario non è più quello di Aruba: usate M5UXCR1.
Saluti
Amministrazione – Lattoneria Corti snc
"""
    + gmail_quote(
        "gio 19 feb 2026 alle ore 08:00",
        OUR_TRANSFER_IT.format(order="ORD-2026-000915", amount="122,00"),
    ),
    intents=["billing_update", "payment_notice"],
    fields={"payment_reference": "00331290874", "recipient_code": "M5UXCR1"},
    note="payment made (CRO) plus a new recipient code for future invoices; order number only in our quote",
)

case(
    147,
    "office_code_english_label_in_italian",
    frm="ced@comune.jesolo.ve.it",
    subject="R: rinnovo",
    enc="qp",
    body="""Ciao,
Office code: IOXD4C
CIG Smart: Z25F2BD045
user jesolo-ced
Grazie, Ivan
""",
    intents=["pa_billing_details"],
    fields={"office_code": "IOXD4C", "cig": ["Z25F2BD045"], "username": "jesolo-ced"},
    note="an Italian reply with English-ish labels ('Office code', 'CIG Smart', 'user' without colon)",
)

case(
    148,
    "cup_only_cig_not_required",
    frm="Area Lavori Pubblici - Comune di Cento <llpp@comune.cento.fe.it>",
    subject="R: dati per fattura",
    enc="qp",
    body="""Buongiorno,
il servizio rientra nel progetto finanziato con CUP I80F58622128279; il CIG non è previsto perché si tratta di una convenzione con la Regione (esclusione ai sensi delle linee guida ANAC).
Codice univoco ufficio: VZ88BN
Cordiali saluti
""",
    intents=["pa_billing_details"],
    fields={"cup": ["I80F58622128279"], "office_code": "VZ88BN"},
    note="a CUP and office code with the CIG explicitly 'non previsto': no CIG field",
)

case(
    149,
    "cuu_and_same_code_in_signature",
    frm="Servizio Finanziario - Comune di Fiorenzuola <finanziario@comune.fiorenzuola.pc.it>",
    subject="Re: fatturazione elettronica rinnovo",
    charset="iso-8859-1",
    enc="qp",
    body="""Buongiorno,
Codice Univoco Ufficio: UFXK9T
CIG: Y313BF3FAF
username: fiorenzuola.fin

Distinti saluti
Servizio Finanziario
Comune di Fiorenzuola d'Arda - C.F. 00216640338
Codice Univoco Ufficio UFXK9T - PEC protocollo@pec.comune.fiorenzuola.pc.it
""",
    intents=["pa_billing_details"],
    fields={"office_code": "UFXK9T", "cig": ["Y313BF3FAF"], "username": "fiorenzuola.fin"},
    note="the office code is given in the body and repeated in the signature; the signature's C.F. and PEC are not fields",
)

case(
    150,
    "en_html_new_pec_and_code",
    frm="Finance Office <finance@blueharborfoods.it>",
    subject="Updated e-invoicing details",
    layout="html",
    enc="qp",
    html="""<html><body style="font-family:Segoe UI,sans-serif;font-size:10pt">
<p>Dear supplier,</p>
<p>please update our e-invoicing details as follows:</p>
<ul>
<li>Recipient code (Codice Destinatario): <b>SMUEZQP</b></li>
<li>PEC: <b>blueharborfoods@legalmail.it</b></li>
</ul>
<p>The previous code will be deactivated at the end of the month.</p>
<p>Best regards,<br>Finance Office &#8211; Blue Harbor Foods S.r.l.</p>
</body></html>
""",
    intents=["billing_update"],
    fields={"recipient_code": "SMUEZQP", "pec": "blueharborfoods@legalmail.it"},
    note="EN: HTML-only list with a company's new recipient code and PEC",
)


if __name__ == "__main__":
    if "--check" in sys.argv:
        sys.exit(check(run_parser="--no-parse" not in sys.argv))
    generate()
