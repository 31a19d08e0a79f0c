"""A throwaway Dovecot IMAP server on a free localhost port, for integration tests and the benchmark.

``DovecotServer(folder).start()`` writes its own configuration into ``folder`` (``ssl = no``,
passwd-file authentication with one plain-text test user, ``maildir`` storage, its own base, state
and log paths, mail owned by ``nobody``/``nogroup`` because Dovecot refuses uid 0) and runs
``dovecot -F -c <conf>`` in the foreground as a child process. The folder must be reachable by
``nobody``: ``make_server_dir()`` creates a suitable one under the system temporary folder.

Helpers talk real IMAP with imapclient: ``append`` (APPEND), ``uids``, ``flags``, and
``recreate_folder`` (DELETE + CREATE: the folder gets a new UIDVALIDITY and UIDs start again at 1).
``restart()`` stops and starts the server on the same port with the same mail; stopping ends every
process of the server (the master and the ``imap`` processes serving open connections), so clients
really lose their connection.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from imapclient import IMAPClient

USER = "mailbot"
PASSWORD = "test-password"
MAIL_USER = "nobody"
MAIL_GROUP = "nogroup"


def dovecot_binary() -> str | None:
    """The ``dovecot`` executable, or None when it is not installed."""
    return shutil.which("dovecot") or next((p for p in ("/usr/sbin/dovecot",) if os.path.exists(p)), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_server_dir() -> Path:
    """A fresh folder under the system temp dir that ``nobody`` can traverse (pytest's are 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="mailbot-dovecot-"))
    folder.chmod(0o755)
    return folder


CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {mail_user}
default_internal_group = {mail_group}
default_login_user = {mail_user}
mail_uid = {mail_user}
mail_gid = {mail_group}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
mail_plugins =
# IDLE notices new mail through inotify; mail landing while IDLE starts is otherwise only noticed by the
# fallback check, 30 s by default. One second keeps tests fast whatever the timing.
mailbox_idle_check_interval = 1 secs
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = home={root}/mail/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  inet_listener http {{
    port = 0
  }}
}}
"""


def _end_group(pgid: int, timeout: float = 5.0) -> None:
    """SIGTERM, then SIGKILL, every process left in the group ``pgid`` (the server started its own session)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + timeout / 2
        while time.monotonic() < deadline:
            if not _group_alive(pgid):
                return
            time.sleep(0.01)


def _group_alive(pgid: int) -> bool:
    """True while a process of the group is still running (zombies waiting to be reaped do not count)."""
    proc = Path("/proc")
    if not proc.is_dir():  # pragma: no cover - not Linux: ask the kernel, zombies included
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


class DovecotServer:
    """One Dovecot process serving ``USER`` on ``127.0.0.1:port`` from ``root``."""

    def __init__(self, root: Path, *, port: int | None = None, capability: str = "") -> None:
        self.root = root
        self.port = port or free_port()
        # Dovecot's ``imap_capability``: "" keeps the defaults (IDLE, MOVE, UIDPLUS...); a full list such
        # as "IMAP4rev1 UIDPLUS" makes a server without IDLE and MOVE for the polling and COPY paths.
        self.capability = capability
        self.host = "127.0.0.1"
        self.user = USER
        self.password = PASSWORD
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def conf_path(self) -> Path:
        return self.root / "dovecot.conf"

    def write_config(self) -> None:
        for name in ("run", "state", "mail"):
            (self.root / name).mkdir(exist_ok=True)
        uid, gid = pwd.getpwnam(MAIL_USER).pw_uid, grp.getgrnam(MAIL_GROUP).gr_gid
        os.chown(self.root / "mail", uid, gid)
        (self.root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n", encoding="ascii")
        text = CONFIG.format(root=self.root, port=self.port, mail_user=MAIL_USER, mail_group=MAIL_GROUP)
        if self.capability:
            text += f"protocol imap {{\n  imap_capability = {self.capability}\n}}\n"
        self.conf_path.write_text(text, encoding="ascii")

    def start(self, timeout: float = 20.0) -> DovecotServer:
        binary = dovecot_binary()
        if binary is None:
            raise RuntimeError("dovecot is not installed (Debian: apt-get install dovecot-imapd)")
        self.write_config()
        self.process = subprocess.Popen(
            [binary, "-F", "-c", str(self.conf_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
                raise RuntimeError(f"dovecot exited with {self.process.returncode}: {err}{self.log_tail()}")
            if self._answers():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not answer on port {self.port}: {self.log_tail()}")

    def _answers(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1) as s:
                return s.recv(64).startswith(b"* OK")
        except OSError:
            return False

    def stop(self) -> None:
        proc, self.process = self.process, None
        if proc is None:
            return
        # Killed outright, the whole process group: a graceful SIGTERM costs Dovecot a second, and the
        # master alone would leave its children behind (an ``imap`` process would go on serving its open
        # connection, so a "restart" would not drop clients). The mail is in maildir files: nothing is lost.
        if proc.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        _end_group(proc.pid)
        if proc.stderr:
            proc.stderr.close()
        self._wait_port_free()

    def _wait_port_free(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._answers():
            time.sleep(0.05)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join((self.root / "dovecot.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    # -- client helpers -------------------------------------------------------------------------

    def client(self, timeout: float = 10.0) -> IMAPClient:
        """A logged-in imapclient connection (plain, no TLS)."""
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=timeout)
        client.login(self.user, self.password)
        return client

    @contextmanager
    def session(self) -> Iterator[IMAPClient]:
        client = self.client()
        try:
            yield client
        finally:
            try:
                client.logout()
            except Exception:
                client.shutdown()

    def append(self, messages: Iterable[bytes], folder: str = "INBOX", flags: tuple[bytes, ...] = ()) -> None:
        with self.session() as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            for raw in messages:
                client.append(folder, raw, flags=flags)

    def deliver(self, name: str, raw: bytes) -> None:
        """Put ``raw`` into the INBOX as a local delivery agent does (a file in the user's maildir ``new/``,
        owned by the mail user): for bytes that APPEND cannot carry, such as NUL."""
        inbox = self.root / "mail" / self.user
        uid, gid = pwd.getpwnam(MAIL_USER).pw_uid, grp.getgrnam(MAIL_GROUP).gr_gid
        for sub in ("tmp", "new", "cur"):
            (inbox / sub).mkdir(parents=True, exist_ok=True)
        for folder in (inbox, inbox / "tmp", inbox / "new", inbox / "cur"):
            os.chown(folder, uid, gid)
        tmp = inbox / "tmp" / name
        tmp.write_bytes(raw)
        os.chown(tmp, uid, gid)
        os.replace(tmp, inbox / "new" / name)

    def uids(self, folder: str) -> list[int]:
        with self.session() as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            return sorted(int(u) for u in client.search("ALL"))

    def flags(self, folder: str) -> dict[int, tuple[bytes, ...]]:
        with self.session() as client:
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            return {int(uid): tuple(f) for uid, f in client.get_flags(uids).items()} if uids else {}

    def uidvalidity(self, folder: str) -> int:
        with self.session() as client:
            return int(client.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"])

    def recreate_folder(self, folder: str) -> None:
        """DELETE and CREATE ``folder``: a new UIDVALIDITY, UIDs from 1 again (not for INBOX)."""
        before = self.uidvalidity(folder)
        with self.session() as client:
            client.delete_folder(folder)
            client.create_folder(folder)
        if self.uidvalidity(folder) == before:  # pragma: no cover - Dovecot always moves it on
            raise RuntimeError(f"{folder}: UIDVALIDITY did not change")

    def remove(self) -> None:
        """Stop the server and delete its folder."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
