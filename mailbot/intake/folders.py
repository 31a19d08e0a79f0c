"""Where a message belongs once its status is known (pure): the folder its intake moves it to."""

from __future__ import annotations

from mailbot.config import Config
from mailbot.domain import InboundStatus


def folder_for(config: Config, status: InboundStatus) -> str:
    """The IMAP folder a message with ``status`` belongs in; RECEIVED stays where it came in."""
    return {
        InboundStatus.PROCESSED: config.imap.processed_folder,
        InboundStatus.REVIEW: config.imap.review_folder,
        InboundStatus.QUARANTINED: config.imap.quarantine_folder,
    }.get(status, config.imap.folder)
