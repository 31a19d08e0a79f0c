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
from email.message import EmailMessage
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
    for i in ORDER + ["other"]:
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

    start = datetime.datetime(2026, 1, 12, 8, 3, 0)
    when = start + datetime.timedelta(hours=num * 7 + (num * 37) % 11, minutes=(num * 53) % 60, seconds=num % 60)
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
    head = f"Content-Type: {ctype}; charset=\"{charset}\"\nContent-Transfer-Encoding: {ENC_NAMES[enc]}\n\n"
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
                out.append('<blockquote class="gmail_quote" style="margin:0 0 0 .8ex;border-left:1px #ccc solid;padding-left:1ex">')
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
) -> None:
    CASES.append(
        {
            "name": f"{PREFIX}_{num:03d}_{slug}",
            "num": num,
            "msg": dict(frm=frm, subject=subject, body=body, layout=layout, charset=charset, enc=enc, html=html, extra=extra),
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


#CASES

if __name__ == "__main__":
    if "--check" in sys.argv:
        sys.exit(check(run_parser="--no-parse" not in sys.argv))
    generate()
