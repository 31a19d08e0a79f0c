"""Mail dropped into a Maildir, as an MTA does it; ``NOW`` is the clock of the Maildir tests."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


def deliver(root: Path, name: str, raw: bytes, sub: str = "new") -> Path:
    """What an MTA does: write into tmp/, then rename into new/."""
    for folder in ("tmp", "new", "cur"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    tmp = root / "tmp" / name
    tmp.write_bytes(raw)
    path = root / sub / name
    os.replace(tmp, path)
    return path
