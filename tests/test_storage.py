"""Storage alerts: usage levels and the projection of extra 1 GB units until the next expiry."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from mailbot.config import StorageConfig
from mailbot.outbound.context import StorageInfo
from mailbot.outbound.storage import (
    assess_storage,
    extra_units_needed,
    projected_usage_mb,
    storage_level,
    usage_percent,
)

TODAY = date(2026, 6, 1)
LEVELS = StorageConfig(warn_percent=70, critical_percent=90)


def test_usage_percent_rounds_down_and_handles_no_quota() -> None:
    assert usage_percent(717, 1024) == 70  # 70.02
    assert usage_percent(716, 1024) == 69  # 69.92
    assert usage_percent(2048, 1024) == 200
    assert usage_percent(500, 0) == 0


@pytest.mark.parametrize(
    ("percent", "level"),
    [(0, None), (69, None), (70, "warning"), (89, "warning"), (90, "critical"), (150, "critical")],
)
def test_storage_level_thresholds(percent: int, level: str | None) -> None:
    assert storage_level(percent, 70, 90) == level


def test_projection_follows_the_average_daily_growth() -> None:
    # 100 days since start, 730 MB used: 7.3 MB a day; 200 days to go -> 730 + 1460.
    started = date(2026, 2, 21)
    assert (TODAY - started).days == 100
    until = date(2026, 12, 18)
    assert (until - TODAY).days == 200
    assert projected_usage_mb(730, started, TODAY, until) == 2190


def test_projection_rounds_partial_megabytes_up() -> None:
    # 10 MB over 3 days, 1 day to go: 3.33 MB -> 4.
    assert projected_usage_mb(10, date(2026, 5, 29), TODAY, date(2026, 6, 2)) == 14


def test_extra_units_cover_the_shortfall_in_whole_gigabytes() -> None:
    started = date(2026, 2, 21)
    until = date(2026, 12, 18)
    # projected 2190 MB against 1024 MB: 1166 MB short -> 2 units of 1024 MB.
    assert extra_units_needed(730, 1024, started, TODAY, until) == 2
    # against 2048 MB: 142 MB short -> 1 unit.
    assert extra_units_needed(730, 2048, started, TODAY, until) == 1
    # against 3072 MB: it fits.
    assert extra_units_needed(730, 3072, started, TODAY, until) == 0


def test_no_start_date_or_no_growth_means_no_estimate() -> None:
    until = date(2026, 12, 31)
    assert extra_units_needed(2000, 1024, None, TODAY, until) == 0
    assert extra_units_needed(0, 1024, date(2025, 1, 1), TODAY, until) == 0
    # started today: no elapsed time to average over.
    assert extra_units_needed(900, 1024, TODAY, TODAY, until) == 0


def test_expired_service_projects_no_further_growth() -> None:
    # expiry already passed: projection is today's usage; 1100 MB over 1024 MB -> 1 unit.
    assert extra_units_needed(1100, 1024, date(2025, 1, 1), TODAY, date(2026, 5, 1)) == 1


def test_assess_storage_builds_the_alert() -> None:
    info = assess_storage(
        used_mb=922,
        quota_mb=1024,
        started_on=date(2026, 3, 3),
        today=TODAY,
        next_expiry=date(2026, 12, 31),
        levels=StorageConfig(warn_percent=70, critical_percent=90),
    )
    # 922 MB in 90 days, 213 days to go: +2183 MB -> 3105 MB, 2081 MB over -> 3 units.
    assert info == StorageInfo(percent=90, level="critical", extra_gb_needed=3)


def test_assess_storage_below_warning_or_without_quota_is_none() -> None:
    common: dict[str, Any] = {"started_on": None, "today": TODAY, "next_expiry": date(2026, 12, 31)}
    assert assess_storage(used_mb=700, quota_mb=1024, levels=LEVELS, **common) is None
    assert assess_storage(used_mb=700, quota_mb=0, levels=LEVELS, **common) is None
    warn = assess_storage(used_mb=800, quota_mb=1024, levels=LEVELS, **common)
    assert warn == StorageInfo(percent=78, level="warning", extra_gb_needed=0)
