"""read_winmail on TNEF streams built by hand (tests/support/tnef.py): what is decoded, what is refused."""

from __future__ import annotations

import random
import struct
import time

import pytest
from tnefparse import TNEF
from tnefparse.mapi import decode_mapi

from mailbot.understand.winmail import MAX_DEPTH, MAX_FILES, _Check, _Refused, read_winmail
from tests.support.tnef import ATT_MAPI_PROPS, LEVEL_MESSAGE, attribute, build_tnef, embedded_message, mapi_binary

PDF = b"%PDF-1.4 modulo"
ATT_RECIP_TABLE = 0x00069004
PR_RTF_COMPRESSED = 0x1009


def test_the_helper_writes_tnef_that_tnefparse_itself_reads() -> None:
    tnef = TNEF(build_tnef(body="Corpo", html="<p>Corpo</p>", files=[("modulo.pdf", PDF), ("note.txt", b"ciao")]))
    assert tnef.key == 0x0101 and tnef.codepage == "cp1252"
    assert tnef.body == b"Corpo" and tnef.htmlbody == b"<p>Corpo</p>"
    assert [(a.long_filename(), a.data) for a in tnef.attachments] == [("modulo.pdf", PDF), ("note.txt", b"ciao")]
    assert all(obj.good_checksum for obj in tnef.objects)


def test_bodies_and_files_are_decoded() -> None:
    winmail = read_winmail(build_tnef(body="Rinnovo per 2 anni", files=[("modulo.pdf", PDF), ("note.txt", b"x")]))
    assert winmail.opened and winmail.problems == ()
    assert winmail.text == "Rinnovo per 2 anni" and winmail.html is None
    assert [(f.name, f.content_type, f.data) for f in winmail.files] == [
        ("modulo.pdf", "application/pdf", PDF),
        ("note.txt", "text/plain", b"x"),
    ]


def test_html_body_becomes_the_text_when_there_is_no_plain_body() -> None:
    winmail = read_winmail(build_tnef(html="<p>Buongiorno,</p><table><tr><td>CIG</td><td>Z213346E34</td></tr></table>"))
    assert winmail.body == "" and winmail.html is not None
    assert "Buongiorno," in winmail.text and "CIG\tZ213346E34" in winmail.text


def test_file_name_and_body_in_the_oem_codepage() -> None:
    data = build_tnef(body="Città", files=[("città.txt", b"x")])
    with pytest.raises(UnicodeDecodeError):  # tnefparse alone reads the title as UTF-8
        TNEF(data).attachments[0].long_filename()
    winmail = read_winmail(data)
    assert winmail.body == "Città" and winmail.files[0].name == "città.txt"


def test_compressed_rtf_body_is_a_problem() -> None:
    rtf = attribute(LEVEL_MESSAGE, ATT_MAPI_PROPS, struct.pack("<I", 1) + mapi_binary(PR_RTF_COMPRESSED, b"LZFu..."))
    winmail = read_winmail(build_tnef() + rtf)
    assert winmail.text == "" and winmail.problems == ("winmail.dat: body only in compressed RTF, not decoded",)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "no TNEF signature"),
        (b"AAAA garbage, not TNEF at all", "no TNEF signature"),
        (build_tnef(body="Corpo", files=[("a.pdf", PDF)])[:-7], "truncated at byte"),
        (build_tnef(body="Corpo")[:30], "truncated at byte"),
    ],
)
def test_garbage_and_truncated_streams_are_problems(data: bytes, why: str) -> None:
    winmail = read_winmail(data)
    assert not winmail.opened and winmail.files == () and winmail.text == ""
    assert len(winmail.problems) == 1 and winmail.problems[0].startswith("winmail.dat: not decodable (")
    assert why in winmail.problems[0]


def test_checksum_mismatch_is_a_problem_not_a_refusal() -> None:
    data = bytearray(build_tnef(body="Corpo"))
    data[-1] ^= 0xFF  # the last attribute's checksum
    winmail = read_winmail(bytes(data))
    assert winmail.body == "Corpo" and winmail.problems == ("winmail.dat: checksum mismatch, decoded anyway",)


@pytest.mark.parametrize(
    "hostile",
    [
        attribute(LEVEL_MESSAGE, ATT_MAPI_PROPS, struct.pack("<I", 0xFFFFFFFF)),  # 4 billion properties, no data
        attribute(LEVEL_MESSAGE, ATT_MAPI_PROPS, struct.pack("<IHHI", 1, 0x1002, 1, 0xFFFFFFFF)),  # multi-value
        attribute(LEVEL_MESSAGE, ATT_RECIP_TABLE, struct.pack("<I", 0xFFFFFFFF)),  # 4 billion recipients
    ],
)
def test_counts_past_the_data_are_refused_at_once(hostile: bytes) -> None:
    """tnefparse would loop over each count (hours, or memory without end); the check refuses first."""
    started = time.perf_counter()
    winmail = read_winmail(build_tnef(body="x") + hostile)
    assert time.perf_counter() - started < 1
    assert not winmail.opened and winmail.problems[0].startswith("winmail.dat: not decodable (")


def test_attached_message_is_a_file_and_is_checked_too() -> None:
    inner = build_tnef(body="Messaggio allegato", files=[("dentro.pdf", PDF)])
    data = build_tnef(body="Corpo") + embedded_message(inner, "Inoltro.msg")
    assert TNEF(data).attachments[0].embed.body == b"Messaggio allegato"  # what tnefparse does with it
    winmail = read_winmail(data)
    assert winmail.problems == () and [(f.name, f.data) for f in winmail.files] == [("Inoltro.msg", inner)]
    hostile = build_tnef(body="x") + attribute(LEVEL_MESSAGE, ATT_MAPI_PROPS, struct.pack("<I", 0xFFFFFFFF))
    refused = read_winmail(build_tnef(body="Corpo") + embedded_message(hostile, "Inoltro.msg"))
    assert refused.problems == ("winmail.dat: not decodable (MAPI property count past the end of its data)",)


def test_attached_messages_nest_only_so_deep() -> None:
    nested = build_tnef(body="fondo")
    for level in range(MAX_DEPTH + 1):
        nested = build_tnef(body=f"livello {level}") + embedded_message(nested, f"{level}.msg")
    assert read_winmail(nested).problems == ("winmail.dat: not decodable (embedded messages nested too deep)",)


def test_at_most_max_files_are_kept() -> None:
    winmail = read_winmail(build_tnef(files=[(f"f{i}.txt", b"x") for i in range(MAX_FILES + 5)]))
    assert len(winmail.files) == MAX_FILES and winmail.files[-1].name == f"f{MAX_FILES - 1}.txt"
    assert winmail.problems == (f"winmail.dat: {MAX_FILES + 5} attachments, only the first {MAX_FILES} kept",)


def _mapi_block() -> bytes:
    """Properties of every shape the check walks: named (by id and by name), Unicode, 8-bit, multi-valued."""
    name = "Nome\x00".encode("utf-16-le")
    unicode = "Oggetto è\x00".encode("utf-16-le")
    props = [
        struct.pack("<HH", 0x0003, 0x8001) + b"G" * 16 + struct.pack("<III", 0, 0x8510, 7),
        struct.pack("<HH", 0x001F, 0x8002)
        + b"G" * 16
        + struct.pack("<II", 1, len(name))
        + name
        + b"\x00" * 2
        + struct.pack("<II", 1, len(unicode))
        + unicode,
        struct.pack("<HHII", 0x001F, 0x0037, 1, len(unicode)) + unicode,
        struct.pack("<HHII", 0x001E, 0x0E1D, 1, 8) + b"Oggetto\x00",
        struct.pack("<HHI", 0x1002, 0x0017, 3) + struct.pack("<hhh", 1, 2, 3) + b"\x00\x00",
        struct.pack("<HHI", 0x101F, 0x3A54, 2)
        + struct.pack("<I", 4)
        + "ab".encode("utf-16-le")
        + struct.pack("<I", 4)
        + "cd".encode("utf-16-le"),
        mapi_binary(0x1013, b"<p>html</p>"),
    ]
    return struct.pack("<I", len(props)) + b"".join(props)


def test_the_check_walks_mapi_data_as_tnefparse_does() -> None:
    """Where the check accepts a property list, it ends where tnefparse's ``decode_mapi`` ends: the offsets
    of recipient rows and of embedded messages depend on it. Mutated lists, one seed, many shapes."""
    block = _mapi_block()
    rnd = random.Random(20240604)
    outcomes = {"same": 0, "refused": 0}
    for case in range(3000):
        data = bytearray(block)
        for _ in range(rnd.randint(0, 3) if case else 0):
            at = rnd.randrange(len(data))
            word = rnd.choice([0x001E, 0x001F, 0x1003, 0x8000, 0x0001, rnd.randrange(65536)])  # types, flags, junk
            data[at : at + 2] = struct.pack("<H", word)
        try:
            mine = _Check().mapi(bytes(data), 0, "cp1252", 0)
        except _Refused:
            outcomes["refused"] += 1
            continue
        theirs, _attrs = decode_mapi(bytes(data), "cp1252", starting_offset=0)
        assert mine == theirs, case
        outcomes["same"] += 1
    assert outcomes["same"] > 1000
