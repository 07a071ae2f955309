"""Email delivery of outbox messages over SMTP (stdlib smtplib, run off the event loop)."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage

from oppscout.core.errors import DeliveryError
from oppscout.core.settings import Settings

# SMTP reply codes that will not change on a retry (bad mailbox, rejected sender, policy).
PERMANENT_CODES = range(500, 600)


def subject_of(text: str) -> str:
    """The email subject for a message: its first line, shortened."""
    first = text.strip().splitlines()[0] if text.strip() else "Opportunity Scout"
    first = first.strip("*_ ")
    return first if len(first) <= 90 else first[:89] + "…"


class SmtpMessenger:
    """Sends a message as a plain-text email; the outbox passes the address as the recipient."""

    def __init__(self, settings: Settings) -> None:
        if not settings.smtp_host:
            raise ValueError("SmtpMessenger needs OPPSCOUT_SMTP_HOST")
        self.settings = settings

    async def send_dm(self, workspace_id: str, user_id: str, text: str) -> None:
        """Email ``text`` to the address ``user_id``; raises DeliveryError (permanent for 5xx replies)."""
        message = EmailMessage()
        message["From"] = self.settings.smtp_from
        message["To"] = user_id
        message["Subject"] = f"Opportunity Scout: {subject_of(text)}"
        message.set_content(text)
        await asyncio.to_thread(self._send, message)

    def _send(self, message: EmailMessage) -> None:
        s = self.settings
        assert s.smtp_host is not None
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds) as smtp:
                smtp.ehlo()
                if s.smtp_starttls and smtp.has_extn("starttls"):
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if s.smtp_username and s.smtp_password is not None:
                    smtp.login(s.smtp_username, s.smtp_password.get_secret_value())
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            permanent = all(code in PERMANENT_CODES for code in codes)
            raise DeliveryError(f"the mail server refused the address ({codes})", permanent=permanent) from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"the mail server answered {exc.smtp_code}", permanent=exc.smtp_code in PERMANENT_CODES
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"the mail server could not be reached ({exc})") from exc
