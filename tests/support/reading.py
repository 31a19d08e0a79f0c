"""Watching the reading of a message from the outside."""

from __future__ import annotations

from typing import Any

import pytest

from mailbot.understand import engine


def counting_prechecks(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Patch ``engine.precheck`` (in this process) to record each call's arguments; the list of them."""
    checked: list[object] = []
    real = engine.precheck

    def precheck(*args: Any) -> Any:
        checked.append(args)
        return real(*args)

    monkeypatch.setattr(engine, "precheck", precheck)
    return checked
