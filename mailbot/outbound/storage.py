"""Storage alerts: how full a service is, and how much space it will need until its next expiry.

Pure: values in, values out. Space is bought in 1 GB units (1024 MB), so the estimate is a whole
number of units. The projection assumes the average daily consumption since the service started
goes on until the next expiry; without a start date, or without growth, there is nothing to project.
"""

from __future__ import annotations

from datetime import date

from mailbot.config import StorageConfig
from mailbot.outbound.context import StorageInfo

UNIT_MB = 1024
WARNING = "warning"
CRITICAL = "critical"


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def usage_percent(used_mb: int, quota_mb: int) -> int:
    """Used space as a percentage of the quota, rounded down; 0 when there is no quota."""
    if quota_mb <= 0:
        return 0
    return max(used_mb, 0) * 100 // quota_mb


def storage_level(percent: int, warn_percent: int, critical_percent: int) -> str | None:
    """``critical``, ``warning`` or None (below the warning threshold)."""
    if percent >= critical_percent:
        return CRITICAL
    if percent >= warn_percent:
        return WARNING
    return None


def projected_usage_mb(used_mb: int, started_on: date | None, today: date, until: date) -> int:
    """Usage on ``until`` if the average daily growth since ``started_on`` continues (rounded up)."""
    if started_on is None or used_mb <= 0:
        return max(used_mb, 0)
    elapsed = (today - started_on).days
    remaining = (until - today).days
    if elapsed <= 0 or remaining <= 0:
        return used_mb
    return used_mb + _ceil_div(used_mb * remaining, elapsed)


def extra_units_needed(used_mb: int, quota_mb: int, started_on: date | None, today: date, until: date) -> int:
    """Extra 1 GB units needed so the projected usage on ``until`` fits in the quota.

    0 when there is no start date (nothing to project from) or no growth.
    """
    if started_on is None or used_mb <= 0:
        return 0
    shortfall = projected_usage_mb(used_mb, started_on, today, until) - quota_mb
    return _ceil_div(shortfall, UNIT_MB) if shortfall > 0 else 0


def assess_storage(
    *,
    used_mb: int,
    quota_mb: int,
    started_on: date | None,
    today: date,
    next_expiry: date,
    levels: StorageConfig,
) -> StorageInfo | None:
    """The storage alert a service deserves today, or None (no quota, or below the warning level of
    ``levels``, the ``storage`` section of the configuration)."""
    if quota_mb <= 0:
        return None
    percent = usage_percent(used_mb, quota_mb)
    level = storage_level(percent, levels.warn_percent, levels.critical_percent)
    if level is None:
        return None
    extra = extra_units_needed(used_mb, quota_mb, started_on, today, next_expiry)
    return StorageInfo(percent=percent, level=level, extra_gb_needed=extra)
