"""Email to people who asked to join (aiosmtplib), when SMTP is configured.

A failed delivery is logged and reported as not sent; it never undoes the
decision it tells about.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage

from zenith_network.settings import NetworkSettings

log = logging.getLogger("zenith.network.mail")


class Mailer:
    def __init__(self, settings: NetworkSettings) -> None:
        self.s = settings

    @property
    def configured(self) -> bool:
        return bool(self.s.network_smtp_host)

    async def send(self, to: str, subject: str, body: str) -> bool:
        """Send a plain-text mail; True when the server accepted it."""
        if not self.configured:
            return False
        import aiosmtplib

        msg = EmailMessage()
        msg["From"] = self.s.network_smtp_from
        msg["To"] = to
        msg["Subject"] = subject
        msg.set_content(body)
        password = self.s.network_smtp_password
        try:
            await aiosmtplib.send(
                msg, hostname=self.s.network_smtp_host, port=self.s.network_smtp_port,
                start_tls=self.s.network_smtp_starttls,
                username=self.s.network_smtp_username or None,
                password=password.get_secret_value() if password else None, timeout=20)
        except Exception as exc:
            log.warning("mail to a join requester failed: %s", str(exc) or type(exc).__name__)
            return False
        return True
