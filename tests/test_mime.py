"""parse_message on hand-written byte literals: the traps real mail sets."""

from __future__ import annotations

from datetime import UTC, datetime

from mailbot.inbound.htmltext import html_to_text
from mailbot.inbound.mime import header_hash, normalize_message_id, parse_message, safe_filename


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
    assert len(safe_filename("a" * 300 + ".pdf", 1)) == 100 and safe_filename("a" * 300 + ".pdf", 1).endswith(".pdf")


def test_garbage_never_raises() -> None:
    for raw in (
        b"",
        b"\x00\xff\xfe",
        b"Content-Type: multipart/alternative\n\n",
        b"From: <<<@>>>\nDate: yesterday\n\n",
    ):
        msg = parse_message(raw)
        assert msg.date is None and msg.message_id is None
