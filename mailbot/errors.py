"""One exception tree for mailbot, rooted at ``MailbotError``.

The three families follow what the caller must do:
- ``InputError``: the input is wrong (a config key, a CSV row, an email's content); tell whoever sent it.
- ``TransientError``: try again later (network, a 4xx from a server, a locked database).
- anything else is a bug or an unknown failure: keep the data, quarantine, show it to staff.
"""

from __future__ import annotations


class MailbotError(Exception):
    """Base of every error mailbot raises on purpose."""


class InputError(MailbotError):
    """Bad input; the message names the place (key, file and line, field)."""


class ConfigError(InputError):
    """A missing or wrong configuration key; the message starts with the key's name."""


class TransientError(MailbotError):
    """A failure that may go away by itself; retry later."""


class SendError(MailbotError):
    """Sending one message failed."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class TransientSendError(SendError, TransientError):
    """4xx reply, connection lost, timeout: retry with backoff."""


class PermanentSendError(SendError):
    """5xx reply: this message will never be accepted as it is (often its content or a policy, at
    DATA); it fails for staff to see, and the address stays deliverable."""


class RecipientRefusedError(PermanentSendError):
    """5xx reply to RCPT that refuses the address itself (``outbound.refusals``), or an address that
    cannot be written on the wire: the address is marked undeliverable."""


class NotFoundError(InputError):
    """A record named on the command line does not exist."""


class UnavailableError(MailbotError):
    """Something mailbot needs cannot be used as configured (e.g. the database's folder cannot be made):
    a person must act; trying again as it is will not help."""


def first_line(exc: BaseException) -> str:
    """The first non-empty line of an error's text, stripped (a database error's text goes on with the
    statement and its values), else the error's type name."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
