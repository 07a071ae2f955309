"""Email delivery of outbox messages over SMTP (stdlib smtplib, run off the event loop)."""

from __future__ import annotations

import asyncio
import html
import re
import smtplib
import ssl
from email.message import EmailMessage

from oppscout.core.errors import DeliveryError
from oppscout.core.settings import Settings

# SMTP reply codes that will not change on a retry (bad mailbox, rejected sender, policy).
PERMANENT_CODES = range(500, 600)

FOOTER = (
    "You get this email because you asked Opportunity Scout to email you about a watch. To stop, say "
    "“pause watch N” or “delete watch N” to the bot (N is the watch's number above), or “alerts by DM”."
)
_URL = re.compile(r"https?://[^\s<>\"“”]+")


def html_of(text: str) -> str:
    """The HTML part of an email: the same text, escaped, with its links clickable and lines kept."""
    parts: list[str] = []
    for line in text.splitlines():
        pieces: list[str] = []
        last = 0
        for match in _URL.finditer(line):
            url = match.group(0)
            pieces.append(html.escape(line[last : match.start()]))
            pieces.append(f'<a href="{html.escape(url, quote=True)}">{html.escape(url)}</a>')
            last = match.end()
        pieces.append(html.escape(line[last:]))
        parts.append("".join(pieces))
    body = "<br>\n".join(parts)
    footer = html.escape(FOOTER)
    return (
        '<!doctype html><html><body style="font-family: sans-serif; line-height: 1.4">'
        f'<p>{body}</p><hr><p style="color: #666; font-size: 90%">{footer}</p></body></html>'
    )


def subject_of(text: str) -> str:
    """The email subject for a message: its first line, shortened."""
    first = text.strip().splitlines()[0] if text.strip() else "Opportunity Scout"
    first = first.strip("*_ ")
    return first if len(first) <= 90 else first[:89] + "…"


class SmtpMessenger:
    """Sends a message as an email (plain text and HTML); the outbox passes the address as the recipient."""

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
        # A plain-text part for every mail reader and an HTML one with clickable links.
        message.set_content(f"{text}\n\n--\n{FOOTER}\n")
        message.add_alternative(html_of(text), subtype="html")
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
