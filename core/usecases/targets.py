"""Which accounts a post goes to, and whether its text fits each of them."""

from collections.abc import Sequence

from core.accounts import AccountStatus, SocialAccount
from core.errors import NotFound, ValidationFailed
from core.media import MediaRef, StoredMedia
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
    by_name = [a for a in accounts if a.name.lstrip("@").lower() == key]
    return by_name or [a for a in accounts if a.platform == key]


def entries_for(accounts: Sequence[SocialAccount]) -> list[PlatformEntry]:
    return [PlatformEntry(a.id, a.platform, a.spec.content_type) for a in accounts]


def check_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValidationFailed("The post has no text; write something between quotes.")
    return text


async def check_fits(
    uow: UnitOfWork, text: str, media: Sequence[str], accounts: Sequence[SocialAccount]
) -> None:
    """Refuse text longer than a target platform allows, counted its way, and media it
    does not take, naming the platform."""
    files = await stored_files(uow, accounts[0].workspace_id, media) if accounts else []
    for account in accounts:
        limit, length = account.char_limit, account.spec.length(text)
        if length > limit:
            raise ValidationFailed(
                f"The text is {length} characters as {account.spec.label} counts them; "
                f"{account.spec.label} allows {limit} (account {account.name}). "
                f"Shorten it by {length - limit} or leave {account.name} out."
            )
        problem = account.spec.media.problem(files, account.spec.label)
        if problem:
            raise ValidationFailed(f"{problem} (account {account.name})")


async def accounts_of(uow: UnitOfWork, entries: Sequence[PlatformEntry]) -> list[SocialAccount]:
    found = [await uow.accounts.get(e.account_id) for e in entries if e.enabled]
    return [a for a in found if a is not None]


async def stored_files(
    uow: UnitOfWork, workspace_id: int, media: Sequence[str]
) -> list[StoredMedia]:
    """The stored files behind a post's media items, in order (links kept as typed
    before the media store have none)."""
    refs = [ref for item in media if (ref := MediaRef.parse(item))]
    found = {m.sha256: m for m in await uow.media.by_hashes(workspace_id, [r.sha256 for r in refs])}
    return [found[r.sha256] for r in refs if r.sha256 in found]
