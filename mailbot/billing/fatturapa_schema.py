"""FatturaPA XML checked against the official schema, offline (``xmlschema``).

The schema files ship inside the package (``schema/``, their origin in its README); the signature
schema that the FatturaPA schema imports by a remote address is mapped to the local copy, and no file
outside the schema's folder may be read (``allow="sandbox"``), so validating never goes to the network.
A loaded schema is kept per folder (``_load``): the one cache of this module.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

import xmlschema

SCHEMA_FOLDER = Path(__file__).parent / "schema"
MAIN_SCHEMA = "Schema_del_file_xml_FatturaPA_v1.2.2.xsd"
SIGNATURE_SCHEMA = "xmldsig-core-schema.xsd"
SIGNATURE_NAMESPACE = "http://www.w3.org/2000/09/xmldsig#"


def load_schema(folder: Path = SCHEMA_FOLDER) -> xmlschema.XMLSchema:
    """The FatturaPA schema of ``folder`` (the packaged copy by default), loaded once per folder."""
    return _load(folder.resolve())


@functools.cache
def _load(folder: Path) -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(
        str(folder / MAIN_SCHEMA),
        locations={SIGNATURE_NAMESPACE: str(folder / SIGNATURE_SCHEMA)},
        allow="sandbox",
    )


def schema_errors(xml: bytes, folder: Path = SCHEMA_FOLDER) -> list[str]:
    """Where ``xml`` breaks the FatturaPA schema, one line each (``path: reason``); empty when valid.
    The document may read nothing from outside itself: entities and external references are refused."""
    schema = load_schema(folder)
    try:
        resource = xmlschema.XMLResource(io.BytesIO(xml), allow="none", defuse="always")
    except xmlschema.XMLResourceError as exc:
        return [f"not a readable XML document: {exc}"]
    return [f"{error.path or '/'}: {error.reason}" for error in schema.iter_errors(resource)]
