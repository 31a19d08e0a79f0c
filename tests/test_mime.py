"""parse_message on hand-written byte literals: the traps real mail sets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mailbot.understand.htmltext import html_to_text
from mailbot.understand.mime import header_hash, normalize_message_id, parse_message, safe_filename
from mailbot.understand.winmail import MAX_PER_MESSAGE
from tests.support.tnef import build_tnef, outlook, winmail_part


def test_headers_addresses_and_ids() -> None:
    raw = (
        b"Message-ID: <AbC.123@Mail.Example.COM>\r\n"
        b'From: "Rossi, Mario" <Mario.Rossi@Comune.IT>\r\n'
        b"To: a@x.it, B <b@y.it>\r\nCc: c@z.it\r\nReply-To: r@x.it\r\n"
        b"In-Reply-To: <ours-1@mailbot.Example>\r\nReferences: <r0@a.b> <ours-1@mailbot.Example>\r\n"
        b"Date: Tue, 05 Mar 2024 10:15:00 +0100\r\nSubject: Re: rinnovo\r\n\r\nCiao\r\n"
    )
    msg = parse_message(raw)
    assert msg.message_id == "AbC.123@mail.example.com"
    assert (msg.from_address, msg.from_name) == ("mario.rossi@comune.it", "Rossi, Mario")
    assert msg.to_addresses == ["a@x.it", "b@y.it"]
    assert msg.cc_addresses == ["c@z.it"] and msg.reply_to == ["r@x.it"]
    assert msg.in_reply_to == "ours-1@mailbot.example"
    assert msg.references == ["r0@a.b", "ours-1@mailbot.example"]
    assert msg.date == datetime(2024, 3, 5, 9, 15, tzinfo=UTC)
    assert msg.text.strip() == "Ciao" and msg.html is None and msg.defects == []


def test_missing_message_id_and_header_hash() -> None:
    raw = b"From: a@b.it\nTo: c@d.it\nDate: Tue, 05 Mar 2024 10:15:00 +0100\nSubject: x\n\nbody\n"
    assert parse_message(raw).message_id is None
    same = raw.replace(b"From: a@b.it", b"From:   A@B.IT").replace(b"body", b"other body")
    assert header_hash(raw) == header_hash(same)
    assert header_hash(raw) != header_hash(raw.replace(b"Subject: x", b"Subject: y"))
    assert normalize_message_id("  ") is None and normalize_message_id("<>") is None


def test_wrong_declared_charset_falls_back() -> None:
    raw = b"Content-Type: text/plain; charset=utf-8\n\nPagher\xe0 entro luned\xec\n"
    msg = parse_message(raw)
    assert "Pagherà entro lunedì" in msg.text
    assert any("utf-8" in defect for defect in msg.defects)


def test_unknown_and_missing_charset_with_latin1_bytes() -> None:
    unknown = parse_message(b"Content-Type: text/plain; charset=x-nonsense\n\nCaff\xe8 \x80 10\n")
    assert "Caffè € 10" in unknown.text
    missing = parse_message(b"Content-Type: text/plain\nContent-Transfer-Encoding: 8bit\n\nCitt\xe0\n")
    assert "Città" in missing.text
    utf8 = parse_message("Content-Type: text/plain\n\nCittà\n".encode())
    assert "Città" in utf8.text


def test_broken_boundary_keeps_the_text() -> None:
    raw = (
        b'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="XYZ"\n\n'
        b"--ABC\nContent-Type: text/plain\n\nCIG Z213346E34 per l'ordine\n--ABC--\n"
    )
    msg = parse_message(raw)
    assert "Z213346E34" in msg.text
    assert msg.defects  # the parser noticed


def test_encoded_word_subject_and_malformed_one() -> None:
    good = parse_message(
        b"Subject: =?UTF-8?Q?Rinnovo_servizio_=E2=80=93_citt=C3=A0?=\nFrom: =?iso-8859-1?q?Nicol=F2?= <n@x.it>\n\nx"
    )
    assert good.subject == "Rinnovo servizio – città"
    assert good.from_name == "Nicolò"
    bad = parse_message(b"Subject: =?utf-8?B?not base64!!?= ok\n\nx")
    assert "ok" in bad.subject


def test_html_only_outlook_table() -> None:
    html = (
        "<html><head><style>p.MsoNormal{margin:0}</style></head><body>"
        "<p class=MsoNormal>Buongiorno,&nbsp;vi inviamo i dati:</p>"
        "<table><tr><td><p class=MsoNormal>CIG</p></td><td><p class=MsoNormal>Z213346E34</p></td></tr>"
        "<tr><td>Codice univoco</td><td>UF7H2J</td></tr></table>"
        "<script>alert('x')</script><p>Cordiali saluti &amp; grazie</p></body></html>"
    )
    raw = b"MIME-Version: 1.0\nContent-Type: text/html; charset=windows-1252\n\n" + html.encode("cp1252")
    msg = parse_message(raw)
    assert msg.html is not None
    lines = msg.text.splitlines()
    assert "CIG\tZ213346E34" in lines and "Codice univoco\tUF7H2J" in lines
    assert "alert" not in msg.text and "MsoNormal" not in msg.text
    assert "Cordiali saluti & grazie" in lines


def test_html_blockquote_is_marked_quoted() -> None:
    text = html_to_text("<div>Si</div><blockquote>Il giorno lun ha scritto:<br>CIG 1234567ABC</blockquote>")
    assert text.splitlines() == ["Si", "> Il giorno lun ha scritto:", "> CIG 1234567ABC"]


def test_forwarded_rfc822_part_and_inline_block() -> None:
    inner = b"From: Ufficio <uff@comune.it>\nSubject: Dati fatturazione\n\nCIG 8814006BD6\n"
    raw = (
        b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b1\n\n"
        b"--b1\nContent-Type: text/plain\n\nVi inoltro.\n\n---------- Forwarded message ---------\nDa: x@y.it\n"
        b"Codice ufficio UFABCD\n"
        b"--b1\nContent-Type: message/rfc822\n\n" + inner + b"--b1--\n"
    )
    msg = parse_message(raw)
    assert "8814006BD6" not in msg.text
    assert any("8814006BD6" in block and "From: Ufficio" in block for block in msg.forwarded)
    assert any("UFABCD" in block and "Vi inoltro" not in block for block in msg.forwarded)


def test_attachments_safe_names_and_winmail() -> None:
    raw = (
        b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
        b"--b\nContent-Type: text/plain\n\nciao\n"
        b"--b\nContent-Type: application/ms-tnef; name=winmail.dat\nContent-Transfer-Encoding: base64\n\nAAAA\n"
        b"--b\nContent-Type: application/pdf\n"
        b'Content-Disposition: attachment; filename="../../etc/pass\x01wd.pdf"\n\n%PDF\n'
        b"--b\nContent-Type: application/octet-stream\n\nxx\n--b--\n"
    )
    msg = parse_message(raw)
    assert [a.filename for a in msg.attachments] == ["winmail.dat", "pass_wd.pdf", "attachment-3"]
    assert msg.attachments[0].content_type == "application/ms-tnef" and msg.attachments[0].size == 3
    assert msg.text.strip() == "ciao"
    assert msg.defects == ["winmail.dat: not decodable (no TNEF signature)"]
    assert len(safe_filename("a" * 300 + ".pdf", 1)) == 100 and safe_filename("a" * 300 + ".pdf", 1).endswith(".pdf")
    assert safe_filename("a\u2028b\x85c\x1e.pdf", 1) == "a_b_c_.pdf"  # line breaks to str.splitlines too


def test_garbage_never_raises() -> None:
    for raw in (
        b"",
        b"\x00\xff\xfe",
        b"Content-Type: multipart/alternative\n\n",
        b"From: <<<@>>>\nDate: yesterday\n\n",
    ):
        msg = parse_message(raw)
        assert msg.date is None and msg.message_id is None


PDF = b"%PDF-1.4 modulo firmato"


def test_winmail_body_and_files_become_the_message() -> None:
    tnef = build_tnef(body="Rinnovo per 2 anni.\r\nUtente: pbruni", files=[("modulo.pdf", PDF), ("../nota.txt", b"x")])
    msg = parse_message(outlook(winmail_part(tnef)))
    assert msg.text == "Rinnovo per 2 anni.\nUtente: pbruni" and msg.html is None
    assert [(a.filename, a.content_type, a.data) for a in msg.attachments] == [
        ("winmail.dat", "application/ms-tnef", tnef),
        ("modulo.pdf", "application/pdf", PDF),
        ("nota.txt", "text/plain", b"x"),
    ]
    assert msg.defects == []


def test_winmail_html_body_turned_into_text() -> None:
    tnef = build_tnef(html="<p>Buongiorno,</p><table><tr><td>CIG</td><td>Z213346E34</td></tr></table>")
    msg = parse_message(outlook(winmail_part(tnef)))
    assert "Buongiorno," in msg.text and "CIG\tZ213346E34" in msg.text
    assert msg.html is not None and "<table>" in msg.html


def test_own_text_is_kept_over_the_winmail_body() -> None:
    tnef = build_tnef(body="Testo dentro winmail.dat", files=[("modulo.pdf", PDF)])
    own = b"--b\nContent-Type: text/plain; charset=utf-8\n\nTesto del messaggio\n"
    msg = parse_message(outlook(own, winmail_part(tnef)))
    assert msg.text.strip() == "Testo del messaggio"
    assert [a.filename for a in msg.attachments] == ["winmail.dat", "modulo.pdf"]


@pytest.mark.parametrize(
    ("ctype", "name"),
    [
        ("application/vnd.ms-tnef", "winmail.dat"),
        ("application/octet-stream", "WINMAIL.DAT"),
        ("application/ms-tnef", "x"),
    ],
)
def test_winmail_recognised_by_type_or_name(ctype: str, name: str) -> None:
    msg = parse_message(outlook(winmail_part(build_tnef(body="Corpo", files=[("a.pdf", PDF)]), ctype, name)))
    assert msg.text == "Corpo" and [a.filename for a in msg.attachments] == [name, "a.pdf"]


def test_garbage_winmail_is_a_defect_not_an_exception() -> None:
    msg = parse_message(outlook(b"--b\nContent-Type: text/plain\n\nciao\n", winmail_part(b"\x00\xffgarbage" * 50)))
    assert msg.text.strip() == "ciao" and [a.filename for a in msg.attachments] == ["winmail.dat"]
    assert msg.defects == ["winmail.dat: not decodable (no TNEF signature)"]


def test_truncated_winmail_is_a_defect_not_an_exception() -> None:
    tnef = build_tnef(body="Corpo", files=[("modulo.pdf", PDF)])
    msg = parse_message(outlook(winmail_part(tnef[: len(tnef) - 10])))
    assert msg.text == "" and [a.filename for a in msg.attachments] == ["winmail.dat"]
    assert len(msg.defects) == 1 and msg.defects[0].startswith("winmail.dat: not decodable (truncated at byte ")


def test_winmail_in_a_forwarded_message_gives_its_text() -> None:
    inner = b"From: ufficio@comune.esempio.it\nSubject: CIG\nContent-Type: multipart/mixed; boundary=b\n\n"
    inner += winmail_part(build_tnef(body="CIG Z213346E34")) + b"--b--\n"
    raw = b"Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: text/plain\n\nVi inoltro.\n"
    msg = parse_message(raw + b"--o\nContent-Type: message/rfc822\n\n" + inner + b"--o--\n")
    assert msg.text.strip() == "Vi inoltro." and any("Z213346E34" in block for block in msg.forwarded)


def test_only_so_many_winmails_are_opened() -> None:
    tnef = build_tnef(files=[("a.pdf", PDF)])
    msg = parse_message(outlook(*[winmail_part(tnef)] * (MAX_PER_MESSAGE + 2)))
    assert [a.filename for a in msg.attachments].count("a.pdf") == MAX_PER_MESSAGE
    assert msg.defects == [f"winmail.dat: more than {MAX_PER_MESSAGE} in the message, not opened"]
