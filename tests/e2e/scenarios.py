"""Scenarios written once and run on every surface: that is how parity is proven.

A step is a line as a person types it (without `/trypost`), or a console line
(`:advance <duration>`, `:presence <name> away`) that each surface plays its own way, and
the phrases its answer must contain. ``who`` names the member acting (the workspace's
owner, :data:`OWNER`, when None): the console switches with `:as`, Slack sends the
request as that person's Slack user. ``{@ann}`` in a line is a mention, written the
surface's way (`@ann` on the console, `<@U3>` on Slack). ``click`` names the button a
chat surface presses instead of typing the line: the one of that action in the latest DM
to ``who`` whose target is the line's (`approve 1`); when the button needs words
(`changes`, `comment`), its modal opens and the line's quoted text is written in it.
"""

import re
from dataclasses import dataclass

OWNER = "alice"
_MENTION = re.compile(r"\{@([\w.-]+)\}")


@dataclass(frozen=True)
class Step:
    line: str
    expect: tuple[str, ...] = ()
    who: str | None = None
    click: str | None = None

    @property
    def actor(self) -> str:
        return self.who or OWNER

    def written(self, mention: "dict[str, str] | None" = None) -> str:
        """The line with each ``{@name}`` as the surface writes a person: ``mention[name]``,
        or ``@name`` without a map (the console)."""
        return _MENTION.sub(lambda m: (mention or {}).get(m[1], f"@{m[1]}"), self.line)

    @property
    def quoted(self) -> str:
        """The words between the line's first and last double quote (a modal's text)."""
        start, end = self.line.find('"'), self.line.rfind('"')
        return self.line[start + 1 : end] if 0 <= start < end else ""


SCENARIOS: dict[str, list[Step]] = {
    "publish, fail, retry": [
        Step("accounts add sandbox brand", ("Added sandbox account brand",)),
        Step("accounts add sandbox news", ("Added sandbox account news",)),
        Step('schedule "Hello parity" at 2026-11-25T11:30Z', ("Scheduled post 1", "pending")),
        Step("list", ("#1", "scheduled", "Hello parity")),
        Step("calendar week", ("Week of 23 Nov", "#1")),
        Step(":advance 2h"),
        Step("show 1", ("Post 1", "published", "brand (sandbox)", "file://")),
        Step("accounts mode news fail", ("mode fail",)),
        Step('schedule "Second" at in 30 minutes', ("Scheduled post 2",)),
        Step(":advance 1h"),
        Step("show 2", ("partially published", "told to reject")),
        Step("accounts mode news ok", ("mode ok",)),
        Step("retry 2", ("Post 2 published",)),
        Step("retry 2", ("nothing to retry",)),
    ],
    "drafts, labels, duplicate, delete": [
        Step("accounts add sandbox brand", ("Added",)),
        Step('draft "Idea" label spring', ("Draft 1 saved", "#spring")),
        Step("duplicate 1", ("copied to draft 2",)),
        Step("label 2 summer", ("#summer",)),
        Step("list drafts", ("#1", "#2")),
        Step("list all label summer", ("#2",)),
        Step("delete 2", ("Delete post 2?", "stays on the platforms")),
        Step("delete 2 confirm", ("deleted",)),
        Step("labels", ("#spring", "#summer")),
    ],
    "bad input": [
        Step("accounts add sandbox brand", ("Added",)),
        Step('schedule "Late" at yesterday 9am', ("in the past",)),
        Step('schedule "Soon" at whenever-ish', ("could not read",)),
        Step('schedule "Where" at tomorrow 9am on nowhere', ("No account or platform",)),
        Step("show 42", ("There is no post 42",)),
        Step("shedule", ("Did you mean `schedule`",)),
        Step("list", ("No posts",)),
    ],
    "review cycle": [
        Step("accounts add sandbox brand", ("Added sandbox account brand",)),
        Step("members invite {@bob} editor", ("Invited @bob as editor", "once they accept")),
        Step("members invite {@ann} approver", ("Invited @ann as approver",)),
        Step("list", ("`members accept` to join",), who="bob"),
        Step("members accept", ("Welcome! You are editor",), who="bob", click="members"),
        Step("members accept", ("Welcome! You are approver",), who="ann", click="members"),
        Step("settings approvals on", ("Approvals are on",)),
        Step(
            'schedule "Launch text" at 2026-11-25T12:00Z',
            ("Post 1 waits for review", "waiting for review"),
            who="bob",
        ),
        Step(
            'changes 1 "Add the link"',
            ("Asked for changes to post 1", "Add the link"),
            who="ann",
            click="changes",
        ),
        Step('edit 1 "Launch text https://x.test"', ("Post 1 edited",), who="bob"),
        Step("submit 1", ("Post 1 is waiting for review",), who="bob"),
        Step("approve 1", ("Approved post 1: it goes out",), who="ann", click="approve"),
        Step(":advance 2h"),
        Step("show 1", ("Post 1", "published", "brand (sandbox)")),
        Step(":presence ann away"),
        Step('comment 1 "Thanks {@ann}!"', ("Comment 1 on post 1",), who="bob"),
        Step("comments 1", ("Thanks", "#1"), who="ann"),
    ],
}

# What each member must have been told by the end of a scenario, and nothing more: the
# types of their inbox records in order (DESIGN §3 and core/notifications/
# review_recipients.py). Each came as a DM too, and, every type here being one whose
# email is on by default (the mention because ann is away), as an email.
TOLD: dict[str, dict[str, tuple[str, ...]]] = {
    "review cycle": {
        # Owners hear who joined, every review asked for (owners may approve), and
        # what was published; never of the comment (not theirs, not mentioned).
        OWNER: (
            "member_joined",
            "member_joined",
            "approval_requested",
            "approval_requested",
            "post_published",
        ),
        # The author: their invitation, the decisions on their post, its publication;
        # not their own comment.
        "bob": ("invite_received", "changes_requested", "post_approved", "post_published"),
        # The approver: the invitation, both rounds of review, and the mention. Not
        # their own decisions.
        "ann": (
            "invite_received",
            "approval_requested",
            "approval_requested",
            "mentioned_in_comment",
        ),
    },
}
