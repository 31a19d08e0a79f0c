"""Where the data folders shipped with mailbot are: ``templates/``, ``rules/``, ``alembic/``.

In a source checkout (or an editable install) they are at the top of the repository; an installed
wheel carries them inside the package under ``mailbot/_data/``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"mailbot data folder {name!r} not found next to the package")


def templates_dir() -> Path:
    return data_dir("templates")


def rules_dir() -> Path:
    return data_dir("rules")


def alembic_dir() -> Path:
    return data_dir("alembic")
