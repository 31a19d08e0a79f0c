"""Many different messages made from the golden corpus (tests/corpus), for batches of any size."""

from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).parent.parent / "corpus"


def _variant(raw: bytes, tag: str, extra: bytes = b"") -> bytes:
    head, sep, body = raw.partition(b"\n\n")
    lines = [line for line in head.split(b"\n") if not line.lower().startswith(b"message-id:")]
    lines.append(f"Message-ID: <{tag}@ahead.example.org>".encode())
    if extra:
        lines.append(extra)
    return b"\n".join(lines) + sep + body


def corpus(count: int, **marks: bytes) -> list[bytes]:
    """``count`` different messages cycling over the golden corpus, CRLF as an IMAP server gives them;
    ``marks`` add a header by tag."""
    files = sorted(CORPUS.glob("*.eml"))
    found = [_variant(files[i % len(files)].read_bytes(), f"m{i}", marks.get(f"m{i}", b"")) for i in range(count)]
    return [raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") for raw in found]
