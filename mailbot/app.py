"""Wiring: ``create_app(config)`` builds everything a command needs, and nothing at import time."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mailbot.config import Config
from mailbot.db.engine import make_engine, session_factory
from mailbot.outbound.links import LinkSigner
from mailbot.outbound.render import Renderer

log = logging.getLogger(__name__)


@dataclass
class App:
    config: Config
    engine: Engine
    sessions: sessionmaker[Session]
    renderer: Renderer
    links: LinkSigner
    # The DNS look-up of DKIM keys (inbound.verify_dkim): dkimpy's ``dnsfunc``, (name, timeout=...) -> TXT
    # text; None: dkimpy's own resolver. Tests give a stub.
    dkim_dns: Callable[..., bytes] | None = None

    def close(self) -> None:
        self.engine.dispose()


def create_app(config: Config, *, engine: Engine | None = None, read_only: bool = False) -> App:
    """``read_only``: for a command that writes nothing, which must leave no file behind either (no
    generated link secret)."""
    engine = engine or make_engine(config.database.url)
    secret = resolve_link_secret(config, create=not read_only)
    return App(
        config=config,
        engine=engine,
        sessions=session_factory(engine),
        renderer=Renderer(),
        links=LinkSigner(secret, config.links.base_url, config.links.max_age_days),
    )


def resolve_link_secret(config: Config, *, create: bool = True) -> str:
    """The configured secret, or one generated once and kept in ``<data_dir>/link-secret``.

    The generated secret lets a fresh machine run on embedded defaults; production sets
    ``links.secret`` or ``MAILBOT_LINK_SECRET`` so that every process signs with the same key.
    Without ``create`` (a command that writes nothing) and no secret yet, a throw-away one: no link was
    ever signed here, so none would check, and none this command shows can be sent.
    """
    if config.links.secret:
        return config.links.secret
    path = Path(config.general.data_dir) / "link-secret"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    if not create:
        return secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secret + "\n")
    log.warning("links.secret not set: generated one in %s", path)
    return secret
