"""The FatturaPA schema packaged with mailbot: the official files, loaded offline, errors said in a line."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from mailbot.billing.fatturapa import build_invoice_xml, schema_errors
from mailbot.billing.fatturapa_schema import MAIN_SCHEMA, SCHEMA_FOLDER, SIGNATURE_SCHEMA, load_schema
from tests.support.invoices import SHARED_SCHEMA, invoice

needs_shared = pytest.mark.skipif(not SHARED_SCHEMA.is_dir(), reason=f"official schema not found at {SHARED_SCHEMA}")


@needs_shared
@pytest.mark.parametrize("name", [MAIN_SCHEMA, SIGNATURE_SCHEMA])
def test_the_packaged_schema_is_the_official_one(name: str) -> None:
    assert (SCHEMA_FOLDER / name).read_bytes() == (SHARED_SCHEMA / name).read_bytes()


def test_the_schema_loads_without_the_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object) -> None:
        raise AssertionError("the schema went to the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    for name in (MAIN_SCHEMA, SIGNATURE_SCHEMA):
        shutil.copy(SCHEMA_FOLDER / name, tmp_path / name)  # a folder not loaded yet
    assert schema_errors(build_invoice_xml(invoice()), tmp_path) == []


def test_the_schema_is_loaded_once_per_folder() -> None:
    assert load_schema() is load_schema(SCHEMA_FOLDER)


def test_a_broken_element_is_named_by_its_path() -> None:
    xml = build_invoice_xml(invoice()).replace(b"<CAP>10121</CAP>", b"<CAP>1012</CAP>")

    errors = schema_errors(xml)

    assert len(errors) == 1
    assert errors[0].startswith("/p:FatturaElettronica/FatturaElettronicaHeader/CessionarioCommittente/Sede/CAP: ")
    assert "\n" not in errors[0]


def test_an_element_out_of_place_is_found() -> None:
    xml = build_invoice_xml(invoice()).replace(b"<Divisa>EUR</Divisa>", b"")

    assert any("DatiGeneraliDocumento" in error for error in schema_errors(xml))


def test_text_that_is_not_xml_is_one_error() -> None:
    assert schema_errors(b"<p:FatturaElettronica>") == [
        "not a readable XML document: invalid XML syntax: unbound prefix: line 1, column 0"
    ]


def test_an_entity_is_refused_not_expanded() -> None:
    xml = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY big "xxxxxxxx">]><a>&big;&big;</a>'

    [error] = schema_errors(xml)
    assert error.startswith("not a readable XML document: ")
    assert "Entities are forbidden" in error
