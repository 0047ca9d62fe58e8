"""The routing table of DESIGN §3, exhaustively: type × presence × preferences."""

import itertools

import pytest

from core.notifications.model import EmailMode, Preferences, Presence
from core.notifications.routing import Route, route
from core.notifications.types import TYPES, Category, NoticeType

N = NoticeType
# DESIGN §3, transcribed: the email default of every type.
EMAIL_DEFAULT = {
    N.POST_PUBLISHED: "on", N.POST_FAILED: "on", N.POST_SCHEDULED: "off", N.POST_RETRY: "off",
    N.POST_READY: "never", N.ACCOUNT_DISCONNECTED: "on", N.TOKEN_EXPIRING: "on",
    N.STORAGE_LIMIT: "on", N.PLAN_LIMITS: "on", N.APPROVAL_REQUESTED: "on",
    N.POST_APPROVED: "on", N.CHANGES_REQUESTED: "on", N.APPROVAL_FEEDBACK: "on",
    N.MENTIONED_IN_COMMENT: "presence", N.COMMENT_ON_YOUR_POST: "presence",
    N.COMMENT_REPLY: "presence", N.INVITE_RECEIVED: "on", N.MEMBER_JOINED: "on",
    N.MEMBER_REMOVED: "on", N.ROLE_CHANGED: "on", N.INVITE_DECLINED: "on",
    N.REVIEW_OVERDUE: "on", N.POST_CREATED: "off",
    # Not in DESIGN §3: the link `settings email` sends, always and only by email.
    N.EMAIL_CONFIRMATION: "always",
}  # fmt: skip
# Opt-in types are silent on every channel until the member turns them on.
OPT_IN = {N.POST_CREATED}
CATEGORY = {
    N.POST_PUBLISHED: "publishing", N.POST_FAILED: "publishing", N.POST_SCHEDULED: "publishing",
    N.POST_RETRY: "publishing", N.POST_READY: "ai", N.ACCOUNT_DISCONNECTED: "system",
    N.TOKEN_EXPIRING: "system", N.STORAGE_LIMIT: "system", N.PLAN_LIMITS: "system",
    N.APPROVAL_REQUESTED: "approval", N.POST_APPROVED: "approval",
    N.CHANGES_REQUESTED: "approval", N.APPROVAL_FEEDBACK: "approval",
    N.MENTIONED_IN_COMMENT: "comments", N.COMMENT_ON_YOUR_POST: "comments",
    N.COMMENT_REPLY: "comments", N.INVITE_RECEIVED: "team", N.MEMBER_JOINED: "team",
    N.MEMBER_REMOVED: "team", N.ROLE_CHANGED: "team", N.INVITE_DECLINED: "team",
    N.REVIEW_OVERDUE: "approval", N.POST_CREATED: "approval",
    N.EMAIL_CONFIRMATION: "system",
}  # fmt: skip


def test_every_type_has_the_documented_category_and_default() -> None:
    assert set(TYPES) == set(NoticeType) == set(EMAIL_DEFAULT)
    for notice, spec in TYPES.items():
        assert spec.category is Category(CATEGORY[notice])
        assert spec.email.value == EMAIL_DEFAULT[notice]


def expected(
    notice: N,
    presence: Presence,
    chat_pref: bool | None,
    email_pref: bool | None,
    away_only: bool,
    mode: EmailMode,
    has_email: bool,
) -> Route:
    """The rule in words: a DM unless chat is off; email per the type's toggle (never for
    chat-only types), only when away for comment types or with "only when away", and
    unknown presence is away; an "always" type is email only, whatever the choices."""
    away = presence is not Presence.PRESENT
    default = EMAIL_DEFAULT[notice]
    if default == "always":
        # To the address the notice names, whatever the preferences; never a DM.
        return Route(chat=False, email=True)
    if default == "never":
        email = False
    else:
        email = email_pref if email_pref is not None else default in ("on", "presence")
        email = email and has_email
        if default == "presence" and not away:
            email = False
        if away_only and not away:
            email = False
    chat = chat_pref if chat_pref is not None else notice not in OPT_IN
    return Route(chat=chat, email=email, digest=email and mode is EmailMode.DIGEST)


CASES = list(
    itertools.product(
        NoticeType,
        Presence,
        (None, True, False),
        (None, True, False),
        (False, True),
        EmailMode,
        (True, False),
    )
)


@pytest.mark.parametrize(
    ("notice", "presence", "chat_pref", "email_pref", "away_only", "mode", "has_email"), CASES
)
def test_routing_follows_the_table(
    notice: N,
    presence: Presence,
    chat_pref: bool | None,
    email_pref: bool | None,
    away_only: bool,
    mode: EmailMode,
    has_email: bool,
) -> None:
    prefs = Preferences(member_id=1, email_mode=mode, email_only_when_away=away_only)
    if chat_pref is not None:
        prefs.chat[notice] = chat_pref
    if email_pref is not None:
        prefs.email[notice] = email_pref
    got = route(notice, prefs, presence, has_email=has_email)
    assert got == expected(notice, presence, chat_pref, email_pref, away_only, mode, has_email)


def test_spot_rows_read_like_the_design() -> None:
    defaults = Preferences(member_id=1)
    assert route(N.MENTIONED_IN_COMMENT, defaults, Presence.PRESENT) == Route(True, False)
    assert route(N.MENTIONED_IN_COMMENT, defaults, Presence.AWAY) == Route(True, True)
    assert route(N.MENTIONED_IN_COMMENT, defaults, Presence.UNKNOWN) == Route(True, True)
    assert route(N.POST_READY, Preferences(1, email={N.POST_READY: True}), Presence.AWAY) == Route(
        True, False
    )
    assert route(N.POST_SCHEDULED, defaults, Presence.AWAY) == Route(True, False)
    assert route(N.POST_FAILED, defaults, Presence.PRESENT) == Route(True, True)
