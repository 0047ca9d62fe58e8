"""Which accounts a post goes to, and whether its text fits each of them."""

from collections.abc import Sequence

from core.accounts import AccountStatus, SocialAccount
from core.errors import NotFound, ValidationFailed
from core.ports import UnitOfWork
from core.posts import PlatformEntry
from core.workspace import Workspace


async def resolve_accounts(
    uow: UnitOfWork, workspace: Workspace, names: Sequence[str]
) -> list[SocialAccount]:
    """Accounts named by account name or platform; none named → the defaults.

    With no default accounts set, every connected account is the default: a team with
    one account should not have to name it each time.
    """
    accounts = await uow.accounts.list(workspace.id)
    if not names:
        chosen = [a for a in accounts if a.id in workspace.default_account_ids]
        chosen = chosen or [a for a in accounts if a.status is AccountStatus.CONNECTED]
    else:
        chosen = []
        for raw in names:
            matches = _match(accounts, raw)
            if not matches:
                known = ", ".join(a.name for a in accounts) or "none yet"
                raise NotFound(f"No account or platform called “{raw}”; your accounts: {known}.")
            chosen += [a for a in matches if a not in chosen]
    if not chosen:
        raise ValidationFailed(
            "There is no connected social account to post to; add one with "
            "`accounts add sandbox <name>`."
        )
    gone = [a.name for a in chosen if a.status is AccountStatus.DISCONNECTED]
    if gone:
        raise ValidationFailed(
            f"{', '.join(gone)} {'is' if len(gone) == 1 else 'are'} disconnected; "
            "reconnect first or choose other accounts."
        )
    return chosen


def _match(accounts: list[SocialAccount], raw: str) -> list[SocialAccount]:
    key = raw.strip().lstrip("@").lower()
    by_name = [a for a in accounts if a.name.lower() == key]
    return by_name or [a for a in accounts if a.platform == key]


def entries_for(accounts: Sequence[SocialAccount]) -> list[PlatformEntry]:
    return [PlatformEntry(a.id, a.platform, a.spec.content_type) for a in accounts]


def check_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValidationFailed("The post has no text; write something between quotes.")
    return text


def check_fits(text: str, accounts: Sequence[SocialAccount]) -> None:
    """Refuse text longer than a target platform allows, naming the platform."""
    for account in accounts:
        limit = account.spec.max_chars
        if len(text) > limit:
            raise ValidationFailed(
                f"The text is {len(text)} characters; {account.spec.label} allows {limit} "
                f"(account {account.name}). Shorten it by {len(text) - limit} or leave "
                f"{account.name} out."
            )


async def accounts_of(uow: UnitOfWork, entries: Sequence[PlatformEntry]) -> list[SocialAccount]:
    found = [await uow.accounts.get(e.account_id) for e in entries if e.enabled]
    return [a for a in found if a is not None]
