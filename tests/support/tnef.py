"""TNEF streams (winmail.dat) built by hand after [MS-OXTNEF], for tests that need real TNEF bytes.

A stream is the signature 0x223E9F78, a legacy key (uint16), then attributes: a level byte (1 the
message, 2 an attachment), the attribute id (uint32: type in the high word, name in the low word),
the data length (uint32), the data, and a checksum (uint16, the sum of the data bytes mod 65536).
All integers are little-endian.
"""

from __future__ import annotations

import base64
import struct

SIGNATURE = 0x223E9F78
LEVEL_MESSAGE, LEVEL_ATTACHMENT = 1, 2

ATT_TNEF_VERSION = 0x00089006
ATT_OEM_CODEPAGE = 0x00069007
ATT_MESSAGE_CLASS = 0x00078008
ATT_BODY = 0x0002800C
ATT_MAPI_PROPS = 0x00069003
ATT_ATTACH_REND_DATA = 0x00069002
ATT_ATTACH_TITLE = 0x00018010
ATT_ATTACH_DATA = 0x0006800F
ATT_ATTACHMENT = 0x00069005

PT_UNICODE = 0x001F
PT_OBJECT = 0x000D

PT_BINARY = 0x0102
PR_HTML = 0x1013  # PidTagHtml, the HTML body
PR_ATTACH_DATA_OBJ = 0x3701  # an attached message, as a TNEF stream of its own after IMESSAGE_SIG
PR_ATTACH_LONG_FILENAME = 0x3707
IMESSAGE_SIG = b"\x07\x03\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46"
RENDERING = struct.pack("<HIHHI", 1, 0xFFFFFFFF, 0xFFFF, 0xFFFF, 0)  # attAttachRendData: an attachment by value


def attribute(level: int, attr_id: int, data: bytes) -> bytes:
    checksum = sum(data) & 0xFFFF
    return struct.pack("<BII", level, attr_id, len(data)) + data + struct.pack("<H", checksum)


def mapi_binary(prop_id: int, value: bytes, prop_type: int = PT_BINARY) -> bytes:
    """One MAPI property of a variable size: type, id, one value, its length, the value padded to 4 bytes."""
    padding = b"\x00" * (-len(value) % 4)
    return struct.pack("<HHII", prop_type, prop_id, 1, len(value)) + value + padding


def embedded_message(inner: bytes, name: str) -> bytes:
    """The attributes of an attachment that is a message (``inner``, a whole TNEF stream) named ``name``."""
    props = [
        mapi_binary(PR_ATTACH_LONG_FILENAME, (name + "\x00").encode("utf-16-le"), PT_UNICODE),
        mapi_binary(PR_ATTACH_DATA_OBJ, IMESSAGE_SIG + inner, PT_OBJECT),
    ]
    return attribute(LEVEL_ATTACHMENT, ATT_ATTACH_REND_DATA, RENDERING) + attribute(
        LEVEL_ATTACHMENT, ATT_ATTACHMENT, struct.pack("<I", len(props)) + b"".join(props)
    )


def build_tnef(
    *,
    body: str | None = None,
    html: str | None = None,
    files: list[tuple[str, bytes]] | None = None,
    codepage: int = 1252,
    key: int = 0x0101,
) -> bytes:
    """A winmail.dat: the message class, a plain body (attBody) and/or an HTML body (MAPI PidTagHtml),
    then each (file name, content) as an attachment (rendering data, title, data)."""
    parts = [
        struct.pack("<IH", SIGNATURE, key),
        attribute(LEVEL_MESSAGE, ATT_TNEF_VERSION, struct.pack("<I", 0x00010000)),
        attribute(LEVEL_MESSAGE, ATT_OEM_CODEPAGE, struct.pack("<II", codepage, 0)),
        attribute(LEVEL_MESSAGE, ATT_MESSAGE_CLASS, b"IPM.Microsoft Mail.Note\x00"),
    ]
    if body is not None:
        parts.append(attribute(LEVEL_MESSAGE, ATT_BODY, body.encode(f"cp{codepage}")))
    if html is not None:
        props = struct.pack("<I", 1) + mapi_binary(PR_HTML, html.encode("utf-8"))
        parts.append(attribute(LEVEL_MESSAGE, ATT_MAPI_PROPS, props))
    for name, content in files or []:
        parts += [
            attribute(LEVEL_ATTACHMENT, ATT_ATTACH_REND_DATA, RENDERING),
            attribute(LEVEL_ATTACHMENT, ATT_ATTACH_TITLE, name.encode(f"cp{codepage}") + b"\x00"),
            attribute(LEVEL_ATTACHMENT, ATT_ATTACH_DATA, content),
        ]
    return b"".join(parts)


def winmail_part(tnef: bytes, ctype: str = "application/ms-tnef", name: str = "winmail.dat") -> bytes:
    """A MIME part (boundary ``b``) carrying ``tnef`` in base64, as Outlook attaches it."""
    return (
        f'--b\nContent-Type: {ctype}; name="{name}"\nContent-Disposition: attachment; filename="{name}"\n'
        "Content-Transfer-Encoding: base64\n\n"
    ).encode() + base64.encodebytes(tnef)


def outlook(*parts: bytes) -> bytes:
    """A multipart/mixed message (boundary ``b``) from a customer, made of ``parts``."""
    head = b"From: p.bruni@client.example.org\nTo: rinnovi+t1@example.it\nSubject: RE: rinnovo\n"
    head += b"Message-ID: <w1@client.example.org>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
    return head + b"".join(parts) + b"--b--\n"
