"""Helpers shared by CLI commands: loading the config and the app."""

from __future__ import annotations

import argparse
import os
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mailbot.config import Config, load_config
from mailbot.errors import InputError

if TYPE_CHECKING:
    from mailbot.app import App


def config_path(args: argparse.Namespace) -> Path | None:
    if getattr(args, "config", None):
        return Path(args.config)
    if os.environ.get("MAILBOT_CONFIG"):
        return Path(os.environ["MAILBOT_CONFIG"])
    default = Path("mailbot.toml")
    return default if default.exists() else None


def get_config(args: argparse.Namespace) -> Config:
    return load_config(config_path(args))


def get_app(args: argparse.Namespace) -> App:
    from mailbot.app import create_app  # the database and the rest: only for the commands that use them

    return create_app(get_config(args))


def parse_day(value: str, option: str = "--date") -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option}: expected a date YYYY-MM-DD, got {value!r}") from None


def today_in(config: Config, now: datetime) -> date:
    return now.astimezone(config.tz).date()
