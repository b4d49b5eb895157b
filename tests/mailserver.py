"""A real mail server of the tests' own: Dovecot (IMAP, and LMTP for delivery) from Debian's
packages, and an SMTP server (aiosmtpd, from PyPI) that hands every message it accepts to
Dovecot over LMTP. So what the CRM sends over SMTP lands in a mailbox the CRM can read over IMAP,
as with a real provider. Both listen on spare ports of 127.0.0.1, keep their mail in a temporary
folder, and accept any user name with one password (every address has its own mailbox, created
on first delivery). Used by the tests (the `mail_server` fixture) and by bench/mail.py.

    with MailServer() as server:
        settings.EMAIL_PORT = server.smtp_port              # or server.smtp_url for EMAIL_URL
        client = server.imap("sales@example.test")          # an IMAPClient, logged in
        server.deliver("sales@example.test", raw_bytes)     # a message arriving by LMTP

    python tests/mailserver.py relay SMTP_PORT LMTP_PORT     # the SMTP server alone (a process)
"""

import contextlib
import os
import pwd
import shutil
import smtplib
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
PASSWORD = "mail-test-password"

if __package__:
    from .servers import PYTHON, spare_port, wait_for_port
else:  # run as a script: the relay process
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.servers import PYTHON, spare_port, wait_for_port


def mail_server_available() -> str:
    """Why the mail server cannot run here, or '' when it can."""
    if not os.path.exists(DOVECOT):
        return "Dovecot is not installed (apt-get install dovecot-imapd dovecot-lmtpd)"
    if not Path("/usr/lib/dovecot/lmtp").exists():
        return "Dovecot's LMTP server is not installed (apt-get install dovecot-lmtpd)"
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        return "aiosmtpd is not installed (pip install -e '.[dev]')"
    return ""


CONFIG = """\
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{folder}/mail/%u
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = {uid}
first_valid_gid = {gid}
default_internal_user = {internal_user}
default_login_user = {login_user}
default_internal_group = {internal_group}
mail_fsync = never
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={folder}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
protocol imap {{
  mail_max_userip_connections = 1000
}}
"""


class MailServer:
    def __init__(self):
        self.imap_port = spare_port()
        self.lmtp_port = spare_port()
        self.smtp_port = spare_port()
        self.password = PASSWORD
        self.folder = Path(tempfile.mkdtemp(prefix="crm-mail-"))
        self.dovecot = None
        self.relay = None

    @property
    def smtp_url(self) -> str:
        """For EMAIL_URL (django-environ): plain SMTP, no authentication."""
        return f"smtp://127.0.0.1:{self.smtp_port}"

    def new_address(self, name: str = "box") -> str:
        """An address nobody used yet: tests sharing the server never see each other's mail."""
        return f"{name}-{uuid.uuid4().hex[:10]}@example.test"

    def start(self) -> "MailServer":
        if os.geteuid() == 0:
            # Dovecot will not deliver mail as root: the mailboxes belong to its own user.
            account = pwd.getpwnam("dovecot")
            internal_user, login_user, internal_group = "dovecot", "dovenull", "dovecot"
        else:
            account = pwd.getpwuid(os.getuid())
            internal_user = login_user = account.pw_name
            internal_group = subprocess.run(
                ["id", "-gn"], capture_output=True, text=True, check=True
            ).stdout.strip()
        (self.folder / "mail").mkdir()
        os.chmod(self.folder, 0o755)
        if os.geteuid() == 0:
            shutil.chown(self.folder / "mail", account.pw_uid, account.pw_gid)
        config = self.folder / "dovecot.conf"
        config.write_text(
            CONFIG.format(
                folder=self.folder,
                uid=account.pw_uid,
                gid=account.pw_gid,
                internal_user=internal_user,
                login_user=login_user,
                internal_group=internal_group,
                password=self.password,
                imap_port=self.imap_port,
                lmtp_port=self.lmtp_port,
            )
        )
        self.dovecot = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=open(self.folder / "dovecot.stderr", "wb"),  # noqa: SIM115
        )
        wait_for_port(self.imap_port, process=self.dovecot)
        wait_for_port(self.lmtp_port, process=self.dovecot)
        self.relay = subprocess.Popen(
            [
                str(PYTHON),
                str(Path(__file__).resolve()),
                "relay",
                str(self.smtp_port),
                str(self.lmtp_port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(self.folder / "relay.log", "wb"),  # noqa: SIM115
        )
        wait_for_port(self.smtp_port, process=self.relay)
        return self

    def stop(self) -> None:
        for process in (self.relay, self.dovecot):
            if process and process.poll() is None:
                process.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(10)
                if process.poll() is None:
                    process.kill()
        self.relay = self.dovecot = None
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> "MailServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def log(self) -> str:
        """Dovecot's and the relay's logs, for a failing test's message."""
        parts = []
        for name in ("dovecot.log", "dovecot.stderr", "relay.log"):
            path = self.folder / name
            if path.exists():
                parts.append(f"--- {name}\n{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)

    def imap(self, user: str):
        """An IMAPClient logged in as `user` (an address); the caller logs out."""
        from imapclient import IMAPClient

        client = IMAPClient("127.0.0.1", port=self.imap_port, ssl=False, timeout=30)
        client.login(user, self.password)
        return client

    def deliver(self, recipient: str, message: bytes, sender: str = "sender@example.test"):
        """Put a message in `recipient`'s INBOX as a delivery would (LMTP)."""
        with smtplib.LMTP("127.0.0.1", self.lmtp_port, timeout=30) as lmtp:
            lmtp.sendmail(sender, [recipient], message)

    def inbox(self, user: str, folder: str = "INBOX") -> list[bytes]:
        """The raw messages in `user`'s folder, oldest first."""
        client = self.imap(user)
        try:
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            fetched = client.fetch(uids, ["RFC822"]) if uids else {}
            return [fetched[uid][b"RFC822"] for uid in sorted(fetched)]
        finally:
            client.logout()


def relay(smtp_port: int, lmtp_port: int) -> None:
    """An SMTP server that delivers every accepted message to Dovecot by LMTP; a recipient
    Dovecot refuses is refused in the SMTP conversation, as a real server would."""
    from aiosmtpd.controller import Controller

    class Deliver:
        async def handle_DATA(self, server, session, envelope):
            try:
                with smtplib.LMTP("127.0.0.1", lmtp_port, timeout=30) as lmtp:
                    refused = lmtp.sendmail(
                        envelope.mail_from, envelope.rcpt_tos, envelope.original_content
                    )
            except smtplib.SMTPRecipientsRefused:
                return "550 5.1.1 Recipients refused"
            except (OSError, smtplib.SMTPException) as error:
                return f"451 4.3.0 Delivery failed: {error}"
            if refused:
                return "550 5.1.1 Some recipients refused"
            return "250 2.0.0 Delivered"

    controller = Controller(
        Deliver(), hostname="127.0.0.1", port=smtp_port, data_size_limit=50 * 1024 * 1024
    )
    controller.start()
    try:
        import signal

        signal.sigwait({signal.SIGTERM, signal.SIGINT})
    finally:
        controller.stop()


if __name__ == "__main__" and sys.argv[1:2] == ["relay"]:
    relay(int(sys.argv[2]), int(sys.argv[3]))
