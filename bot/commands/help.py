"""What people read about the commands: usage, purpose and examples (DESIGN §4).

One table serves ``help``, the overview and the grammar's error messages, so the
examples a person is shown are the ones the tests prove the grammar accepts.
"""

import difflib
from dataclasses import dataclass

from bot.commands.errors import quoted


@dataclass(frozen=True)
class CommandHelp:
    """One command: how to type it, what it is for, and lines to copy."""

    usage: str
    purpose: str
    examples: tuple[str, ...]
    group: str


POSTS = "Posts"
REVIEW = "Review and comments"
LABELS = "Labels"
INBOX = "Inbox"
WORKSPACE = "Workspace"
GENERAL = "Help"
GROUPS = (POSTS, REVIEW, LABELS, INBOX, WORKSPACE, GENERAL)

HELP: dict[str, CommandHelp] = {
    "schedule": CommandHelp(
        'schedule "text" at <when> [on <accounts>] [label <labels>] [with <file or URL>…]'
        ' [alt "what an image shows"…]',
        "Schedule a post; with no text, open the composer instead.",
        (
            'schedule "Launch day! 🚀" at tomorrow 9am on mastodon, bluesky label launch',
            'schedule "New photos" at friday 17:30 with ./shots/1.jpg ./shots/2.jpg',
            "schedule",
        ),
        POSTS,
    ),
    "now": CommandHelp(
        'now "text" [on <accounts>]',
        "Publish a post at once.",
        ('now "We are live!" on mastodon',),
        POSTS,
    ),
    "draft": CommandHelp(
        'draft "text" [on <accounts>] [label <labels>]',
        "Keep a post as a draft, without a time.",
        ('draft "Ideas for the spring sale" label sale',),
        POSTS,
    ),
    "list": CommandHelp(
        "list [drafts|scheduled|published|failed|all] [label <label>] [from <when>] [to <when>]",
        "List posts, all of them unless you name a status, label or dates.",
        ("list failed label launch from monday to friday", "list scheduled"),
        POSTS,
    ),
    "calendar": CommandHelp(
        "calendar [day|week|month] [<date>]",
        "Show scheduled and published posts by day, week (the default) or month.",
        ("calendar", "calendar month 2026-12-01", "calendar day tomorrow"),
        POSTS,
    ),
    "show": CommandHelp(
        "show <post>",
        "Show one post: text, times, accounts, labels and where it was published.",
        ("show 42",),
        POSTS,
    ),
    "edit": CommandHelp(
        'edit <post> "text"',
        "Replace the text of a post that is not published yet.",
        ('edit 42 "Launch day, take two"',),
        POSTS,
    ),
    "reschedule": CommandHelp(
        "reschedule <post> <when>",
        "Move a post to another time.",
        ("reschedule 42 monday 10:00", "reschedule #42 in 2 hours"),
        POSTS,
    ),
    "unschedule": CommandHelp(
        "unschedule <post>",
        "Take a scheduled post back to draft.",
        ("unschedule 42",),
        POSTS,
    ),
    "duplicate": CommandHelp(
        "duplicate <post>",
        "Copy a post into a new draft with the same text, media, labels and accounts.",
        ("duplicate 42",),
        POSTS,
    ),
    "delete": CommandHelp(
        "delete <post> [confirm]",
        "Delete our record of a post (not what a platform already shows); asks first.",
        ("delete 42", "delete 42 confirm"),
        POSTS,
    ),
    "retry": CommandHelp(
        "retry <post>",
        "Publish again where a post failed; places it already reached are left alone.",
        ("retry 42",),
        POSTS,
    ),
    "submit": CommandHelp(
        "submit <post>",
        "Ask the approvers to review a post.",
        ("submit 42",),
        REVIEW,
    ),
    "approve": CommandHelp(
        "approve <post>",
        "Approve a post under review; a scheduled one then goes out on time.",
        ("approve 42",),
        REVIEW,
    ),
    "changes": CommandHelp(
        'changes <post> "feedback"',
        "Send a post back to its author with what should change.",
        ('changes 42 "Shorter, and add the link"',),
        REVIEW,
    ),
    "comment": CommandHelp(
        'comment <post> "text with @mentions" · comment <post> reply <comment> "text"',
        "Comment on a post, or reply to a comment; @mentioned people are told.",
        ('comment 42 "@alice can you check the link?"', 'comment 42 reply 7 "Fixed, thanks"'),
        REVIEW,
    ),
    "comments": CommandHelp(
        "comments <post>",
        "Show the comments on a post, with their numbers.",
        ("comments 42",),
        REVIEW,
    ),
    "react": CommandHelp(
        "react <comment> <emoji>",
        "React to a comment with an emoji.",
        ("react 7 :tada:", "react 7 👍"),
        REVIEW,
    ),
    "labels": CommandHelp(
        "labels [list | add <label> | remove <label>]",
        "List the workspace's labels, or add or remove one.",
        ("labels", "labels add launch", "labels remove old-campaign"),
        LABELS,
    ),
    "label": CommandHelp(
        "label <post> <labels>",
        "Put one or more labels on a post.",
        ("label 42 launch, spring",),
        LABELS,
    ),
    "unlabel": CommandHelp(
        "unlabel <post> <label>",
        "Take a label off a post.",
        ("unlabel 42 spring",),
        LABELS,
    ),
    "inbox": CommandHelp(
        "inbox [unread|read|archived] [<category>] [since <when>]",
        "Show your notifications; categories are publishing, approval, comments, team, "
        "system and ai.",
        ("inbox", "inbox unread approval", "inbox since monday"),
        INBOX,
    ),
    "read": CommandHelp(
        "read <n>|all",
        "Mark one notification, or all of them, as read.",
        ("read 3", "read all"),
        INBOX,
    ),
    "archive": CommandHelp(
        "archive <n>|all",
        "Archive one notification, or all of them.",
        ("archive 3", "archive all"),
        INBOX,
    ),
    "accounts": CommandHelp(
        "accounts [list | add sandbox <name> | add webhook <name> <URL> [secret <secret>]"
        " | connect mastodon <instance URL> [token <access token>]"
        " | connect bluesky [<handle> <app password> [at <PDS URL>]]"
        " | connect linkedin | connect x"
        " | reconnect <account> | remove <account>"
        " | mode <sandbox account> ok|fail|auth-fail|flaky|slow]",
        "List the social accounts posts go to; owners and admins add, connect or remove them. "
        "Mastodon connects through a sign-in link (or a token from the instance's Development "
        "settings); Bluesky with an app password (Settings → App passwords), typed here on the "
        "console or in a web form from chat; LinkedIn (as you or a company page you "
        "administer) and X through a sign-in link. A webhook account POSTs each post as "
        "JSON signed per Standard Webhooks (Zapier, n8n, Make, your own service). "
        "`reconnect` gives a fresh sign-in for a disconnected account. A sandbox account's "
        "mode makes it fail on purpose.",
        (
            "accounts",
            "accounts connect mastodon https://mastodon.social",
            "accounts connect bluesky alice.bsky.social abcd-efgh-ijkl-mnop",
            "accounts connect linkedin",
            "accounts reconnect @alice@mastodon.social",
            "accounts add sandbox brand",
            "accounts add webhook zapier https://hooks.zapier.com/hooks/catch/1/abc "
            "secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "accounts mode brand fail",
        ),
        WORKSPACE,
    ),
    "settings": CommandHelp(
        "settings [timezone <IANA zone>] [email <address>|off] [approvals on|off]"
        " [limit <posts a month>|off]"
        " [notifications [email|chat on|off [<types or categories>] | digest [<hour>]"
        " | immediate | away-only on|off]]",
        "Show or change the settings: your time zone, your email address (used once you "
        "open the link sent to it), the workspace's approvals and monthly post limit, and "
        "which notifications reach you by chat and email.",
        (
            "settings timezone Europe/Paris",
            "settings email you@example.org",
            "settings notifications email off publishing",
            "settings notifications digest 8",
        ),
        WORKSPACE,
    ),
    "members": CommandHelp(
        "members [list | invite @user <role> | role @user <role> | role @&<Discord role> <role>"
        " | remove @user | remove @&<Discord role>]",
        "List the members; owners and admins invite, change roles (owner, admin, editor, "
        "approver, viewer) and remove. On Discord they may also give a role to everyone "
        "holding a Discord role (read at each interaction, besides their own role; only "
        "owners grant owner), and take it back with `remove`.",
        (
            "members",
            "members invite @dana editor",
            "members role @dana approver",
            "members role @&Moderators approver",
        ),
        WORKSPACE,
    ),
    "help": CommandHelp(
        "help [command]",
        "Show all commands, or one command in detail.",
        ("help", "help schedule"),
        GENERAL,
    ),
}

CONSOLE_ONLY: dict[str, str] = {
    ":as": ":as <name> — act as another member",
    ":role": ":role <name> <role> — give a member a role",
    ":presence": ":presence <name> present|away — set a member's presence",
    ":clock": ":clock <when> — set the simulated clock",
    ":advance": ":advance <duration> — move the simulated clock forward",
    ":tick": ":tick — run the scheduler's minute tick now",
    ":quit": ":quit — leave the console",
}

_FOOTER = (
    '<when> is a time in your zone: "tomorrow 9am", "in 2 hours", "friday 17:30", '
    '"2026-12-01 14:30". <accounts> and <labels> are names separated by commas. '
    "Posts are numbered (42 or #42). Put text in quotes."
)


def help_text(topic: str | None) -> str:
    """The overview when ``topic`` is None, else that command's usage and examples."""
    if topic is None or not topic.strip():
        return _overview()
    key = topic.strip().strip("`").lower()
    key = key.removeprefix("/trypost").strip() or "help"
    if key in HELP:
        return _detail(HELP[key])
    if key in CONSOLE_ONLY:
        return f"{CONSOLE_ONLY[key]} (console only)."
    close = difflib.get_close_matches(key, [*HELP, *CONSOLE_ONLY], n=1)
    hint = f" Did you mean `help {close[0]}`?" if close else ""
    return f"I have no help on {quoted(topic)}.{hint} Try `help` for every command."


def _overview() -> str:
    lines = ["Commands (type them after /trypost in Slack or Discord):"]
    for group in GROUPS:
        lines.append("")
        lines.append(f"{group}:")
        for entry in HELP.values():
            if entry.group == group:
                lines.append(f"  {entry.usage}")
                lines.append(f"      {entry.purpose}")
    lines.append("")
    lines.append("Console only:")
    lines.extend(f"  {line}" for line in CONSOLE_ONLY.values())
    lines.append("")
    lines.append(_FOOTER)
    return "\n".join(lines)


def _detail(entry: CommandHelp) -> str:
    lines = [entry.usage, entry.purpose, "", "Examples:"]
    lines.extend(f"  {example}" for example in entry.examples)
    return "\n".join(lines)
