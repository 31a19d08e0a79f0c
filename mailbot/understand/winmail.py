"""winmail.dat (TNEF, [MS-OXTNEF]) opened with tnefparse where feasible: its body and its files (pure).

Outlook sends some mail as an ``application/ms-tnef`` part whose stream holds the real body (plain
text, HTML, or compressed RTF) and the attachments. ``read_winmail`` returns the plain and HTML bodies
and the files (at most ``MAX_FILES``, each with the content type its name suggests); whatever cannot
be read is a problem (``"winmail.dat: ..."``), never an exception. Compressed RTF bodies are not
decoded (tnefparse needs another library for them); a checksum mismatch is a problem, not a refusal.

The stream is hostile input and tnefparse trusts it: it loops over whatever counts the stream declares
(a property count of four billion is four billion turns; a multi-value count past the end keeps making
values out of nothing) and copies the rest of the stream for every attribute. So ``_Check`` walks the
stream first, the way tnefparse 1.4 will, and refuses one where a count runs past the data, there are
more than ``MAX_VALUES`` MAPI values, embedded messages nest deeper than ``MAX_DEPTH``, or decoding would
copy more than ``MAX_COPIED`` bytes. Only a stream it accepts is handed to tnefparse.
"""

from __future__ import annotations

import codecs
import mimetypes
import re
import struct
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from mailbot.understand.htmltext import html_to_text

MAX_BYTES = 32 * 1024 * 1024  # a larger winmail.dat is kept, not opened
MAX_FILES = 100
MAX_VALUES = 50_000
MAX_DEPTH = 3
MAX_COPIED = 1024 * 1024 * 1024
MAX_PER_MESSAGE = 10  # winmail.dat parts opened in one message; the others are only listed

TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
SUBSTITUTE_HEADER = "X-Mailbot-Winmail"  # on the multipart the redaction puts in place of a winmail.dat

TNEF_SIGNATURE = struct.pack("<I", 0x223E9F78)  # how every stream starts, an attached message's too
_LEVEL_ATTACHMENT = 2
_ATT_ATTACH_REND_DATA, _ATT_MAPI_PROPS, _ATT_RECIP_TABLE, _ATT_ATTACHMENT = 0x9002, 0x9003, 0x9004, 0x9005
_ATT_OEM_CODEPAGE = 0x9007
_STRING_TYPES = (0x0001, 0x0007)  # attribute types tnefparse decodes as text (a recipient table is not read then)
_FIXED_SIZE = {  # MAPI types of one size: short, boolean, long, float, error, 8-byte ones, then a GUID
    0x0002: 2,
    0x000B: 2,
    0x0003: 4,
    0x0004: 4,
    0x000A: 4,
    0x0005: 8,
    0x0006: 8,
    0x0007: 8,
    0x0014: 8,
    0x0040: 8,
    0x0048: 16,
}
_PT_STRING8, _PT_UNICODE = 0x001E, 0x001F
_BYTES_TYPES = frozenset({0x0000, 0x000D, 0x0102})  # unspecified, object, binary: tnefparse gives bytes
_VARIABLE_TYPES = _BYTES_TYPES | {_PT_STRING8, _PT_UNICODE}
_PADDED_TYPES = (0x0002, 0x000B)  # an odd number of 2-byte values is padded to 4 bytes
_MULTI_VALUE, _NAMED = 0x1000, 0x8000
_ATTACH_DATA_OBJ = 0x3701
_TAIL = bytes(12)  # tnefparse 1.4 stops 12 bytes short of the end (dropping a last one-byte file): read to it
_EMBEDDED_MESSAGE = b"\x07\x03\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46"


@dataclass(frozen=True)
class WinmailFile:
    name: str | None  # as the stream gives it: not yet a safe file name
    content_type: str  # guessed from the name
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Winmail:
    body: str = ""
    html: str | None = None
    files: tuple[WinmailFile, ...] = ()
    problems: tuple[str, ...] = ()
    opened: bool = True  # False: not decodable at all

    @property
    def text(self) -> str:
        """The plain body, else the HTML body turned into text."""
        if self.body.strip() or self.html is None:
            return self.body
        return html_to_text(self.html)


def is_winmail(part: Message) -> bool:
    """A TNEF part: ``application/ms-tnef`` (or ``vnd.ms-tnef``), or an application part named winmail.dat."""
    if part.is_multipart():
        return False
    if part.get_content_type() in TNEF_TYPES:
        return True
    try:
        name = part.get_filename()
    except Exception:
        return False
    base = re.split(r"[/\\]", name or "")[-1].strip(" .").lower()
    return part.get_content_maintype() == "application" and base == "winmail.dat"


def is_substitute(part: Message) -> bool:
    """The multipart the card redaction put in place of a winmail.dat (its text and its files)."""
    return part.is_multipart() and str(part.get(SUBSTITUTE_HEADER, "")).strip().lower() == "redacted"


def read_winmail(data: bytes) -> Winmail:
    """The bodies and files of a winmail.dat; never raises (what could not be read is in ``problems``)."""
    if len(data) > MAX_BYTES:
        return _unread(f"too large to open ({len(data)} bytes)")
    try:
        _Check().stream(data, 0)
    except _Refused as exc:
        return _unread(str(exc))
    from tnefparse import TNEF  # loaded only for a winmail.dat

    try:
        return _contents(TNEF(data + _TAIL))
    except Exception as exc:  # anything tnefparse trips on
        return _unread(f"{type(exc).__name__}: {str(exc)[:120]}")


def _unread(why: str) -> Winmail:
    return Winmail(problems=(f"winmail.dat: not decodable ({why})",), opened=False)


def _contents(tnef: Any) -> Winmail:
    codepage = _codec(tnef.codepage)
    body = _text(tnef.body, (codepage, "utf-8", "cp1252")).rstrip("\x00")
    html = _text(tnef.htmlbody, ("utf-8", codepage, "cp1252")).rstrip("\x00") or None
    problems = []
    if not all(obj.good_checksum for obj in tnef.objects):
        problems.append("winmail.dat: checksum mismatch, decoded anyway")
    if tnef.has_body() and not body.strip() and html is None:
        problems.append("winmail.dat: body only in compressed RTF, not decoded")
    if len(tnef.attachments) > MAX_FILES:
        problems.append(f"winmail.dat: {len(tnef.attachments)} attachments, only the first {MAX_FILES} kept")
    files = []
    for attachment in tnef.attachments[:MAX_FILES]:
        name = _file_name(attachment, codepage)
        guessed = mimetypes.guess_type(name)[0] if name else None
        data = attachment.data if isinstance(attachment.data, bytes) else b""
        files.append(WinmailFile(name, guessed or "application/octet-stream", data))
    return Winmail(body, html, tuple(files), tuple(problems))


def _codec(codepage: object) -> str:
    try:
        return codecs.lookup(str(codepage)).name if codepage else "cp1252"
    except LookupError:
        return "cp1252"


def _text(value: object, charsets: tuple[str, ...]) -> str:
    if isinstance(value, str):
        return value
    if not isinstance(value, bytes):
        return ""
    for charset in charsets:
        try:
            return value.decode(charset)
        except UnicodeDecodeError:
            continue
    return value.decode("utf-8", errors="replace")


def _file_name(attachment: Any, codepage: str) -> str | None:
    try:
        name = attachment.long_filename()
    except UnicodeDecodeError:  # tnefparse reads the title as UTF-8; Outlook writes it in the OEM codepage
        name = getattr(attachment, "_name", None)
    if isinstance(name, bytes):
        name = _text(name, (codepage, "cp1252"))
    return (name.strip("\x00").strip() or None) if isinstance(name, str) else None


class _Refused(Exception):
    """A stream not handed to tnefparse; the message says why."""


class _Check:
    """Walks a stream the way tnefparse 1.4 decodes it (same attributes, same MAPI offsets, stopping
    where it stops) and raises ``_Refused`` where its decoding would be unbounded."""

    def __init__(self) -> None:
        self.values = 0
        self.copied = 0

    def stream(self, data: bytes, depth: int) -> None:
        """The whole winmail.dat (depth 0) must hold whole attributes (then ``read_winmail`` adds ``_TAIL``);
        an embedded message is read as tnefparse reads it: while 13 bytes are left, the last one cut short."""
        if depth > MAX_DEPTH:
            raise _Refused("embedded messages nested too deep")
        if len(data) < 6 or data[:4] != TNEF_SIGNATURE:
            raise _Refused("no TNEF signature")
        offset, end, codepage, attachment_codepage = 6, len(data), None, None
        while offset < (end if depth == 0 else end - 12):
            if end - offset < 11 and not any(data[offset:]):  # zeros padding the end
                break
            if end - offset < 11:
                raise _Refused(f"truncated at byte {offset}")
            level, name, kind, length = struct.unpack_from("<BHHI", data, offset)
            if depth == 0 and length > end - offset - 11:
                raise _Refused(f"truncated at byte {offset}: {length + 11} bytes announced, {end - offset} left")
            self.copied += end - offset  # tnefparse slices the rest of the stream for each attribute
            if self.copied > MAX_COPIED:
                raise _Refused("too many attributes for its size")
            size = min(end - offset, length + 11)
            payload = data[offset + 9 : offset + size - 2]
            offset += size
            if name == _ATT_ATTACH_REND_DATA:
                attachment_codepage = codepage
            if level == _LEVEL_ATTACHMENT:
                if name == _ATT_ATTACHMENT:
                    self.mapi(payload, 0, attachment_codepage, depth, embedded=True)
            elif name == _ATT_MAPI_PROPS:
                self.mapi(payload, 0, codepage, depth)
            elif name == _ATT_OEM_CODEPAGE:
                from tnefparse.codepage import Codepage  # loaded only for a winmail.dat

                codepage = Codepage(self.u32(payload, 0)).codepage()
            elif name == _ATT_RECIP_TABLE and kind not in _STRING_TYPES:
                rows, at = self.u32(payload, 0), 4
                self.count(rows)
                for _ in range(rows):
                    at = self.mapi(payload, at, codepage, depth)

    def mapi(self, data: bytes, offset: int, codepage: str | None, depth: int, *, embedded: bool = False) -> int:
        """One MAPI property list from ``offset``, as tnefparse's ``decode_mapi``: the offset after it."""
        count = self.u32(data, offset)
        offset += 4
        for _ in range(count):
            if offset >= len(data):
                raise _Refused("MAPI property count past the end of its data")
            kind, name = self.u16(data, offset), self.u16(data, offset + 2)
            offset += 4
            if name >= _NAMED:  # a GUID and a kind, then a numeric id or a UTF-16 name padded to 4 bytes
                self.within(data, offset + 16)
                named_kind = self.u32(data, offset + 16)
                offset += 20
                size = self.u32(data, offset)
                offset += 4
                if named_kind != 0:
                    size += -size % 4
                    offset += size
                    self.within(data, offset)
                    if not _decodes(data[offset - size : offset], "utf-16"):
                        return offset - size  # tnefparse stops at a name it cannot decode
            multi = None
            if kind & _MULTI_VALUE:
                kind ^= _MULTI_VALUE
                multi = self.u32(data, offset)
                offset += 4
            values = multi or 1
            self.count(values)
            for _ in range(values):
                after = self.value(data, offset, kind, codepage, bool(multi))
                if after is None:
                    return offset  # tnefparse stops at a value it cannot decode or a type it does not know
                if embedded and name == _ATTACH_DATA_OBJ and kind in _BYTES_TYPES:
                    self.embedded(data[offset:after], bool(multi), depth)
                offset = after
            if values % 2 and kind in _PADDED_TYPES:
                offset += 2
            self.within(data, offset)
        return offset

    def value(self, data: bytes, offset: int, kind: int, codepage: str | None, multi: bool) -> int | None:
        """The offset after one value (tnefparse's ``parse_property``); None where tnefparse raises."""
        if kind in _FIXED_SIZE:
            return self.within(data, offset + _FIXED_SIZE[kind])
        if kind not in _VARIABLE_TYPES:
            return None
        items = 1
        if not multi:
            items = self.u32(data, offset)
            offset += 4
            self.count(items)
        for _ in range(items):
            size = self.u32(data, offset)
            size += -size % 4
            offset = self.within(data, offset + 4 + size)
            item = data[offset - size : offset]
            if kind == _PT_UNICODE and not _decodes(item, "utf-16"):
                return None
            if kind == _PT_STRING8 and not _decodes(item, codepage):
                return None
        return offset

    def embedded(self, values: bytes, multi: bool, depth: int) -> None:
        """An attached message (tnefparse decodes it as a stream of its own): checked as one."""
        at, parts = (0 if multi else 4), []
        while at < len(values):
            size = struct.unpack_from("<I", values, at)[0]
            parts.append(values[at + 4 : at + 4 + size + (-size % 4)].rstrip(b"\x00"))
            at += 4 + size + (-size % 4)
        joined = b"".join(parts)
        if joined.startswith(_EMBEDDED_MESSAGE):
            self.stream(joined[len(_EMBEDDED_MESSAGE) :], depth + 1)

    def count(self, values: int) -> None:
        self.values += values
        if self.values > MAX_VALUES:
            raise _Refused(f"more than {MAX_VALUES} MAPI values")

    @staticmethod
    def within(data: bytes, offset: int) -> int:
        if offset > len(data):
            raise _Refused("MAPI data past the end of its attribute")
        return offset

    def u16(self, data: bytes, offset: int) -> int:
        self.within(data, offset + 2)
        return int(struct.unpack_from("<H", data, offset)[0])

    def u32(self, data: bytes, offset: int) -> int:
        self.within(data, offset + 4)
        return int(struct.unpack_from("<I", data, offset)[0])


def _decodes(item: bytes, codec: str | None) -> bool:
    if codec is None:  # no attOemCodepage yet: tnefparse fails on the first 8-bit string
        return False
    try:
        item.decode(codec)
    except (LookupError, UnicodeDecodeError):
        return False
    return True
