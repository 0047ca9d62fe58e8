"""The SQL repositories against real SQLite and PostgreSQL databases."""

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.accounts import AccountStatus, SocialAccount
from core.events import DomainEvent, EventKind
from core.labels import Label
from core.posts import PlatformEntry, Post
from core.roles import Role
from core.states import EntryStatus, PostStatus, ReviewState
from core.workspace import Member, Workspace
from storage.crypto import CredentialCipher
from storage.tables import SocialAccountRow
from storage.uow import SqlUnitOfWorkFactory

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


async def _workspace(uow_factory: SqlUnitOfWorkFactory, name: str = "acme") -> Workspace:
    async with uow_factory() as uow:
        workspace = await uow.workspaces.add(Workspace(name=name))
        await uow.commit()
    return workspace


async def _add_post(
    uow_factory: SqlUnitOfWorkFactory,
    workspace_id: int,
    *,
    status: PostStatus = PostStatus.DRAFT,
    scheduled_at: datetime | None = None,
    labels: list[str] | None = None,
    entries: int = 1,
    created_at: datetime = T0,
) -> Post:
    async with uow_factory() as uow:
        post = Post(
            workspace_id=workspace_id,
            author_id=1,
            text="hello",
            status=status,
            scheduled_at=scheduled_at,
            labels=labels or [],
            created_at=created_at,
            updated_at=created_at,
            entries=[
                PlatformEntry(account_id=10 + i, platform="sandbox", content_type="sandbox_post")
                for i in range(entries)
            ],
        )
        post.number = await uow.workspaces.next_post_number(workspace_id)
        await uow.posts.add(post)
        await uow.commit()
    return post


# --- workspaces, members, accounts, labels, events ---------------------------------


async def test_workspace_round_trips_and_is_found_by_each_key(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        added = await uow.workspaces.add(
            Workspace(name="acme", slack_team_id="T1", discord_guild_id="G1", digest_hour=7)
        )
        await uow.commit()
    assert added.id > 0

    async with uow_factory() as uow:
        assert await uow.workspaces.get(added.id) == added
        assert await uow.workspaces.by_slack_team("T1") == added
        assert await uow.workspaces.by_discord_guild("G1") == added
        assert await uow.workspaces.by_name("acme") == added
        assert await uow.workspaces.by_name("other") is None
        changed = replace(
            added, approvals_required=True, timezone="Europe/Paris", default_account_ids=[3, 4]
        )
        await uow.workspaces.update(changed)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.workspaces.get(added.id) == changed


async def test_next_post_number_is_sequential_per_workspace(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    first = await _workspace(uow_factory, "first")
    second = await _workspace(uow_factory, "second")
    async with uow_factory() as uow:
        numbers = [
            await uow.workspaces.next_post_number(first.id),
            await uow.workspaces.next_post_number(second.id),
            await uow.workspaces.next_post_number(first.id),
        ]
        await uow.commit()
    async with uow_factory() as uow:
        numbers.append(await uow.workspaces.next_post_number(first.id))
        await uow.commit()
    assert numbers == [1, 1, 2, 3]


async def test_concurrent_transactions_never_get_the_same_post_number(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    workspace = await _workspace(uow_factory)

    async def allocate() -> int:
        async with uow_factory() as uow:
            number = await uow.workspaces.next_post_number(workspace.id)
            await asyncio.sleep(0)
            await uow.commit()
        return number

    numbers = await asyncio.gather(*(allocate() for _ in range(8)))
    assert sorted(numbers) == list(range(1, 9))


async def test_members_round_trip_and_are_found_by_chat_identity(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    workspace = await _workspace(uow_factory)
    async with uow_factory() as uow:
        ada = await uow.members.add(
            Member(workspace.id, "ada", Role.OWNER, email="ada@example.test", slack_user_id="U1")
        )
        bob = await uow.members.add(Member(workspace.id, "bob", Role.EDITOR, discord_user_id="D2"))
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.members.get(ada.id) == ada
        assert await uow.members.by_name(workspace.id, "bob") == bob
        assert await uow.members.by_slack_user(workspace.id, "U1") == ada
        assert await uow.members.by_discord_user(workspace.id, "D2") == bob
        assert await uow.members.by_slack_user(workspace.id + 1, "U1") is None
        assert await uow.members.list(workspace.id) == [ada, bob]
        bob.role, bob.timezone = Role.APPROVER, "Asia/Tokyo"
        await uow.members.update(bob)
        await uow.members.remove(ada.id)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.members.list(workspace.id) == [bob]


async def test_accounts_round_trip_with_their_credentials(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    workspace = await _workspace(uow_factory)
    expires = T0 + timedelta(days=30)
    async with uow_factory() as uow:
        account = await uow.accounts.add(
            SocialAccount(
                workspace.id,
                "mastodon",
                "Main",
                "@acme@example.social",
                credentials={"access_token": "tok-123"},
                token_expires_at=expires,
            )
        )
        await uow.commit()

    async with uow_factory() as uow:
        loaded = await uow.accounts.get(account.id)
        assert loaded == account
        assert loaded is not None and loaded.credentials == {"access_token": "tok-123"}
        assert await uow.accounts.by_name(workspace.id, "main") == account
        account.status = AccountStatus.DISCONNECTED
        account.credentials = {"access_token": "tok-456"}
        await uow.accounts.update(account)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.accounts.list(workspace.id) == [account]
        await uow.accounts.remove(account.id)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.accounts.list(workspace.id) == []


async def test_credentials_are_not_stored_in_plaintext(
    uow_factory: SqlUnitOfWorkFactory, engine: AsyncEngine, cipher: CredentialCipher
) -> None:
    workspace = await _workspace(uow_factory)
    async with uow_factory() as uow:
        await uow.accounts.add(
            SocialAccount(workspace.id, "x", "xacct", "@acme", credentials={"token": "s3cr3t-tok"})
        )
        await uow.commit()

    async with engine.connect() as connection:
        stored = (await connection.execute(select(SocialAccountRow.credentials_encrypted))).scalar()
    assert stored is not None
    assert "s3cr3t-tok" not in stored and "token" not in stored
    assert cipher.decrypt(stored) == {"token": "s3cr3t-tok"}


async def test_labels_round_trip_and_removing_one_detaches_it_from_posts(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    workspace = await _workspace(uow_factory)
    async with uow_factory() as uow:
        launch = await uow.labels.add(Label(workspace.id, "launch"))
        await uow.commit()
    post = await _add_post(uow_factory, workspace.id, labels=["promo", "launch"])

    async with uow_factory() as uow:
        assert await uow.labels.by_name(workspace.id, "launch") == launch
        # A post's labels the workspace lacked were created with it.
        assert [lb.name for lb in await uow.labels.list(workspace.id)] == ["launch", "promo"]
        await uow.labels.remove(launch.id)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.labels.by_name(workspace.id, "launch") is None
        reloaded = await uow.posts.get(post.id)
    assert reloaded is not None and reloaded.labels == ["promo"]


async def test_events_come_back_after_a_cursor_oldest_first(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        added = [
            await uow.events.add(
                DomainEvent(
                    EventKind.POST_FINISHED,
                    workspace_id=1,
                    occurred_at=T0 + timedelta(minutes=i),
                    post_id=i,
                    payload={"status": "published", "entries": [{"entry_id": i, "url": None}]},
                )
            )
            for i in range(3)
        ]
        await uow.commit()

    async with uow_factory() as uow:
        assert list(await uow.events.after(0, 10)) == added
        assert list(await uow.events.after(added[0].id, 1)) == [added[1]]
        assert list(await uow.events.after(added[2].id, 10)) == []


async def test_leaving_a_unit_of_work_without_commit_rolls_back(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        await uow.workspaces.add(Workspace(name="ghost"))
    with pytest.raises(RuntimeError):
        async with uow_factory() as uow:
            await uow.workspaces.add(Workspace(name="ghost"))
            raise RuntimeError("boom")
    async with uow_factory() as uow:
        assert await uow.workspaces.by_name("ghost") is None


async def test_a_naive_datetime_is_refused(uow_factory: SqlUnitOfWorkFactory) -> None:
    workspace = await _workspace(uow_factory)
    with pytest.raises(StatementError, match="naive datetime"):
        await _add_post(uow_factory, workspace.id, created_at=datetime(2026, 1, 1, 9, 0))


# --- posts and entries -------------------------------------------------------------


async def test_post_round_trips_with_entries_labels_and_utc_times(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    workspace = await _workspace(uow_factory)
    paris = datetime(2026, 3, 1, 11, 30, tzinfo=UTC).astimezone()
    post = await _add_post(
        uow_factory,
        workspace.id,
        status=PostStatus.SCHEDULED,
        scheduled_at=paris,
        labels=["zeta", "alpha"],
        entries=2,
    )
    assert post.id > 0 and post.number == 1
    assert all(e.id > 0 and e.post_id == post.id for e in post.entries)

    async with uow_factory() as uow:
        loaded = await uow.posts.get(post.id)
        by_number = await uow.posts.by_number(workspace.id, 1)
        locked = await uow.posts.lock(post.id)
        assert await uow.posts.by_number(workspace.id + 1, 1) is None
    assert loaded == post == by_number == locked
    assert loaded is not None and loaded.labels == ["zeta", "alpha"]
    assert loaded.scheduled_at == paris and loaded.scheduled_at.tzinfo == UTC
    assert loaded.review_state is ReviewState.NONE


async def test_save_writes_the_whole_post_and_bumps_every_version(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    workspace = await _workspace(uow_factory)
    post = await _add_post(uow_factory, workspace.id, labels=["a", "b"], entries=2)

    async with uow_factory() as uow:
        loaded = await uow.posts.get(post.id)
        assert loaded is not None
        loaded.text = "edited"
        loaded.media = ["media/one.png"]
        loaded.labels = ["b", "c"]
        loaded.move_review(ReviewState.PENDING_REVIEW)
        kept, dropped = loaded.entries
        kept.enabled = False
        loaded.entries = [kept, PlatformEntry(99, "mastodon", "mastodon_status")]
        assert await uow.posts.save(loaded)
        await uow.commit()
    assert loaded.version == 1 and kept.version == 1
    added = loaded.entries[1]
    assert added.id > 0 and added.post_id == post.id and added.version == 0

    async with uow_factory() as uow:
        assert await uow.posts.get(post.id) == loaded
        assert await uow.entries.get(dropped.id) is None


async def test_save_refuses_a_post_changed_since_it_was_loaded(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    workspace = await _workspace(uow_factory)
    post = await _add_post(uow_factory, workspace.id)

    async with uow_factory() as uow:
        first = await uow.posts.get(post.id)
    async with uow_factory() as uow:
        second = await uow.posts.get(post.id)
    assert first is not None and second is not None

    async with uow_factory() as uow:
        first.text = "first"
        assert await uow.posts.save(first)
        await uow.commit()
    async with uow_factory() as uow:
        second.text = "second"
        assert not await uow.posts.save(second)
    assert second.version == 0

    async with uow_factory() as uow:
        stored = await uow.posts.get(post.id)
    assert stored is not None and stored.text == "first" and stored.version == 1


async def test_save_refuses_a_post_whose_entry_changed_since_it_was_loaded(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    workspace = await _workspace(uow_factory)
    post = await _add_post(uow_factory, workspace.id)

    async with uow_factory() as uow:
        stale = await uow.posts.get(post.id)
    async with uow_factory() as uow:
        entry = await uow.entries.get(post.entries[0].id)
        assert entry is not None
        entry.move(EntryStatus.PUBLISHING)
        assert await uow.entries.compare_and_set(entry)
        await uow.commit()

    assert stale is not None
    async with uow_factory() as uow:
        stale.text = "edited"
        assert not await uow.posts.save(stale)


async def test_entry_compare_and_set_refuses_a_stale_version(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    workspace = await _workspace(uow_factory)
    post = await _add_post(uow_factory, workspace.id)
    entry_id = post.entries[0].id

    async with uow_factory() as uow:
        mine = await uow.entries.get(entry_id)
    async with uow_factory() as uow:
        theirs = await uow.entries.get(entry_id)
    assert mine is not None and theirs is not None

    lease = T0 + timedelta(minutes=10)
    async with uow_factory() as uow:
        mine.move(EntryStatus.PUBLISHING)
        mine.attempts, mine.lease_until = 1, lease
        assert await uow.entries.compare_and_set(mine)
        await uow.commit()
    assert mine.version == 1
    async with uow_factory() as uow:
        theirs.move(EntryStatus.PUBLISHING)
        assert not await uow.entries.compare_and_set(theirs)
    assert theirs.version == 0

    async with uow_factory() as uow:
        assert await uow.entries.get(entry_id) == mine


async def test_post_compare_and_set_writes_only_the_post_itself(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    workspace = await _workspace(uow_factory)
    post = await _add_post(uow_factory, workspace.id, labels=["keep"])

    async with uow_factory() as uow:
        loaded = await uow.posts.lock(post.id)
        assert loaded is not None
        loaded.status, loaded.finished_at = PostStatus.FAILED, T0
        loaded.labels, loaded.entries = ["ignored"], []
        assert await uow.posts.compare_and_set(loaded)
        await uow.commit()
    assert loaded.version == 1
    async with uow_factory() as uow:
        stale = replace(loaded, version=0)
        assert not await uow.posts.compare_and_set(stale)
        stored = await uow.posts.get(post.id)
    assert stored is not None
    assert stored.status is PostStatus.FAILED and stored.finished_at == T0
    assert stored.labels == ["keep"] and stored.entries == post.entries


async def test_removing_a_post_removes_its_entries(uow_factory: SqlUnitOfWorkFactory) -> None:
    workspace = await _workspace(uow_factory)
    post = await _add_post(uow_factory, workspace.id, labels=["x"])
    async with uow_factory() as uow:
        stale = replace(post, version=post.version + 1)
        assert not await uow.posts.remove(stale), "a changed post is not removed"
        assert await uow.posts.remove(post)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.posts.get(post.id) is None
        assert await uow.entries.get(post.entries[0].id) is None
        assert await uow.labels.by_name(workspace.id, "x") is not None


async def test_concurrent_posts_may_introduce_the_same_new_label(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    workspace = await _workspace(uow_factory)

    async def add(number: int) -> Post:
        async with uow_factory() as uow:
            # Numbers given by hand: allocating them would serialise the two on the
            # workspace row before they ever reach the label.
            post = Post(workspace.id, 1, "hi", number=number, labels=["fresh"], created_at=T0)
            await uow.posts.add(post)
            await asyncio.sleep(0.01)
            await uow.commit()
        return post

    first, second = await asyncio.gather(add(1), add(2))
    async with uow_factory() as uow:
        assert [lb.name for lb in await uow.labels.list(workspace.id)] == ["fresh"]
        for post in (first, second):
            stored = await uow.posts.get(post.id)
            assert stored is not None and stored.labels == ["fresh"]


async def test_a_member_comes_with_their_workspace_in_one_read(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    workspace = await _workspace(uow_factory)
    async with uow_factory() as uow:
        member = await uow.members.add(Member(workspace.id, "zed", Role.EDITOR))
        await uow.commit()
    async with uow_factory() as uow:
        found = await uow.members.with_workspace(member.id)
        assert await uow.members.with_workspace(member.id + 999) is None
    assert found is not None
    assert (found[0].name, found[1].id) == ("zed", workspace.id)
