"""Log lines that text from email cannot forge: every record is one line, its controls made visible.

Logs carry identifiers (a Message-ID, an order number), and those come from email too: a Message-ID
may hold ESC or C1 sequences, an exception's text may quote a Subject with a line break, which would
show as a record of its own (``... INFO mailbot.inbound: ticket approved``). The formatter writes the
message with ``mailbot.text.visible``, and indents every line of a traceback under it, each also made
visible: a line at column 0 is always a record.
"""

from __future__ import annotations

import logging
import sys
from types import TracebackType

from mailbot.text import visible

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CONTINUATION = "    "
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


class SafeFormatter(logging.Formatter):
    def formatMessage(self, record: logging.LogRecord) -> str:
        return visible(super().formatMessage(record))

    def formatException(self, ei: ExcInfo) -> str:
        return _indented(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return _indented(super().formatStack(stack_info))


def _indented(text: str) -> str:
    return "\n".join(CONTINUATION + visible(line) for line in text.split("\n"))


def configure_logging(*, verbose: bool) -> None:
    """The command line's logging: standard error, through ``SafeFormatter``; libraries kept quiet."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(SafeFormatter(FORMAT))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])
    if not verbose:
        for noisy in ("apscheduler", "alembic", "mail.log"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
