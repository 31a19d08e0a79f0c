"""Invoice files as the SdI names them, written once into the folder an SdI channel picks them up from.

The SdI's name is the transmitter's country and code, an underscore and a progressive of 1 to 5 letters
or digits unique for that transmitter: ``IT01234567890_0001A.xml``. The SdI refuses a name it has seen
before, so an issued file is never replaced: writing the same bytes again is a no-op, writing others
under the same name an error.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path

from mailbot.billing.fatturapa_check import PROGRESSIVE
from mailbot.billing.fatturapa_values import Invoice
from mailbot.errors import InputError

SENDER = re.compile(r"[A-Z]{2}[A-Z0-9]{1,28}")
DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
PROGRESSIVE_LENGTH = 5
MAX_COUNTER = len(DIGITS) ** PROGRESSIVE_LENGTH - 1  # ZZZZZ: 60,466,175


def sdi_file_name(seller_vat: str, progressive: str) -> str:
    """``sdi_file_name("IT01234567890", "0001A")`` is ``IT01234567890_0001A.xml``. ``seller_vat`` is the
    transmitter's country and code (the seller's VAT number, or an intermediary's fiscal code)."""
    if not SENDER.fullmatch(seller_vat):
        raise InputError(f"SdI file name: {seller_vat!r} must be a country code and a code, as IT01234567890")
    if not PROGRESSIVE.fullmatch(progressive):
        raise InputError(f"SdI file name: the progressive {progressive!r} must be 1 to 5 letters or digits")
    return f"{seller_vat}_{progressive}.xml"


def invoice_file_name(invoice: Invoice) -> str:
    """The SdI name of ``invoice``'s file: its transmitter and its progressive."""
    return sdi_file_name(str(invoice.sender), invoice.progressive)


def progressive_from_counter(counter: int) -> str:
    """A counter as a 5-character progressive in base 36 (digits, then capital letters): 1 is
    ``00001``, 10 is ``0000A``, 36 is ``00010``; 0 to 60,466,175 fit."""
    if not 0 <= counter <= MAX_COUNTER:
        raise InputError(f"progressive counter {counter} must be between 0 and {MAX_COUNTER}")
    chars = []
    for _ in range(PROGRESSIVE_LENGTH):
        counter, digit = divmod(counter, len(DIGITS))
        chars.append(DIGITS[digit])
    return "".join(reversed(chars))


def write_invoice_file(folder: Path, name: str, xml: bytes) -> Path:
    """Write ``xml`` as ``folder/name`` at once or not at all (a temporary file, flushed to disk, then
    linked to its name, which fails rather than replace a file that appeared meanwhile). The same
    bytes already there: nothing to do. Other bytes there: InputError, the file is left as it is."""
    if not name or Path(name).name != name or name.startswith("."):
        raise InputError(f"invoice file name {name!r} must be a plain file name")
    if not folder.is_dir():
        raise InputError(f"invoice folder {folder} does not exist")
    target = folder / name
    if target.exists():
        return _same_or_refuse(target, xml)
    fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")  # hidden from *.xml pickers
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(xml)
            out.flush()
            os.fsync(out.fileno())
        _link_or_rename(temp, target)
    except FileExistsError:
        return _same_or_refuse(target, xml)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
    _sync_folder(folder)
    return target


def _link_or_rename(temp: str, target: Path) -> None:
    """``temp`` given the name ``target``; FileExistsError when ``target`` exists. A hard link cannot
    replace a file; where the file system has no hard links, a rename after one more look."""
    try:
        os.link(temp, target)
    except FileExistsError:
        raise
    except OSError:
        if target.exists():
            raise FileExistsError(str(target)) from None
        os.rename(temp, target)


def _same_or_refuse(target: Path, xml: bytes) -> Path:
    if target.read_bytes() == xml:
        return target
    raise InputError(f"{target} exists with other content: an issued invoice file is never replaced")


def _sync_folder(folder: Path) -> None:
    """The new name made durable: the folder's entry flushed to disk (where the system allows it)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
