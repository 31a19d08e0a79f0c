"""A corpus of hostile messages: what a careless or malicious sender can put in an email that once stopped
an intake (NUL bytes, lone surrogates, invalid UTF-8 in headers, thousands of headers, deep nesting...).

Built in code, not kept as ``.eml`` files: several are large and some hold bytes editors mangle. Each
message has its own Message-ID (where it has one at all), so all of them can go into one mailbox.
"""

from __future__ import annotations

import base64

NORMAL = (
    b"From: Mario Rossi <mario.rossi@example.org>\r\n"
    b"To: rinnovi@example.it\r\n"
    b"Subject: Informazioni\r\n"
    b"Message-ID: <normal-after-hostile@example.org>\r\n"
    b"Date: Mon, 10 Mar 2025 09:00:00 +0100\r\n"
    b"\r\n"
    b"Buongiorno, vorrei sapere quando scade il mio servizio. Grazie\r\n"
)


def _message(
    name: str,
    headers: bytes = b"",
    body: bytes = b"Buongiorno, un saluto.\r\n",
    *,
    subject: bytes | None = None,
    message_id: bytes | None = None,
) -> bytes:
    subject = subject if subject is not None else f"hostile {name}".encode()
    message_id = message_id if message_id is not None else f"<hostile-{name}@example.org>".encode()
    return (
        b"From: Mario Rossi <mario.rossi@example.org>\r\nTo: rinnovi@example.it\r\n"
        + b"Subject: "
        + subject
        + b"\r\n"
        + b"Message-ID: "
        + message_id
        + b"\r\n"
        + b"Date: Mon, 10 Mar 2025 09:00:00 +0100\r\n"
        + headers
        + b"\r\n"
        + body
    )


def _encoded(charset: str, data: bytes) -> bytes:
    return f"=?{charset}?b?{base64.b64encode(data).decode()}?=".encode()


def _nested_multipart(depth: int) -> bytes:
    headers = b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b0"\r\n'
    body = b""
    for level in range(depth):
        body += f'--b{level}\r\nContent-Type: multipart/mixed; boundary="b{level + 1}"\r\n\r\n'.encode()
    body += f"--b{depth}\r\nContent-Type: text/plain\r\n\r\nin fondo\r\n--b{depth}--\r\n".encode()
    for level in range(depth - 1, -1, -1):
        body += f"--b{level}--\r\n".encode()
    return _message("deep_multipart", headers, body)


def _nested_rfc822(depth: int) -> bytes:
    inner = b"From: a@example.org\r\nSubject: in fondo\r\nContent-Type: text/plain\r\n\r\nin fondo\r\n"
    for level in range(depth):
        inner = f"From: a@example.org\r\nSubject: livello {level}\r\n".encode() + (
            b"MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n" + inner
        )
    return _message("deep_rfc822", b"MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n", inner)


def _many_parts(count: int) -> bytes:
    headers = b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="many"\r\n'
    body = b"".join(
        f'--many\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename="f{i}.txt"\r\n\r\n'
        f"parte {i}\r\n".encode()
        for i in range(count)
    )
    return _message("many_parts", headers, body + b"--many--\r\n")


def hostile_messages() -> dict[str, bytes]:
    """name -> raw message."""
    surrogate_utf8 = b"\xed\xa0\x80"  # U+D800 encoded as if it were a character (CESU-8)
    messages = {
        "nul_in_encoded_subject": _message("nul_in_encoded_subject", subject=b"=?utf-8?b?aGkAdGhlcmU=?="),
        "nul_in_message_id": _message("nul", message_id=b"<hostile-nul\x00id@example.org>"),
        "nul_in_encoded_message_id": _message("x", message_id=b"<hostile-" + _encoded("utf-8", b"a\x00b") + b">"),
        "nul_raw_in_subject": _message("nul_raw_in_subject", subject=b"hi\x00there"),
        "nul_in_from_name": _message(
            "nul_in_from_name", b"Reply-To: " + _encoded("utf-8", b"R\x00ossi") + b" <mario.rossi@example.org>\r\n"
        ),
        "nul_in_body": _message("nul_in_body", body=b"Buongiorno\x00, rinnovo\x00 per due anni\r\n"),
        "nul_in_utf16_body": _message(
            "nul_in_utf16_body",
            b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-16-le\r\n"
            b"Content-Transfer-Encoding: base64\r\n",
            base64.encodebytes("rinnovo\x00 grazie".encode("utf-16-le")),
        ),
        "nul_in_filename": _message(
            "nul_in_filename",
            b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="x"\r\n',
            b"--x\r\nContent-Type: text/plain\r\n\r\nciao\r\n--x\r\nContent-Type: application/pdf\r\n"
            b'Content-Disposition: attachment; filename="' + _encoded("utf-8", b"fat\x00tura.pdf") + b'"\r\n\r\n'
            b"%PDF-1.4\r\n--x--\r\n",
        ),
        "lone_surrogate_encoded_subject": _message(
            "lone_surrogate_encoded_subject", subject=_encoded("utf-8", b"caff" + surrogate_utf8)
        ),
        "lone_surrogate_utf16_subject": _message(
            "lone_surrogate_utf16_subject", subject=_encoded("utf-16-le", b"\x00\xd8a\x00")
        ),
        "lone_surrogate_in_body": _message(
            "lone_surrogate_in_body",
            b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n",
            b"rinnovo " + surrogate_utf8 + b" grazie\r\n",
        ),
        "invalid_utf8_headers": _message(
            "invalid_utf8_headers",
            b'X-Note: \xff\xfe\xfd\r\nReply-To: "Ros\xe9" <mario.rossi@example.org>\r\n',
            subject=b"caf\xe9 \xff\xfe rinnovo \xc3",
        ),
        "invalid_utf8_message_id": _message("invalid_utf8_message_id", message_id=b"<hostile-\xff\xfe@example.org>"),
        "thousand_headers": _message(
            "thousand_headers", b"".join(f"X-Filler-{i}: valore {i}\r\n".encode() for i in range(1000))
        ),
        "thousand_received": _message(
            "thousand_received",
            b"".join(
                f"Received: from h{i}.example.org by h{i + 1}.example.org; Mon, 10 Mar 2025\r\n".encode()
                for i in range(1000)
            ),
        ),
        "deep_multipart": _nested_multipart(100),
        "deep_rfc822": _nested_rfc822(100),
        "many_parts": _many_parts(1000),
        "long_subject_line": _message("long_subject_line", subject=b"rinnovo " * 20_000),
        "long_message_id": _message("x", message_id=b"<hostile-" + b"a" * 5000 + b"@example.org>"),
        "huge_references": _message(
            "huge_references",
            b"References: " + b" ".join(f"<r{i}@example.org>".encode() for i in range(5000)) + b"\r\n",
        ),
        "thousand_recipients": _message(
            "thousand_recipients", b"Cc: " + b", ".join(f"p{i}@example.org".encode() for i in range(1000)) + b"\r\n"
        ),
        "bare_cr_line_ends": _message("bare_cr", body=b"riga uno\rriga due\r\r\rrinnovo\r").replace(b"\r\n", b"\r"),
        "header_without_colon": _message("header_without_colon", b"This is not a header\r\n"),
        "only_garbage": b"\x00\xff\xfe garbage \x00 with no headers at all \xc3\x28\r\n",
        "bad_base64_unknown_charset": _message(
            "bad_base64_unknown_charset",
            b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n"
            b"Content-Transfer-Encoding: base64\r\n",
            b"!!!not base64 at all ***\r\n",
        ),
        "broken_boundary": _message(
            "broken_boundary",
            b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=NOPE\r\n",
            b"--OTHER\r\nContent-Type: text/plain\r\n\r\nrinnovo\r\n--OTHER--\r\n",
        ),
        "control_characters_subject": _message(
            "control_characters_subject", subject=_encoded("utf-8", b"ciao\x1b[2J\x1b]0;pwned\x07\r\n  from: staff")
        ),
    }
    return messages
