"""The Slack chat gateway through the real slack_sdk against a loopback fake Web API."""

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.blocks import fallback_text, to_blocks
from bot.slack.gateway import SlackChat, make_client, user_profile
from bot.slack.rate_limits import GatedWebClient, RateGate
from core.messages import Button, Reply, Tone
from core.notifications.model import Presence
from core.notifications.ports import DeliveryFailed
from core.roles import Role
from core.workspace import Member
from tests.slack_fake import (
    OAUTH_V2_ACCESS_OK,
    RATELIMITED_BODY,
    USERS_INFO_ERROR,
    USERS_INFO_OK,
    FakeSlack,
)
from tests.waiting import until

TOKEN = "xoxb-000-test"
ANN = Member(1, "ann", Role.EDITOR, id=10, slack_user_id="U0ANN")
BOB = Member(1, "bob", Role.VIEWER, id=11, slack_user_id="U0BOB")
CONSOLE_ONLY = Member(1, "cid", Role.VIEWER, id=12)
FAILED = Reply(
    title="Post #4 failed",
    text="Mastodon said <no>.",
    tone=Tone.ERROR,
    buttons=(Button("Retry", "retry", "4"),),
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return make_client(TOKEN, slack.base_url)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def chat(client: AsyncWebClient, clock: Clock) -> SlackChat:
    async def client_for(member: Member) -> AsyncWebClient | None:
        return client if member.workspace_id == 1 else None

    return SlackChat(client_for, presence_ttl=60, monotonic=clock)


def test_reaches_members_with_a_slack_user_id(chat: SlackChat) -> None:
    assert chat.reaches(ANN)
    assert not chat.reaches(CONSOLE_ONLY)


async def test_dm_opens_the_conversation_then_posts_blocks_and_text(
    chat: SlackChat, slack: FakeSlack
) -> None:
    await chat.send_dm(ANN, FAILED, "trypost-delivery-1")

    assert [method for method, _ in slack.calls] == ["conversations.open", "chat.postMessage"]
    assert slack.calls_to("conversations.open") == [{"users": "U0ANN", "token": TOKEN}]
    (posted,) = slack.calls_to("chat.postMessage")
    assert posted["channel"] == slack.dm_channel("U0ANN")
    assert posted["text"] == fallback_text(FAILED) == "❌ Post #4 failed\nMastodon said &lt;no&gt;."
    assert posted["blocks"] == to_blocks(FAILED)
    assert posted["blocks"][-1]["elements"][0]["action_id"] == "trypost:retry#0"
    assert posted["token"] == TOKEN


async def test_presence_active_is_present_and_away_is_away(
    chat: SlackChat, slack: FakeSlack
) -> None:
    slack.presence["U0BOB"] = "away"

    assert await chat.presence(ANN) is Presence.PRESENT
    assert await chat.presence(BOB) is Presence.AWAY
    assert slack.calls_to("users.getPresence") == [
        {"user": "U0ANN", "token": TOKEN},
        {"user": "U0BOB", "token": TOKEN},
    ]


async def test_presence_is_cached_per_user_for_the_ttl(
    chat: SlackChat, slack: FakeSlack, clock: Clock
) -> None:
    assert await chat.presence(ANN) is Presence.PRESENT
    slack.presence["U0ANN"] = "away"
    clock.now += 59
    assert await chat.presence(ANN) is Presence.PRESENT
    assert len(slack.calls_to("users.getPresence")) == 1

    clock.now += 2
    assert await chat.presence(ANN) is Presence.AWAY
    assert len(slack.calls_to("users.getPresence")) == 2


async def test_presence_error_is_unknown_and_not_cached(chat: SlackChat, slack: FakeSlack) -> None:
    slack.fail_next("users.getPresence", error="invalid_auth")

    assert await chat.presence(ANN) is Presence.UNKNOWN
    assert await chat.presence(ANN) is Presence.PRESENT


async def test_presence_without_a_reachable_workspace_is_unknown(slack: FakeSlack) -> None:
    async def nowhere(member: Member) -> AsyncWebClient | None:
        return None

    gateway = SlackChat(nowhere)

    assert await gateway.presence(ANN) is Presence.UNKNOWN
    assert await gateway.presence(CONSOLE_ONLY) is Presence.UNKNOWN
    assert slack.calls == []


async def test_presence_when_slack_is_unreachable_is_unknown(clock: Clock) -> None:
    async with FakeSlack() as gone:
        unreachable = AsyncWebClient(token=TOKEN, base_url=gone.base_url, retry_handlers=[])

    async def client_for(member: Member) -> AsyncWebClient | None:
        return unreachable

    assert await SlackChat(client_for, monotonic=clock).presence(ANN) is Presence.UNKNOWN


class VirtualTime:
    """A monotonic clock and a sleep that moves it; sleeps wait for ``go`` once held."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []
        self.go = asyncio.Event()
        self.go.set()
        self.asleep = 0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        wakes = self.now + seconds
        self.asleep += 1
        await self.go.wait()
        self.asleep -= 1
        self.now = max(self.now, wakes)


@pytest.fixture
def time_passes() -> VirtualTime:
    return VirtualTime()


@pytest.fixture
def gated(slack: FakeSlack, time_passes: VirtualTime) -> tuple[SlackChat, GatedWebClient]:
    """The gateway over a client whose rate-limit waits pass in virtual time."""
    gate = RateGate(monotonic=time_passes, sleep=time_passes.sleep)
    client = GatedWebClient(token=TOKEN, base_url=slack.base_url, retry_handlers=[], gate=gate)

    async def client_for(member: Member) -> AsyncWebClient | None:
        return client

    return SlackChat(client_for), client


async def test_make_client_honours_retry_after_with_one_wait_per_method() -> None:
    client = make_client(TOKEN, "http://127.0.0.1:1/api/")
    assert isinstance(client, GatedWebClient)
    assert [type(h).__name__ for h in client.retry_handlers] == ["SharedRetryAfter"]


async def test_short_rate_limits_are_ridden_out_in_the_call(
    gated: tuple[SlackChat, GatedWebClient], slack: FakeSlack, time_passes: VirtualTime
) -> None:
    chat, _ = gated
    slack.fail_next("chat.postMessage", 3, retry_after=2)

    await chat.send_dm(ANN, FAILED, "k")

    assert time_passes.slept == [2.0, 2.0, 2.0]
    assert len(slack.calls_to("chat.postMessage")) == 4


async def test_a_429_holds_every_dm_of_the_workspace_until_retry_after(
    gated: tuple[SlackChat, GatedWebClient], slack: FakeSlack, time_passes: VirtualTime
) -> None:
    """The second DM starts while the first waits out Slack's 429: it sends nothing
    until the time Slack named, then both go (the SDK's own handler would have let
    it call, get its own 429 and sleep a Retry-After of its own)."""
    chat, client = gated
    slack.fail_next("chat.postMessage", 1, retry_after=7)
    time_passes.go.clear()

    first = asyncio.create_task(chat.send_dm(ANN, FAILED, "k1"))
    await until(lambda: time_passes.asleep == 1, "the first DM to wait")
    second = asyncio.create_task(chat.send_dm(BOB, FAILED, "k2"))
    await until(lambda: time_passes.asleep == 2, "the second DM to wait")
    assert len(slack.calls_to("chat.postMessage")) == 1, "nothing sent while held"
    assert time_passes.slept == [7.0, 7.0], "both wait for the one deadline"

    time_passes.go.set()
    await asyncio.gather(first, second)
    posted = slack.calls_to("chat.postMessage")
    assert sorted(p["channel"] for p in posted[1:]) == [
        slack.dm_channel("U0ANN"),
        slack.dm_channel("U0BOB"),
    ]
    assert time_passes.now == 107.0
    assert client.rate_gate.remaining("chat.postMessage") == 0
    assert client.rate_gate.remaining("conversations.open") == 0, "only the method is held"


async def test_a_rate_limit_longer_than_the_ride_out_goes_back_to_the_outbox(
    gated: tuple[SlackChat, GatedWebClient], slack: FakeSlack, time_passes: VirtualTime
) -> None:
    chat, _ = gated
    slack.fail_next("chat.postMessage", 1, retry_after=120)

    with pytest.raises(DeliveryFailed) as failed:
        await chat.send_dm(ANN, FAILED, "k")

    assert failed.value.transient
    assert failed.value.retry_after == 120.0
    assert "ratelimited" in failed.value.reason
    assert time_passes.slept == []

    # Another DM meanwhile is not sent at all: Slack said to wait.
    time_passes.now += 20
    with pytest.raises(DeliveryFailed) as held:
        await chat.send_dm(BOB, FAILED, "k2")
    assert held.value.transient and held.value.retry_after == pytest.approx(100.0)
    assert len(slack.calls_to("chat.postMessage")) == 1

    time_passes.now += 101
    await chat.send_dm(BOB, FAILED, "k2")
    assert len(slack.calls_to("chat.postMessage")) == 2


async def test_a_members_dm_channel_is_opened_once(chat: SlackChat, slack: FakeSlack) -> None:
    await chat.send_dm(ANN, FAILED, "k1")
    await chat.send_dm(ANN, FAILED, "k2")
    await chat.send_dm(BOB, FAILED, "k3")

    assert [c["users"] for c in slack.calls_to("conversations.open")] == ["U0ANN", "U0BOB"]
    assert len(slack.calls_to("chat.postMessage")) == 3


async def test_a_kept_dm_channel_refused_is_opened_again_once(
    chat: SlackChat, slack: FakeSlack
) -> None:
    await chat.send_dm(ANN, FAILED, "k1")
    slack.fail_next("chat.postMessage", error="channel_not_found")

    await chat.send_dm(ANN, FAILED, "k2")

    assert len(slack.calls_to("conversations.open")) == 2
    assert len(slack.calls_to("chat.postMessage")) == 3

    slack.fail_next("chat.postMessage", 2, error="channel_not_found")
    with pytest.raises(DeliveryFailed, match="channel_not_found") as failed:
        await chat.send_dm(ANN, FAILED, "k3")
    assert not failed.value.transient
    assert len(slack.calls_to("conversations.open")) == 3, "reopened once, not more"


async def test_a_rate_limit_the_sdk_rides_out_delivers(chat: SlackChat, slack: FakeSlack) -> None:
    slack.fail_next("conversations.open", 1)

    await chat.send_dm(ANN, FAILED, "k")

    assert len(slack.calls_to("conversations.open")) == 2
    assert len(slack.calls_to("chat.postMessage")) == 1


async def test_server_error_is_transient(chat: SlackChat, slack: FakeSlack) -> None:
    # A 500 may follow a post Slack did make: the SDK does not retry it, the outbox does.
    slack.fail_next("chat.postMessage", 1, status=500)

    with pytest.raises(DeliveryFailed) as failed:
        await chat.send_dm(ANN, FAILED, "k")

    assert failed.value.transient
    assert failed.value.retry_after is None
    assert "HTTP 500" in failed.value.reason
    assert len(slack.calls_to("chat.postMessage")) == 1


@pytest.mark.parametrize(
    "error", ["user_not_found", "account_inactive", "invalid_auth", "token_revoked"]
)
async def test_slack_refusal_is_permanent(chat: SlackChat, slack: FakeSlack, error: str) -> None:
    slack.fail_next("conversations.open", error=error)

    with pytest.raises(DeliveryFailed) as failed:
        await chat.send_dm(ANN, FAILED, "k")

    assert not failed.value.transient
    assert error in failed.value.reason
    assert slack.calls_to("chat.postMessage") == []


async def test_unknown_user_is_permanent(chat: SlackChat, slack: FakeSlack) -> None:
    slack.missing_users.add("U0ANN")

    with pytest.raises(DeliveryFailed, match="user_not_found") as failed:
        await chat.send_dm(ANN, FAILED, "k")

    assert not failed.value.transient


async def test_slack_busy_with_http_200_is_transient(chat: SlackChat, slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", error="service_unavailable")

    with pytest.raises(DeliveryFailed) as failed:
        await chat.send_dm(ANN, FAILED, "k")

    assert failed.value.transient


async def test_unreachable_slack_is_transient(clock: Clock) -> None:
    async with FakeSlack() as gone:
        unreachable = make_client(TOKEN, gone.base_url)

    async def client_for(member: Member) -> AsyncWebClient | None:
        return unreachable

    with pytest.raises(DeliveryFailed) as failed:
        await SlackChat(client_for).send_dm(ANN, FAILED, "k")

    assert failed.value.transient


async def test_no_slack_identity_or_installation_is_permanent(chat: SlackChat) -> None:
    with pytest.raises(DeliveryFailed, match="no Slack user id") as failed:
        await chat.send_dm(CONSOLE_ONLY, FAILED, "k")
    assert not failed.value.transient

    elsewhere = Member(2, "eve", Role.VIEWER, slack_user_id="U0EVE")
    with pytest.raises(DeliveryFailed, match="not installed") as failed:
        await chat.send_dm(elsewhere, FAILED, "k")
    assert not failed.value.transient


async def test_user_profile_reads_name_email_and_zone(
    client: AsyncWebClient, slack: FakeSlack
) -> None:
    assert await user_profile(client, "U0ANN") == (
        "spengler",
        "spengler@ghostbusters.example.com",
        "America/Los_Angeles",
    )

    slack.users["U0BOB"] = {"display_name": "", "real_name": "Bob B", "tz": "Europe/Paris"}
    assert await user_profile(client, "U0BOB") == (
        "Bob B",
        "spengler@ghostbusters.example.com",
        "Europe/Paris",
    )


async def test_user_profile_of_an_unknown_user_is_empty(
    client: AsyncWebClient, slack: FakeSlack
) -> None:
    slack.missing_users.add("U0GONE")

    assert await user_profile(client, "U0GONE") == (None, None, None)


# --- the fake itself ------------------------------------------------------------------

FIXTURES = Path("/work/shared/fixtures/slack")


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("api_users_info_ok.json", USERS_INFO_OK),
        ("api_users_info_error.json", USERS_INFO_ERROR),
        ("api_oauth_v2_access_ok.json", OAUTH_V2_ACCESS_OK),
    ],
)
def test_fake_answers_are_the_shared_fixtures(name: str, shape: dict[str, Any]) -> None:
    if not (FIXTURES / name).exists():
        pytest.skip(f"shared fixtures not on this machine: {FIXTURES}")
    fixture = json.loads((FIXTURES / name).read_text())
    if "user" in fixture:  # the fake leaves the avatar URLs out
        profile = fixture["user"]["profile"]
        fixture["user"]["profile"] = {k: v for k, v in profile.items() if "image" not in k}
    assert fixture == shape


def test_fake_rate_limit_is_the_shared_fixture() -> None:
    path = FIXTURES / "api_ratelimited_429.http.json"
    if not path.exists():
        pytest.skip(f"shared fixtures not on this machine: {FIXTURES}")
    assert json.loads(path.read_text())["body"] == RATELIMITED_BODY


@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
async def test_fake_records_form_json_and_response_url_posts(
    client: AsyncWebClient, slack: FakeSlack
) -> None:
    await client.views_publish(user_id="U0ANN", view={"type": "home", "blocks": []})
    opened = await client.views_open(trigger_id="t", view={"type": "modal", "callback_id": "c"})
    auth = await client.auth_test()
    installed = await AsyncWebClient(base_url=slack.base_url).oauth_v2_access(
        client_id="111.222", client_secret="s3cret", code="abc"
    )
    async with aiohttp.ClientSession() as session:
        url = slack.response_url("T111/1/abc")
        async with session.post(url, json={"text": "done", "replace_original": True}) as answer:
            assert answer.status == 200

    assert slack.calls_to("views.publish") == [
        {"user_id": "U0ANN", "view": {"type": "home", "blocks": []}, "token": TOKEN}
    ]
    assert opened["view"]["callback_id"] == "c"
    assert opened["view"]["type"] == "modal"
    assert auth["team_id"] == slack.team_id
    assert auth["bot_id"] == slack.bot_id
    assert installed["access_token"] == OAUTH_V2_ACCESS_OK["access_token"]
    (exchange,) = slack.calls_to("oauth.v2.access")
    assert exchange == {"code": "abc", "client_id": "111.222", "client_secret": "s3cret"}
    assert slack.responses_to("T111/1/abc") == [{"text": "done", "replace_original": True}]
