"""The routing rule: preferences × presence → the channels a notice goes out on.

The inbox record is always written; this decides only the chat DM and the email.
"""

from dataclasses import dataclass

from core.notifications.model import EmailMode, Preferences, Presence
from core.notifications.types import TYPES, EmailDefault, NoticeType


@dataclass(frozen=True)
class Route:
    chat: bool
    email: bool
    digest: bool = False


def route(
    notice: NoticeType, prefs: Preferences, presence: Presence, *, has_email: bool = True
) -> Route:
    """Decide the channels. Presence unknown counts as away: better an extra email
    than a missed one."""
    if TYPES[notice].email is EmailDefault.ALWAYS:
        # Asked for by the member and addressed by the notice itself: no choice applies.
        return Route(chat=False, email=True)
    away = presence is not Presence.PRESENT
    chat = prefs.wants_chat(notice)
    email = has_email and prefs.wants_email(notice)
    if email and TYPES[notice].email is EmailDefault.PRESENCE and not away:
        email = False
    if email and prefs.email_only_when_away and not away:
        email = False
    return Route(chat=chat, email=email, digest=email and prefs.email_mode is EmailMode.DIGEST)


def needs_presence(notice: NoticeType, prefs: Preferences) -> bool:
    """Whether presence can change the route, so it is worth asking the chat surface."""
    return (
        TYPES[notice].email is not EmailDefault.ALWAYS
        and prefs.wants_email(notice)
        and (TYPES[notice].email is EmailDefault.PRESENCE or prefs.email_only_when_away)
    )
