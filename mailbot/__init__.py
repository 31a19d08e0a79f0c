"""mailbot: an email-driven renewal bot for subscription providers."""

__version__ = "0.1.0"
