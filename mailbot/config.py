"""Configuration: one TOML file read into frozen, typed objects.

Every key has a default (the embedded defaults run on a fresh machine: SQLite, an outbox
folder instead of SMTP). An unknown key, a wrong type or a bad value raises ``ConfigError``
naming the key, e.g. ``smtp.port: expected an integer, got 'abc'``.
Secrets may come from the environment: ``MAILBOT_SMTP_PASSWORD``, ``MAILBOT_LINK_SECRET``,
``MAILBOT_DATABASE_URL`` override the file.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mailbot.errors import ConfigError

LANGUAGES = ("it", "en")
# payments.bank_transfer_fee_per: one fee per order (the highest of its products') or one per service.
BANK_TRANSFER_FEE_BASES = ("order", "service")
# An RFC 8601 authserv-id as servers write it: a token, no spaces, no ";" or quotes or comments.
_AUTHSERV_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")


@dataclass(frozen=True)
class GeneralConfig:
    timezone: str = "Europe/Rome"
    language: str = "it"
    data_dir: str = "."

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = "sqlite:///mailbot.db"


@dataclass(frozen=True)
class SmtpConfig:
    host: str = ""
    port: int = 587
    security: str = "starttls"
    username: str = ""
    password: str = ""
    timeout_seconds: float = 30.0
    connections: int = 2
    rate_per_second: float = 0.0
    max_attempts: int = 8
    retry_base_seconds: float = 60.0
    retry_max_seconds: float = 6 * 3600.0
    lease_seconds: float = 300.0
    batch_size: int = 100
    shutdown_grace_seconds: float = 30.0


@dataclass(frozen=True)
class MailConfig:
    from_address: str = "rinnovi@example.it"
    from_name: str = "Servizio rinnovi"
    reply_to: str = "rinnovi+{token}@example.it"
    message_id_domain: str = "example.it"
    outbox_dir: str = "outbox"
    company_name: str = "Example S.r.l."
    support_address: str = "assistenza@example.it"
    support_phone: str = ""


@dataclass(frozen=True)
class LinksConfig:
    base_url: str = "https://example.it/rinnovo"
    secret: str = ""
    max_age_days: int = 120


@dataclass(frozen=True)
class RemindersConfig:
    before_days: tuple[int, ...] = (90, 60, 30, 15, 7, 1)
    on_expiry: bool = True
    grace_days: int = 90
    grace_after_days: tuple[int, ...] = (7, 30, 60, 85)
    suspension_notice: bool = True
    autorenew_before_days: tuple[int, ...] = (30, 7)


@dataclass(frozen=True)
class PaymentsConfig:
    reminder_after_days: tuple[int, ...] = (3, 7)
    cancel_after_days: int = 30
    vat_rate: Decimal = Decimal("22")
    currency: str = "EUR"
    beneficiary: str = "Example S.r.l."
    iban: str = "IT60X0542811101000000123456"
    bank_name: str = "Banca Esempio"
    postal_account: str = "000012345678"
    postal_account_holder: str = "Example S.r.l."
    paypal_url: str = "https://example.it/paga"
    split_payment_valid_until: date = date(2026, 6, 30)
    bank_transfer_fee_per: str = "order"


@dataclass(frozen=True)
class InvoicingConfig:
    # An invoice's number from its year and its place in the year (numbering per year without gaps).
    number_format: str = "{year}/{seq:05d}"
    # A bank transfer's or postal slip's invoice is issued this many days after the payment is registered
    # (card and PayPal: at once).
    transfer_delay_days: int = 2
    # A public administration's electronic invoice is issued before payment: payment is expected within.
    pa_payment_days: int = 60
    # Days after that due date on which a still unpaid invoice is recalled (the latest due one only).
    overdue_reminder_days: tuple[int, ...] = (1, 15, 30)
    # Where the FatturaPA XML files go, for the provider's SdI channel (intermediary or PEC) to pick up.
    sdi_dir: str = "sdi"
    # The seller, as the electronic invoice names it (CedentePrestatore).
    seller_name: str = "Example S.r.l."
    seller_vat: str = "IT01234560157"
    seller_fiscal_code: str = ""  # empty: the VAT number's digits
    seller_street: str = "Via Esempio 1"
    seller_postcode: str = "20121"
    seller_city: str = "Milano"
    seller_province: str = "MI"
    seller_country: str = "IT"
    tax_regime: str = "RF01"  # RegimeFiscale: RF01 is the ordinary regime


@dataclass(frozen=True)
class StorageConfig:
    warn_percent: int = 70
    critical_percent: int = 90


@dataclass(frozen=True)
class ScheduleConfig:
    sweep_time: time = time(8, 0)
    payment_check_minutes: int = 60
    drain_interval_seconds: float = 5.0
    maildir_interval_seconds: float = 5.0
    pending_interval_seconds: float = 300.0


@dataclass(frozen=True)
class ImapConfig:
    host: str = ""
    port: int = 993
    security: str = "ssl"  # ssl | starttls | none
    username: str = ""
    password: str = ""
    folder: str = "INBOX"
    processed_folder: str = "mailbot/processed"
    review_folder: str = "mailbot/review"
    quarantine_folder: str = "mailbot/quarantine"
    idle: bool = True
    idle_seconds: float = 1500.0
    poll_seconds: float = 60.0
    timeout_seconds: float = 60.0
    backoff_max_seconds: float = 300.0
    lock_seconds: float = 120.0
    # Several batches waiting: read the next in a worker process, move the last on a second connection,
    # fetch meanwhile (intake/imap/overlap.py). Replaces imap.parallel_moves and inbound.read_ahead.
    overlap: bool = True
    fetch_batch: int = 100  # messages per UID FETCH, stored in one COMMIT and processed in one transaction
    fetch_batch_bytes: int = 32 * 1024 * 1024  # and at most this many bytes (a larger message goes alone)


@dataclass(frozen=True)
class InboundConfig:
    maildir: str = "maildir"
    max_message_bytes: int = 25 * 1024 * 1024
    max_attachment_bytes: int = 10 * 1024 * 1024
    max_attempts: int = 3
    review_threshold: float = 0.8
    max_auto_replies_per_day: int = 3
    own_addresses: tuple[str, ...] = ()
    # Sender authentication (understand/authentication.py): the authserv-id of the Authentication-Results
    # headers our own receiving server adds (empty: no From is ever authenticated by them), DKIM checked
    # here with dkimpy instead, and how long a reply token may verify a sender.
    authserv_id: str = ""
    verify_dkim: bool = False
    reply_token_days: int = 180


@dataclass(frozen=True)
class Config:
    general: GeneralConfig = field(default_factory=GeneralConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    mail: MailConfig = field(default_factory=MailConfig)
    links: LinksConfig = field(default_factory=LinksConfig)
    reminders: RemindersConfig = field(default_factory=RemindersConfig)
    payments: PaymentsConfig = field(default_factory=PaymentsConfig)
    invoicing: InvoicingConfig = field(default_factory=InvoicingConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    imap: ImapConfig = field(default_factory=ImapConfig)
    inbound: InboundConfig = field(default_factory=InboundConfig)

    @property
    def tz(self) -> ZoneInfo:
        return self.general.tz

    def path(self, value: str) -> Path:
        """A path from the config, relative to ``general.data_dir``."""
        p = Path(value)
        return p if p.is_absolute() else Path(self.general.data_dir) / p


log = logging.getLogger(__name__)

# Boolean keys replaced by another: (section, old key) -> (section, new key). Still read, with a warning:
# any of them false turns the new one off, unless the new one is given.
REPLACED_SWITCHES: dict[tuple[str, str], tuple[str, str]] = {
    ("imap", "parallel_moves"): ("imap", "overlap"),
    ("inbound", "read_ahead"): ("imap", "overlap"),
}

ENV_OVERRIDES: dict[str, tuple[str, str]] = {
    "MAILBOT_SMTP_PASSWORD": ("smtp", "password"),
    "MAILBOT_IMAP_PASSWORD": ("imap", "password"),
    "MAILBOT_LINK_SECRET": ("links", "secret"),
    "MAILBOT_DATABASE_URL": ("database", "url"),
}


def load_config(path: str | Path | None, env: Mapping[str, str] | None = None) -> Config:
    """Read the TOML file at ``path`` (or only defaults if None) and apply env overrides."""
    env = os.environ if env is None else env
    raw: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        try:
            with p.open("rb") as fh:
                raw = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigError(f"{p}: config file not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    return config_from_dict(raw, env)


def config_from_dict(raw: Mapping[str, Any], env: Mapping[str, str] | None = None) -> Config:
    env = {} if env is None else env
    data: dict[str, dict[str, Any]] = {}
    sections = {f.name: f for f in dataclasses.fields(Config)}
    for name, value in raw.items():
        if name not in sections:
            raise ConfigError(f"{name}: unknown section (known: {', '.join(sections)})")
        if not isinstance(value, Mapping):
            raise ConfigError(f"{name}: expected a table")
        data[name] = dict(value)
    for var, (section, key) in ENV_OVERRIDES.items():
        if env.get(var):
            data.setdefault(section, {})[key] = env[var]
    _read_replaced(data)
    built: dict[str, Any] = {}
    hints = typing.get_type_hints(Config)
    for name in sections:
        built[name] = _build_section(name, hints[name], data.get(name, {}))
    config = Config(**built)
    validate(config)
    return config


def _read_replaced(data: dict[str, dict[str, Any]]) -> None:
    """The keys of ``REPLACED_SWITCHES`` in ``data`` taken out, and read for the key that replaced them."""
    given = {(section, key) for section, values in data.items() for key in values}
    for (section, old), (new_section, new) in REPLACED_SWITCHES.items():
        if old not in data.get(section, {}):
            continue
        value = _coerce(f"{section}.{old}", bool, data[section].pop(old))
        log.warning("config: %s.%s: replaced by %s.%s, read as it", section, old, new_section, new)
        if (new_section, new) not in given and not value:
            data.setdefault(new_section, {})[new] = False


def _build_section(section: str, cls: type[Any], values: Mapping[str, Any]) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if key not in fields:
            raise ConfigError(f"{section}.{key}: unknown key (known: {', '.join(fields)})")
        kwargs[key] = _coerce(f"{section}.{key}", hints[key], value)
    return cls(**kwargs)


def _coerce(name: str, typ: Any, value: Any) -> Any:
    origin = typing.get_origin(typ)
    if typ is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{name}: expected true or false, got {value!r}")
    if typ is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(f"{name}: expected an integer, got {value!r}")
    if typ is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(f"{name}: expected a number, got {value!r}")
    if typ is str:
        if isinstance(value, str):
            return value
        raise ConfigError(f"{name}: expected a string, got {value!r}")
    if typ is Decimal:
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise ConfigError(f"{name}: expected a decimal number, got {value!r}") from None
    if typ is date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise ConfigError(f"{name}: expected a date YYYY-MM-DD, got {value!r}") from None
    if typ is time:
        if isinstance(value, time):
            return value
        if isinstance(value, str) and re.fullmatch(r"\d{1,2}:\d{2}", value):
            hh, mm = (int(x) for x in value.split(":"))
            if hh < 24 and mm < 60:
                return time(hh, mm)
        raise ConfigError(f"{name}: expected a local time HH:MM, got {value!r}")
    if origin is tuple:
        if not isinstance(value, list):
            raise ConfigError(f"{name}: expected a list, got {value!r}")
        (item_type, _ellipsis) = typing.get_args(typ)
        return tuple(_coerce(f"{name}[{i}]", item_type, v) for i, v in enumerate(value))
    if origin in (types.UnionType, typing.Union):  # pragma: no cover - not used yet
        raise ConfigError(f"{name}: unsupported type")
    raise ConfigError(f"{name}: unsupported type {typ!r}")  # pragma: no cover


def validate(config: Config) -> None:
    """Check values that are well-typed but wrong; each error names its key."""
    try:
        ZoneInfo(config.general.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"general.timezone: unknown time zone {config.general.timezone!r}") from None
    if config.general.language not in LANGUAGES:
        raise ConfigError(f"general.language: must be one of {', '.join(LANGUAGES)}")
    if config.smtp.security not in ("starttls", "tls", "none"):
        raise ConfigError("smtp.security: must be one of starttls, tls, none")
    if not 0 < config.smtp.port < 65536:
        raise ConfigError(f"smtp.port: {config.smtp.port} is not a TCP port")
    if config.smtp.connections < 1:
        raise ConfigError("smtp.connections: must be at least 1")
    if config.smtp.rate_per_second < 0:
        raise ConfigError("smtp.rate_per_second: must be 0 (no limit) or positive")
    if config.smtp.max_attempts < 1:
        raise ConfigError("smtp.max_attempts: must be at least 1")
    if config.smtp.shutdown_grace_seconds < 0:
        raise ConfigError("smtp.shutdown_grace_seconds: must be 0 (do not wait) or positive")
    if "{token}" not in config.mail.reply_to or "@" not in config.mail.reply_to:
        raise ConfigError("mail.reply_to: must be an address containing {token}, e.g. rinnovi+{token}@example.it")
    if "@" not in config.mail.from_address:
        raise ConfigError("mail.from_address: not an email address")
    if config.links.max_age_days < 1:
        raise ConfigError("links.max_age_days: must be at least 1")
    if not config.links.base_url.startswith(("http://", "https://")):
        raise ConfigError("links.base_url: must start with http:// or https://")
    for key, days in (
        ("reminders.before_days", config.reminders.before_days),
        ("reminders.grace_after_days", config.reminders.grace_after_days),
        ("reminders.autorenew_before_days", config.reminders.autorenew_before_days),
        ("payments.reminder_after_days", config.payments.reminder_after_days),
        ("invoicing.overdue_reminder_days", config.invoicing.overdue_reminder_days),
    ):
        if any(d < 1 for d in days):
            raise ConfigError(f"{key}: every value must be a positive number of days")
        if len(set(days)) != len(days):
            raise ConfigError(f"{key}: values must not repeat")
    if any(d >= config.reminders.grace_days for d in config.reminders.grace_after_days):
        raise ConfigError("reminders.grace_after_days: every value must be below reminders.grace_days")
    if config.payments.bank_transfer_fee_per not in BANK_TRANSFER_FEE_BASES:
        raise ConfigError(
            f"payments.bank_transfer_fee_per: must be one of {', '.join(BANK_TRANSFER_FEE_BASES)}, "
            f"got {config.payments.bank_transfer_fee_per!r}"
        )
    if config.payments.cancel_after_days <= max(config.payments.reminder_after_days, default=0):
        raise ConfigError("payments.cancel_after_days: must come after the last payment reminder")
    _validate_invoicing(config.invoicing)
    if not 0 < config.storage.warn_percent < config.storage.critical_percent <= 100:
        raise ConfigError("storage.warn_percent: must be above 0 and below storage.critical_percent (<= 100)")
    _validate_inbound(config)


def _validate_invoicing(invoicing: InvoicingConfig) -> None:
    try:
        sample = invoicing.number_format.format(year=2026, seq=99999)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(
            f"invoicing.number_format: {invoicing.number_format!r} must use only {{year}} and {{seq}} ({exc})"
        ) from None
    if str(99999) not in sample or not 1 <= len(sample) <= 20:
        raise ConfigError("invoicing.number_format: must show {seq} and make at most 20 characters (FatturaPA's limit)")
    if invoicing.transfer_delay_days < 0 or invoicing.pa_payment_days < 1:
        raise ConfigError("invoicing.transfer_delay_days: must be 0 or more, and invoicing.pa_payment_days at least 1")
    if not re.fullmatch(r"[A-Z]{2}[0-9A-Z]{2,28}", invoicing.seller_vat):
        raise ConfigError(
            "invoicing.seller_vat: expected the country code and the number, e.g. IT01234560157, "
            f"got {invoicing.seller_vat!r}"
        )


def _validate_inbound(config: Config) -> None:
    for key in ("maildir_interval_seconds", "pending_interval_seconds"):
        if getattr(config.schedule, key) <= 0:
            raise ConfigError(f"schedule.{key}: must be positive")
    if config.imap.security not in ("ssl", "starttls", "none"):
        raise ConfigError("imap.security: must be one of ssl, starttls, none")
    if not 0 < config.imap.port < 65536:
        raise ConfigError(f"imap.port: {config.imap.port} is not a TCP port")
    folders = {
        config.imap.folder,
        config.imap.processed_folder,
        config.imap.review_folder,
        config.imap.quarantine_folder,
    }
    if len(folders) != 4:
        raise ConfigError("imap.processed_folder: the four imap folders must all be different")
    for key in ("poll_seconds", "idle_seconds", "timeout_seconds", "backoff_max_seconds", "lock_seconds"):
        if getattr(config.imap, key) <= 0:
            raise ConfigError(f"imap.{key}: must be positive")
    if not 1 <= config.imap.fetch_batch <= 1000:
        raise ConfigError(f"imap.fetch_batch: {config.imap.fetch_batch} must be between 1 and 1000")
    if config.imap.fetch_batch_bytes < 1024 * 1024:
        raise ConfigError(f"imap.fetch_batch_bytes: {config.imap.fetch_batch_bytes} must be at least 1 MiB (1048576)")
    if config.inbound.max_message_bytes < 1024:
        raise ConfigError("inbound.max_message_bytes: must be at least 1024")
    if not 0 <= config.inbound.review_threshold <= 1:
        raise ConfigError("inbound.review_threshold: must be between 0 and 1")
    if config.inbound.max_auto_replies_per_day < 0:
        raise ConfigError("inbound.max_auto_replies_per_day: must be 0 or more")
    if config.inbound.max_attempts < 1:
        raise ConfigError("inbound.max_attempts: must be at least 1")
    if config.inbound.authserv_id and not _AUTHSERV_ID.fullmatch(config.inbound.authserv_id):
        raise ConfigError(
            f"inbound.authserv_id: {config.inbound.authserv_id!r} is not an authserv-id (a host name such as"
            " mx.example.it, as your receiving server writes it in Authentication-Results)"
        )
    if config.inbound.reply_token_days < 1:
        raise ConfigError("inbound.reply_token_days: must be at least 1")
    for i, address in enumerate(config.inbound.own_addresses):
        if "@" not in address:
            raise ConfigError(f"inbound.own_addresses[{i}]: {address!r} is not an email address")


def link_secret(config: Config) -> str:
    """The signing secret; refusing to sign with an empty one outside the demo and tests."""
    if not config.links.secret:
        raise ConfigError("links.secret: not set (set it in the config file or MAILBOT_LINK_SECRET)")
    return config.links.secret
