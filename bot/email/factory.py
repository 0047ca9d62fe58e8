"""Which mailer the settings ask for: SMTP when a server is set, else .eml files."""

from pathlib import Path

from bot.email.files import FileMailer
from bot.email.links import LinkSigner
from bot.email.smtp import SmtpMailer
from core.notifications.ports import Mailer


def build_mailer(smtp_url: str | None, sender: str, outbox_dir: Path, links: LinkSigner) -> Mailer:
    """Raise ``ValueError`` (``BadSmtpUrl``, ``BadAddress``) on an unusable setting,
    so the process stops at start-up with one clear line instead of failing each email."""
    if smtp_url:
        return SmtpMailer(smtp_url, sender, links)
    return FileMailer(outbox_dir, sender, links)
