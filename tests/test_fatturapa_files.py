"""Invoice files: named as the SdI expects, written whole or not at all, never replaced."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailbot.billing.fatturapa import (
    TaxId,
    build_invoice_xml,
    invoice_file_name,
    progressive_from_counter,
    sdi_file_name,
    write_invoice_file,
)
from mailbot.billing.fatturapa_check import PROGRESSIVE
from mailbot.billing.fatturapa_files import MAX_COUNTER
from mailbot.errors import InputError
from tests.support.invoices import invoice, pa_invoice


def test_the_file_name_is_country_code_underscore_progressive() -> None:
    assert sdi_file_name("IT01234567890", "0001A") == "IT01234567890_0001A.xml"
    assert sdi_file_name("IT01234567890", "1") == "IT01234567890_1.xml"
    assert sdi_file_name("ITRSSMRA80A01H501U", "zz9") == "ITRSSMRA80A01H501U_zz9.xml"


@pytest.mark.parametrize(
    ("sender", "progressive", "message"),
    [
        ("01234567890", "00001", "must be a country code and a code"),
        ("it01234567890", "00001", "must be a country code and a code"),
        ("IT", "00001", "must be a country code and a code"),
        ("IT0123456789_", "00001", "must be a country code and a code"),
        ("IT01234567890", "000001", "the progressive '000001' must be 1 to 5 letters or digits"),
        ("IT01234567890", "", "must be 1 to 5 letters or digits"),
        ("IT01234567890", "00/01", "must be 1 to 5 letters or digits"),
    ],
)
def test_a_wrong_file_name_part_is_refused(sender: str, progressive: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        sdi_file_name(sender, progressive)


def test_an_invoice_is_named_after_its_transmitter() -> None:
    assert invoice_file_name(pa_invoice()) == "IT01234560157_00001.xml"
    intermediary = invoice(transmitter=TaxId("IT", "RSSMRA80A01H501U"), progressive="0001A")
    assert invoice_file_name(intermediary) == "ITRSSMRA80A01H501U_0001A.xml"


@pytest.mark.parametrize(
    ("counter", "progressive"),
    [(0, "00000"), (1, "00001"), (9, "00009"), (10, "0000A"), (35, "0000Z"), (36, "00010"), (MAX_COUNTER, "ZZZZZ")],
)
def test_a_counter_becomes_a_five_character_progressive(counter: int, progressive: str) -> None:
    assert progressive_from_counter(counter) == progressive


@pytest.mark.parametrize("counter", [-1, MAX_COUNTER + 1])
def test_a_counter_out_of_range_is_refused(counter: int) -> None:
    with pytest.raises(InputError, match=f"progressive counter {counter} must be between 0 and 60466175"):
        progressive_from_counter(counter)


@given(st.integers(0, MAX_COUNTER), st.integers(0, MAX_COUNTER))
def test_progressives_sort_as_their_counters(a: int, b: int) -> None:
    """Digits sort before capital letters, so a folder listed by name is listed in issue order."""
    pa, pb = progressive_from_counter(a), progressive_from_counter(b)
    assert PROGRESSIVE.fullmatch(pa)
    assert (pa < pb) == (a < b)
    assert (pa == pb) == (a == b)


def test_an_invoice_file_is_written_whole(tmp_path: Path) -> None:
    xml = build_invoice_xml(pa_invoice())
    path = write_invoice_file(tmp_path, invoice_file_name(pa_invoice()), xml)

    assert path == tmp_path / "IT01234560157_00001.xml"
    assert path.read_bytes() == xml
    assert os.listdir(tmp_path) == ["IT01234560157_00001.xml"]  # no temporary file left


def test_writing_the_same_bytes_again_is_harmless(tmp_path: Path) -> None:
    xml = build_invoice_xml(pa_invoice())
    first = write_invoice_file(tmp_path, "IT01234560157_00001.xml", xml)
    stamp = first.stat().st_mtime_ns

    again = write_invoice_file(tmp_path, "IT01234560157_00001.xml", build_invoice_xml(pa_invoice()))

    assert again == first
    assert again.stat().st_mtime_ns == stamp  # not even rewritten
    assert os.listdir(tmp_path) == ["IT01234560157_00001.xml"]


def test_an_issued_file_is_never_replaced_by_other_bytes(tmp_path: Path) -> None:
    xml = build_invoice_xml(pa_invoice())
    write_invoice_file(tmp_path, "IT01234560157_00001.xml", xml)

    with pytest.raises(InputError, match="exists with other content: an issued invoice file is never replaced"):
        write_invoice_file(tmp_path, "IT01234560157_00001.xml", build_invoice_xml(invoice()))
    assert (tmp_path / "IT01234560157_00001.xml").read_bytes() == xml
    assert os.listdir(tmp_path) == ["IT01234560157_00001.xml"]


def test_a_file_that_appears_while_writing_is_not_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another writer gets the name between the look and the link: the link fails, its file stays."""
    real_link = os.link

    def other_writer_first(src: str, dst: Path) -> None:
        Path(dst).write_bytes(b"<other/>")
        real_link(src, dst)

    monkeypatch.setattr(os, "link", other_writer_first)
    with pytest.raises(InputError, match="exists with other content"):
        write_invoice_file(tmp_path, "IT01234560157_00001.xml", b"<mine/>")
    assert (tmp_path / "IT01234560157_00001.xml").read_bytes() == b"<other/>"
    assert os.listdir(tmp_path) == ["IT01234560157_00001.xml"]


def test_without_hard_links_the_file_is_renamed_into_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(src: str, dst: Path) -> None:
        raise PermissionError("hard links not supported")

    monkeypatch.setattr(os, "link", no_links)
    path = write_invoice_file(tmp_path, "IT01234560157_00002.xml", b"<mine/>")

    assert path.read_bytes() == b"<mine/>"
    assert os.listdir(tmp_path) == ["IT01234560157_00002.xml"]


@pytest.mark.parametrize("name", ["", "../IT01234560157_00001.xml", "sub/IT01234560157_00001.xml", ".hidden.xml"])
def test_only_a_plain_file_name_is_written(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError, match="must be a plain file name"):
        write_invoice_file(tmp_path, name, b"<x/>")


def test_a_missing_folder_is_an_error_not_created(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        write_invoice_file(tmp_path / "sdi-outbox", "IT01234560157_00001.xml", b"<x/>")
    assert not (tmp_path / "sdi-outbox").exists()
